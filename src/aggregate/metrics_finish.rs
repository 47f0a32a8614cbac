//! Metric finish: the per-group accumulators (see `metric_reducer`) become
//! the output columns, null where a type has no such column.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Float64Builder, Int32Array, ListBuilder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field};

use super::backend::F64Partial;
use super::exp_histogram::ExpHistogram;
use super::groups::GroupTable;
use super::keys::{decode_key, KeyKind, KeySpec, KeyValue};
use super::metric_reducer::{MetricReducer, MetricStats};
use crate::columns::common::list_type;
use crate::decode::PointType;
use crate::error::{Error, Result};

/// Output columns of the value side, in group id order.
pub type MetricColumns = Vec<(Field, ArrayRef)>;

/// Per-group output values, filled by each point type.
#[derive(Default, Clone)]
pub(super) struct GroupOut {
    pub(super) point_count: u64,
    pub(super) value: Option<F64Partial>,
    pub(super) value_last: Option<f64>,
    pub(super) count: Option<u64>,
    pub(super) sum: Option<f64>,
    pub(super) min: Option<f64>,
    pub(super) max: Option<f64>,
    pub(super) bounds: Option<Vec<f64>>,
    pub(super) buckets: Option<Vec<u64>>,
    pub(super) exp: Option<ExpHistogram>,
}

/// Replays what must be replayed, then builds the value columns in group id order.
pub fn finish_metrics(
    mut r: MetricReducer,
    keys: &[KeySpec],
) -> Result<(GroupTable, MetricColumns, MetricStats)> {
    let stats = r.finish_state()?;
    if let Some(c) = &r.conflict {
        return Err(Error::Aggregate(format!(
            "histogram {}: points with different explicit bounds in one group ({:?} vs {:?}); group by a key that separates them",
            metric_name(&r.groups, keys, c.group as usize),
            c.first,
            c.other
        )));
    }
    let info = &r.info;
    let out: Vec<GroupOut> = r
        .accs
        .iter_mut()
        .enumerate()
        .map(|(g, acc)| {
            let mut o = GroupOut {
                point_count: info.point_counts[g],
                ..GroupOut::default()
            };
            if o.point_count == 0 {
                return o;
            }
            match info.types[g] {
                PointType::Gauge | PointType::Sum => {
                    o.value = Some(std::mem::take(&mut acc.value));
                    o.value_last = acc.last.map(|(_, v)| v);
                }
                PointType::Histogram => {
                    let width = info.bounds[g].as_ref().map_or(0, |b| b.len() + 1);
                    acc.buckets.resize(width, 0);
                    o.count = Some(acc.count);
                    o.sum = (acc.sum_count > 0).then(|| acc.sum.value());
                    o.min = info.min[g];
                    o.max = info.max[g];
                    o.bounds = info.bounds[g].clone();
                    o.buckets = Some(std::mem::take(&mut acc.buckets));
                }
                PointType::ExponentialHistogram => {
                    o.count = Some(acc.count);
                    o.sum = (acc.sum_count > 0).then(|| acc.sum.value());
                    o.min = info.min[g];
                    o.max = info.max[g];
                    // Contributions taken before their series' scale dropped are lowered now.
                    o.exp = Some(
                        acc.exp
                            .take()
                            .map(|h| match acc.exp_floor {
                                Some(f) if f < h.scale => h.downscale_to(f).trimmed(),
                                _ => h.trimmed(),
                            })
                            .unwrap_or_default(),
                    );
                }
                PointType::Summary => {
                    o.count = Some(acc.count);
                    o.sum = Some(acc.sum.value());
                }
            }
            o
        })
        .collect();
    let columns = build_columns(&info.types, out);
    Ok((r.groups, columns, stats))
}

/// The metric name of `group` (for messages).
pub(super) fn metric_name(groups: &GroupTable, keys: &[KeySpec], group: usize) -> String {
    let parts = decode_key(&groups.keys()[group], keys.len());
    match keys
        .iter()
        .position(|k| k.kind == KeyKind::MetricName)
        .map(|i| &parts[i])
    {
        Some(KeyValue::Str(s)) => s.clone(),
        _ => "(unnamed)".to_owned(),
    }
}

