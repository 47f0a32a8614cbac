//! Per-series state for cumulative → delta: each series keeps only its latest
//! point (in time order so far), and each arriving point turns into its
//! contribution at once. A point older than its series' latest is out of
//! order: that series is reported, and a later pass keeps only such series'
//! points, sorts them and replays them through the same steps.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::exp_histogram::ExpHistogram;
use super::metrics::{ExpHistogramPoint, HistogramPoint, PointMeta, SummaryPoint, Temporality};

/// Series ids are already hashes: one multiply spreads them over the table
/// (the partition index fixes their low bits, so they cannot be used as is).
#[derive(Default)]
pub struct SeriesIdHasher(u64);

impl Hasher for SeriesIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        // Folds into the state, so tuples of integers hash well too.
        let x = self.0.rotate_left(23) ^ id;
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 ^= self.0 >> 32;
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
}

pub type SeriesIdBuildHasher = BuildHasherDefault<SeriesIdHasher>;
pub type SeriesMap<V> = HashMap<u64, V, SeriesIdBuildHasher>;
pub type SeriesSet = HashSet<u64, SeriesIdBuildHasher>;

/// Contribution of a histogram point: count, sum (if known), bucket counts.
pub type HistDelta = (u64, Option<f64>, Vec<u64>);
/// Contribution of an exponential histogram point: count, sum, buckets.
pub type ExpDelta = (u64, Option<f64>, ExpHistogram);

/// A point type whose cumulative series become deltas. `step(prev, cur)` is
/// the delta from the previous point of the series, or None on a reset (then
/// the point contributes `full`).
pub trait Cumulative: Sized {
    type Delta;
    fn meta(&self) -> &PointMeta;
    fn full(&self) -> Self::Delta;
    fn step(prev: &Self, cur: &Self) -> Option<Self::Delta>;
    /// Heap bytes the point holds (for the memory report).
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// A number point: its identity and value.
pub type NumberPoint = (PointMeta, f64);

impl Cumulative for NumberPoint {
    type Delta = f64;
    fn meta(&self) -> &PointMeta {
        &self.0
    }
    fn full(&self) -> f64 {
        self.1
    }
    fn step((pm, pv): &Self, (m, v): &Self) -> Option<f64> {
        let monotonic = matches!(m.temporality, Temporality::Cumulative { monotonic: true });
        (pm.start == m.start && !(monotonic && v < pv)).then(|| v - pv)
    }
}

impl Cumulative for HistogramPoint {
    type Delta = HistDelta;
    fn meta(&self) -> &PointMeta {
        &self.meta
    }
    fn full(&self) -> HistDelta {
        (self.count, self.sum, self.buckets.clone())
    }
    fn step(p: &Self, c: &Self) -> Option<HistDelta> {
        let reset = p.meta.start != c.meta.start
            || c.count < p.count
            || p.bounds != c.bounds
            || p.buckets.len() != c.buckets.len()
            || c.buckets.iter().zip(&p.buckets).any(|(a, b)| a < b);
        if reset {
            return None;
        }
        Some((
            c.count - p.count,
            sub_sum(c.sum, p.sum),
            c.buckets
                .iter()
                .zip(&p.buckets)
                .map(|(a, b)| a - b)
                .collect(),
        ))
    }
    fn heap_bytes(&self) -> usize {
        8 * (self.bounds.capacity() + self.buckets.capacity())
    }
}

impl Cumulative for SummaryPoint {
    type Delta = (u64, f64);
    fn meta(&self) -> &PointMeta {
        &self.meta
    }
    fn full(&self) -> (u64, f64) {
        (self.count, self.sum)
    }
    fn step(p: &Self, c: &Self) -> Option<(u64, f64)> {
        (p.meta.start == c.meta.start && c.count >= p.count)
            .then(|| (c.count - p.count, c.sum - p.sum))
    }
}

/// A cumulative sum's delta: both known → difference, else the current one.
pub fn sub_sum(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    match (cur, prev) {
        (Some(a), Some(b)) => Some(a - b),
        (a, _) => a,
    }
}

/// The first point of a series contributes in full only when its start is known.
fn first_contribution<P: Cumulative>(cur: &P) -> Option<P::Delta> {
    let m = cur.meta();
    (m.start > 0 && m.start < m.time).then(|| cur.full())
}

/// Which series a lane keeps for a sort at the end instead of folding them.
#[derive(Debug, Clone, Default)]
pub enum Replay {
    /// None: every series folds as it arrives; out-of-order ones are reported.
    #[default]
    Nothing,
    /// These series (found out of order by an earlier pass).
    Series(SeriesSet),
    /// Every cumulative series (input that cannot be read twice, e.g. stdin).
    All,
}

impl Replay {
    fn keeps(&self, series: u64) -> bool {
        match self {
            Replay::Nothing => false,
            Replay::Series(s) => s.contains(&series),
            Replay::All => true,
        }
    }
}

/// Counters for `--verbose`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneStats {
    pub folded: u64,
    pub buffered: u64,
}

