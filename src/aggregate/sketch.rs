//! `DurationSketch`: mergeable quantiles of `u64` nanosecond durations (exact up to 64 values,
//! then a log-linear histogram with relative error below `2^-8`).
//!
//! # Buckets
//! HDR-histogram style log-linear buckets with `SUB_BITS = 7` (128 sub-buckets per power of two),
//! computed with integer bit operations only (so a GPU kernel can compute the same index):
//!
//! * `v < 128`: index `v` (one exact bucket per value);
//! * otherwise, with `e = 63 - v.leading_zeros()` (`7..=63`):
//!   `index = ((e - 6) << 7) | ((v >> (e - 7)) & 127)`.
//!
//! The formula is contiguous and monotonic: `(v >> (e - 7))` is in `128..=255`, so the index is
//! `(e - 7) · 128 + (v >> (e - 7))`; for `e = 7` that is `v` itself (continuing the exact range
//! `0..128` with the exact values `128..=255`), and each further octave `e` adds 128 buckets of
//! width `2^(e-7)`. The largest index is `57 · 128 + 127 = 7423` ([`NUM_BUCKETS`] = 7424).
//! A bucket `[lo, hi]` of width `w = 2^(e-7)` has `lo >= 128 · w`, so its midpoint is within
//! `w / 2 <= lo / 256` of every value in it: relative error `<= 2^-8 ≈ 0.4 %`.
//!
//! # Representation
//! While the sketch holds at most [`EXACT_LIMIT`] (64) values it keeps them (sorted) and quantiles
//! are exact. Past that it switches to counts over a dense `Vec<u64>` covering exactly the bucket
//! indices of `[min, max]`. The mode depends only on the total count and every field is a
//! function of the multiset of values added, so `merge` is order- and split-independent and the
//! derived `PartialEq` compares sketches of the same data as equal.
//!
//! Counts use wrapping arithmetic (associative, never panics); they would only wrap after
//! `2^64` values.

/// Sub-bucket bits: 128 buckets per power of two.
pub const SUB_BITS: u32 = 7;
/// Number of distinct bucket indices (`bucket_index` is always `< NUM_BUCKETS`).
pub const NUM_BUCKETS: u32 = 7424;
/// Sketches with at most this many values keep the values and give exact quantiles.
pub const EXACT_LIMIT: usize = 64;

const SUB_COUNT: u64 = 1 << SUB_BITS;

/// Log-linear bucket index of `v` (see module docs); monotonic in `v`, `< NUM_BUCKETS`.
#[inline]
pub fn bucket_index(v: u64) -> u32 {
    if v < SUB_COUNT {
        v as u32
    } else {
        let e = 63 - v.leading_zeros(); // 7..=63
        ((e - 6) << SUB_BITS) | ((v >> (e - SUB_BITS)) as u32 & (SUB_COUNT as u32 - 1))
    }
}

/// Inclusive value range `[lo, hi]` of bucket `index`. Indices beyond the last bucket are
/// clamped to the last bucket (never panics).
#[inline]
pub fn bucket_bounds(index: u32) -> (u64, u64) {
    let index = index.min(NUM_BUCKETS - 1);
    if (index as u64) < 2 * SUB_COUNT {
        // Indices 0..256 are exact single values.
        return (index as u64, index as u64);
    }
    let octave = index >> SUB_BITS; // = e - 6, 2..=57
    let shift = octave - 1; // = e - 7
    let mantissa = SUB_COUNT | (index as u64 & (SUB_COUNT - 1)); // 128..=255
    let lo = mantissa << shift;
    // No overflow: the last bucket ends at 256 << 56 - 1 = u64::MAX.
    (lo, lo + ((1u64 << shift) - 1))
}

/// Representative value of a bucket: its midpoint (rounded down).
#[inline]
fn bucket_mid(index: u32) -> u64 {
    let (lo, hi) = bucket_bounds(index);
    lo + (hi - lo) / 2
}

/// 1-based nearest rank `ceil(q · n)` clamped to `[1, n]`. `q · n` is computed in `f64`; a product
/// within a few ulps above an integer is treated as that integer so that decimal quantiles such
/// as `0.07 · 100` (= 7.000000000000001 in binary) give the rank a person computes by hand.
fn nearest_rank(q: f64, n: u64) -> u64 {
    let x = q * n as f64;
    let mut r = x.ceil();
    if r - x > 0.0 && x - (r - 1.0) <= x * (4.0 * f64::EPSILON) {
        r -= 1.0;
    }
    // `as` saturates; n >= 1 here.
    (r as u64).clamp(1, n)
}

