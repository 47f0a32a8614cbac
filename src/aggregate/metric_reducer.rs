//! The metric consumer: frames arrive in input order, each point is counted
//! in its group and turned into its contribution as it arrives (as-is points
//! directly, cumulative ones through their series' state in one of 64 fixed
//! partitions by series id), and chunks of contributions are reduced by the
//! backend into per-group accumulators. Memory: series states + groups, plus
//! one chunk; points are kept only for series replayed in time order.

use std::sync::Arc;

use rayon::prelude::*;

use super::backend::Backend;
use super::groups::GroupTable;
use super::metric_reduce::{reduce_chunk, Contributions, MetricAcc};
use super::metric_series::{Cumulative, ExpLane, Lane, NumberPoint, Replay, SeriesSet};
use super::metrics::{
    ExpHistogramPoint, HistogramPoint, MetricRows, PointMeta, SummaryPoint, Temporality,
};
use super::series_keys::{GroupRemap, SeriesKeys};
use crate::decode::PointType;
use crate::error::Result;

/// Series are spread over this many partitions (fixed, so results do not depend on threads).
pub const SERIES_PARTITIONS: usize = 64;
/// Points staged before their contributions are computed and reduced.
const CHUNK_POINTS: usize = 1 << 18;
/// Staged point payload (buckets) that also ends a chunk.
const CHUNK_BYTES: usize = 64 << 20;

/// What `--verbose` reports about the metric state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricStats {
    /// Distinct series with cumulative or exponential-histogram state.
    pub series: u64,
    /// Points whose contribution was computed as they arrived.
    pub points_folded: u64,
    /// Points kept for a sort at the end (out-of-order series, or unrereadable input).
    pub points_buffered: u64,
    /// Series found out of order (replayed sorted in a second pass).
    pub disordered_series: u64,
    /// Passes over the input (2 when some series was out of order).
    pub passes: u32,
    /// Peak approximate bytes of series states, accumulators, staged and buffered points.
    pub peak_state_bytes: u64,
}

/// One partition's series and the points staged for it.
#[derive(Default)]
struct Partition {
    numbers: Lane<NumberPoint>,
    hists: Lane<HistogramPoint>,
    exps: ExpLane,
    summaries: Lane<SummaryPoint>,
    in_numbers: Vec<NumberPoint>,
    in_hists: Vec<HistogramPoint>,
    in_exps: Vec<ExpHistogramPoint>,
    in_summaries: Vec<SummaryPoint>,
    out: Contributions,
}

/// A point type a partition folds: where it waits for a parallel fold, and
/// how it turns into contributions.
trait Folded: Sized {
    fn staged(part: &mut Partition) -> &mut Vec<Self>;
    fn fold(self, part: &mut Partition, replay: &Replay);
}

impl Folded for NumberPoint {
    fn staged(part: &mut Partition) -> &mut Vec<Self> {
        &mut part.in_numbers
    }
    fn fold(self, part: &mut Partition, replay: &Replay) {
        let out = &mut part.out;
        part.numbers.fold(self, replay, &mut |g, v| {
            out.number_ids.push(g);
            out.number_values.push(v);
        });
    }
}

impl Folded for HistogramPoint {
    fn staged(part: &mut Partition) -> &mut Vec<Self> {
        &mut part.in_hists
    }
    fn fold(self, part: &mut Partition, replay: &Replay) {
        let out = &mut part.out;
        part.hists.fold(self, replay, &mut |g, d| {
            out.hist_ids.push(g);
            out.hist_deltas.push(d);
        });
    }
}

impl Folded for ExpHistogramPoint {
    fn staged(part: &mut Partition) -> &mut Vec<Self> {
        &mut part.in_exps
    }
    fn fold(self, part: &mut Partition, replay: &Replay) {
        let (floors, exp) = (&mut part.out.exp_floors, &mut part.out.exp);
        part.exps
            .fold(self, replay, floors, &mut |g, d| exp.push((g, d)));
    }
}

impl Folded for SummaryPoint {
    fn staged(part: &mut Partition) -> &mut Vec<Self> {
        &mut part.in_summaries
    }
    fn fold(self, part: &mut Partition, replay: &Replay) {
        let out = &mut part.out;
        part.summaries.fold(self, replay, &mut |g, d| {
            out.summary_ids.push(g);
            out.summary_deltas.push(d);
        });
    }
}