/// The series of one point type in one partition.
pub struct Lane<P> {
    last: SeriesMap<P>,
    /// Series seen out of order in this pass.
    disordered: SeriesSet,
    /// Points of replayed series, in input order.
    buffered: Vec<P>,
    /// Distinct series replayed from `buffered`.
    replayed: usize,
    heap: usize,
    pub stats: LaneStats,
}

impl<P> Default for Lane<P> {
    fn default() -> Self {
        Self {
            last: SeriesMap::default(),
            disordered: SeriesSet::default(),
            buffered: Vec::new(),
            replayed: 0,
            heap: 0,
            stats: LaneStats::default(),
        }
    }
}

impl<P: Cumulative> Lane<P> {
    /// Folds `cur` (a cumulative point) into its series: its contribution, if any, goes to `out`.
    pub fn fold(&mut self, cur: P, replay: &Replay, out: &mut impl FnMut(u32, P::Delta)) {
        let series = cur.meta().series;
        if replay.keeps(series) {
            self.heap += cur.heap_bytes();
            self.buffered.push(cur);
            self.stats.buffered += 1;
            return;
        }
        if self.disordered.contains(&series) {
            // This pass's result is discarded; the series is replayed sorted.
            return;
        }
        self.stats.folded += 1;
        let group = cur.meta().group;
        // One table probe per point: the series' slot is read and replaced in place.
        let slot = match self.last.entry(series) {
            Entry::Vacant(v) => {
                if let Some(d) = first_contribution(&cur) {
                    out(group, d);
                }
                self.heap += cur.heap_bytes();
                v.insert(cur);
                return;
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        if cur.meta().time < slot.meta().time {
            self.disordered.insert(series);
            return;
        }
        out(group, P::step(slot, &cur).unwrap_or_else(|| cur.full()));
        self.heap = self.heap + cur.heap_bytes() - slot.heap_bytes();
        *slot = cur;
    }

    /// Replays the buffered series in time order (stable: input order on ties).
    pub fn finish(&mut self, out: &mut impl FnMut(u32, P::Delta)) {
        let mut points = std::mem::take(&mut self.buffered);
        points.sort_by_key(|p| (p.meta().series, p.meta().time));
        let mut prev: Option<&P> = None;
        for cur in &points {
            let d = match prev.filter(|p| p.meta().series == cur.meta().series) {
                None => {
                    self.replayed += 1;
                    first_contribution(cur)
                }
                Some(p) => Some(P::step(p, cur).unwrap_or_else(|| cur.full())),
            };
            if let Some(d) = d {
                out(cur.meta().group, d);
            }
            prev = Some(cur);
        }
        self.heap = self.last.values().map(P::heap_bytes).sum();
    }

    pub fn disordered(&self) -> impl Iterator<Item = u64> + '_ {
        self.disordered.iter().copied()
    }

    pub fn series(&self) -> usize {
        self.last.len() + self.replayed
    }

    /// Approximate bytes held: table slots, point payloads, buffered points.
    pub fn state_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(u64, P)>() + 1;
        self.last.capacity() * slot
            + self.disordered.capacity() * 9
            + self.buffered.capacity() * std::mem::size_of::<P>()
            + self.heap
    }
}

/// An exponential histogram series: deltas are taken at the smallest scale
/// seen so far in the series. When it drops, the groups the series already
/// contributed to are floored to the new scale (downscaling is linear, so a
/// delta taken at a finer scale and downscaled later is the delta at the
/// lower scale). A reset decided by buckets at a finer scale might not be one
/// at the lower scale, so such a series is replayed like an out-of-order one.
struct ExpSeries {
    min_scale: i32,
    last: Option<ExpHistogramPoint>,
    /// Groups this series contributed to (for floors when its scale drops).
    touched: Vec<u32>,
    /// Scale at which a bucket-level reset was decided, if any.
    reset_scale: Option<i32>,
}

impl ExpSeries {
    fn new(min_scale: i32) -> Self {
        Self {
            min_scale,
            last: None,
            touched: Vec::new(),
            reset_scale: None,
        }
    }

    fn heap_bytes(&self) -> usize {
        4 * self.touched.capacity() + self.last.as_ref().map_or(0, exp_heap)
    }

    fn touch(&mut self, group: u32) {
        if self.touched.last() != Some(&group) {
            self.touched.push(group);
            // Groups revisited out of time order would repeat: keep the list a set.
            if self.touched.len() >= 16 && self.touched.len().is_power_of_two() {
                self.touched.sort_unstable();
                self.touched.dedup();
            }
        }
    }

