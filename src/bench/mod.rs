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
use crate::input::{expand_inputs_with, InputSource};
use crate::pipeline::PipelineOptions;

pub use compare::{compare_batches, f64_close, F64_RELATIVE_TOLERANCE};
pub use report::{write_report, BenchReport, StageResult};

/// Runs every stage `args.iterations` times (default keys of the signal).
pub fn bench(args: &BenchArgs) -> Result<BenchReport> {
    if args.iterations == 0 {
        return Err(Error::Usage("--iterations must be at least 1".into()));
    }
    let sources = expand_inputs_with(&args.input.inputs, args.input.walk())?;
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

    let (rows, bytes) = (decoded.rows, decoded.bytes);
    let mut results = vec![
        stage("read", None, rows, read.bytes, read_secs),
        stage("decode", None, rows, bytes, decode_secs),
    ];

    let (aggregates, results_equal, note) =
        aggregate_stages(&pool, &decoded, &spec, gpu.as_ref().ok().copied(), n, &say)?;
    results.extend(aggregates);

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

/// The aggregate stage on the CPU and, when there is an adapter, the GPU;
/// returns the timings, whether both results agree, and why not.
fn aggregate_stages(
    pool: &rayon::ThreadPool,
    decoded: &stages::Decoded,
    spec: &AggregateSpec,
    gpu: Option<&'static GpuContext>,
    n: usize,
    say: &dyn Fn(String),
) -> Result<(Vec<StageResult>, bool, Option<String>)> {
    // Input bytes for every stage that consumes the input, so MB/s compare across stages.
    let (rows, bytes) = (decoded.rows, decoded.bytes);
    let run = |backend: Backend| {
        let mut batch = None;
        let seconds = time_iterations(n, || {
            batch = Some(stages::aggregate(pool, &decoded.frames, spec, backend)?);
            Ok(())
        })?;
        say(format!(
            "aggregate {}: median {:.4} s",
            backend.name(),
            median(&seconds)
        ));
        let result = stage("aggregate", Some(backend.name()), rows, bytes, seconds);
        Ok::<_, Error>((result, batch.expect("at least one iteration")))
    };
    let (cpu_result, cpu_batch) = run(Backend::Cpu)?;
    let mut results = vec![cpu_result];
    let Some(ctx) = gpu else {
        return Ok((results, true, None));
    };
    match run(Backend::Gpu(ctx)) {
        Ok((gpu_result, gpu_batch)) => {
            results.push(gpu_result);
            match compare_batches(&cpu_batch, &gpu_batch) {
                Ok(()) => Ok((results, true, None)),
                Err(diff) => {
                    eprintln!("warning: bench: CPU and GPU aggregates differ: {diff}");
                    Ok((results, false, Some(diff)))
                }
            }
        }
        Err(e) => {
            eprintln!("warning: bench: GPU aggregate failed: {e}");
            Ok((results, false, Some(format!("GPU aggregate failed: {e}"))))
        }
    }
}

fn stage(
    name: &'static str,
    backend: Option<&'static str>,
    rows: u64,
    bytes: u64,
    seconds: Vec<f64>,
) -> StageResult {
    StageResult {
        stage: name,
        backend,
        rows,
        bytes,
        seconds,
    }
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