impl Partition {
    /// Folds `p` at once, or stages it for the parallel fold of the next flush.
    fn admit<P: Folded>(&mut self, p: P, fold_now: bool, replay: &Replay) {
        if fold_now {
            p.fold(self, replay);
        } else {
            P::staged(self).push(p);
        }
    }

    /// Folds the staged points of one type in input order (the list keeps its memory).
    fn fold_list<P: Folded>(&mut self, replay: &Replay) {
        let mut staged = std::mem::take(P::staged(self));
        staged.drain(..).for_each(|p| p.fold(self, replay));
        *P::staged(self) = staged;
    }

    /// Folds the staged points, in input order, into contributions.
    fn fold_staged(&mut self, replay: &Replay) {
        self.fold_list::<NumberPoint>(replay);
        self.fold_list::<HistogramPoint>(replay);
        self.fold_list::<ExpHistogramPoint>(replay);
        self.fold_list::<SummaryPoint>(replay);
    }

    /// Replays the buffered series sorted by time.
    fn finish(&mut self) {
        let out = &mut self.out;
        self.numbers.finish(&mut |g, v| {
            out.number_ids.push(g);
            out.number_values.push(v);
        });
        self.hists.finish(&mut |g, d| {
            out.hist_ids.push(g);
            out.hist_deltas.push(d);
        });
        let exp = &mut out.exp;
        self.exps
            .finish(&mut out.exp_floors, &mut |g, d| exp.push((g, d)));
        self.summaries.finish(&mut |g, d| {
            out.summary_ids.push(g);
            out.summary_deltas.push(d);
        });
    }

    fn disordered(&self) -> impl Iterator<Item = u64> + '_ {
        self.numbers
            .disordered()
            .chain(self.hists.disordered())
            .chain(self.exps.disordered())
            .chain(self.summaries.disordered())
    }

    fn series(&self) -> usize {
        self.numbers.series() + self.hists.series() + self.exps.series() + self.summaries.series()
    }

    fn folded_buffered(&self) -> (u64, u64) {
        let s = [
            self.numbers.stats,
            self.hists.stats,
            self.exps.stats,
            self.summaries.stats,
        ];
        (
            s.iter().map(|s| s.folded).sum(),
            s.iter().map(|s| s.buffered).sum(),
        )
    }

    fn state_bytes(&self) -> usize {
        self.numbers.state_bytes()
            + self.hists.state_bytes()
            + self.exps.state_bytes()
            + self.summaries.state_bytes()
    }
}

/// First pair of conflicting histogram bounds in a group, in input order.
#[derive(Debug, Clone)]
pub struct BoundsConflict {
    pub group: u32,
    pub first: Vec<f64>,
    pub other: Vec<f64>,
}

/// Per-group state outside the accumulators: type, point count, min/max, bounds.
#[derive(Debug, Default)]
pub struct GroupInfo {
    pub types: Vec<PointType>,
    pub point_counts: Vec<u64>,
    pub min: Vec<Option<f64>>,
    pub max: Vec<Option<f64>>,
    pub bounds: Vec<Option<Vec<f64>>>,
}

/// The consumer side of `aggregate --signal metrics`.
pub struct MetricReducer {
    backend: Backend,
    replay: Replay,
    remap: GroupRemap,
    pub(crate) groups: GroupTable,
    pub(crate) info: GroupInfo,
    pub(crate) accs: Vec<MetricAcc>,
    pub(crate) conflict: Option<BoundsConflict>,
    partitions: Vec<Partition>,
    /// As-is contributions of the current chunk, in input order.
    staged: Contributions,
    staged_points: usize,
    staged_bytes: usize,
    as_is_points: u64,
    peak_bytes: usize,
    passes: u32,
}

fn fold_opt(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, y) => x.or(y),
    }
}

fn partition_of(m: &PointMeta) -> usize {
    (m.series % SERIES_PARTITIONS as u64) as usize
}