    /// The point's contribution; None when the series must be replayed.
    fn fold(
        &mut self,
        mut cur: ExpHistogramPoint,
        floors: &mut Vec<(u32, i32)>,
    ) -> Option<Option<ExpDelta>> {
        let cumulative = matches!(cur.meta.temporality, Temporality::Cumulative { .. });
        if cumulative
            && self
                .last
                .as_ref()
                .is_some_and(|p| cur.meta.time < p.meta.time)
        {
            return None;
        }
        if cur.hist.scale < self.min_scale {
            let scale = cur.hist.scale;
            if self.reset_scale.is_some_and(|s| scale < s) {
                return None;
            }
            floors.extend(self.touched.iter().map(|&g| (g, scale)));
            self.min_scale = scale;
            if let Some(p) = &mut self.last {
                p.hist = p.hist.downscale_to(scale);
            }
        }
        cur.hist = cur.hist.downscale_to(self.min_scale);
        let full = |c: &ExpHistogramPoint| (c.count, c.sum, c.hist.clone());
        let d = if !cumulative {
            Some(full(&cur))
        } else {
            match &self.last {
                None => first_contribution_exp(&cur).then(|| full(&cur)),
                Some(p) if p.meta.start != cur.meta.start || cur.count < p.count => {
                    Some(full(&cur))
                }
                Some(p) => match cur.hist.checked_sub(&p.hist) {
                    Some(h) => Some((cur.count - p.count, sub_sum(cur.sum, p.sum), h)),
                    None => {
                        let at = self.min_scale;
                        self.reset_scale = Some(self.reset_scale.map_or(at, |s| s.max(at)));
                        Some(full(&cur))
                    }
                },
            }
        };
        if d.is_some() {
            self.touch(cur.meta.group);
        }
        if cumulative {
            self.last = Some(cur);
        }
        Some(d)
    }
}

fn first_contribution_exp(p: &ExpHistogramPoint) -> bool {
    p.meta.start > 0 && p.meta.start < p.meta.time
}

fn exp_heap(p: &ExpHistogramPoint) -> usize {
    8 * (p.hist.positive.counts.capacity() + p.hist.negative.counts.capacity())
}

/// Exponential histogram series of one partition (every temporality: the
/// series' smallest scale applies to delta points too).
#[derive(Default)]
pub struct ExpLane {
    series: SeriesMap<ExpSeries>,
    disordered: SeriesSet,
    buffered: Vec<ExpHistogramPoint>,
    replayed: usize,
    heap: usize,
    pub stats: LaneStats,
}

impl ExpLane {
    pub fn fold(
        &mut self,
        cur: ExpHistogramPoint,
        replay: &Replay,
        floors: &mut Vec<(u32, i32)>,
        out: &mut impl FnMut(u32, ExpDelta),
    ) {
        let id = cur.meta.series;
        if replay.keeps(id) {
            self.heap += exp_heap(&cur);
            self.buffered.push(cur);
            self.stats.buffered += 1;
            return;
        }
        if self.disordered.contains(&id) {
            return;
        }
        self.stats.folded += 1;
        let group = cur.meta.group;
        let s = self
            .series
            .entry(id)
            .or_insert_with(|| ExpSeries::new(cur.hist.scale));
        let before = s.heap_bytes();
        match s.fold(cur, floors) {
            None => {
                self.disordered.insert(id);
            }
            Some(d) => {
                if let Some(d) = d {
                    out(group, d);
                }
            }
        }
        self.heap = self.heap + s.heap_bytes() - before;
    }

    /// Replays buffered series sorted by time, each at its smallest scale from the start.
    pub fn finish(&mut self, floors: &mut Vec<(u32, i32)>, out: &mut impl FnMut(u32, ExpDelta)) {
        let mut points = std::mem::take(&mut self.buffered);
        points.sort_by_key(|p| (p.meta.series, p.meta.time));
        let mut min_scale: HashMap<u64, i32> = HashMap::new();
        for p in &points {
            let s = min_scale.entry(p.meta.series).or_insert(p.hist.scale);
            *s = (*s).min(p.hist.scale);
        }
        self.replayed += min_scale.len();
        let mut current: Option<(u64, ExpSeries)> = None;
        for p in points {
            let id = p.meta.series;
            if current.as_ref().is_none_or(|(c, _)| *c != id) {
                current = Some((id, ExpSeries::new(min_scale[&id])));
            }
            let Some((_, s)) = current.as_mut() else {
                continue;
            };
            let group = p.meta.group;
            // Sorted and at the final scale: neither disorder nor a later drop can occur.
            if let Some(Some(d)) = s.fold(p, floors) {
                out(group, d);
            }
        }
        self.heap = self.series.values().map(ExpSeries::heap_bytes).sum();
    }

    pub fn disordered(&self) -> impl Iterator<Item = u64> + '_ {
        self.disordered.iter().copied()
    }

    pub fn series(&self) -> usize {
        self.series.len() + self.replayed
    }

    pub fn state_bytes(&self) -> usize {
        self.series.capacity() * (std::mem::size_of::<(u64, ExpSeries)>() + 1)
            + self.disordered.capacity() * 9
            + self.buffered.capacity() * std::mem::size_of::<ExpHistogramPoint>()
            + self.heap
    }
}