/// Mergeable quantile sketch of `u64` durations (see module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DurationSketch {
    /// Total number of values.
    count: u64,
    /// Exact min / max (meaningless while `count == 0`, kept at 0 so `Default` is canonical).
    min: u64,
    max: u64,
    /// Exact mode (`count <= EXACT_LIMIT`): the values, sorted ascending. Empty in bucket mode.
    values: Vec<u64>,
    /// Bucket mode: `counts[i]` is the count of bucket `offset + i`; covers exactly
    /// `bucket_index(min)..=bucket_index(max)`. Empty (and `offset == 0`) in exact mode.
    offset: u32,
    counts: Vec<u64>,
}

impl DurationSketch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one duration.
    #[inline]
    pub fn add(&mut self, v: u64) {
        self.add_index(bucket_index(v), v);
    }

    /// Adds one duration whose bucket index was precomputed (e.g. on a GPU). `index` must equal
    /// `bucket_index(v)`; otherwise results are unspecified (but nothing panics; out-of-range
    /// indices are clamped to the last bucket).
    pub fn add_index(&mut self, index: u32, v: u64) {
        let index = index.min(NUM_BUCKETS - 1);
        self.note_min_max(v, v);
        self.count = self.count.wrapping_add(1);
        if self.counts.is_empty() {
            if self.values.len() < EXACT_LIMIT {
                let pos = self.values.partition_point(|&x| x <= v);
                self.values.insert(pos, v);
                return;
            }
            self.switch_to_buckets();
        }
        self.ensure_range(index, index);
        let slot = &mut self.counts[(index - self.offset) as usize];
        *slot = slot.wrapping_add(1);
    }

    /// The bucket-mode sketch of more than [`EXACT_LIMIT`] values given their exact `min`, `max`
    /// and per-bucket counts (e.g. histogrammed on a GPU): `counts[i]` counts bucket
    /// `bucket_index(min) + i`, covering exactly `bucket_index(min)..=bucket_index(max)`. Equal to
    /// adding the values one by one. `None` when the arguments do not have that shape.
    pub fn from_bucket_counts(min: u64, max: u64, counts: Vec<u64>) -> Option<DurationSketch> {
        let (lo, hi) = (bucket_index(min), bucket_index(max));
        let count = counts.iter().fold(0u64, |a, &c| a.wrapping_add(c));
        let shaped = min <= max
            && counts.len() == (hi - lo) as usize + 1
            && counts.first().is_some_and(|&c| c > 0)
            && counts.last().is_some_and(|&c| c > 0)
            && count > EXACT_LIMIT as u64;
        shaped.then_some(DurationSketch {
            count,
            min,
            max,
            values: Vec::new(),
            offset: lo,
            counts,
        })
    }

    /// Adds everything in `other`. Exact mode is kept iff the total count is at most
    /// `EXACT_LIMIT`, so the result equals the sketch of the concatenated data whatever the split.
    pub fn merge(&mut self, other: &DurationSketch) {
        if other.count == 0 && other.counts.is_empty() && other.values.is_empty() {
            return;
        }
        if self.count == 0 && self.counts.is_empty() && self.values.is_empty() {
            self.clone_from(other);
            return;
        }
        self.note_min_max(other.min, other.max);
        self.count = self.count.wrapping_add(other.count);
        let both_exact = self.counts.is_empty() && other.counts.is_empty();
        if both_exact && self.values.len() + other.values.len() <= EXACT_LIMIT {
            // Merge of two sorted runs of at most 64 values in total.
            self.values.extend_from_slice(&other.values);
            self.values.sort_unstable();
            return;
        }
        if self.counts.is_empty() {
            self.switch_to_buckets();
        }
        if other.counts.is_empty() {
            for &v in &other.values {
                let index = bucket_index(v);
                self.ensure_range(index, index);
                let slot = &mut self.counts[(index - self.offset) as usize];
                *slot = slot.wrapping_add(1);
            }
        } else {
            let last = other.offset + (other.counts.len() as u32 - 1);
            self.ensure_range(other.offset, last);
            let start = (other.offset - self.offset) as usize;
            for (dst, &src) in self.counts[start..].iter_mut().zip(&other.counts) {
                *dst = dst.wrapping_add(src);
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Nearest-rank quantile: the value of rank `ceil(q*n)` (1-based, rank >= 1), approximated by
    /// its bucket midpoint clamped to `[min, max]`. `None` when empty (or `q` is NaN); `q` is
    /// clamped to `[0, 1]`.
    ///
    /// Exact while the sketch holds at most 64 values. In bucket mode ranks 1 and `n` return the
    /// exact min / max; other ranks are within `2^-8` relative error.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        if self.counts.is_empty() {
            let n = self.values.len() as u64;
            if n == 0 {
                return None;
            }
            return Some(self.values[(nearest_rank(q, n) - 1) as usize]);
        }
        let rank = nearest_rank(q, self.count);
        if rank == 1 {
            return Some(self.min);
        }
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(c);
            if seen >= rank {
                let mid = bucket_mid(self.offset + i as u32);
                return Some(mid.clamp(self.min, self.max));
            }
        }
        // Only reachable if counts wrapped; stay total.
        Some(self.max)
    }

    /// The representation, for serialising partial state (`aggregate::state`): the sorted
    /// values (exact mode) and the first bucket index with the dense counts (bucket mode).
    /// With `count`, `min` and `max` it determines the sketch.
    pub fn raw_parts(&self) -> (&[u64], u32, &[u64]) {
        (&self.values, self.offset, &self.counts)
    }

    /// The inverse of `raw_parts`; `None` when the parts break the invariants (so bytes
    /// from elsewhere can never build a sketch that misbehaves).
    pub fn from_raw_parts(
        count: u64,
        min: u64,
        max: u64,
        values: Vec<u64>,
        offset: u32,
        counts: Vec<u64>,
    ) -> Option<Self> {
        let sketch = Self {
            count,
            min,
            max,
            values,
            offset,
            counts,
        };
        if count == 0 {
            return (sketch == Self::default()).then_some(sketch);
        }
        let ok = if sketch.counts.is_empty() {
            sketch.offset == 0
                && sketch.values.len() as u64 == count
                && sketch.values.len() <= EXACT_LIMIT
                && sketch.values.is_sorted()
                && sketch.values.first() == Some(&min)
                && sketch.values.last() == Some(&max)
        } else {
            let last = sketch.offset as u64 + sketch.counts.len() as u64 - 1;
            sketch.values.is_empty()
                && min <= max
                && sketch.offset == bucket_index(min)
                && last == u64::from(bucket_index(max))
                && sketch.counts.iter().fold(0u64, |a, &c| a.wrapping_add(c)) == count
        };
        ok.then_some(sketch)
    }

    fn note_min_max(&mut self, lo: u64, hi: u64) {
        if self.count == 0 {
            self.min = lo;
            self.max = hi;
        } else {
            self.min = self.min.min(lo);
            self.max = self.max.max(hi);
        }
    }

    /// Switches from exact mode to bucket mode, re-bucketing the stored values.
    fn switch_to_buckets(&mut self) {
        let values = std::mem::take(&mut self.values);
        if let (Some(&first), Some(&last)) = (values.first(), values.last()) {
            self.ensure_range(bucket_index(first), bucket_index(last));
            for v in values {
                let slot = &mut self.counts[(bucket_index(v) - self.offset) as usize];
                *slot = slot.wrapping_add(1);
            }
        }
    }

    /// Grows the dense count vector so that it covers `lo..=hi` (indices `< NUM_BUCKETS`).
    fn ensure_range(&mut self, lo: u32, hi: u32) {
        if self.counts.is_empty() {
            self.offset = lo;
            self.counts.resize((hi - lo) as usize + 1, 0);
            return;
        }
        let cur_hi = self.offset + (self.counts.len() as u32 - 1);
        if lo < self.offset {
            let grow = (self.offset - lo) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = lo;
        }
        if hi > cur_hi {
            let len = (hi - self.offset) as usize + 1;
            self.counts.resize(len, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sketch(values: &[u64]) -> DurationSketch {
        let mut s = DurationSketch::new();
        for &v in values {
            s.add(v);
        }
        s
    }

    fn exact_quantile(values: &[u64], q: f64) -> u64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted[(nearest_rank(q, sorted.len() as u64) - 1) as usize]
    }

    fn within(actual: u64, expected: u64, rel: f64) -> bool {
        (actual as f64 - expected as f64).abs() <= expected as f64 * rel
    }

    #[test]
    fn index_formula_edges() {
        assert_eq!(bucket_index(0), 0);
        assert_eq!(bucket_index(127), 127);
        assert_eq!(bucket_index(128), 128);
        assert_eq!(bucket_index(255), 255);
        assert_eq!(bucket_index(256), 256);
        assert_eq!(bucket_index(257), 256);
        assert_eq!(bucket_index(258), 257);
        assert_eq!(bucket_index(511), 383);
        assert_eq!(bucket_index(512), 384);
        assert_eq!(bucket_index(u64::MAX), NUM_BUCKETS - 1);
        assert_eq!(bucket_bounds(256), (256, 257));
        assert_eq!(bucket_bounds(NUM_BUCKETS - 1), (255 << 56, u64::MAX));
        assert_eq!(bucket_bounds(u32::MAX), bucket_bounds(NUM_BUCKETS - 1));
        // Contiguous: each bucket starts right after the previous one ends.
        let mut next = 0u64;
        for i in 0..NUM_BUCKETS {
            let (lo, hi) = bucket_bounds(i);
            assert_eq!(lo, next, "bucket {i}");
            assert!(hi >= lo);
            assert_eq!(bucket_index(lo), i);
            assert_eq!(bucket_index(hi), i);
            // Midpoint error bound 2^-8.
            assert!((hi - lo) / 2 <= lo / 256 || hi == lo);
            next = hi.wrapping_add(1);
        }
        assert_eq!(next, 0); // covered all of u64
    }

    #[test]
    fn exact_small_sets() {
        let s = sketch(&[5, 1, 3]);
        assert_eq!(s.quantile(0.0), Some(1));
        assert_eq!(s.quantile(0.5), Some(3)); // rank ceil(1.5) = 2
        assert_eq!(s.quantile(1.0), Some(5));
        assert_eq!(s.min(), Some(1));
        assert_eq!(s.max(), Some(5));
        assert_eq!(s.count(), 3);
        let s = sketch(&[1_000_000_007; 1]);
        assert_eq!(s.quantile(0.99), Some(1_000_000_007));
        let empty = DurationSketch::new();
        assert_eq!(empty.quantile(0.5), None);
        assert_eq!(empty.min(), None);
        assert_eq!(s.quantile(f64::NAN), None);
        assert_eq!(s.quantile(7.0), Some(1_000_000_007));
        // 64 values: still exact; 0.07 * 64 = 4.48 -> rank 5.
        let v: Vec<u64> = (1..=64).map(|i| i * 1_000_003).collect();
        let s = sketch(&v);
        assert_eq!(s.quantile(0.07), Some(5 * 1_000_003));
        assert_eq!(s.quantile(0.5), Some(32 * 1_000_003));
    }

    #[test]
    fn one_to_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        let s = sketch(&v);
        // Values <= 255 have exact buckets, so even bucket mode is exact here.
        assert_eq!(s.quantile(0.5), Some(50));
        assert_eq!(s.quantile(0.9), Some(90));
        assert_eq!(s.quantile(0.99), Some(99));
        assert_eq!(s.quantile(0.07), Some(7));
        assert_eq!(s.quantile(0.0), Some(1));
        assert_eq!(s.quantile(1.0), Some(100));
        // Scaled to realistic nanosecond durations: within 1 %.
        let v: Vec<u64> = (1..=100).map(|i| i * 1_234_567).collect();
        let s = sketch(&v);
        for (q, rank) in [(0.5, 50), (0.9, 90), (0.99, 99), (0.01, 1), (0.25, 25)] {
            let got = s.quantile(q).unwrap();
            assert!(within(got, rank * 1_234_567, 0.01), "q={q} got={got}");
            assert!(
                within(got, rank * 1_234_567, 1.0 / 256.0),
                "q={q} got={got}"
            );
        }
    }

    #[test]
    fn mode_switch_boundary() {
        let v: Vec<u64> = (0..65).map(|i| 1_000_000 + i * 7919).collect();
        let a = sketch(&v[..64]);
        assert!(a.counts.is_empty());
        let b = sketch(&v);
        assert!(b.values.is_empty() && !b.counts.is_empty());
        let mut c = sketch(&v[..40]);
        c.merge(&sketch(&v[40..]));
        assert_eq!(c, b);
        let mut d = sketch(&v[64..]);
        d.merge(&a);
        assert_eq!(d, b);
    }

    #[test]
    fn from_bucket_counts_equals_adding() {
        let v: Vec<u64> = (0..200).map(|i| 1_000 + i * i * 37).collect();
        let want = sketch(&v);
        let (lo, hi) = (bucket_index(v[0]), bucket_index(v[199]));
        let mut counts = vec![0u64; (hi - lo) as usize + 1];
        v.iter()
            .for_each(|&x| counts[(bucket_index(x) - lo) as usize] += 1);
        assert_eq!(
            DurationSketch::from_bucket_counts(v[0], v[199], counts.clone()),
            Some(want)
        );
        // Wrong shape: too few values, or a range that misses min / max.
        assert_eq!(
            DurationSketch::from_bucket_counts(v[0], v[199], vec![1; 3]),
            None
        );
        assert_eq!(
            DurationSketch::from_bucket_counts(v[0], v[198], counts),
            None
        );
    }

    fn value_strategy() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            0u64..300,
            1_000u64..10_000_000_000,
            (u64::MAX - 1000)..=u64::MAX,
            Just(0u64),
            Just(u64::MAX),
        ]
    }

    proptest! {
        #[test]
        fn quantiles_within_one_percent(
            values in prop::collection::vec(value_strategy(), 1..400),
            qs in prop::collection::vec(0u32..=1000, 1..8),
        ) {
            let s = sketch(&values);
            prop_assert_eq!(s.count(), values.len() as u64);
            prop_assert_eq!(s.min(), values.iter().copied().min());
            prop_assert_eq!(s.max(), values.iter().copied().max());
            for k in qs {
                let q = k as f64 / 1000.0;
                let n = values.len() as u64;
                // Integer reference rank for q = k/1000.
                let rank = (k as u64 * n).div_ceil(1000).max(1);
                prop_assert_eq!(rank, nearest_rank(q, n));
                let expected = exact_quantile(&values, q);
                let got = s.quantile(q).unwrap();
                if values.len() <= EXACT_LIMIT {
                    prop_assert_eq!(got, expected);
                } else {
                    prop_assert!(within(got, expected, 1.0 / 256.0), "q={} got={} expected={}", q, got, expected);
                }
            }
        }

        #[test]
        fn merge_equals_sketch_of_concatenation(
            values in prop::collection::vec(value_strategy(), 0..200),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
            reverse in any::<bool>(),
        ) {
            let whole = sketch(&values);
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(values.len() + 1)).collect();
            bounds.push(0);
            bounds.push(values.len());
            bounds.sort_unstable();
            let mut parts: Vec<DurationSketch> =
                bounds.windows(2).map(|w| sketch(&values[w[0]..w[1]])).collect();
            if reverse { parts.reverse(); }
            // Left fold.
            let mut acc = DurationSketch::new();
            for p in &parts { acc.merge(p); }
            prop_assert_eq!(&acc, &whole);
            // Tree-shaped merge (pairwise).
            while parts.len() > 1 {
                let mut next = Vec::new();
                for pair in parts.chunks(2) {
                    let mut a = pair[0].clone();
                    if let Some(b) = pair.get(1) { a.merge(b); }
                    next.push(a);
                }
                parts = next;
            }
            prop_assert_eq!(&parts[0], &whole);
        }

        #[test]
        fn index_monotonic_and_bounds_contain(a in value_strategy(), b in value_strategy()) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(bucket_index(lo) <= bucket_index(hi));
            for v in [a, b] {
                let i = bucket_index(v);
                prop_assert!(i < NUM_BUCKETS);
                let (l, h) = bucket_bounds(i);
                prop_assert!(l <= v && v <= h);
                let mid = bucket_mid(i);
                prop_assert!((mid.abs_diff(v) as f64) <= v as f64 / 256.0);
            }
        }

        #[test]
        fn add_index_matches_add(values in prop::collection::vec(value_strategy(), 0..150)) {
            let mut s = DurationSketch::new();
            for &v in &values { s.add_index(bucket_index(v), v); }
            prop_assert_eq!(s, sketch(&values));
        }
    }
}
