//! Metric partial state behind one boundary: the staged points (`MetricRows`)
//! as Arrow columns and back, and the merge that finishes them per group.
//! Points carry their series, start and time, so cumulative → delta sees a
//! series' whole history however the inputs were split.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int32Array, ListArray, ListBuilder, RecordBatch,
    UInt32Array, UInt64Array, UInt64Builder, UInt8Array,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, SchemaRef, UInt64Type, UInt8Type};

use super::{binary_column, column, state_error, u64_column, StateKind, GROUP_KEY};
use crate::aggregate::backend::Backend;
use crate::aggregate::exp_histogram::{ExpBuckets, ExpHistogram};
use crate::aggregate::groups::GroupTable;
use crate::aggregate::keys::{decode_key, KeyKind, KeySpec};
use crate::aggregate::metrics::{
    finish_metrics, ExpHistogramPoint, GroupRemap, HistogramPoint, MetricReducer, MetricRows,
    PointMeta, Replay, SummaryPoint, Temporality,
};
use crate::columns::common::list_type;
use crate::decode::PointType;
use crate::error::Result;

/// The column of a point's input position.
const SEQ: &str = "seq";
const NUMBER: u8 = 0;
const HISTOGRAM: u8 = 1;
const EXP_HISTOGRAM: u8 = 2;
const SUMMARY: u8 = 3;

/// A stable shard for a group: FNV-1a over its key values without the window,
/// so every window of a group, and so every point of each of its series
/// (a series' keys never change), lands in the same shard.
pub fn shard_of_key(key: &[u8], keys: &[KeySpec]) -> u64 {
    let parts = decode_key(key, keys.len() + 1);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if keys
            .get(i)
            .is_some_and(|k| matches!(k.kind, KeyKind::Window(_)))
        {
            continue;
        }
        for b in format!("{part:?}|").bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn temporality_code(t: Temporality) -> u8 {
    match t {
        Temporality::AsIs => 0,
        Temporality::Cumulative { monotonic: false } => 1,
        Temporality::Cumulative { monotonic: true } => 2,
    }
}

fn temporality_of(code: u8) -> Temporality {
    match code {
        0 => Temporality::AsIs,
        1 => Temporality::Cumulative { monotonic: false },
        _ => Temporality::Cumulative { monotonic: true },
    }
}

fn type_code(t: PointType) -> u8 {
    PointType::ALL.iter().position(|&p| p == t).unwrap_or(0) as u8
}

/// One point row of the state, whichever its kind.
#[derive(Default)]
struct PointRow<'a> {
    value: Option<f64>,
    count: Option<u64>,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    bounds: Option<&'a [f64]>,
    buckets: Option<&'a [u64]>,
    exp: Option<&'a ExpHistogram>,
}

#[derive(Default)]
struct Builders {
    key: Vec<u32>,
    kind: Vec<u8>,
    meta: Vec<PointMeta>,
    value: Float64Builder,
    count: UInt64Builder,
    sum: Float64Builder,
    min: Float64Builder,
    max: Float64Builder,
    bounds: ListBuilder<Float64Builder>,
    buckets: ListBuilder<UInt64Builder>,
    scale: Vec<Option<i32>>,
    zero: UInt64Builder,
    pos_offset: Vec<Option<i32>>,
    pos: ListBuilder<UInt64Builder>,
    neg_offset: Vec<Option<i32>>,
    neg: ListBuilder<UInt64Builder>,
}

fn append_list<T: arrow::datatypes::ArrowPrimitiveType>(
    b: &mut ListBuilder<arrow::array::PrimitiveBuilder<T>>,
    v: Option<&[T::Native]>,
) {
    match v {
        Some(v) => {
            b.values().append_slice(v);
            b.append(true);
        }
        None => b.append(false),
    }
}

impl Builders {
    fn push(&mut self, kind: u8, meta: &PointMeta, p: PointRow) {
        self.key.push(meta.group);
        self.kind.push(kind);
        self.meta.push(*meta);
        self.value.append_option(p.value);
        self.count.append_option(p.count);
        self.sum.append_option(p.sum);
        self.min.append_option(p.min);
        self.max.append_option(p.max);
        append_list(&mut self.bounds, p.bounds);
        append_list(&mut self.buckets, p.buckets);
        self.scale.push(p.exp.map(|h| h.scale));
        self.zero.append_option(p.exp.map(|h| h.zero_count));
        self.pos_offset.push(p.exp.map(|h| h.positive.offset));
        append_list(&mut self.pos, p.exp.map(|h| h.positive.counts.as_slice()));
        self.neg_offset.push(p.exp.map(|h| h.negative.offset));
        append_list(&mut self.neg, p.exp.map(|h| h.negative.counts.as_slice()));
    }
}

