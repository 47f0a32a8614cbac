//! Partial aggregation state as Arrow tables (DataFusion's `Accumulator::state`
//! / `merge_batch`): what one split of the inputs contributes, written so that
//! another process (a Spark executor, a Python worker) can merge it. Any split
//! of the inputs, partialled and merged in any order, finishes to the batch
//! `aggregate` prints for all of them.
//!
//! A state table has a `group_key` column (the engine's encoded group key) and
//! per-signal state columns; its schema metadata names the kind of state, the
//! keys it was grouped by, the inputs it read and whether they held the signal.
//! - traces: counts, duration sum / min / max and the duration sketch in its
//!   canonical bytes (`sketch_bytes`), one row per group;
//! - logs: count and first / last time, one row per group;
//! - metrics: cumulative → delta needs a series' whole history, so the state of
//!   a split is its points (`metrics::points_*`): the per-series state in full,
//!   exact under any split. Combining point states whose groups are whole
//!   (Spark shuffles by `shard`, a hash of the group's keys without the window)
//!   gives finished per-group values (`metric-groups` state), which merge by
//!   concatenation.

mod metrics;
mod sketch_bytes;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryArray, BinaryBuilder, RecordBatch, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, UInt64Type};

use super::backend::U64Partial;
use super::groups::GroupTable;
use super::logs::LogReducer;
use super::traces::{TraceAcc, TraceReducer};
use super::{output, run_stage, AggregateSpec, SignalTracker, CHUNK_ROWS};
use crate::decode::{DecodedFrame, Signal};
use crate::error::{Error, Result};
use crate::input::InputSource;
use crate::pipeline::PipelineOptions;

pub use metrics::shard_of_key;

/// Schema metadata: the kind of state (`StateKind::name`).
pub const META_KIND: &str = "otlp_analytics.state";
/// Schema metadata: the group keys' column names, comma separated.
pub const META_KEYS: &str = "otlp_analytics.keys";
/// Schema metadata: the inputs read, as the CLI names them (newline separated).
pub const META_INPUTS: &str = "otlp_analytics.inputs";
/// Schema metadata: "1" when some input held the signal.
pub const META_SEEN: &str = "otlp_analytics.seen";
/// Schema metadata: the engine version (key encodings may change between versions).
pub const META_VERSION: &str = "otlp_analytics.version";
pub const GROUP_KEY: &str = "group_key";
/// A point's `seq` is `first_input << SEQ_INPUT_SHIFT` plus its index in its
/// state: room for 2^40 points per split and 2^24 splits.
pub const SEQ_INPUT_SHIFT: u32 = 40;

/// What a state table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    Traces,
    Logs,
    /// Metric points with their series: mergeable under any split.
    MetricPoints,
    /// Finished metric groups: mergeable when no group is in two states.
    MetricGroups,
}

impl StateKind {
    pub fn name(self) -> &'static str {
        match self {
            StateKind::Traces => "traces",
            StateKind::Logs => "logs",
            StateKind::MetricPoints => "metric-points",
            StateKind::MetricGroups => "metric-groups",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            StateKind::Traces,
            StateKind::Logs,
            StateKind::MetricPoints,
            StateKind::MetricGroups,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }

    fn signal(self) -> Signal {
        match self {
            StateKind::Traces => Signal::Traces,
            StateKind::Logs => Signal::Logs,
            StateKind::MetricPoints | StateKind::MetricGroups => Signal::Metrics,
        }
    }
}

fn state_error(message: impl std::fmt::Display) -> Error {
    Error::Aggregate(format!("partial state: {message}"))
}

/// Where a state came from, carried in its schema metadata.
#[derive(Debug, Clone, Default)]
struct Provenance {
    inputs: Vec<String>,
    seen: bool,
}

