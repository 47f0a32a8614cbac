//! `bench`: times each stage — read (bytes and framing), decode (columns),
//! aggregate on the CPU and, when an adapter exists, the GPU backend, and
//! Parquet write — on the same inputs, checks that both backends agree, and
//! reports min / median over the iterations. Decoded columns are held in
//! memory between stages, so inputs should fit in RAM as Arrow columns.

mod compare;
mod report;
pub mod stages;

use std::time::Instant;

use crate::aggregate::backend::Backend;
use crate::aggregate::gpu::GpuContext;
use crate::aggregate::keys::parse_keys;
use crate::aggregate::AggregateSpec;
use crate::cli::BenchArgs;
use crate::decode::Signal;
use crate::error::{Error, Result};
use crate::input::{expand_inputs, InputSource};
use crate::pipeline::PipelineOptions;

pub use compare::{compare_batches, f64_close, F64_RELATIVE_TOLERANCE};
pub use report::{write_report, BenchReport, StageResult};

/// Runs every stage `args.iterations` times (default keys of the signal).
pub fn bench(args: &BenchArgs) -> Result<BenchReport> {
    if args.iterations == 0 {
        return Err(Error::Usage("--iterations must be at least 1".into()));
    }
    let sources = expand_inputs(&args.input.inputs)?;
    if sources.contains(&InputSource::Stdin) {
        return Err(Error::Usage(
            "bench reads its inputs several times: give files, not stdin (-)".into(),
        ));
    }
    let signal: Signal = args.signal.into();
    let spec = AggregateSpec {
        signal,
        keys: parse_keys(None, signal, None)?,
    };
    let mut opts = PipelineOptions::from_args(&args.input);
    opts.progress = false;
    let pool = opts.thread_pool()?;
    let n = args.iterations;
    let say = |line: String| {
        if !args.input.quiet {
            eprintln!("bench: {line}");
        }
    };
    // Found before any timing, so adapter and pipeline set-up are not measured.
    let gpu = GpuContext::shared();
    match &gpu {
        Ok(ctx) => say(format!(
            "GPU adapter {} ({})",
            ctx.adapter_name(),
            ctx.backend_name()
        )),
        Err(e) => say(format!("no GPU adapter ({e}): CPU only")),
    }

    let mut read = stages::ReadCount::default();
    let read_secs = time_iterations(n, || {
        read = stages::read_frames(&sources, args.input.skip_invalid)?;
        Ok(())
    })?;
    say(format!(
        "read: {} frames, {} bytes, median {:.4} s",
        read.frames,
        read.bytes,
        median(&read_secs)
    ));

    let mut decoded = stages::Decoded::default();
    let decode_secs = time_iterations(n, || {
        decoded = stages::Decoded::default(); // free the last iteration's columns first
        decoded = stages::decode(&pool, &sources, &opts, signal)?;
        Ok(())
    })?;
    for (path, other) in &decoded.ignored {
        eprintln!("warning: bench --signal {signal}: ignoring {path} (holds {other})");
    }
    if decoded.rows == 0 {
        let names: Vec<String> = sources.iter().map(InputSource::display).collect();
        return Err(Error::NoData(format!(
            "{} (no {signal} found; see --signal)",
            names.join(", ")
        )));
    }
    say(format!(
        "decode: {} {signal} rows, median {:.4} s",
        decoded.rows,
        median(&decode_secs)
    ));

    let stage = |name, backend, rows, bytes, seconds| StageResult {
        stage: name,
        backend,
        rows,
        bytes,
        seconds,
    };
    // Input bytes for every stage that consumes the input, so MB/s compare across stages.
    let (rows, bytes) = (decoded.rows, decoded.bytes);
    let mut results = vec![
        stage("read", None, rows, read.bytes, read_secs),
        stage("decode", None, rows, bytes, decode_secs),
    ];

    let mut cpu_batch = None;
    let cpu_secs = time_iterations(n, || {
        cpu_batch = Some(stages::aggregate(
            &pool,
            &decoded.frames,
            &spec,
            Backend::Cpu,
        )?);
        Ok(())
    })?;
    say(format!("aggregate cpu: median {:.4} s", median(&cpu_secs)));
    results.push(stage("aggregate", Some("cpu"), rows, bytes, cpu_secs));

    let (mut results_equal, mut note) = (true, None);
    if let Ok(ctx) = gpu {
        let mut gpu_batch = None;
        let gpu_run = time_iterations(n, || {
            gpu_batch = Some(stages::aggregate(
                &pool,
                &decoded.frames,
                &spec,
                Backend::Gpu(ctx),
            )?);
            Ok(())
        });
        match (gpu_run, &cpu_batch, &gpu_batch) {
            (Ok(secs), Some(cpu), Some(gpu)) => {
                say(format!("aggregate gpu: median {:.4} s", median(&secs)));
                results.push(stage("aggregate", Some("gpu"), rows, bytes, secs));
                if let Err(diff) = compare_batches(cpu, gpu) {
                    eprintln!("warning: bench: CPU and GPU aggregates differ: {diff}");
                    (results_equal, note) = (false, Some(diff));
                }
            }
            (run, _, _) => {
                let why = run
                    .err()
                    .map_or_else(|| "no result".to_owned(), |e| e.to_string());
                eprintln!("warning: bench: GPU aggregate failed: {why}");
                (results_equal, note) = (false, Some(format!("GPU aggregate failed: {why}")));
            }
        }
    }

    let scratch = stages::ScratchDir::new()?;
    let mut parquet_bytes = 0;
    let write_secs = time_iterations(n, || {
        parquet_bytes = stages::write_parquet(&decoded.frames, scratch.path())?;
        Ok(())
    })?;
    say(format!(
        "write: {parquet_bytes} Parquet bytes, median {:.4} s",
        median(&write_secs)
    ));
    results.push(stage("write", None, rows, parquet_bytes, write_secs));

    Ok(BenchReport {
        signal,
        iterations: n,
        threads: opts.threads,
        adapter: gpu.as_ref().ok().map(|c| c.adapter_name()),
        adapter_software: gpu.as_ref().is_ok_and(|c| c.is_software()),
        inputs: sources.len(),
        frames: decoded.frame_count,
        frame_bytes: read.frame_bytes,
        skipped_frames: decoded.skipped_frames,
        results_equal,
        note,
        stages: results,
    })
}

/// Wall-clock seconds of each of `n` runs of `run`.
fn time_iterations(n: usize, mut run: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    (0..n)
        .map(|_| {
            let t0 = Instant::now();
            run()?;
            Ok(t0.elapsed().as_secs_f64())
        })
        .collect()
}

fn median(seconds: &[f64]) -> f64 {
    StageResult {
        stage: "",
        backend: None,
        rows: 0,
        bytes: 0,
        seconds: seconds.to_vec(),
    }
    .seconds_median()
}
