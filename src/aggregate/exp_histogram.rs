//! OTel base-2 exponential histogram buckets: downscale, merge, cumulative→delta, trim.
//!
//! At scale `s` bucket index `i` covers `(2^(i·2^-s), 2^((i+1)·2^-s)]`; lowering the scale by one
//! merges buckets `2j` and `2j+1` into bucket `j`, so downscaling by `by` steps maps index `i` to
//! `i >> by` (arithmetic shift = floor division, also for negative indices).
//!
//! Index arithmetic is done in `i64` so that `offset + len` and huge shifts cannot overflow
//! (`by >= 63` maps every index to `0` or `-1`, which is what any larger shift would give).
//! Counts add with wrapping arithmetic (associative; never panics, wraps only past `2^64`).
//!
//! Merging at a common scale can need many buckets when two points are far apart (e.g. two
//! scale-20 points a decade apart are ~3.5 million buckets apart). [`ExpHistogram::merge`]
//! therefore lowers the scale further when the merged non-zero range would exceed
//! [`MAX_MERGE_BUCKETS`] buckets on either side. The resulting scale is the largest scale
//! (at most the smaller input scale) at which *all* merged data fits, so merging stays
//! commutative and associative. [`ExpHistogram::merge_with_max_buckets`] takes another limit,
//! e.g. 160 to mimic the OTel SDK's default.

/// Default cap on the merged non-zero bucket range per sign in [`ExpHistogram::merge`].
pub const MAX_MERGE_BUCKETS: usize = 1 << 14;

/// The largest meaningful shift: every `i64` index in `i32`-ish range becomes `0` or `-1`.
const MAX_SHIFT: u32 = 63;

/// Buckets of one sign of an exponential histogram point: `counts[i]` is the count of bucket
/// index `offset + i`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpBuckets {
    pub offset: i32,
    pub counts: Vec<u64>,
}

/// Converts an index that is known to be in range (or saturates; only reachable with count
/// vectors longer than 2^31).
fn to_i32(i: i64) -> i32 {
    i.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

impl ExpBuckets {
    /// Indices of the first and last non-zero buckets, `None` if all are zero.
    fn nonzero_range(&self) -> Option<(i64, i64)> {
        let first = self.counts.iter().position(|&c| c != 0)?;
        let last = self.counts.iter().rposition(|&c| c != 0)?;
        let offset = self.offset as i64;
        Some((offset + first as i64, offset + last as i64))
    }

    /// Reduce resolution by `by` scale steps: new index = old index >> by (arithmetic shift,
    /// floor for negatives); counts of merged buckets add.
    pub fn downscale(&self, by: u32) -> ExpBuckets {
        if by == 0 {
            return self.clone();
        }
        let by = by.min(MAX_SHIFT);
        let offset = self.offset as i64;
        let new_offset = offset >> by;
        if self.counts.is_empty() {
            return ExpBuckets {
                offset: to_i32(new_offset),
                counts: Vec::new(),
            };
        }
        let last = (offset + self.counts.len() as i64 - 1) >> by;
        let mut counts = vec![0u64; (last - new_offset + 1) as usize];
        for (i, &c) in self.counts.iter().enumerate() {
            let j = ((offset + i as i64) >> by) - new_offset;
            let slot = &mut counts[j as usize];
            *slot = slot.wrapping_add(c);
        }
        ExpBuckets {
            offset: to_i32(new_offset),
            counts,
        }
    }

    /// Add other into self (same scale), growing either end. Zero buckets at the ends of `other`
    /// are skipped (they would only widen `self`); `self`'s range is only ever extended, except
    /// that an all-zero `self` is replaced. The caller bounds the size: merging non-zero buckets
    /// `2^31` indices apart allocates `2^31` counts ([`ExpHistogram::merge`] caps this).
    pub fn merge(&mut self, other: &ExpBuckets) {
        let Some((o_first, o_last)) = other.nonzero_range() else {
            return;
        };
        let src = &other.counts
            [(o_first - other.offset as i64) as usize..=(o_last - other.offset as i64) as usize];
        if self.counts.iter().all(|&c| c == 0) {
            // Nothing to keep; don't let an all-zero range far away widen the result.
            self.offset = to_i32(o_first);
            self.counts.clear();
            self.counts.extend_from_slice(src);
            return;
        }
        let s_first = self.offset as i64;
        let s_last = s_first + self.counts.len() as i64 - 1;
        if o_first < s_first {
            let grow = (s_first - o_first) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = to_i32(o_first);
        }
        if o_last > s_last {
            let len = (o_last - self.offset as i64 + 1) as usize;
            self.counts.resize(len, 0);
        }
        let start = (o_first - self.offset as i64) as usize;
        for (dst, &c) in self.counts[start..].iter_mut().zip(src) {
            *dst = dst.wrapping_add(c);
        }
    }

    /// self - previous bucket-wise (same scale; for cumulative→delta). Returns None if any bucket
    /// would go negative (a reset). The result covers `self`'s index range.
    pub fn checked_sub(&self, previous: &ExpBuckets) -> Option<ExpBuckets> {
        let mut out = self.clone();
        let Some((p_first, p_last)) = previous.nonzero_range() else {
            return Some(out);
        };
        let s_first = self.offset as i64;
        let s_last = s_first + self.counts.len() as i64 - 1;
        if self.counts.is_empty() || p_first < s_first || p_last > s_last {
            // `previous` has counts where `self` has none: they cannot have disappeared.
            return None;
        }
        let p_off = previous.offset as i64;
        for idx in p_first..=p_last {
            let prev = previous.counts[(idx - p_off) as usize];
            let slot = &mut out.counts[(idx - s_first) as usize];
            *slot = slot.checked_sub(prev)?;
        }
        Some(out)
    }

    /// Drop zero buckets at both ends, adjusting offset; all-zero/empty → offset 0, empty counts.
    pub fn trimmed(&self) -> ExpBuckets {
        match self.nonzero_range() {
            None => ExpBuckets::default(),
            Some((first, last)) => {
                let off = self.offset as i64;
                ExpBuckets {
                    offset: to_i32(first),
                    counts: self.counts[(first - off) as usize..=(last - off) as usize].to_vec(),
                }
            }
        }
    }

    /// Sum of all bucket counts (wrapping, like merge).
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.wrapping_add(c))
    }
}