fn key_names(spec: &AggregateSpec) -> String {
    spec.keys
        .iter()
        .map(|k| k.column.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn state_batch(
    kind: StateKind,
    spec: &AggregateSpec,
    prov: &Provenance,
    columns: Vec<(Field, ArrayRef)>,
) -> Result<RecordBatch> {
    let metadata = HashMap::from([
        (META_KIND.to_owned(), kind.name().to_owned()),
        (META_KEYS.to_owned(), key_names(spec)),
        (META_INPUTS.to_owned(), prov.inputs.join("\n")),
        (
            META_SEEN.to_owned(),
            if prov.seen { "1" } else { "0" }.to_owned(),
        ),
        (
            META_VERSION.to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
    ]);
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Schema::new_with_metadata(fields, metadata);
    RecordBatch::try_new(Arc::new(schema), arrays).map_err(state_error)
}

/// Checks a state table against the aggregation it is merged into.
fn check_state(batch: &RecordBatch, spec: &AggregateSpec) -> Result<(StateKind, Provenance)> {
    let schema = batch.schema();
    let meta = schema.metadata();
    let kind = meta
        .get(META_KIND)
        .and_then(|k| StateKind::parse(k))
        .ok_or_else(|| {
            state_error("not a partial state table (no otlp_analytics.state metadata)")
        })?;
    if kind.signal() != spec.signal {
        return Err(state_error(format!(
            "a {} state cannot merge into a {} aggregation",
            kind.name(),
            spec.signal
        )));
    }
    let keys = meta.get(META_KEYS).map(String::as_str).unwrap_or("");
    if keys != key_names(spec) {
        return Err(state_error(format!(
            "grouped by [{keys}], but this merge groups by [{}]",
            key_names(spec)
        )));
    }
    let version = meta.get(META_VERSION).map(String::as_str).unwrap_or("");
    if version != env!("CARGO_PKG_VERSION") {
        return Err(state_error(format!(
            "written by otlp-analytics {version:?}, this is {}",
            env!("CARGO_PKG_VERSION")
        )));
    }
    let inputs = meta
        .get(META_INPUTS)
        .filter(|s| !s.is_empty())
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let seen = meta.get(META_SEEN).is_some_and(|s| s == "1");
    Ok((kind, Provenance { inputs, seen }))
}

pub(crate) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| state_error(format!("column {name} is missing")))
}

pub(crate) fn u64_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a arrow::array::PrimitiveArray<UInt64Type>> {
    column(batch, name)?
        .as_primitive_opt::<UInt64Type>()
        .ok_or_else(|| state_error(format!("column {name} is not UInt64")))
}

pub(crate) fn binary_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a BinaryArray> {
    column(batch, name)?
        .as_binary_opt::<i32>()
        .ok_or_else(|| state_error(format!("column {name} is not Binary")))
}

fn u64_field(name: &str, values: impl Iterator<Item = u64>) -> (Field, ArrayRef) {
    (
        Field::new(name, DataType::UInt64, false),
        Arc::new(values.collect::<UInt64Array>()) as ArrayRef,
    )
}

pub(crate) fn key_field(groups: &GroupTable) -> (Field, ArrayRef) {
    let mut b = BinaryBuilder::new();
    for k in groups.keys() {
        b.append_value(k);
    }
    (
        Field::new(GROUP_KEY, DataType::Binary, false),
        Arc::new(b.finish()),
    )
}

/// Runs the aggregation's map and reduce stages over `sources` and returns the
/// partial state, unfinished. Unlike `aggregate`, inputs without the signal are
/// not an error here (another split may hold it): `finish` decides.
pub fn partial_sources(
    sources: &[InputSource],
    opts: &PipelineOptions,
    spec: &AggregateSpec,
) -> Result<RecordBatch> {
    partial_sources_at(sources, opts, spec, 0)
}

/// `partial_sources` for inputs that start at position `first_input` among
/// all the inputs of the aggregation (the CLI's order). Metric points carry
/// their input position (`seq`), so merging the states of contiguous splits,
/// in any order, breaks ties of equal timestamps as the CLI does (the later
/// input wins `value_last`; one series' points keep their input order).
pub fn partial_sources_at(
    sources: &[InputSource],
    opts: &PipelineOptions,
    spec: &AggregateSpec,
    first_input: u64,
) -> Result<RecordBatch> {
    let mut opts = opts.clone();
    opts.only_signal = Some(spec.signal);
    opts.forced_signal = None;
    opts.projection = spec.projection();
    opts.columns = Some(spec.columns());
    let pool = opts.thread_pool()?;
    let keys = &spec.keys;
    let mut seen = SignalTracker::new(spec.signal);
    let backend = super::backend::Backend::Cpu;
    let mut prov = Provenance {
        inputs: sources.iter().map(InputSource::display).collect(),
        seen: false,
    };
    match spec.signal {
        Signal::Traces => {
            let mut r = TraceReducer::new(backend, CHUNK_ROWS);
            let map = |d: &DecodedFrame| super::traces::map_spans(keys, &d.tables);
            run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                r.consume(rows)
            })?;
            let (groups, accs) = pool.install(|| r.into_partial())?;
            prov.seen = seen.any_wanted;
            state_batch(
                StateKind::Traces,
                spec,
                &prov,
                trace_columns(&groups, &accs),
            )
        }
        Signal::Logs => {
            let mut r = LogReducer::new(backend, CHUNK_ROWS);
            let map = |d: &DecodedFrame| super::logs::map_logs(keys, &d.tables);
            run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                r.consume(rows)
            })?;
            let (groups, accs) = pool.install(|| r.into_partial())?;
            prov.seen = seen.any_wanted;
            state_batch(StateKind::Logs, spec, &prov, log_columns(&groups, &accs))
        }
        Signal::Metrics => {
            let mut all = super::metrics::MetricRows::default();
            let series_keys = Arc::new(super::metrics::SeriesKeys::new(keys));
            let mut remap = super::metrics::GroupRemap::new(Arc::clone(&series_keys));
            let map = |d: &DecodedFrame| super::metrics::map_points(&series_keys, &d.tables);
            run_stage(&pool, sources, &opts, &mut seen, map, |rows| {
                metrics::append_rows(&mut all, rows, &mut remap);
                Ok(())
            })?;
            prov.seen = seen.any_wanted;
            let columns = metrics::points_columns(&all, keys, first_input << SEQ_INPUT_SHIFT)?;
            state_batch(StateKind::MetricPoints, spec, &prov, columns)
        }
    }
}