impl MetricReducer {
    /// A reducer whose `replay` series are kept and sorted at the end; the
    /// map stage resolves keys through `series_keys`.
    pub fn new(backend: Backend, replay: Replay, series_keys: Arc<SeriesKeys>) -> Self {
        Self {
            backend,
            replay,
            remap: GroupRemap::new(series_keys),
            groups: GroupTable::default(),
            info: GroupInfo::default(),
            accs: Vec::new(),
            conflict: None,
            partitions: (0..SERIES_PARTITIONS)
                .map(|_| Partition::default())
                .collect(),
            staged: Contributions::default(),
            staged_points: 0,
            staged_bytes: 0,
            as_is_points: 0,
            peak_bytes: 0,
            passes: 1,
        }
    }

    /// Takes one frame's points (in input order). On a one-thread pool a
    /// cumulative point folds into its series at once: staging it for a
    /// parallel fold would only add a scattered copy per point. Either way
    /// each list of contributions comes out in the same order.
    pub fn consume(&mut self, frame: MetricRows) -> Result<()> {
        let fold_now = rayon::current_num_threads() == 1;
        let replay = &self.replay;
        let remap = self.remap.remap(&frame.groups, &mut self.groups);
        let n = self.groups.len();
        let info = &mut self.info;
        info.types.resize(n, PointType::Gauge);
        info.point_counts.resize(n, 0);
        info.min.resize(n, None);
        info.max.resize(n, None);
        info.bounds.resize(n, None);
        for (local, &global) in remap.iter().enumerate() {
            info.types[global as usize] = frame.group_types[local];
        }
        let points = frame.numbers.len()
            + frame.histograms.len()
            + frame.exp_histograms.len()
            + frame.summaries.len();
        self.staged_points += points;
        let global = |m: &mut PointMeta| {
            m.group = remap[m.group as usize];
            m.group as usize
        };
        let numbers = &frame.numbers;
        for (i, (&local, &v)) in numbers.group.iter().zip(&numbers.value).enumerate() {
            let g = remap[local as usize];
            info.point_counts[g as usize] += 1;
            if info.types[g as usize] == PointType::Gauge {
                self.staged.gauge_ids.push(g);
                self.staged.gauge_times.push(numbers.time[i]);
                self.staged.gauge_values.push(v);
            }
            match numbers.temporality[i] {
                Temporality::AsIs => {
                    self.staged.number_ids.push(g);
                    self.staged.number_values.push(v);
                    self.as_is_points += 1;
                }
                temporality @ Temporality::Cumulative { .. } => {
                    let m = PointMeta {
                        group: g,
                        series: numbers.series[i],
                        start: numbers.start[i],
                        time: numbers.time[i],
                        temporality,
                    };
                    self.partitions[partition_of(&m)].admit((m, v), fold_now, replay);
                }
            }
        }
        for mut p in frame.histograms {
            let g = global(&mut p.meta);
            info.point_counts[g] += 1;
            info.min[g] = fold_opt(info.min[g], p.min, f64::min);
            info.max[g] = fold_opt(info.max[g], p.max, f64::max);
            check_bounds(info, &mut self.conflict, g, &p);
            self.staged_bytes += p.heap_bytes();
            match p.meta.temporality {
                Temporality::AsIs => {
                    self.staged.hist_ids.push(p.meta.group);
                    self.staged.hist_deltas.push(p.full());
                    self.as_is_points += 1;
                }
                Temporality::Cumulative { .. } => {
                    self.partitions[partition_of(&p.meta)].admit(p, fold_now, replay);
                }
            }
        }
        for mut p in frame.exp_histograms {
            let g = global(&mut p.meta);
            info.point_counts[g] += 1;
            info.min[g] = fold_opt(info.min[g], p.min, f64::min);
            info.max[g] = fold_opt(info.max[g], p.max, f64::max);
            self.staged_bytes += 8 * (p.hist.positive.counts.len() + p.hist.negative.counts.len());
            self.partitions[partition_of(&p.meta)].admit(p, fold_now, replay);
        }
        for mut p in frame.summaries {
            let g = global(&mut p.meta);
            info.point_counts[g] += 1;
            self.partitions[partition_of(&p.meta)].admit(p, fold_now, replay);
        }
        if self.staged_points >= CHUNK_POINTS || self.staged_bytes >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Folds the staged points in every partition (in parallel, each in input
    /// order), then reduces the chunk's contributions in a fixed order.
    fn flush(&mut self) -> Result<()> {
        let replay = &self.replay;
        self.partitions
            .par_iter_mut()
            .for_each(|p| p.fold_staged(replay));
        self.note_memory();
        self.reduce_partitions()?;
        self.staged_points = 0;
        self.staged_bytes = 0;
        Ok(())
    }

    fn reduce_partitions(&mut self) -> Result<()> {
        let mut chunk = std::mem::take(&mut self.staged);
        for p in &mut self.partitions {
            chunk.append(&mut p.out);
        }
        if chunk.is_empty() {
            self.staged = chunk;
            return Ok(());
        }
        self.accs.resize_with(self.groups.len(), MetricAcc::default);
        let widths: Vec<usize> = self
            .info
            .bounds
            .iter()
            .map(|b| b.as_ref().map_or(0, |b| b.len() + 1))
            .collect();
        reduce_chunk(self.backend, &chunk, &widths, &mut self.accs)?;
        // The next chunk reuses the lists' memory.
        chunk.clear();
        self.staged = chunk;
        Ok(())
    }

    fn note_memory(&mut self) {
        let partitions: usize = self
            .partitions
            .iter()
            .map(|p| {
                p.state_bytes()
                    + p.in_numbers.capacity() * std::mem::size_of::<NumberPoint>()
                    + p.in_hists.capacity() * std::mem::size_of::<HistogramPoint>()
                    + p.in_exps.capacity() * std::mem::size_of::<ExpHistogramPoint>()
                    + p.in_summaries.capacity() * std::mem::size_of::<SummaryPoint>()
            })
            .sum();
        let accs: usize = self.accs.capacity() * std::mem::size_of::<MetricAcc>()
            + self.accs.iter().map(MetricAcc::heap_bytes).sum::<usize>();
        let groups = self.groups.len() * (std::mem::size_of::<PointType>() + 8 + 16 + 16 + 24);
        let total = partitions + accs + groups + self.staged_bytes;
        self.peak_bytes = self.peak_bytes.max(total);
    }

    /// Ends a pass: the series to replay sorted in another pass over the
    /// same input, if this pass found any out of order.
    pub fn replay_needed(&mut self) -> Result<Option<Replay>> {
        self.flush()?;
        if self.conflict.is_some() {
            return Ok(None);
        }
        let series: SeriesSet = self
            .partitions
            .iter()
            .flat_map(Partition::disordered)
            .collect();
        Ok((!series.is_empty()).then_some(Replay::Series(series)))
    }

    /// The reducer of a second pass (`replay` from [`replay_needed`](Self::replay_needed)).
    pub fn second_pass(&self, replay: Replay) -> MetricReducer {
        let mut r = MetricReducer::new(self.backend, replay, Arc::clone(self.remap.series_keys()));
        r.passes = self.passes + 1;
        r.peak_bytes = self.peak_bytes;
        r
    }

    /// Replays the buffered series and reduces the last chunk.
    pub fn finish_state(&mut self) -> Result<MetricStats> {
        self.flush()?;
        self.partitions.par_iter_mut().for_each(Partition::finish);
        self.reduce_partitions()?;
        self.accs.resize_with(self.groups.len(), MetricAcc::default);
        let (folded, buffered) = self
            .partitions
            .iter()
            .map(Partition::folded_buffered)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let disordered = match &self.replay {
            Replay::Series(s) => s.len() as u64,
            _ => 0,
        };
        Ok(MetricStats {
            series: self.partitions.iter().map(Partition::series).sum::<usize>() as u64,
            points_folded: folded + self.as_is_points,
            points_buffered: buffered,
            disordered_series: disordered,
            passes: self.passes,
            peak_state_bytes: self.peak_bytes as u64,
        })
    }
}

/// One set of bounds per group: merging buckets of different bounds is meaningless.
fn check_bounds(
    info: &mut GroupInfo,
    conflict: &mut Option<BoundsConflict>,
    g: usize,
    p: &HistogramPoint,
) {
    match &info.bounds[g] {
        None => info.bounds[g] = Some(p.bounds.clone()),
        Some(b) if *b != p.bounds || b.len() + 1 != p.buckets.len() && !p.buckets.is_empty() => {
            if conflict.is_none() {
                *conflict = Some(BoundsConflict {
                    group: g as u32,
                    first: b.clone(),
                    other: p.bounds.clone(),
                });
            }
        }
        Some(_) => {}
    }
}
