//! otlp-analytics: batch analytics for OpenTelemetry dumps. Data flows
//! input (bytes, framing) → decode (columns) → aggregate / convert / validate → export.

pub mod aggregate;
pub mod api;
pub mod bench;
pub mod cli;
pub mod columns;
pub mod convert;
pub mod decode;
pub mod error;
pub mod export;
pub mod generate;
pub mod input;
pub mod inspect;
pub mod pipeline;
pub mod progress;
pub mod validate;

use std::io::Write;

pub use error::{Error, Result};

/// What a command found, for the exit code: 0 ok, 1 findings (`validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Findings,
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> Result<Outcome> {
    let stdout_err = |e| Error::io("<stdout>", e);
    match cli.command {
        cli::Command::Inspect(args) => {
            let report = inspect::inspect(&args)?;
            inspect::write_report(&report, args.format, out).map_err(stdout_err)?;
        }
        cli::Command::Validate(args) => {
            let report = validate::validate(&args)?;
            validate::write_report(&report, args.format, out).map_err(stdout_err)?;
            if !report.is_clean() {
                return Ok(Outcome::Findings);
            }
        }
        cli::Command::Aggregate(args) => {
            if let Some(path) = &args.output {
                // Refuse before the work, not after it.
                export::parquet::check_overwrite(path, args.force)?;
            }
            let result = aggregate::aggregate(&args)?;
            if args.input.verbose {
                report_aggregate(&result);
            }
            match &args.output {
                Some(path) => {
                    let opts = export::parquet::ParquetOptions::default();
                    let batches = std::slice::from_ref(&result.batch);
                    export::parquet::write_batches(
                        path,
                        result.batch.schema(),
                        batches,
                        &opts,
                        args.force,
                    )?;
                }
                None => {
                    // Printing a large result formats rows on the same threads.
                    let pool = pipeline::PipelineOptions::from_args(&args.input).thread_pool()?;
                    export::print::write_batch(&result.batch, args.format, &pool, out)
                        .map_err(stdout_err)?
                }
            }
        }
        cli::Command::Generate(args) => {
            let bar = progress::records_bar(generate::total_records(&args));
            let summary = generate::run_with_progress(&args, &mut |n| bar.set_position(n))?;
            bar.finish_and_clear();
            eprintln!(
                "generate: {} records in {} frames, {} bytes",
                summary.records, summary.frames, summary.bytes
            );
        }
        cli::Command::Convert(args) => {
            convert::convert(&args)?;
        }
        cli::Command::Bench(args) => {
            let report = bench::bench(&args)?;
            bench::write_report(&report, args.json, out).map_err(stdout_err)?;
        }
    }
    Ok(Outcome::Ok)
}

/// `--verbose` for aggregate: the backend that ran and the pipeline's measurements.
fn report_aggregate(result: &aggregate::AggregateOutput) {
    match result.backend {
        aggregate::backend::Backend::Cpu => {
            eprintln!("backend: cpu ({} threads)", result.report.threads)
        }
        aggregate::backend::Backend::Gpu(ctx) | aggregate::backend::Backend::Auto(ctx) => {
            let per_batch = match result.backend {
                aggregate::backend::Backend::Auto(_) => {
                    " (auto: per batch, CPU below the rule in BENCHMARKS.md)"
                }
                _ => "",
            };
            eprintln!(
                "backend: gpu{per_batch}, adapter {} ({})",
                ctx.adapter_name(),
                ctx.backend_name()
            );
            for line in ctx.describe().lines() {
                eprintln!("  {line}");
            }
            if !ctx.capabilities().shader_f64 {
                eprintln!("  f64 sums/min/max: cpu fallback (adapter lacks SHADER_F64)");
            }
            eprintln!("  duration quantile sketches: gpu; exponential-histogram merges: cpu");
            let a = ctx.activity();
            if a.cpu_batches > 0 {
                eprintln!(
                    "  kept on the cpu: {} rows in {} batches (too few rows, or per group)",
                    a.cpu_rows, a.cpu_batches
                );
            }
            if a.batches > 0 {
                let per_row = |b: u64| b as f64 / a.rows.max(1) as f64;
                eprintln!(
                    "  group-by: {} rows in {} batches, uploaded {:.1} B/row, read back {:.1} B/row, {:.1} submits/batch",
                    a.rows,
                    a.batches,
                    per_row(a.bytes_uploaded),
                    per_row(a.bytes_read_back),
                    a.submits as f64 / a.batches as f64
                );
                eprintln!(
                    "  host time: {:.1} ms preparing GPU work, {:.1} ms turning readbacks into partials",
                    a.prep_ns as f64 / 1e6,
                    a.finish_ns as f64 / 1e6
                );
            }
        }
    }
    pipeline::report_verbose(&result.report);
    if let Some(m) = &result.metrics {
        eprintln!(
            "metrics: {} series tracked, {} points folded as they arrived, {} points buffered out of order ({} series replayed sorted; {} pass(es) over the input), peak metric state {:.1} MiB",
            m.series,
            m.points_folded,
            m.points_buffered,
            m.disordered_series,
            m.passes,
            m.peak_state_bytes as f64 / (1 << 20) as f64
        );
    }
}