/// Appends one frame's points to `all` (group ids remapped into its table), in input order.
pub fn append_rows(all: &mut MetricRows, frame: MetricRows, remap: &mut GroupRemap) {
    let table = all.groups.table_mut();
    let remap = remap.remap(&frame.groups, table);
    all.group_types.resize(table.len(), PointType::Gauge);
    for (local, &global) in remap.iter().enumerate() {
        all.group_types[global as usize] = frame.group_types[local];
    }
    let fix = |m: PointMeta| PointMeta {
        group: remap[m.group as usize],
        ..m
    };
    all.numbers
        .extend(frame.numbers.iter().map(|(m, v)| (fix(m), v)));
    all.histograms
        .extend(frame.histograms.into_iter().map(|p| HistogramPoint {
            meta: fix(p.meta),
            ..p
        }));
    all.exp_histograms
        .extend(frame.exp_histograms.into_iter().map(|p| ExpHistogramPoint {
            meta: fix(p.meta),
            ..p
        }));
    all.summaries
        .extend(frame.summaries.into_iter().map(|p| SummaryPoint {
            meta: fix(p.meta),
            ..p
        }));
}

/// The points of `rows` as state columns (in `MetricRows` order: numbers,
/// histograms, exponential histograms, summaries).
/// `first_seq` is the input position of the first point (see `SEQ_INPUT_SHIFT`).
pub fn points_columns(
    rows: &MetricRows,
    keys: &[KeySpec],
    first_seq: u64,
) -> Result<Vec<(Field, ArrayRef)>> {
    let mut b = Builders::default();
    for (m, v) in rows.numbers.iter() {
        let row = PointRow {
            value: Some(v),
            ..PointRow::default()
        };
        b.push(NUMBER, &m, row);
    }
    for p in &rows.histograms {
        let row = PointRow {
            count: Some(p.count),
            sum: p.sum,
            min: p.min,
            max: p.max,
            bounds: Some(&p.bounds),
            buckets: Some(&p.buckets),
            ..PointRow::default()
        };
        b.push(HISTOGRAM, &p.meta, row);
    }
    for p in &rows.exp_histograms {
        let row = PointRow {
            count: Some(p.count),
            sum: p.sum,
            min: p.min,
            max: p.max,
            exp: Some(&p.hist),
            ..PointRow::default()
        };
        b.push(EXP_HISTOGRAM, &p.meta, row);
    }
    for p in &rows.summaries {
        let row = PointRow {
            count: Some(p.count),
            sum: Some(p.sum),
            ..PointRow::default()
        };
        b.push(SUMMARY, &p.meta, row);
    }
    let group_keys = rows.groups.table().keys();
    let mut key_bytes = arrow::array::BinaryBuilder::new();
    for &g in &b.key {
        key_bytes.append_value(&group_keys[g as usize]);
    }
    let shards: Vec<u64> = (0..group_keys.len())
        .map(|g| shard_of_key(&group_keys[g], keys))
        .collect();
    let u64s = |f: &dyn Fn(&PointMeta) -> u64| -> ArrayRef {
        Arc::new(b.meta.iter().map(|m| Some(f(m))).collect::<UInt64Array>())
    };
    let field = |name: &str, dt: DataType, nullable: bool| Field::new(name, dt, nullable);
    let cols: Vec<(Field, ArrayRef)> = vec![
        (
            field(GROUP_KEY, DataType::Binary, false),
            Arc::new(key_bytes.finish()),
        ),
        (
            field("shard", DataType::UInt64, false),
            u64s(&|m| shards[m.group as usize]),
        ),
        (
            field("metric_type", DataType::UInt8, false),
            Arc::new(UInt8Array::from_iter_values(
                b.key
                    .iter()
                    .map(|&g| type_code(rows.group_types[g as usize])),
            )),
        ),
        (
            field("kind", DataType::UInt8, false),
            Arc::new(UInt8Array::from(std::mem::take(&mut b.kind))),
        ),
        (
            field(SEQ, DataType::UInt64, false),
            Arc::new(UInt64Array::from_iter_values(
                (0..b.meta.len() as u64).map(|i| first_seq + i),
            )),
        ),
        (
            field("series_id", DataType::UInt64, false),
            u64s(&|m| m.series),
        ),
        (
            field("start_ns", DataType::UInt64, false),
            u64s(&|m| m.start),
        ),
        (field("time_ns", DataType::UInt64, false), u64s(&|m| m.time)),
        (
            field("temporality", DataType::UInt8, false),
            Arc::new(UInt8Array::from_iter_values(
                b.meta.iter().map(|m| temporality_code(m.temporality)),
            )),
        ),
        (
            field("value", DataType::Float64, true),
            Arc::new(b.value.finish()),
        ),
        (
            field("count", DataType::UInt64, true),
            Arc::new(b.count.finish()),
        ),
        (
            field("sum", DataType::Float64, true),
            Arc::new(b.sum.finish()),
        ),
        (
            field("min", DataType::Float64, true),
            Arc::new(b.min.finish()),
        ),
        (
            field("max", DataType::Float64, true),
            Arc::new(b.max.finish()),
        ),
        (
            field("explicit_bounds", list_type(DataType::Float64), true),
            Arc::new(b.bounds.finish()),
        ),
        (
            field("bucket_counts", list_type(DataType::UInt64), true),
            Arc::new(b.buckets.finish()),
        ),
        (
            field("scale", DataType::Int32, true),
            Arc::new(Int32Array::from(std::mem::take(&mut b.scale))),
        ),
        (
            field("zero_count", DataType::UInt64, true),
            Arc::new(b.zero.finish()),
        ),
        (
            field("positive_offset", DataType::Int32, true),
            Arc::new(Int32Array::from(std::mem::take(&mut b.pos_offset))),
        ),
        (
            field("positive_bucket_counts", list_type(DataType::UInt64), true),
            Arc::new(b.pos.finish()),
        ),
        (
            field("negative_offset", DataType::Int32, true),
            Arc::new(Int32Array::from(std::mem::take(&mut b.neg_offset))),
        ),
        (
            field("negative_bucket_counts", list_type(DataType::UInt64), true),
            Arc::new(b.neg.finish()),
        ),
    ];
    Ok(cols)
}

