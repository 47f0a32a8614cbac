//! Metric aggregation, map stage: each point table's rows become compact
//! per-point records with a group id and a series id. The consumer
//! (`metric_reducer`) folds them into per-series state and per-group
//! accumulators as they arrive.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};

use super::exp_histogram::{ExpBuckets, ExpHistogram};
pub use super::series_keys::{ClassGroups, FrameGroups, GroupRemap, SeriesKeys};
use crate::columns::metrics::{SERIES_ID, START, TIME};
use crate::columns::{Table, TableBatch};
use crate::decode::PointType;
use crate::error::{Error, Result};

pub use super::metric_reducer::{MetricReducer, MetricStats};
pub use super::metric_series::{NumberPoint, Replay};
pub use super::metrics_finish::finish_metrics;

/// How a point's value enters the aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    /// Gauges and delta sums: the value itself.
    AsIs,
    /// Cumulative: converted to deltas per series; `monotonic` drops mean resets.
    Cumulative { monotonic: bool },
}

const CUMULATIVE: i32 = 2;

/// Every point-table column the map stage reads (besides keys).
pub const COLUMNS: &[&str] = &[
    "metric_name",
    "metric_type",
    SERIES_ID,
    START,
    TIME,
    "aggregation_temporality",
    "is_monotonic",
    "as_double",
    "as_int",
    "count",
    "sum",
    "min",
    "max",
    "bucket_counts",
    "explicit_bounds",
    "scale",
    "zero_count",
    "positive_offset",
    "positive_bucket_counts",
    "negative_offset",
    "negative_bucket_counts",
];

/// Identity and time of one point.
#[derive(Debug, Clone, Copy)]
pub struct PointMeta {
    pub group: u32,
    pub series: u64,
    pub start: u64,
    pub time: u64,
    pub temporality: Temporality,
}

#[derive(Debug, Clone)]
pub struct HistogramPoint {
    pub meta: PointMeta,
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub bounds: Vec<f64>,
    pub buckets: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct ExpHistogramPoint {
    pub meta: PointMeta,
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub hist: ExpHistogram,
}

#[derive(Debug, Clone)]
pub struct SummaryPoint {
    pub meta: PointMeta,
    pub count: u64,
    pub sum: f64,
}

/// Gauge and sum points, column by column: the consumer reads only what a
/// point's temporality needs (as-is points never touch series and start),
/// and the map stage fills the id columns with plain copies.
#[derive(Debug, Default, Clone)]
pub struct NumberRows {
    pub group: Vec<u32>,
    pub temporality: Vec<Temporality>,
    pub value: Vec<f64>,
    pub series: Vec<u64>,
    pub start: Vec<u64>,
    pub time: Vec<u64>,
}

impl NumberRows {
    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    pub fn push(&mut self, (m, v): NumberPoint) {
        self.group.push(m.group);
        self.temporality.push(m.temporality);
        self.value.push(v);
        self.series.push(m.series);
        self.start.push(m.start);
        self.time.push(m.time);
    }