fn trace_columns(groups: &GroupTable, accs: &[TraceAcc]) -> Vec<(Field, ArrayRef)> {
    let mut sketches = BinaryBuilder::new();
    let mut buf = Vec::new();
    for a in accs {
        sketch_bytes::encode(&a.sketch, &mut buf);
        sketches.append_value(&buf);
    }
    vec![
        key_field(groups),
        u64_field("span_count", accs.iter().map(|a| a.durations.count)),
        u64_field("error_count", accs.iter().map(|a| a.errors)),
        u64_field("duration_sum_ns", accs.iter().map(|a| a.durations.sum)),
        u64_field("duration_min_ns", accs.iter().map(|a| a.durations.min)),
        u64_field("duration_max_ns", accs.iter().map(|a| a.durations.max)),
        (
            Field::new("duration_sketch", DataType::Binary, false),
            Arc::new(sketches.finish()),
        ),
    ]
}

fn log_columns(groups: &GroupTable, accs: &[U64Partial]) -> Vec<(Field, ArrayRef)> {
    vec![
        key_field(groups),
        u64_field("log_count", accs.iter().map(|a| a.count)),
        u64_field("first_time_ns", accs.iter().map(|a| a.min)),
        u64_field("last_time_ns", accs.iter().map(|a| a.max)),
    ]
}

/// Merges the rows of `batch` into per-group accumulators.
fn merge_rows<A: Default>(
    batch: &RecordBatch,
    groups: &mut GroupTable,
    accs: &mut Vec<A>,
    row_acc: impl Fn(usize) -> Result<A>,
    merge: impl Fn(&mut A, &A),
) -> Result<()> {
    let keys = binary_column(batch, GROUP_KEY)?;
    for row in 0..batch.num_rows() {
        let g = groups.intern_key(keys.value(row))? as usize;
        if accs.len() <= g {
            accs.resize_with(g + 1, A::default);
        }
        merge(&mut accs[g], &row_acc(row)?);
    }
    Ok(())
}

/// State merged from many tables, not yet finished.
enum Merged {
    Traces(GroupTable, Vec<TraceAcc>),
    Logs(GroupTable, Vec<U64Partial>),
    Metrics(GroupTable, Vec<(Field, ArrayRef)>),
}