/// Buckets of one exponential histogram point (sum/min/max/count are aggregated elsewhere).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpHistogram {
    pub scale: i32,
    pub zero_count: u64,
    pub positive: ExpBuckets,
    pub negative: ExpBuckets,
}

impl ExpHistogram {
    /// The same histogram at `scale` (must be <= `self.scale`; a finer scale cannot be recovered,
    /// so a larger `scale` returns an unchanged clone).
    pub fn downscale_to(&self, scale: i32) -> ExpHistogram {
        if scale >= self.scale {
            return self.clone();
        }
        let by = (self.scale as i64 - scale as i64).min(MAX_SHIFT as i64) as u32;
        ExpHistogram {
            scale,
            zero_count: self.zero_count,
            positive: self.positive.downscale(by),
            negative: self.negative.downscale(by),
        }
    }

    /// Merge at the smaller of the two scales (downscaling whichever is finer), lowered further
    /// if needed so that neither sign's merged non-zero range exceeds [`MAX_MERGE_BUCKETS`].
    pub fn merge(&mut self, other: &ExpHistogram) {
        self.merge_with_max_buckets(other, MAX_MERGE_BUCKETS);
    }

    /// Like [`merge`](Self::merge) with a custom cap on the merged non-zero range per sign
    /// (values below 2 are treated as 2: one downscale step always fits two adjacent buckets).
    pub fn merge_with_max_buckets(&mut self, other: &ExpHistogram, max_buckets: usize) {
        let max_buckets = max_buckets.max(2) as i64;
        let mut scale = self.scale.min(other.scale);
        // Extra downscaling so that the union of the non-zero ranges of both inputs fits. Uses
        // only non-zero ranges, so the outcome is a function of the data, not its padding.
        let extra = {
            let ranges = |h: &ExpHistogram, b: &ExpBuckets| {
                let by = (h.scale as i64 - scale as i64).min(MAX_SHIFT as i64) as u32;
                b.nonzero_range().map(|(lo, hi)| (lo >> by, hi >> by))
            };
            let union = |a: Option<(i64, i64)>, b: Option<(i64, i64)>| match (a, b) {
                (Some((l1, h1)), Some((l2, h2))) => Some((l1.min(l2), h1.max(h2))),
                (x, None) | (None, x) => x,
            };
            let pos = union(ranges(self, &self.positive), ranges(other, &other.positive));
            let neg = union(ranges(self, &self.negative), ranges(other, &other.negative));
            let fits = |r: Option<(i64, i64)>, k: u32| {
                r.is_none_or(|(lo, hi)| (hi >> k) - (lo >> k) < max_buckets)
            };
            (0..=MAX_SHIFT)
                .find(|&k| fits(pos, k) && fits(neg, k))
                .unwrap_or(MAX_SHIFT)
        };
        if extra > 0 {
            scale = (scale as i64 - extra as i64).max(i32::MIN as i64) as i32;
        }
        if self.scale > scale {
            *self = self.downscale_to(scale);
        }
        let zero_count = self.zero_count.wrapping_add(other.zero_count);
        if other.scale > scale {
            let o = other.downscale_to(scale);
            self.positive.merge(&o.positive);
            self.negative.merge(&o.negative);
        } else {
            self.positive.merge(&other.positive);
            self.negative.merge(&other.negative);
        }
        self.zero_count = zero_count;
    }