fn typed<'a, T: arrow::datatypes::ArrowPrimitiveType>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a arrow::array::PrimitiveArray<T>> {
    column(batch, name)?
        .as_primitive_opt::<T>()
        .ok_or_else(|| state_error(format!("column {name} has the wrong type")))
}

fn list<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ListArray> {
    column(batch, name)?
        .as_list_opt::<i32>()
        .ok_or_else(|| state_error(format!("column {name} is not a list")))
}

fn list_values<T: arrow::datatypes::ArrowPrimitiveType>(
    l: &ListArray,
    row: usize,
) -> Result<Vec<T::Native>> {
    let v = l.value(row);
    Ok(v.as_primitive_opt::<T>()
        .ok_or_else(|| state_error("list of the wrong type"))?
        .values()
        .to_vec())
}

fn opt<T: arrow::datatypes::ArrowPrimitiveType>(
    a: &arrow::array::PrimitiveArray<T>,
    row: usize,
) -> Option<T::Native> {
    a.is_valid(row).then(|| a.value(row))
}

/// Appends the points of a `metric-points` state to `rows`, interning groups.
fn read_points(batch: &RecordBatch, rows: &mut MetricRows) -> Result<()> {
    let keys = binary_column(batch, GROUP_KEY)?;
    let (kind, mtype, temporality) = (
        typed::<UInt8Type>(batch, "kind")?,
        typed::<UInt8Type>(batch, "metric_type")?,
        typed::<UInt8Type>(batch, "temporality")?,
    );
    let (series, start, time) = (
        u64_column(batch, "series_id")?,
        u64_column(batch, "start_ns")?,
        u64_column(batch, "time_ns")?,
    );
    let f64s = |n: &str| typed::<Float64Type>(batch, n);
    let (value, sum, min, max) = (f64s("value")?, f64s("sum")?, f64s("min")?, f64s("max")?);
    let (count, zero) = (
        u64_column(batch, "count")?,
        u64_column(batch, "zero_count")?,
    );
    let i32s = |n: &str| typed::<Int32Type>(batch, n);
    let (scale, pos_off, neg_off) = (
        i32s("scale")?,
        i32s("positive_offset")?,
        i32s("negative_offset")?,
    );
    let (bounds, buckets, pos, neg) = (
        list(batch, "explicit_bounds")?,
        list(batch, "bucket_counts")?,
        list(batch, "positive_bucket_counts")?,
        list(batch, "negative_bucket_counts")?,
    );
    for row in 0..batch.num_rows() {
        let group = rows.groups.table_mut().intern_key(keys.value(row))?;
        let t = PointType::ALL
            .get(mtype.value(row) as usize)
            .copied()
            .ok_or_else(|| state_error("unknown metric type code"))?;
        rows.group_types.resize(rows.groups.len(), PointType::Gauge);
        rows.group_types[group as usize] = t;
        let meta = PointMeta {
            group,
            series: series.value(row),
            start: start.value(row),
            time: time.value(row),
            temporality: temporality_of(temporality.value(row)),
        };
        match kind.value(row) {
            NUMBER => rows.numbers.push((meta, opt(value, row).unwrap_or(0.0))),
            HISTOGRAM => rows.histograms.push(HistogramPoint {
                meta,
                count: count.value(row),
                sum: opt(sum, row),
                min: opt(min, row),
                max: opt(max, row),
                bounds: list_values::<Float64Type>(bounds, row)?,
                buckets: list_values::<UInt64Type>(buckets, row)?,
            }),
            EXP_HISTOGRAM => rows.exp_histograms.push(ExpHistogramPoint {
                meta,
                count: count.value(row),
                sum: opt(sum, row),
                min: opt(min, row),
                max: opt(max, row),
                hist: ExpHistogram {
                    scale: scale.value(row),
                    zero_count: zero.value(row),
                    positive: ExpBuckets {
                        offset: pos_off.value(row),
                        counts: list_values::<UInt64Type>(pos, row)?,
                    },
                    negative: ExpBuckets {
                        offset: neg_off.value(row),
                        counts: list_values::<UInt64Type>(neg, row)?,
                    },
                },
            }),
            SUMMARY => rows.summaries.push(SummaryPoint {
                meta,
                count: count.value(row),
                sum: opt(sum, row).unwrap_or(0.0),
            }),
            k => return Err(state_error(format!("unknown point kind {k}"))),
        }
    }
    Ok(())
}

