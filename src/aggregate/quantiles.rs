//! Estimated `p50`, `p90`, `p99` of histogram rows, computed from the merged
//! buckets of the finished metrics batch (a post-pass over output columns, so
//! it does not depend on how the buckets were folded). Method: docs/quantiles.md.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, GenericListArray, PrimitiveArray, RecordBatch,
};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float64Type, Int32Type, Schema, UInt64Type,
};

use crate::error::{Error, Result};

/// Output column names and the quantile each one estimates.
pub const QUANTILES: [(&str, f64); 3] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)];

/// An explicit-bucket histogram: `counts[i]` counts values in
/// (`bounds[i-1]`, `bounds[i]`], the last count those above the last bound.
#[derive(Debug, Clone, Copy)]
pub struct ExplicitBuckets<'a> {
    pub bounds: &'a [f64],
    pub counts: &'a [u64],
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// An exponential histogram at `scale`: positive bucket `offset + k` holds
/// values in (base^i, base^(i+1)], negative bucket i holds [-base^(i+1), -base^i),
/// base = 2^(2^-scale); `zero_count` values are zero.
#[derive(Debug, Clone, Copy)]
pub struct ExponentialBuckets<'a> {
    pub scale: i32,
    pub zero_count: u64,
    pub positive_offset: i32,
    pub positive: &'a [u64],
    pub negative_offset: i32,
    pub negative: &'a [u64],
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// The rank the quantile falls on (`q` × total, as Prometheus computes it).
fn target_rank(q: f64, total: u64) -> Option<f64> {
    (total > 0 && (0.0..=1.0).contains(&q)).then_some(q * total as f64)
}

/// Keeps an estimate inside the recorded [min, max] (both always hold the true quantile).
fn clamp(v: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let v = max.map_or(v, |m| v.min(m));
    min.map_or(v, |m| v.max(m))
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Estimates quantile `q` of an explicit-bucket histogram by linear
/// interpolation inside the bucket that holds rank `q * count`, as
/// Prometheus `histogram_quantile` does. Edges Prometheus cannot know are
/// taken from the recorded extremes: the first bucket starts at `min`
/// (else at 0 when its upper bound is positive, else the estimate is that
/// bound), the overflow bucket ends at `max` (else the estimate is the
/// highest finite bound). The result is clamped to [min, max].
/// None when there are no counts or the buckets do not match the bounds.
pub fn explicit_quantile(h: &ExplicitBuckets<'_>, q: f64) -> Option<f64> {
    let (min, max) = (finite(h.min), finite(h.max));
    if h.counts.len() != h.bounds.len() + 1 {
        return None;
    }
    let rank = target_rank(q, h.counts.iter().sum())?;
    let mut below = 0u64;
    let mut found = None;
    for (i, &c) in h.counts.iter().enumerate() {
        if c > 0 && (below + c) as f64 >= rank {
            found = Some((i, c));
            break;
        }
        below += c;
    }
    // Float rounding of q * total can leave rank a hair above the total.
    let (i, count) = found.or_else(|| {
        let last = h.counts.iter().rposition(|&c| c > 0)?;
        below -= h.counts[last];
        Some((last, h.counts[last]))
    })?;
    let upper = match h.bounds.get(i) {
        Some(&b) => b,
        None => match (max, h.bounds.last()) {
            (Some(m), _) => m,
            (None, Some(&b)) => return Some(clamp(b, min, max)),
            (None, None) => return None,
        },
    };
    let lower = match i.checked_sub(1).and_then(|j| h.bounds.get(j)) {
        Some(&b) => b,
        None => match min {
            Some(m) => m.min(upper),
            None if upper > 0.0 => 0.0,
            None => return Some(clamp(upper, min, max)),
        },
    };
    let within = ((rank - below as f64) / count as f64).clamp(0.0, 1.0);
    Some(clamp(lower + (upper - lower) * within, min, max))
}

/// Estimates quantile `q` of an exponential histogram: the bucket holding
/// rank `q * count` is found walking negatives (most negative first), the
/// zero bucket, then positives; inside it the estimate is interpolated
/// log-linearly (base^(i + fraction)), which is linear in the bucket index
/// at its scale. Zero-bucket ranks estimate 0. Clamped to [min, max].
/// None when there are no counts.
pub fn exponential_quantile(h: &ExponentialBuckets<'_>, q: f64) -> Option<f64> {
    let (min, max) = (finite(h.min), finite(h.max));
    let neg: u64 = h.negative.iter().sum();
    let pos: u64 = h.positive.iter().sum();
    let rank = target_rank(q, neg + h.zero_count + pos)?;
    // base^x = 2^(x · 2^-scale)
    let power = |x: f64| (x * (-f64::from(h.scale)).exp2()).exp2();
    let fraction = |below: u64, c: u64| ((rank - below as f64) / c as f64).clamp(0.0, 1.0);
    let mut below = 0u64;
    for (k, &c) in h.negative.iter().enumerate().rev() {
        if c > 0 && (below + c) as f64 >= rank {
            let i = f64::from(h.negative_offset) + k as f64;
            return Some(clamp(-power(i + 1.0 - fraction(below, c)), min, max));
        }
        below += c;
    }
    if h.zero_count > 0 && (below + h.zero_count) as f64 >= rank {
        return Some(clamp(0.0, min, max));
    }
    below += h.zero_count;
    let last = h.positive.iter().rposition(|&c| c > 0);
    for (k, &c) in h.positive.iter().enumerate() {
        if c > 0 && ((below + c) as f64 >= rank || Some(k) == last) {
            let i = f64::from(h.positive_offset) + k as f64;
            return Some(clamp(power(i + fraction(below, c)), min, max));
        }
        below += c;
    }
    // Only reachable when rounding pushed rank past every bucket and there are no positives.
    let edge = if h.zero_count > 0 {
        0.0
    } else {
        -power(f64::from(h.negative_offset))
    };
    Some(clamp(edge, min, max))
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::Aggregate(format!("quantiles: metrics output lacks `{name}`")))
}