fn u64_list(values: impl Iterator<Item = Option<Vec<u64>>>) -> ArrayRef {
    let mut b = ListBuilder::new(UInt64Builder::new());
    for v in values {
        match v {
            Some(v) => {
                b.values().append_slice(&v);
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

pub(super) fn build_columns(types: &[PointType], out: Vec<GroupOut>) -> Vec<(Field, ArrayRef)> {
    let f64_col = |name: &str, f: &dyn Fn(&GroupOut) -> Option<f64>| -> (Field, ArrayRef) {
        (
            Field::new(name, DataType::Float64, true),
            Arc::new(out.iter().map(f).collect::<Float64Array>()) as ArrayRef,
        )
    };
    let u64_col = |name: &str, f: &dyn Fn(&GroupOut) -> Option<u64>| -> (Field, ArrayRef) {
        (
            Field::new(name, DataType::UInt64, true),
            Arc::new(out.iter().map(f).collect::<UInt64Array>()) as ArrayRef,
        )
    };
    let i32_col = |name: &str, f: &dyn Fn(&GroupOut) -> Option<i32>| -> (Field, ArrayRef) {
        (
            Field::new(name, DataType::Int32, true),
            Arc::new(out.iter().map(f).collect::<Int32Array>()) as ArrayRef,
        )
    };
    let is_number = |g: usize| matches!(types[g], PointType::Gauge | PointType::Sum);
    let value = |f: fn(&F64Partial) -> Option<f64>| -> Vec<Option<f64>> {
        out.iter()
            .enumerate()
            .map(|(g, o)| {
                if is_number(g) {
                    o.value.as_ref().and_then(f)
                } else {
                    None
                }
            })
            .collect()
    };
    let value_sum = value(|p| Some(p.sum.value()));
    let value_min = value(|p| p.min);
    let value_max = value(|p| p.max);
    let mut bounds = ListBuilder::new(Float64Builder::new());
    for o in &out {
        match &o.bounds {
            Some(b) => {
                bounds.values().append_slice(b);
                bounds.append(true);
            }
            None => bounds.append(false),
        }
    }
    vec![
        u64_col("point_count", &|o| Some(o.point_count)),
        (
            Field::new("value_sum", DataType::Float64, true),
            Arc::new(Float64Array::from(value_sum)) as ArrayRef,
        ),
        (
            Field::new("value_min", DataType::Float64, true),
            Arc::new(Float64Array::from(value_min)) as ArrayRef,
        ),
        (
            Field::new("value_max", DataType::Float64, true),
            Arc::new(Float64Array::from(value_max)) as ArrayRef,
        ),
        f64_col("value_last", &|o| o.value_last),
        u64_col("count", &|o| o.count),
        f64_col("sum", &|o| o.sum),
        f64_col("min", &|o| o.min),
        f64_col("max", &|o| o.max),
        (
            Field::new("explicit_bounds", list_type(DataType::Float64), true),
            Arc::new(bounds.finish()) as ArrayRef,
        ),
        (
            Field::new("bucket_counts", list_type(DataType::UInt64), true),
            u64_list(out.iter().map(|o| o.buckets.clone())),
        ),
        i32_col("scale", &|o| o.exp.as_ref().map(|h| h.scale)),
        u64_col("zero_count", &|o| o.exp.as_ref().map(|h| h.zero_count)),
        i32_col("positive_offset", &|o| {
            o.exp.as_ref().map(|h| h.positive.offset)
        }),
        (
            Field::new("positive_bucket_counts", list_type(DataType::UInt64), true),
            u64_list(
                out.iter()
                    .map(|o| o.exp.as_ref().map(|h| h.positive.counts.clone())),
            ),
        ),
        i32_col("negative_offset", &|o| {
            o.exp.as_ref().map(|h| h.negative.offset)
        }),
        (
            Field::new("negative_bucket_counts", list_type(DataType::UInt64), true),
            u64_list(
                out.iter()
                    .map(|o| o.exp.as_ref().map(|h| h.negative.counts.clone())),
            ),
        ),
    ]
}