/// The points of `states` in input order (by `seq`; the sort is stable, so
/// states of unknown position keep the order they are given in): the
/// reducer breaks ties of equal timestamps by row order, as the CLI does.
fn in_input_order(schema: SchemaRef, states: &[&RecordBatch]) -> Result<RecordBatch> {
    let all =
        arrow::compute::concat_batches(&schema, states.iter().copied()).map_err(state_error)?;
    let seq = u64_column(&all, SEQ)?.values();
    let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
    order.sort_by_key(|&i| seq[i as usize]);
    arrow::compute::take_record_batch(&all, &UInt32Array::from(order)).map_err(state_error)
}

/// Merges metric states: point states are finished together (their groups
/// must not also appear in group states), group states are appended.
pub fn merge(
    states: &[RecordBatch],
    kinds: &[StateKind],
    keys: &[KeySpec],
) -> Result<(GroupTable, Vec<(Field, ArrayRef)>)> {
    let mut rows = MetricRows::default();
    let points: Vec<&RecordBatch> = states
        .iter()
        .zip(kinds)
        .filter(|(_, k)| **k == StateKind::MetricPoints)
        .map(|(b, _)| b)
        .collect();
    if let Some(first) = points.first() {
        read_points(&in_input_order(first.schema(), &points)?, &mut rows)?;
    }
    let (mut groups, mut values) = if rows.groups.is_empty() {
        (GroupTable::default(), Vec::new())
    } else {
        // Points of a state come in any order: keep every cumulative series and sort it.
        let mut r = MetricReducer::new(Backend::Cpu, Replay::All, Default::default());
        r.consume(rows)?;
        let (groups, values, _) = finish_metrics(r, keys)?;
        (groups, values)
    };
    let finished: Vec<&RecordBatch> = states
        .iter()
        .zip(kinds)
        .filter(|(_, k)| **k == StateKind::MetricGroups)
        .map(|(b, _)| b)
        .collect();
    if finished.is_empty() {
        return Ok((groups, values));
    }
    for b in &finished {
        let k = binary_column(b, GROUP_KEY)?;
        for row in 0..b.num_rows() {
            let before = groups.len();
            if groups.intern_key(k.value(row))? as usize != before {
                return Err(state_error(
                    "a metric group is in two merged states: metric points must be partitioned by their `shard` before they are combined",
                ));
            }
        }
    }
    // Value columns: those of the finished points (if any), then each group state's.
    let template: Vec<Field> = finished[0]
        .schema()
        .fields()
        .iter()
        .filter(|f| f.name() != GROUP_KEY)
        .map(|f| f.as_ref().clone())
        .collect();
    let mut out = Vec::with_capacity(template.len());
    for f in template {
        let mut parts: Vec<ArrayRef> = Vec::new();
        if let Some((_, a)) = values.iter().find(|(vf, _)| vf.name() == f.name()) {
            parts.push(a.clone());
        }
        for b in &finished {
            parts.push(column(b, f.name())?.clone());
        }
        let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
        let joined = arrow::compute::concat(&refs).map_err(state_error)?;
        out.push((f, joined));
    }
    values = out;
    Ok((groups, values))
}
