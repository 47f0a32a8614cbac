//! The metric reduction boundary: a chunk of per-point contributions as
//! plain arrays of (group id, value), reduced by either backend (CPU rayon or
//! GPU) into per-group partials that merge into the running accumulators.

use super::backend::{Backend, F64Partial, U64Partial};
use super::exact_sum::ExactSum;
use super::exp_histogram::ExpHistogram;
use super::gpu::GROUP_MASK;
use super::metric_series::{ExpDelta, HistDelta};
use crate::error::{Error, Result};

/// What one chunk of points contributes, in a fixed order (as-is points in
/// input order, then each series partition's in partition order).
#[derive(Debug, Default)]
pub struct Contributions {
    /// Gauge and sum contributions (values or deltas).
    pub number_ids: Vec<u32>,
    pub number_values: Vec<f64>,
    /// Every gauge point, for `value_last`.
    pub gauge_ids: Vec<u32>,
    pub gauge_times: Vec<u64>,
    pub gauge_values: Vec<f64>,
    pub hist_ids: Vec<u32>,
    pub hist_deltas: Vec<HistDelta>,
    pub summary_ids: Vec<u32>,
    pub summary_deltas: Vec<(u64, f64)>,
    pub exp: Vec<(u32, ExpDelta)>,
    /// (group, scale): the group's result is at most this scale.
    pub exp_floors: Vec<(u32, i32)>,
}

impl Contributions {
    pub fn is_empty(&self) -> bool {
        self.number_ids.is_empty()
            && self.gauge_ids.is_empty()
            && self.hist_ids.is_empty()
            && self.summary_ids.is_empty()
            && self.exp.is_empty()
            && self.exp_floors.is_empty()
    }

    /// Empties every list, keeping its capacity for the next chunk.
    pub fn clear(&mut self) {
        self.number_ids.clear();
        self.number_values.clear();
        self.gauge_ids.clear();
        self.gauge_times.clear();
        self.gauge_values.clear();
        self.hist_ids.clear();
        self.hist_deltas.clear();
        self.summary_ids.clear();
        self.summary_deltas.clear();
        self.exp.clear();
        self.exp_floors.clear();
    }

    /// Moves `other`'s contributions after this one's.
    pub fn append(&mut self, other: &mut Contributions) {
        self.number_ids.append(&mut other.number_ids);
        self.number_values.append(&mut other.number_values);
        self.gauge_ids.append(&mut other.gauge_ids);
        self.gauge_times.append(&mut other.gauge_times);
        self.gauge_values.append(&mut other.gauge_values);
        self.hist_ids.append(&mut other.hist_ids);
        self.hist_deltas.append(&mut other.hist_deltas);
        self.summary_ids.append(&mut other.summary_ids);
        self.summary_deltas.append(&mut other.summary_deltas);
        self.exp.append(&mut other.exp);
        self.exp_floors.append(&mut other.exp_floors);
    }
}

/// Running per-group result of every contribution so far.
#[derive(Debug, Clone, Default)]
pub struct MetricAcc {
    /// Gauges and sums: Σ, min, max of contributions.
    pub value: F64Partial,
    /// Gauges: (time, value) at the greatest time so far.
    pub last: Option<(u64, f64)>,
    /// Histograms, exponential histograms, summaries.
    pub count: u64,
    pub sum: ExactSum,
    pub sum_count: u64,
    pub buckets: Vec<u64>,
    pub exp: Option<ExpHistogram>,
    pub exp_floor: Option<i32>,
}

impl MetricAcc {
    /// Approximate heap bytes (for the memory report).
    pub fn heap_bytes(&self) -> usize {
        8 * self.buckets.capacity()
            + self.exp.as_ref().map_or(0, |h| {
                8 * (h.positive.counts.capacity() + h.negative.counts.capacity())
            })
    }
}