fn merge_states(states: &[RecordBatch], spec: &AggregateSpec) -> Result<(Merged, Provenance)> {
    let mut prov = Provenance::default();
    let mut named = std::collections::HashSet::new();
    let mut kinds = Vec::with_capacity(states.len());
    for s in states {
        let (kind, p) = check_state(s, spec)?;
        // Shards of one input each carry its name: keep it once.
        for input in p.inputs {
            if named.insert(input.clone()) {
                prov.inputs.push(input);
            }
        }
        prov.seen |= p.seen;
        kinds.push(kind);
    }
    let mut groups = GroupTable::default();
    let merged = match spec.signal {
        Signal::Traces => {
            let mut accs: Vec<TraceAcc> = Vec::new();
            for b in states {
                let (count, errors, sum, min, max) = (
                    u64_column(b, "span_count")?,
                    u64_column(b, "error_count")?,
                    u64_column(b, "duration_sum_ns")?,
                    u64_column(b, "duration_min_ns")?,
                    u64_column(b, "duration_max_ns")?,
                );
                let sketch = binary_column(b, "duration_sketch")?;
                let row_acc = |r: usize| -> Result<TraceAcc> {
                    Ok(TraceAcc {
                        durations: U64Partial {
                            count: count.value(r),
                            sum: sum.value(r),
                            min: min.value(r),
                            max: max.value(r),
                        },
                        errors: errors.value(r),
                        sketch: sketch_bytes::decode(sketch.value(r)).map_err(state_error)?,
                    })
                };
                merge_rows(b, &mut groups, &mut accs, row_acc, TraceAcc::merge)?;
            }
            Merged::Traces(groups, accs)
        }
        Signal::Logs => {
            let mut accs: Vec<U64Partial> = Vec::new();
            for b in states {
                let (count, min, max) = (
                    u64_column(b, "log_count")?,
                    u64_column(b, "first_time_ns")?,
                    u64_column(b, "last_time_ns")?,
                );
                let row_acc = |r: usize| -> Result<U64Partial> {
                    Ok(U64Partial {
                        count: count.value(r),
                        sum: 0,
                        min: min.value(r),
                        max: max.value(r),
                    })
                };
                merge_rows(b, &mut groups, &mut accs, row_acc, U64Partial::merge)?;
            }
            Merged::Logs(groups, accs)
        }
        Signal::Metrics => {
            let (groups, values) = metrics::merge(states, &kinds, &spec.keys)?;
            Merged::Metrics(groups, values)
        }
    };
    Ok((merged, prov))
}

/// Merges state tables into one state table (metric point states become
/// finished metric groups, which need every point of their groups).
pub fn combine(states: &[RecordBatch], spec: &AggregateSpec) -> Result<RecordBatch> {
    let (merged, prov) = merge_states(states, spec)?;
    match merged {
        Merged::Traces(groups, accs) => state_batch(
            StateKind::Traces,
            spec,
            &prov,
            trace_columns(&groups, &accs),
        ),
        Merged::Logs(groups, accs) => {
            state_batch(StateKind::Logs, spec, &prov, log_columns(&groups, &accs))
        }
        Merged::Metrics(groups, mut values) => {
            values.insert(0, key_field(&groups));
            state_batch(StateKind::MetricGroups, spec, &prov, values)
        }
    }
}

/// Merges state tables and finishes them: the batch `aggregate` gives for all
/// the inputs the states were made from.
pub fn finish(states: &[RecordBatch], spec: &AggregateSpec) -> Result<RecordBatch> {
    let (merged, prov) = merge_states(states, spec)?;
    if !prov.seen {
        return Err(Error::NoData(format!(
            "{} (no {} found)",
            prov.inputs.join(", "),
            spec.signal
        )));
    }
    let keys = &spec.keys;
    match merged {
        Merged::Traces(groups, accs) => {
            let (groups, cols) = TraceReducer::from_partial(groups, accs).finish()?;
            output::finish_batch(keys, &groups, None, cols)
        }
        Merged::Logs(groups, accs) => {
            let (groups, cols) = LogReducer::from_partial(groups, accs).finish()?;
            output::finish_batch(keys, &groups, None, cols)
        }
        Merged::Metrics(groups, values) => {
            let batch = output::finish_batch(keys, &groups, Some("metric.type"), values)?;
            super::quantiles::append_quantiles(batch)
        }
    }
}

/// The kind of a state table (from its metadata), for callers that route states.
pub fn state_kind(batch: &RecordBatch) -> Option<StateKind> {
    batch
        .schema()
        .metadata()
        .get(META_KIND)
        .and_then(|k| StateKind::parse(k))
}

/// Rows of `batch` whose `shard` column is `shard` modulo `shards` (metric points only).
pub fn select_shard(batch: &RecordBatch, shard: u64, shards: u64) -> Result<RecordBatch> {
    let col = u64_column(batch, "shard")?;
    let mask: arrow::array::BooleanArray = col
        .values()
        .iter()
        .map(|&s| Some(s % shards.max(1) == shard))
        .collect();
    arrow::compute::filter_record_batch(batch, &mask).map_err(state_error)
}

#[cfg(test)]
mod tests;
