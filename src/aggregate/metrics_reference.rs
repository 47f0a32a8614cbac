//! The sort-everything reference (tests only): the metric aggregation as it
//! was before streaming — every point kept, each series sorted by time, then
//! per-group reductions. The streaming reducer must equal it on any input.

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use rayon::prelude::*;

use super::backend::{Backend, Segments};
use super::exact_sum::ExactSum;
use super::groups::GroupTable;
use super::keys::KeySpec;
use super::metrics::{
    ExpHistogramPoint, HistogramPoint, MetricRows, PointMeta, SummaryPoint, Temporality,
};
use super::metrics_finish::{build_columns, metric_name, GroupOut};
use crate::decode::PointType;
use crate::error::{Error, Result};

/// All points with global group ids, in input order (what the old reducer kept).
pub fn concat(frames: Vec<MetricRows>) -> MetricRows {
    let mut all = MetricRows::default();
    for mut frame in frames {
        let remap = all.groups.table_mut().remap(frame.groups.table_mut());
        all.group_types.resize(all.groups.len(), PointType::Gauge);
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
    all
}

/// Series are spread over this many partitions (fixed, so results do not depend on threads).
const SERIES_PARTITIONS: usize = 64;

/// Converts points to their contribution: as-is points contribute `full`;
/// cumulative points become deltas along their series in time order. The first
/// point contributes `full` only when its start is known (0 < start < time);
/// `step(prev, cur)` gives the delta, or None on a reset (then `full(cur)`).
fn contributions<P, D>(
    points: &[P],
    meta: impl Fn(&P) -> &PointMeta + Sync,
    full: impl Fn(&P) -> D + Sync,
    step: impl Fn(&P, &P) -> Option<D> + Sync,
) -> Vec<Option<D>>
where
    P: Sync,
    D: Send,
{
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); SERIES_PARTITIONS];
    for (i, p) in points.iter().enumerate() {
        let m = meta(p);
        if matches!(m.temporality, Temporality::Cumulative { .. }) {
            parts[(m.series % SERIES_PARTITIONS as u64) as usize].push(i);
        }
    }
    let deltas: Vec<Vec<(usize, Option<D>)>> = parts
        .into_par_iter()
        .map(|mut idx| {
            idx.sort_by_key(|&i| (meta(&points[i]).series, meta(&points[i]).time, i));
            let mut out = Vec::with_capacity(idx.len());
            for (k, &i) in idx.iter().enumerate() {
                let cur = &points[i];
                let m = meta(cur);
                let prev = k
                    .checked_sub(1)
                    .map(|k| idx[k])
                    .filter(|&j| meta(&points[j]).series == m.series);
                let d = match prev {
                    None => (m.start > 0 && m.start < m.time).then(|| full(cur)),
                    Some(j) => Some(step(&points[j], cur).unwrap_or_else(|| full(cur))),
                };
                out.push((i, d));
            }
            out
        })
        .collect();
    // As-is points contribute their full value; cumulative ones are filled in below.
    let mut result: Vec<Option<D>> = points
        .iter()
        .map(|p| (meta(p).temporality == Temporality::AsIs).then(|| full(p)))
        .collect();
    for part in deltas {
        for (i, d) in part {
            result[i] = d;
        }
    }
    result
}

/// Rows that contribute, with their group ids, in input order.
fn contributing<D>(
    groups: impl Iterator<Item = u32>,
    contrib: Vec<Option<D>>,
) -> (Vec<u32>, Vec<D>) {
    groups
        .zip(contrib)
        .filter_map(|(g, d)| d.map(|d| (g, d)))
        .unzip()
}

fn point_counts(n_groups: usize, groups: impl Iterator<Item = u32>) -> Vec<u64> {
    let mut counts = vec![0u64; n_groups];
    groups.for_each(|g| counts[g as usize] += 1);
    counts
}