/// Reduces `c` on `backend` and merges it into `accs` (one per group).
/// `widths[g]` is the bucket count of histogram group `g` (its bounds + 1).
pub fn reduce_chunk(
    backend: Backend,
    c: &Contributions,
    widths: &[usize],
    accs: &mut [MetricAcc],
) -> Result<()> {
    let n = accs.len();
    if !c.number_ids.is_empty() {
        let stats = backend.group_f64_rows(&c.number_ids, &c.number_values, n)?;
        for (acc, s) in accs.iter_mut().zip(&stats) {
            if s.count > 0 {
                acc.value.merge(s);
            }
        }
    }
    if !c.gauge_ids.is_empty() {
        // Latest time per group grouped by the backend, then the last row at
        // that time (the later row wins ties) in one pass: no sort by group.
        let latest = backend.group_rows(&c.gauge_ids, None, &c.gauge_times, n, false)?;
        let mut last: Vec<Option<f64>> = vec![None; n];
        for ((&g, &t), &v) in c.gauge_ids.iter().zip(&c.gauge_times).zip(&c.gauge_values) {
            if t == latest.stats[g as usize].max {
                last[g as usize] = Some(v);
            }
        }
        for ((acc, t), v) in accs.iter_mut().zip(&latest.stats).zip(last) {
            // A later chunk wins ties: the later row, as within a chunk.
            if let (true, Some(v)) = (t.count > 0, v) {
                if acc.last.is_none_or(|(at, _)| t.max >= at) {
                    acc.last = Some((t.max, v));
                }
            }
        }
    }
    if !c.hist_ids.is_empty() {
        reduce_histograms(backend, &c.hist_ids, &c.hist_deltas, widths, accs)?;
    }
    if !c.summary_ids.is_empty() {
        let counts: Vec<u64> = c.summary_deltas.iter().map(|d| d.0).collect();
        let sums: Vec<f64> = c.summary_deltas.iter().map(|d| d.1).collect();
        let cs = backend.group_rows(&c.summary_ids, None, &counts, n, false)?;
        let ss = backend.group_f64_rows(&c.summary_ids, &sums, n)?;
        merge_counts(accs, &cs.stats, &ss)?;
    }
    // Exponential histograms merge on the CPU (as before): bucket ranges differ per point.
    for (g, (count, sum, hist)) in &c.exp {
        let acc = &mut accs[*g as usize];
        acc.count = acc.count.wrapping_add(*count);
        if let Some(s) = sum {
            acc.sum.add(*s);
            acc.sum_count += 1;
        }
        match &mut acc.exp {
            Some(h) => h.merge(hist),
            None => acc.exp = Some(hist.clone()),
        }
    }
    for &(g, scale) in &c.exp_floors {
        let f = &mut accs[g as usize].exp_floor;
        *f = Some(f.map_or(scale, |s| s.min(scale)));
    }
    Ok(())
}

/// Histogram count, sum and bucket-wise sums, all grouped by the backend
/// over unsorted rows: buckets as one group per (group, bucket) slot. A delta
/// shorter than its group's width counts 0 in the missing buckets, a longer
/// one is cut to the width.
fn reduce_histograms(
    backend: Backend,
    ids: &[u32],
    deltas: &[HistDelta],
    widths: &[usize],
    accs: &mut [MetricAcc],
) -> Result<()> {
    let n = accs.len();
    let counts: Vec<u64> = deltas.iter().map(|d| d.0).collect();
    let count_stats = backend.group_rows(ids, None, &counts, n, false)?;
    let (sum_ids, sums): (Vec<u32>, Vec<f64>) = ids
        .iter()
        .zip(deltas)
        .filter_map(|(&g, d)| d.1.map(|s| (g, s)))
        .unzip();
    let sum_stats = backend.group_f64_rows(&sum_ids, &sums, n)?;
    // Only the groups present in this chunk get bucket slots.
    const ABSENT: usize = usize::MAX;
    let mut base = vec![ABSENT; n];
    let mut slots = 0usize;
    for &g in ids {
        let g = g as usize;
        if base[g] == ABSENT {
            base[g] = slots;
            slots += widths[g];
        }
    }
    // Group ids leave the top bit to the GPU's flag.
    if slots > GROUP_MASK as usize {
        return Err(Error::Aggregate(format!(
            "{slots} histogram buckets in one chunk: more than {GROUP_MASK}"
        )));
    }
    let mut bucket_ids = Vec::new();
    let mut values = Vec::new();
    for (&g, d) in ids.iter().zip(deltas) {
        let g = g as usize;
        for b in 0..widths[g] {
            bucket_ids.push((base[g] + b) as u32);
            values.push(d.2.get(b).copied().unwrap_or(0));
        }
    }
    if slots == 0 {
        return merge_counts(accs, &count_stats.stats, &sum_stats);
    }
    let bucket_sums = backend.group_rows(&bucket_ids, None, &values, slots, false)?;
    for (g, acc) in accs.iter_mut().enumerate() {
        if base[g] == ABSENT {
            continue;
        }
        let w = widths[g];
        acc.buckets.resize(acc.buckets.len().max(w), 0);
        let sums = &bucket_sums.stats[base[g]..base[g] + w];
        for (dst, s) in acc.buckets.iter_mut().zip(sums) {
            *dst = dst.wrapping_add(s.sum);
        }
    }
    merge_counts(accs, &count_stats.stats, &sum_stats)
}

/// Adds per-group counts and exact sums to the accumulators.
fn merge_counts(accs: &mut [MetricAcc], counts: &[U64Partial], sums: &[F64Partial]) -> Result<()> {
    for ((acc, c), s) in accs.iter_mut().zip(counts).zip(sums) {
        acc.count = acc.count.wrapping_add(c.sum);
        acc.sum.merge(&s.sum);
        acc.sum_count += s.count;
    }
    Ok(())
}