    /// `self - previous` (for cumulative→delta), both first downscaled to the smaller scale;
    /// `None` if any bucket or the zero count would go negative (a reset).
    pub fn checked_sub(&self, previous: &ExpHistogram) -> Option<ExpHistogram> {
        let scale = self.scale.min(previous.scale);
        let cur = self.downscale_to(scale);
        let prev = previous.downscale_to(scale);
        Some(ExpHistogram {
            scale,
            zero_count: cur.zero_count.checked_sub(prev.zero_count)?,
            positive: cur.positive.checked_sub(&prev.positive)?,
            negative: cur.negative.checked_sub(&prev.negative)?,
        })
    }

    /// Both sides trimmed (see [`ExpBuckets::trimmed`]).
    pub fn trimmed(&self) -> ExpHistogram {
        ExpHistogram {
            scale: self.scale,
            zero_count: self.zero_count,
            positive: self.positive.trimmed(),
            negative: self.negative.trimmed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(offset: i32, counts: &[u64]) -> ExpBuckets {
        ExpBuckets {
            offset,
            counts: counts.to_vec(),
        }
    }

    fn h(scale: i32, zero: u64, pos: ExpBuckets, neg: ExpBuckets) -> ExpHistogram {
        ExpHistogram {
            scale,
            zero_count: zero,
            positive: pos,
            negative: neg,
        }
    }

    #[test]
    fn downscale_examples() {
        // Indices -3,-2,-1,0 >> 1 = -2,-1,-1,0.
        assert_eq!(b(-3, &[1, 2, 3, 4]).downscale(1), b(-2, &[1, 5, 4]));
        // >> 2: -3,-2,-1 -> -1; 0 -> 0.
        assert_eq!(b(-3, &[1, 2, 3, 4]).downscale(2), b(-1, &[6, 4]));
        // Positive indices 1..=5 >> 1 = 0,1,1,2,2.
        assert_eq!(b(1, &[1, 1, 1, 1, 1]).downscale(1), b(0, &[1, 2, 2]));
        // Odd negative start: -5,-4 >> 1 = -3,-2.
        assert_eq!(b(-5, &[7, 8]).downscale(1), b(-3, &[7, 8]));
        assert_eq!(b(-4, &[7, 8]).downscale(1), b(-2, &[15]));
        // Huge shifts: negatives -> -1, non-negatives -> 0.
        assert_eq!(b(-3, &[1, 2, 3, 4]).downscale(40), b(-1, &[6, 4]));
        assert_eq!(b(-3, &[1, 2, 3, 4]).downscale(u32::MAX), b(-1, &[6, 4]));
        assert_eq!(b(i32::MAX - 1, &[1, 2, 3]).downscale(31), b(0, &[3, 3]));
        assert_eq!(b(i32::MIN, &[1, 2]).downscale(31), b(-1, &[3]));
        assert_eq!(b(5, &[]).downscale(1), b(2, &[]));
        assert_eq!(b(5, &[1]).downscale(0), b(5, &[1]));
    }

    #[test]
    fn merge_same_scale_grows_both_ends() {
        let mut a = b(0, &[1, 2]);
        a.merge(&b(-2, &[5, 0, 1, 0, 0, 3]));
        assert_eq!(a, b(-2, &[5, 0, 2, 2, 0, 3]));
        let mut e = ExpBuckets::default();
        e.merge(&b(7, &[0, 4, 0]));
        assert_eq!(e, b(8, &[4]));
        let mut c = b(3, &[1]);
        c.merge(&b(-100, &[0, 0]));
        assert_eq!(c, b(3, &[1]));
    }

    #[test]
    fn merge_different_scales() {
        // scale 2 indices 4,5,6,7 -> scale 1 indices 2,2,3,3.
        let mut a = h(1, 1, b(2, &[10]), b(0, &[]));
        let fine = h(2, 2, b(4, &[1, 2, 3, 4]), b(-1, &[5]));
        a.merge(&fine);
        assert_eq!(a, h(1, 3, b(2, &[13, 7]), b(-1, &[5])));
        // Same result the other way round.
        let mut c = h(2, 2, b(4, &[1, 2, 3, 4]), b(-1, &[5]));
        c.merge(&h(1, 1, b(2, &[10]), b(0, &[])));
        assert_eq!(c.trimmed(), a.trimmed());
    }

    #[test]
    fn merge_caps_bucket_range() {
        // Two scale-20 points far apart: the merge lowers the scale until the range fits.
        let mut a = h(20, 0, b(-1_000_000_000, &[1]), b(0, &[]));
        a.merge(&h(20, 0, b(1_000_000_000, &[2]), b(0, &[])));
        assert!(a.positive.counts.len() <= MAX_MERGE_BUCKETS);
        assert_eq!(a.positive.total(), 3);
        assert_eq!(a.scale, 20 - 17); // 2e9 >> 17 = 15259 <= 16384 (>> 16 is 30518)
        let mut c = h(0, 0, b(0, &[1]), b(0, &[]));
        c.merge_with_max_buckets(&h(0, 0, b(1000, &[1]), b(0, &[])), 160);
        assert_eq!(c.scale, -3);
        // 1000 >> 3 = 125: 126 buckets (>> 2 would need 251).
        assert_eq!(c.positive.offset, 0);
        assert_eq!(c.positive.counts.len(), 126);
        assert_eq!((c.positive.counts[0], c.positive.counts[125]), (1, 1));
        assert_eq!(c.positive.total(), 2);
        // Extreme offsets at the same scale do not allocate 2^32 buckets.
        let mut d = h(0, 0, b(i32::MAX, &[1]), b(0, &[]));
        d.merge(&h(0, 0, b(i32::MIN, &[2]), b(0, &[])));
        assert!(d.positive.counts.len() <= MAX_MERGE_BUCKETS);
        assert_eq!(d.positive.total(), 3);
    }

    #[test]
    fn checked_sub_and_resets() {
        let cur = h(0, 5, b(-1, &[3, 4, 5]), b(2, &[1]));
        let prev = h(0, 2, b(0, &[4, 1]), b(0, &[]));
        assert_eq!(
            cur.checked_sub(&prev),
            Some(h(0, 3, b(-1, &[3, 0, 4]), b(2, &[1])))
        );
        // Bucket went down: reset.
        assert_eq!(cur.checked_sub(&h(0, 0, b(0, &[5]), b(0, &[]))), None);
        // Zero count went down: reset.
        assert_eq!(cur.checked_sub(&h(0, 6, b(0, &[]), b(0, &[]))), None);
        // Previous had counts outside the current range: reset.
        assert_eq!(cur.checked_sub(&h(0, 0, b(3, &[1]), b(0, &[]))), None);
        // Zero padding outside the current range is fine.
        assert!(cur
            .checked_sub(&h(0, 0, b(-10, &[0, 0, 0]), b(0, &[0])))
            .is_some());
        // Different scales: previous at scale 1 (indices 0,1 -> 0 at scale 0).
        let prev_fine = h(1, 0, b(0, &[2, 2]), b(0, &[]));
        assert_eq!(
            cur.checked_sub(&prev_fine),
            Some(h(0, 5, b(-1, &[3, 0, 5]), b(2, &[1])))
        );
        // Current finer than previous: both at scale 0.
        let cur_fine = h(1, 1, b(-2, &[1, 2, 3, 4]), b(0, &[]));
        assert_eq!(
            cur_fine.checked_sub(&h(0, 1, b(-1, &[2]), b(0, &[]))),
            Some(h(0, 0, b(-1, &[1, 7]), b(0, &[])))
        );
        assert_eq!(b(0, &[]).checked_sub(&b(0, &[1])), None);
        assert_eq!(b(0, &[]).checked_sub(&b(4, &[0])), Some(b(0, &[])));
    }

    #[test]
    fn trimming() {
        assert_eq!(b(-3, &[0, 0, 1, 0, 2, 0]).trimmed(), b(-1, &[1, 0, 2]));
        assert_eq!(b(-3, &[0, 0]).trimmed(), b(0, &[]));
        assert_eq!(b(9, &[]).trimmed(), b(0, &[]));
        assert_eq!(b(9, &[]).total(), 0);
        assert_eq!(b(9, &[1, 2, 3]).total(), 6);
    }

    fn buckets_strategy() -> impl Strategy<Value = ExpBuckets> {
        (
            prop_oneof![
                -40i32..40,
                Just(i32::MIN),
                Just(i32::MAX - 8),
                -100_000i32..100_000
            ],
            prop::collection::vec(prop_oneof![Just(0u64), 0u64..1000], 0..8),
        )
            .prop_map(|(offset, counts)| ExpBuckets { offset, counts })
    }

    fn hist_strategy() -> impl Strategy<Value = ExpHistogram> {
        (-4i32..6, 0u64..100, buckets_strategy(), buckets_strategy()).prop_map(
            |(scale, zero_count, positive, negative)| ExpHistogram {
                scale,
                zero_count,
                positive,
                negative,
            },
        )
    }

    fn total(h: &ExpHistogram) -> u64 {
        h.zero_count + h.positive.total() + h.negative.total()
    }

    proptest! {
        #[test]
        fn merge_commutative_associative(a in hist_strategy(), b in hist_strategy(), c in hist_strategy()) {
            let mut ab = a.clone();
            ab.merge(&b);
            let mut ba = b.clone();
            ba.merge(&a);
            prop_assert_eq!(ab.trimmed(), ba.trimmed());
            prop_assert_eq!(total(&ab), total(&a) + total(&b));

            let mut ab_c = ab.clone();
            ab_c.merge(&c);
            let mut bc = b.clone();
            bc.merge(&c);
            let mut a_bc = a.clone();
            a_bc.merge(&bc);
            prop_assert_eq!(ab_c.trimmed(), a_bc.trimmed());
            prop_assert_eq!(total(&ab_c), total(&a) + total(&b) + total(&c));
            prop_assert!(ab_c.scale <= a.scale.min(b.scale).min(c.scale));
        }

        #[test]
        fn small_cap_merge_is_still_associative(a in hist_strategy(), b in hist_strategy(), c in hist_strategy()) {
            let m = |x: &ExpHistogram, y: &ExpHistogram| { let mut r = x.clone(); r.merge_with_max_buckets(y, 4); r };
            let l = m(&m(&a, &b), &c);
            let r = m(&a, &m(&b, &c));
            prop_assert_eq!(l.trimmed(), r.trimmed());
            prop_assert!(l.trimmed().positive.counts.len() <= 4);
        }

        #[test]
        fn downscale_preserves_totals_and_composes(x in buckets_strategy(), k1 in 0u32..8, k2 in 0u32..8) {
            let d = x.downscale(k1);
            prop_assert_eq!(d.total(), x.total());
            prop_assert_eq!(d.downscale(k2), x.downscale(k1 + k2));
            prop_assert_eq!(x.downscale(k1).trimmed(), x.trimmed().downscale(k1).trimmed());
        }

        #[test]
        fn sub_inverts_merge(a in hist_strategy(), b in hist_strategy()) {
            let mut sum = a.clone();
            sum.merge(&b);
            let delta = sum.checked_sub(&a);
            prop_assert!(delta.is_some());
            let expect = b.downscale_to(sum.scale);
            prop_assert_eq!(delta.unwrap().trimmed(), expect.trimmed());
        }
    }
}