fn primitive<'a, T: ArrowPrimitiveType>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a PrimitiveArray<T>> {
    column(batch, name)?
        .as_primitive_opt::<T>()
        .ok_or_else(|| Error::Aggregate(format!("quantiles: `{name}` has an unexpected type")))
}

/// A list column and its flat item values, read as slices per row.
struct ListColumn<'a, T: ArrowPrimitiveType> {
    list: &'a GenericListArray<i32>,
    items: &'a [T::Native],
}

impl<'a, T: ArrowPrimitiveType> ListColumn<'a, T> {
    fn new(batch: &'a RecordBatch, name: &str) -> Result<Self> {
        let wrong = || Error::Aggregate(format!("quantiles: `{name}` has an unexpected type"));
        let list = column(batch, name)?
            .as_list_opt::<i32>()
            .ok_or_else(wrong)?;
        let items = list.values().as_primitive_opt::<T>().ok_or_else(wrong)?;
        Ok(Self {
            list,
            items: items.values(),
        })
    }

    fn row(&self, row: usize) -> Option<&'a [T::Native]> {
        if self.list.is_null(row) {
            return None;
        }
        let offsets = self.list.value_offsets();
        self.items
            .get(offsets[row] as usize..offsets[row + 1] as usize)
    }
}

fn value<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>, row: usize) -> Option<T::Native> {
    a.is_valid(row).then(|| a.value(row))
}

/// The metrics output's histogram columns, by name.
struct HistogramColumns<'a> {
    min: &'a PrimitiveArray<Float64Type>,
    max: &'a PrimitiveArray<Float64Type>,
    bounds: ListColumn<'a, Float64Type>,
    buckets: ListColumn<'a, UInt64Type>,
    scale: &'a PrimitiveArray<Int32Type>,
    zero_count: &'a PrimitiveArray<UInt64Type>,
    positive_offset: &'a PrimitiveArray<Int32Type>,
    positive: ListColumn<'a, UInt64Type>,
    negative_offset: &'a PrimitiveArray<Int32Type>,
    negative: ListColumn<'a, UInt64Type>,
}

impl<'a> HistogramColumns<'a> {
    fn new(batch: &'a RecordBatch) -> Result<Self> {
        Ok(Self {
            min: primitive(batch, "min")?,
            max: primitive(batch, "max")?,
            bounds: ListColumn::new(batch, "explicit_bounds")?,
            buckets: ListColumn::new(batch, "bucket_counts")?,
            scale: primitive(batch, "scale")?,
            zero_count: primitive(batch, "zero_count")?,
            positive_offset: primitive(batch, "positive_offset")?,
            positive: ListColumn::new(batch, "positive_bucket_counts")?,
            negative_offset: primitive(batch, "negative_offset")?,
            negative: ListColumn::new(batch, "negative_bucket_counts")?,
        })
    }

    /// The three estimates of one row; all None for rows without buckets.
    fn row(&self, row: usize) -> [Option<f64>; 3] {
        let (min, max) = (value(self.min, row), value(self.max, row));
        if let Some(counts) = self.buckets.row(row) {
            let h = ExplicitBuckets {
                bounds: self.bounds.row(row).unwrap_or(&[]),
                counts,
                min,
                max,
            };
            return QUANTILES.map(|(_, q)| explicit_quantile(&h, q));
        }
        let Some(scale) = value(self.scale, row) else {
            return [None; 3];
        };
        let h = ExponentialBuckets {
            scale,
            zero_count: value(self.zero_count, row).unwrap_or(0),
            positive_offset: value(self.positive_offset, row).unwrap_or(0),
            positive: self.positive.row(row).unwrap_or(&[]),
            negative_offset: value(self.negative_offset, row).unwrap_or(0),
            negative: self.negative.row(row).unwrap_or(&[]),
            min,
            max,
        };
        QUANTILES.map(|(_, q)| exponential_quantile(&h, q))
    }
}

/// Appends `p50`, `p90`, `p99` (Float64, null outside histogram rows) to the
/// finished metrics output batch.
pub fn append_quantiles(batch: RecordBatch) -> Result<RecordBatch> {
    let columns = HistogramColumns::new(&batch)?;
    let estimates: Vec<[Option<f64>; 3]> = (0..batch.num_rows()).map(|r| columns.row(r)).collect();
    let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    for (j, (name, _)) in QUANTILES.iter().enumerate() {
        fields.push(Arc::new(Field::new(*name, DataType::Float64, true)));
        let col: Float64Array = estimates.iter().map(|e| e[j]).collect();
        arrays.push(Arc::new(col));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::Aggregate(e.to_string()))
}

#[cfg(test)]
#[path = "quantiles_tests.rs"]
mod tests;
