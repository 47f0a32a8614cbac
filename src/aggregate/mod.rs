//! Group-by aggregation. Map stage on workers (keys → local group ids, values),
//! ordered consumer remaps to global ids and stages rows, chunks are reduced
//! by a backend (CPU rayon or GPU wgpu) into partial accumulators that merge
//! into the global state; `finish` builds the sorted result batch.

pub mod backend;
pub mod exact_sum;
pub mod exp_histogram;
pub mod gpu;
pub mod groups;
pub mod key_columns;
pub mod keys;
pub mod logs;
mod metric_reduce;
mod metric_reducer;
mod metric_series;
pub mod metrics;
mod metrics_finish;
#[cfg(test)]
mod metrics_reference;
#[cfg(test)]
mod metrics_tests;
pub mod output;
pub mod quantiles;
mod series_keys;
pub mod sketch;
pub mod state;
pub mod traces;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::RecordBatch;

use crate::cli::{AggregateArgs, BackendArg};
use crate::columns::Projection;
use crate::decode::{DecodedFrame, Signal};
use crate::error::{Error, Result};
use crate::input::{expand_inputs_with, InputSource};
use crate::pipeline::{self, Event, PipelineOptions, PipelineReport};
use backend::Backend;
use gpu::GpuContext;
use keys::{parse_keys, KeySpec};

/// Rows staged before a chunk is reduced (bounds consumer memory).
pub const CHUNK_ROWS: usize = 1 << 22;
/// `--backend auto` uses a hardware GPU only for inputs at least this large.
const AUTO_GPU_MIN_BYTES: u64 = 256 << 20;

/// What to aggregate and by which keys.
#[derive(Debug, Clone)]
pub struct AggregateSpec {
    pub signal: Signal,
    pub keys: Vec<KeySpec>,
}

impl AggregateSpec {
    /// The columns keys and values read (Parquet input reads no others).
    /// Service and time columns are always kept: input stats use them.
    pub fn columns(&self) -> Vec<String> {
        let mut cols: Vec<&str> = vec![
            "service_name",
            "scope_name",
            "resource_attributes",
            "resource_attribute_types",
        ];
        cols.extend(["attributes", "attribute_types"]);
        cols.extend(match self.signal {
            Signal::Traces => &[
                "name",
                "kind",
                "status_code",
                "start_time_unix_nano",
                "end_time_unix_nano",
            ][..],
            Signal::Logs => &[
                "severity_number",
                "severity_text",
                "time_unix_nano",
                "observed_time_unix_nano",
            ][..],
            Signal::Metrics => metrics::COLUMNS,
        });
        cols.into_iter().map(str::to_owned).collect()
    }

    /// Only the attribute maps the keys read are filled or read.
    pub fn projection(&self) -> Projection {
        let mut p = Projection::LEAN;
        for k in &self.keys {
            match k.kind {
                keys::KeyKind::Resource(_) => p.resource_attributes = true,
                keys::KeyKind::Attr(_) | keys::KeyKind::AllAttrs => p.attributes = true,
                _ => {}
            }
        }
        p
    }

    pub fn from_args(args: &AggregateArgs) -> Result<Self> {
        let window = match &args.window {
            Some(w) => {
                let ns = crate::export::format::parse_duration(w).map_err(Error::Usage)?;
                if ns == 0 {
                    return Err(Error::Usage("--window must be longer than 0".into()));
                }
                Some(ns)
            }
            None => None,
        };
        let signal = args.signal.into();
        Ok(Self {
            signal,
            keys: parse_keys(args.by.as_deref(), signal, window)?,
        })
    }
}

pub struct AggregateOutput {
    pub batch: RecordBatch,
    pub backend: Backend,
    pub report: PipelineReport,
    /// Metric state figures (`--signal metrics` only).
    pub metrics: Option<metrics::MetricStats>,
    /// Inputs skipped because they hold another signal.
    pub ignored: Vec<(String, Signal)>,
}

/// Picks the backend: `gpu` requires an adapter; `auto` takes a hardware GPU
/// for large inputs, and then each batch runs where it pays ([`backend::gpu_pays`]).
pub fn choose_backend(arg: BackendArg, sources: &[InputSource]) -> Result<Backend> {
    match arg {
        BackendArg::Cpu => Ok(Backend::Cpu),
        BackendArg::Gpu => GpuContext::shared()
            .map(Backend::Gpu)
            .map_err(|e| Error::Usage(format!("--backend gpu: {e}; use --backend cpu or auto"))),
        BackendArg::Auto => {
            let bytes: u64 = sources
                .iter()
                .filter_map(|s| match s {
                    InputSource::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                    InputSource::Stdin => None,
                })
                .sum();
            if bytes < AUTO_GPU_MIN_BYTES {
                return Ok(Backend::Cpu);
            }
            Ok(match GpuContext::shared() {
                // Software rasterizers (Mesa lavapipe) are correct but never faster than the CPU backend.
                Ok(ctx) if !ctx.is_software() => Backend::Auto(ctx),
                _ => Backend::Cpu,
            })
        }
    }
}