    /// Point `i` as a record.
    pub fn get(&self, i: usize) -> NumberPoint {
        let meta = PointMeta {
            group: self.group[i],
            series: self.series[i],
            start: self.start[i],
            time: self.time[i],
            temporality: self.temporality[i],
        };
        (meta, self.value[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = NumberPoint> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl Extend<NumberPoint> for NumberRows {
    fn extend<I: IntoIterator<Item = NumberPoint>>(&mut self, points: I) {
        points.into_iter().for_each(|p| self.push(p));
    }
}

/// All points of one frame (map output).
#[derive(Debug, Default, Clone)]
pub struct MetricRows {
    pub groups: FrameGroups,
    pub group_types: Vec<PointType>,
    pub numbers: NumberRows,
    pub histograms: Vec<HistogramPoint>,
    pub exp_histograms: Vec<ExpHistogramPoint>,
    pub summaries: Vec<SummaryPoint>,
}

fn missing(name: &str) -> Error {
    Error::Aggregate(format!("metric point batch lacks {name}"))
}

/// Columns every point table has, downcast once.
struct Header<'a> {
    series: &'a arrow::array::PrimitiveArray<UInt64Type>,
    start: &'a arrow::array::PrimitiveArray<TimestampNanosecondType>,
    time: &'a arrow::array::PrimitiveArray<TimestampNanosecondType>,
}

impl<'a> Header<'a> {
    fn new(b: &'a RecordBatch) -> Result<Self> {
        let ts = |n: &str| {
            b.column_by_name(n)
                .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
                .ok_or_else(|| missing(n))
        };
        Ok(Self {
            series: b
                .column_by_name(SERIES_ID)
                .and_then(|c| c.as_primitive_opt::<UInt64Type>())
                .ok_or_else(|| missing(SERIES_ID))?,
            start: ts(START)?,
            time: ts(TIME)?,
        })
    }

    fn meta(&self, row: usize, group: u32, temporality: Temporality) -> PointMeta {
        PointMeta {
            group,
            series: self.series.value(row),
            start: self.start.value(row) as u64,
            time: self.time.value(row) as u64,
            temporality,
        }
    }
}

fn column<'a, T: arrow::datatypes::ArrowPrimitiveType>(
    b: &'a RecordBatch,
    name: &str,
) -> Result<&'a arrow::array::PrimitiveArray<T>> {
    b.column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<T>())
        .ok_or_else(|| missing(name))
}

fn opt_f64(a: &arrow::array::PrimitiveArray<Float64Type>, row: usize) -> Option<f64> {
    a.is_valid(row).then(|| a.value(row))
}

fn temporality_of(t: i32, monotonic: bool) -> Temporality {
    if t == CUMULATIVE {
        Temporality::Cumulative { monotonic }
    } else {
        Temporality::AsIs
    }
}

fn list_values<T: arrow::datatypes::ArrowPrimitiveType>(
    b: &RecordBatch,
    name: &str,
    row: usize,
) -> Result<Vec<T::Native>> {
    let list = b
        .column_by_name(name)
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or_else(|| missing(name))?;
    let values = list.value(row);
    let values = values
        .as_primitive_opt::<T>()
        .ok_or_else(|| missing(name))?;
    Ok(values.values().to_vec())
}

/// The map stage, on a worker: every point to a group id and a compact
/// record. Group keys come from `series` (see `series_keys`).
pub fn map_points(series: &SeriesKeys, tables: &[TableBatch]) -> Result<MetricRows> {
    let mut out = MetricRows::default();
    let mut groups = ClassGroups::default();
    let mut ids = Vec::new();
    for t in tables {
        let b = &t.batch;
        ids.clear();
        let type_of_table = match t.table {
            Table::MetricPoints => None,
            Table::HistogramPoints => Some(PointType::Histogram),
            Table::ExpHistogramPoints => Some(PointType::ExponentialHistogram),
            Table::SummaryPoints => Some(PointType::Summary),
            Table::Spans | Table::Logs => continue,
        };
        let number_types = b
            .column_by_name("metric_type")
            .and_then(|c| c.as_string_opt::<i32>());
        let row_type = |row: usize| -> PointType {
            match (type_of_table, number_types) {
                (Some(t), _) => t,
                (None, Some(types)) if types.value(row) == "gauge" => PointType::Gauge,
                _ => PointType::Sum,
            }
        };
        let h = Header::new(b)?;
        series.resolve(
            b,
            h.series,
            h.time,
            &|row| row_type(row).name(),
            &mut groups,
            &mut ids,
        )?;
        // Local ids are handed out in row order, and the type is part of a
        // group's key: a group's first row gives its type.
        for (row, &g) in ids.iter().enumerate() {
            if g as usize == out.group_types.len() {
                out.group_types.push(row_type(row));
            }
        }
        match t.table {
            Table::MetricPoints => map_numbers(b, &h, &ids, &mut out)?,
            Table::HistogramPoints => map_histograms(b, &h, &ids, &mut out)?,
            Table::ExpHistogramPoints => map_exp_histograms(b, &h, &ids, &mut out)?,
            Table::SummaryPoints => {
                let (count, sum) = (
                    column::<UInt64Type>(b, "count")?,
                    column::<Float64Type>(b, "sum")?,
                );
                for (row, &g) in ids.iter().enumerate() {
                    let meta = h.meta(row, g, Temporality::Cumulative { monotonic: true });
                    out.summaries.push(SummaryPoint {
                        meta,
                        count: count.value(row),
                        sum: sum.value(row),
                    });
                }
            }
            Table::Spans | Table::Logs => {}
        }
    }
    out.groups = FrameGroups::Classes(groups);
    Ok(out)
}

fn map_numbers(b: &RecordBatch, h: &Header, ids: &[u32], out: &mut MetricRows) -> Result<()> {
    let temporality = column::<Int32Type>(b, "aggregation_temporality")?;
    let monotonic = b
        .column_by_name("is_monotonic")
        .and_then(|c| c.as_boolean_opt())
        .ok_or_else(|| missing("is_monotonic"))?;
    let (as_double, as_int) = (
        column::<Float64Type>(b, "as_double")?,
        column::<Int64Type>(b, "as_int")?,
    );
    let n = &mut out.numbers;
    n.group.extend_from_slice(ids);
    n.series.extend_from_slice(h.series.values());
    n.start.extend(h.start.values().iter().map(|&t| t as u64));
    n.time.extend(h.time.values().iter().map(|&t| t as u64));
    n.temporality.extend(
        (0..ids.len()).map(|row| temporality_of(temporality.value(row), monotonic.value(row))),
    );
    // A point with neither value is recorded as 0, as the Collector does.
    n.value.extend((0..ids.len()).map(|row| {
        opt_f64(as_double, row)
            .or_else(|| as_int.is_valid(row).then(|| as_int.value(row) as f64))
            .unwrap_or(0.0)
    }));
    Ok(())
}

fn map_histograms(b: &RecordBatch, h: &Header, ids: &[u32], out: &mut MetricRows) -> Result<()> {
    let temporality = column::<Int32Type>(b, "aggregation_temporality")?;
    let count = column::<UInt64Type>(b, "count")?;
    let (sum, min, max) = (
        column::<Float64Type>(b, "sum")?,
        column::<Float64Type>(b, "min")?,
        column::<Float64Type>(b, "max")?,
    );
    for (row, &g) in ids.iter().enumerate() {
        out.histograms.push(HistogramPoint {
            meta: h.meta(row, g, temporality_of(temporality.value(row), true)),
            count: count.value(row),
            sum: opt_f64(sum, row),
            min: opt_f64(min, row),
            max: opt_f64(max, row),
            bounds: list_values::<Float64Type>(b, "explicit_bounds", row)?,
            buckets: list_values::<UInt64Type>(b, "bucket_counts", row)?,
        });
    }
    Ok(())
}

fn map_exp_histograms(
    b: &RecordBatch,
    h: &Header,
    ids: &[u32],
    out: &mut MetricRows,
) -> Result<()> {
    let temporality = column::<Int32Type>(b, "aggregation_temporality")?;
    let count = column::<UInt64Type>(b, "count")?;
    let (sum, min, max) = (
        column::<Float64Type>(b, "sum")?,
        column::<Float64Type>(b, "min")?,
        column::<Float64Type>(b, "max")?,
    );
    let scale = column::<Int32Type>(b, "scale")?;
    let zero = column::<UInt64Type>(b, "zero_count")?;
    let (pos_off, neg_off) = (
        column::<Int32Type>(b, "positive_offset")?,
        column::<Int32Type>(b, "negative_offset")?,
    );
    for (row, &g) in ids.iter().enumerate() {
        let hist = ExpHistogram {
            scale: scale.value(row),
            zero_count: zero.value(row),
            positive: ExpBuckets {
                offset: pos_off.value(row),
                counts: list_values::<UInt64Type>(b, "positive_bucket_counts", row)?,
            },
            negative: ExpBuckets {
                offset: neg_off.value(row),
                counts: list_values::<UInt64Type>(b, "negative_bucket_counts", row)?,
            },
        };
        out.exp_histograms.push(ExpHistogramPoint {
            meta: h.meta(row, g, temporality_of(temporality.value(row), true)),
            count: count.value(row),
            sum: opt_f64(sum, row),
            min: opt_f64(min, row),
            max: opt_f64(max, row),
            hist,
        });
    }
    Ok(())
}