fn fold_min(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn fold_max(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

pub fn reference_finish(
    rows: MetricRows,
    keys: &[KeySpec],
    backend: Backend,
) -> Result<(GroupTable, Vec<(Field, ArrayRef)>)> {
    let n = rows.groups.len();
    let mut out = vec![GroupOut::default(); n];
    finish_numbers(&rows, backend, &mut out)?;
    finish_histograms(&rows, keys, backend, &mut out)?;
    finish_exp_histograms(&rows, &mut out);
    finish_summaries(&rows, backend, &mut out)?;
    let columns = build_columns(&rows.group_types, out);
    let mut groups = rows.groups;
    Ok((std::mem::take(groups.table_mut()), columns))
}

fn finish_numbers(rows: &MetricRows, backend: Backend, out: &mut [GroupOut]) -> Result<()> {
    let pts: &[super::metrics::NumberPoint] = &rows.numbers.iter().collect::<Vec<_>>();
    if pts.is_empty() {
        return Ok(());
    }
    let counts = point_counts(out.len(), pts.iter().map(|(m, _)| m.group));
    let contrib = contributions(
        pts,
        |(m, _)| m,
        |(_, v)| *v,
        |(pm, pv), (m, v)| {
            let monotonic = matches!(m.temporality, Temporality::Cumulative { monotonic: true });
            (pm.start == m.start && !(monotonic && v < pv)).then(|| v - pv)
        },
    );
    let (ids, values) = contributing(pts.iter().map(|(m, _)| m.group), contrib);
    let seg = Segments::by_group(&ids, out.len());
    let stats = backend.reduce_f64(&seg, &seg.gather(&values))?;
    // Gauge "last": all gauge points are as-is, so every point contributes; its time decides.
    let gauge_rows: Vec<usize> = (0..pts.len())
        .filter(|&i| rows.group_types[pts[i].0.group as usize] == PointType::Gauge)
        .collect();
    let gauge_ids: Vec<u32> = gauge_rows.iter().map(|&i| pts[i].0.group).collect();
    let gseg = Segments::by_group(&gauge_ids, out.len());
    let times: Vec<u64> = gauge_rows.iter().map(|&i| pts[i].0.time).collect();
    let vals: Vec<f64> = gauge_rows.iter().map(|&i| pts[i].1).collect();
    let last = backend.last_by_time(&gseg, &gseg.gather(&times), &gseg.gather(&vals))?;
    for (g, o) in out.iter_mut().enumerate() {
        if counts[g] > 0 {
            o.point_count = counts[g];
            o.value = Some(stats[g].clone());
            o.value_last = last[g];
        }
    }
    Ok(())
}

type HistDelta = (u64, Option<f64>, Vec<u64>);

fn histogram_step(p: &HistogramPoint, c: &HistogramPoint) -> Option<HistDelta> {
    let reset = p.meta.start != c.meta.start
        || c.count < p.count
        || p.bounds != c.bounds
        || p.buckets.len() != c.buckets.len()
        || c.buckets.iter().zip(&p.buckets).any(|(a, b)| a < b);
    if reset {
        return None;
    }
    let sum = match (c.sum, p.sum) {
        (Some(a), Some(b)) => Some(a - b),
        (a, _) => a,
    };
    Some((
        c.count - p.count,
        sum,
        c.buckets
            .iter()
            .zip(&p.buckets)
            .map(|(a, b)| a - b)
            .collect(),
    ))
}

fn finish_histograms(
    rows: &MetricRows,
    keys: &[KeySpec],
    backend: Backend,
    out: &mut [GroupOut],
) -> Result<()> {
    let pts = &rows.histograms;
    if pts.is_empty() {
        return Ok(());
    }
    // One set of bounds per group: merging buckets of different bounds is meaningless.
    let mut bounds: Vec<Option<&Vec<f64>>> = vec![None; out.len()];
    for p in pts {
        let g = p.meta.group as usize;
        match bounds[g] {
            None => bounds[g] = Some(&p.bounds),
            Some(b)
                if *b != p.bounds || b.len() + 1 != p.buckets.len() && !p.buckets.is_empty() =>
            {
                return Err(Error::Aggregate(format!(
                    "histogram {}: points with different explicit bounds in one group ({:?} vs {:?}); group by a key that separates them",
                    metric_name(rows.groups.table(), keys, g),
                    b,
                    p.bounds
                )));
            }
            Some(_) => {}
        }
    }
    let counts = point_counts(out.len(), pts.iter().map(|p| p.meta.group));
    let contrib = contributions(
        pts,
        |p| &p.meta,
        |p| (p.count, p.sum, p.buckets.clone()),
        histogram_step,
    );
    let (ids, deltas) = contributing(pts.iter().map(|p| p.meta.group), contrib);
    let seg = Segments::by_group(&ids, out.len());
    let count_stats = backend.reduce_u64(
        &seg,
        &seg.gather(&deltas.iter().map(|d| d.0).collect::<Vec<_>>()),
    )?;
    let (sum_ids, sums): (Vec<u32>, Vec<f64>) = ids
        .iter()
        .zip(&deltas)
        .filter_map(|(&g, d)| d.1.map(|s| (g, s)))
        .unzip();
    let sum_seg = Segments::by_group(&sum_ids, out.len());
    let sum_stats = backend.reduce_f64(&sum_seg, &sum_seg.gather(&sums))?;
    let bucket_sums = reduce_buckets(backend, &seg, &deltas, &bounds)?;
    for p in pts {
        let o = &mut out[p.meta.group as usize];
        o.min = fold_min(o.min, p.min);
        o.max = fold_max(o.max, p.max);
    }
    for (g, o) in out.iter_mut().enumerate() {
        if counts[g] == 0 {
            continue;
        }
        o.point_count = counts[g];
        o.count = Some(count_stats[g].sum);
        o.sum = Some(sum_stats[g].sum.value()).filter(|_| sum_stats[g].count > 0);
        o.bounds = bounds[g].cloned();
        o.buckets = Some(bucket_sums[g].clone());
    }
    Ok(())
}

/// Bucket-wise sums: one segment per (group, bucket), reduced like any u64 column.
fn reduce_buckets(
    backend: Backend,
    seg: &Segments,
    deltas: &[HistDelta],
    bounds: &[Option<&Vec<f64>>],
) -> Result<Vec<Vec<u64>>> {
    let mut offsets = vec![0usize];
    let mut values = Vec::new();
    let mut widths = Vec::with_capacity(seg.groups());
    for (g, group_bounds) in bounds.iter().enumerate().take(seg.groups()) {
        let width = group_bounds.map_or(0, |b| b.len() + 1);
        widths.push(width);
        for b in 0..width {
            for &r in &seg.order[seg.range(g)] {
                values.push(deltas[r as usize].2.get(b).copied().unwrap_or(0));
            }
            offsets.push(values.len());
        }
    }
    let flat = Segments {
        offsets,
        order: Vec::new(),
    };
    let sums = backend.reduce_u64(&flat, &values)?;
    let mut at = 0;
    Ok(widths
        .into_iter()
        .map(|w| {
            let v = sums[at..at + w].iter().map(|s| s.sum).collect();
            at += w;
            v
        })
        .collect())
}

fn finish_exp_histograms(rows: &MetricRows, out: &mut [GroupOut]) {
    let pts = &rows.exp_histograms;
    if pts.is_empty() {
        return;
    }
    // Deltas are taken at the smallest scale seen in each series.
    let mut series_scale: std::collections::HashMap<u64, i32> = std::collections::HashMap::new();
    for p in pts {
        let s = series_scale.entry(p.meta.series).or_insert(p.hist.scale);
        *s = (*s).min(p.hist.scale);
    }
    let at_series_scale = |p: &ExpHistogramPoint| p.hist.downscale_to(series_scale[&p.meta.series]);
    let counts = point_counts(out.len(), pts.iter().map(|p| p.meta.group));
    let contrib = contributions(
        pts,
        |p| &p.meta,
        |p| (p.count, p.sum, at_series_scale(p)),
        |p, c| {
            if p.meta.start != c.meta.start || c.count < p.count {
                return None;
            }
            let hist = at_series_scale(c).checked_sub(&at_series_scale(p))?;
            let sum = match (c.sum, p.sum) {
                (Some(a), Some(b)) => Some(a - b),
                (a, _) => a,
            };
            Some((c.count - p.count, sum, hist))
        },
    );
    let mut sums: Vec<ExactSum> = vec![ExactSum::new(); out.len()];
    let mut has_sum = vec![false; out.len()];
    for (p, d) in pts.iter().zip(contrib) {
        let g = p.meta.group as usize;
        let o = &mut out[g];
        o.min = fold_min(o.min, p.min);
        o.max = fold_max(o.max, p.max);
        let Some((count, sum, hist)) = d else {
            continue;
        };
        o.count = Some(o.count.unwrap_or(0) + count);
        if let Some(s) = sum {
            sums[g].add(s);
            has_sum[g] = true;
        }
        match &mut o.exp {
            Some(acc) => acc.merge(&hist),
            None => o.exp = Some(hist),
        }
    }
    for (g, o) in out.iter_mut().enumerate() {
        if counts[g] > 0 {
            o.point_count = counts[g];
            o.count = Some(o.count.unwrap_or(0));
            o.sum = has_sum[g].then(|| sums[g].value());
            o.exp = Some(o.exp.take().map(|h| h.trimmed()).unwrap_or_default());
        }
    }
}

fn finish_summaries(rows: &MetricRows, backend: Backend, out: &mut [GroupOut]) -> Result<()> {
    let pts = &rows.summaries;
    if pts.is_empty() {
        return Ok(());
    }
    let counts = point_counts(out.len(), pts.iter().map(|p| p.meta.group));
    let contrib = contributions(
        pts,
        |p| &p.meta,
        |p| (p.count, p.sum),
        |p, c| {
            (p.meta.start == c.meta.start && c.count >= p.count)
                .then(|| (c.count - p.count, c.sum - p.sum))
        },
    );
    let (ids, deltas) = contributing(pts.iter().map(|p| p.meta.group), contrib);
    let seg = Segments::by_group(&ids, out.len());
    let c = backend.reduce_u64(
        &seg,
        &seg.gather(&deltas.iter().map(|d| d.0).collect::<Vec<_>>()),
    )?;
    let s = backend.reduce_f64(
        &seg,
        &seg.gather(&deltas.iter().map(|d| d.1).collect::<Vec<_>>()),
    )?;
    for (g, o) in out.iter_mut().enumerate() {
        if counts[g] > 0 {
            o.point_count = counts[g];
            o.count = Some(c[g].sum);
            o.sum = Some(s[g].sum.value());
        }
    }
    Ok(())
}