/// `aggregate` as the CLI runs it.
pub fn aggregate(args: &AggregateArgs) -> Result<AggregateOutput> {
    let spec = AggregateSpec::from_args(args)?;
    let sources = expand_inputs_with(&args.input.inputs, args.input.walk())?;
    let backend = choose_backend(args.backend, &sources)?;
    let opts = PipelineOptions::from_args(&args.input);
    let out = aggregate_sources(&sources, &opts, &spec, backend)?;
    for (path, signal) in &out.ignored {
        eprintln!(
            "warning: aggregate --signal {}: ignoring {path} (holds {signal})",
            spec.signal
        );
    }
    Ok(out)
}

/// Runs one aggregation over `sources` on `backend` (also used by `bench`).
pub fn aggregate_sources(
    sources: &[InputSource],
    opts: &PipelineOptions,
    spec: &AggregateSpec,
    backend: Backend,
) -> Result<AggregateOutput> {
    let mut opts = opts.clone();
    opts.only_signal = Some(spec.signal);
    opts.forced_signal = None;
    opts.projection = spec.projection();
    opts.columns = Some(spec.columns());
    let pool = opts.thread_pool()?;
    let keys = &spec.keys;
    let mut seen = SignalTracker::new(spec.signal);
    let mut metric_stats = None;
    let (report, batch) = match spec.signal {
        Signal::Traces => {
            let mut r = traces::TraceReducer::new(backend, CHUNK_ROWS);
            let map = |d: &DecodedFrame| traces::map_spans(keys, &d.tables);
            let report = run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                r.consume(rows)
            })?;
            let (groups, cols) = pool.install(|| r.finish())?;
            (report, output::finish_batch(keys, &groups, None, cols)?)
        }
        Signal::Logs => {
            let mut r = logs::LogReducer::new(backend, CHUNK_ROWS);
            let map = |d: &DecodedFrame| logs::map_logs(keys, &d.tables);
            let report = run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                r.consume(rows)
            })?;
            let (groups, cols) = pool.install(|| r.finish())?;
            (report, output::finish_batch(keys, &groups, None, cols)?)
        }
        Signal::Metrics => {
            // Stdin cannot be read twice: its cumulative series are kept and sorted at the end.
            let once = sources.iter().any(|s| matches!(s, InputSource::Stdin));
            let replay = if once {
                metrics::Replay::All
            } else {
                metrics::Replay::Nothing
            };
            let series_keys = Arc::new(metrics::SeriesKeys::new(keys));
            let mut r = metrics::MetricReducer::new(backend, replay, Arc::clone(&series_keys));
            let map = |d: &DecodedFrame| metrics::map_points(&series_keys, &d.tables);
            let mut report = run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                r.consume(rows)
            })?;
            // Series found out of order: a second pass keeps only their points for a sort.
            if let Some(replay) = pool.install(|| r.replay_needed())? {
                let mut second = r.second_pass(replay);
                let again = run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                    second.consume(rows)
                })?;
                report.read_time += again.read_time;
                report.consumer_time += again.consumer_time;
                report.wall_time += again.wall_time;
                r = second;
            }
            let (groups, cols, stats) = pool.install(|| metrics::finish_metrics(r, keys))?;
            metric_stats = Some(stats);
            let batch = output::finish_batch(keys, &groups, Some("metric.type"), cols)?;
            (report, quantiles::append_quantiles(batch)?)
        }
    };
    if !seen.any_wanted {
        let names: Vec<String> = sources.iter().map(InputSource::display).collect();
        return Err(Error::NoData(format!(
            "{} (no {} found)",
            names.join(", "),
            spec.signal
        )));
    }
    let ignored = seen.ignored(sources);
    Ok(AggregateOutput {
        batch,
        backend,
        report,
        metrics: metric_stats,
        ignored,
    })
}

/// Which inputs held the wanted signal and which held another.
struct SignalTracker {
    wanted: Signal,
    any_wanted: bool,
    other: BTreeMap<usize, Signal>,
}

impl SignalTracker {
    fn new(wanted: Signal) -> Self {
        Self {
            wanted,
            any_wanted: false,
            other: BTreeMap::new(),
        }
    }

    /// True when the frame's rows should be merged.
    fn admit(&mut self, input: usize, signal: Option<Signal>) -> bool {
        match signal {
            Some(s) if s == self.wanted => {
                self.any_wanted = true;
                true
            }
            Some(s) => {
                self.other.entry(input).or_insert(s);
                false
            }
            None => false,
        }
    }

    fn ignored(&self, sources: &[InputSource]) -> Vec<(String, Signal)> {
        self.other
            .iter()
            .map(|(&i, &s)| (sources[i].display(), s))
            .collect()
    }
}

fn run_stage<T: Send>(
    pool: &rayon::ThreadPool,
    sources: &[InputSource],
    opts: &PipelineOptions,
    seen: &mut SignalTracker,
    map: impl Fn(&DecodedFrame) -> Result<T> + Sync,
    mut consume: impl FnMut(T) -> Result<()> + Send,
) -> Result<PipelineReport> {
    pipeline::run_in(pool, sources, opts, map, |event| match event {
        Event::Frame {
            input,
            signal,
            mapped,
            ..
        } if seen.admit(input, signal) => pool.install(|| consume(mapped)),
        _ => Ok(()),
    })
}
