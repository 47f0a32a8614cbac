//! `ExactSum`: an order-independent, exactly rounded `f64` sum accumulator (Shewchuk / `math.fsum`).
//!
//! Floating-point addition is not associative, so a plain `f64` sum depends on the order of the
//! values, on how rows were partitioned and on the thread count. `ExactSum` keeps the *exact*
//! real-valued sum of everything it has seen as a short list of non-overlapping doubles
//! ("partials", Shewchuk 1997, as in Python's `math.fsum`) and only rounds once, in [`ExactSum::value`].
//! The exact sum does not depend on the order or grouping of `add`/`merge` calls, and the final
//! rounding is a function of that exact sum alone, so the result is bit-identical for any order,
//! any partitioning and any thread count.
//!
//! # Non-finite inputs
//! As in `fsum`, infinities and NaNs are tracked separately from the finite part: any NaN → NaN,
//! `+inf` together with `-inf` → NaN, otherwise the infinity seen. (`fsum` raises on `inf + -inf`;
//! an aggregation kernel returns NaN instead.)
//!
//! # Intermediate overflow
//! `fsum` raises `OverflowError` when a partial sum overflows even if the final sum is finite
//! (e.g. `[MAX, MAX, -MAX]`). Raising would make the outcome order-dependent, and so would "return
//! ±inf when an intermediate overflowed". Instead overflow is made impossible for realistic inputs:
//! values with `|x| >= 2^1000` are scaled (exactly) by `2^-1000` and accumulated in a second,
//! usually empty, partials list (`hi`); when the largest low partial reaches `2^1000` it is moved
//! there as well. So the low list never overflows, and the represented value is
//! `Σ lo + 2^1000 · Σ hi`, exact. When `hi` is non-empty, [`ExactSum::value`] rounds that exact
//! value with a fixed-point big integer instead of fsum's final step; the result is the correctly
//! rounded sum, i.e. `±inf` exactly when the true sum is beyond `f64::MAX` (round-to-nearest),
//! and finite (e.g. `[MAX, MAX, -MAX]` → `MAX`) otherwise, whatever the order.
//!
//! The only remaining overflow is of the scaled `hi` list itself, which needs partial sums beyond
//! `2^2024` in magnitude (more than `2^1000` maximal values, or ~1000 chained self-merges). It is
//! then recorded as an infinity of that sign (like an infinite input); only in that pathological
//! case is the result no longer guaranteed to be order-independent.
//!
//! # Zero
//! An exact-zero sum is returned as `+0.0` (like `fsum`, including for `[-0.0]` and for no values).

/// `2^1000`: values at or above this magnitude go to the scaled `hi` list.
const BIG: f64 = f64::from_bits((1000u64 + 1023) << 52);
/// `2^-1000`: exact scale factor from the low domain to the `hi` domain (for `|x| >= 2^1000`).
const SCALE_DOWN: f64 = f64::from_bits((1023u64 - 1000) << 52);
/// Bit position of `2^0` in the `hi` domain relative to the low domain.
const HI_SHIFT: u32 = 1000;

/// Order-independent exactly rounded sum of `f64` values.
///
/// `PartialEq` is structural: two accumulators of the same values added in different orders
/// may hold different (equivalent) partials; compare [`ExactSum::value`] instead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    /// Non-overlapping partials in increasing magnitude, each `|p| < 2^1000`. Their exact sum is
    /// the low part of the total. Usually 1-3 entries.
    lo: Vec<f64>,
    /// Partials of the high part in units of `2^1000` (empty unless huge values were seen).
    hi: Vec<f64>,
    pos_inf: bool,
    neg_inf: bool,
    nan: bool,
}

impl ExactSum {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.add_special(x);
        } else if x.abs() >= BIG {
            // Exact: |x| >= 2^1000 stays a normal number after scaling by 2^-1000.
            self.add_hi(x * SCALE_DOWN);
        } else {
            grow(&mut self.lo, x);
            self.carry();
        }
    }

    /// Adds everything `other` has accumulated (exactly, so merge order does not matter).
    pub fn merge(&mut self, other: &ExactSum) {
        self.pos_inf |= other.pos_inf;
        self.neg_inf |= other.neg_inf;
        self.nan |= other.nan;
        for &p in &other.lo {
            // Each of other's low partials is < 2^1000, like a direct `add` of a low value.
            grow(&mut self.lo, p);
            self.carry();
        }
        for &p in &other.hi {
            self.add_hi(p);
        }
    }

    /// The correctly rounded (round-half-even) value of the exact sum; see the module docs for
    /// non-finite values and overflow.
    pub fn value(&self) -> f64 {
        if self.nan || (self.pos_inf && self.neg_inf) {
            return f64::NAN;
        }
        if self.pos_inf {
            return f64::INFINITY;
        }
        if self.neg_inf {
            return f64::NEG_INFINITY;
        }
        if self.hi.is_empty() {
            // Common case: fsum's final rounding step (cheap, no big integer).
            round_partials(&self.lo)
        } else {
            round_exact(&self.lo, &self.hi)
        }
    }

    #[cold]
    fn add_special(&mut self, x: f64) {
        if x.is_nan() {
            self.nan = true;
        } else if x > 0.0 {
            self.pos_inf = true;
        } else {
            self.neg_inf = true;
        }
    }

    /// Keeps every low partial below `2^1000` so that low additions can never overflow: only the
    /// last (largest) partial can have reached it, because the others are rounding errors of
    /// sums below `2^1002`.
    #[inline]
    fn carry(&mut self) {
        if let Some(&top) = self.lo.last() {
            if top.abs() >= BIG {
                self.lo.pop();
                self.add_hi(top * SCALE_DOWN);
            }
        }
    }

    fn add_hi(&mut self, h: f64) {
        grow(&mut self.hi, h);
        if let Some(&top) = self.hi.last() {
            if !top.is_finite() {
                // The scaled list itself overflowed (|partial sum| >= 2^2024): the exact value is
                // lost; record an infinity of that sign (documented, pathological).
                self.hi.clear();
                self.add_special(top);
            }
        }
    }
}

/// Shewchuk's `grow-expansion` as in `math.fsum`: adds `x` to the non-overlapping partials,
/// keeping the exact sum. Zero partials are dropped. A non-finite result (overflow) leaves a
/// non-finite last partial, which the caller checks for when overflow is possible.
#[inline]
fn grow(partials: &mut Vec<f64>, mut x: f64) {
    let mut i = 0;
    for j in 0..partials.len() {
        let mut y = partials[j];
        if x.abs() < y.abs() {
            std::mem::swap(&mut x, &mut y);
        }
        // Fast two-sum: hi + lo == x + y exactly because |x| >= |y|.
        let hi = x + y;
        let lo = y - (hi - x);
        if lo != 0.0 {
            partials[i] = lo;
            i += 1;
        }
        x = hi;
    }
    partials.truncate(i);
    if x != 0.0 {
        partials.push(x);
    }
}

/// fsum's final step: rounds the exact sum of non-overlapping partials (increasing magnitude),
/// summing from the top until inexact, then correcting for half-way cases that the remaining
/// partials push to one side.
fn round_partials(p: &[f64]) -> f64 {
    let mut n = p.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = p[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = p[n];
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    // `hi + lo` is exact; if lo is exactly half an ulp, `hi` was rounded to even, which is wrong
    // when the partials below push the true sum in the same direction as lo.
    if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        let yr = x - hi;
        if y == yr {
            hi = x;
        }
    }
    hi
}

/// Fixed-point two's-complement big integer in units of `2^-1074` (the smallest subnormal), wide
/// enough for any sum of a few partials from both lists: `2^-1074 .. 2^(1024+1000+~50)`.
const LIMBS: usize = 52;

/// Adds (or subtracts) the finite double `x · 2^shift` exactly into `acc`, modulo `2^(64·LIMBS)`.
fn fixed_add(acc: &mut [u64; LIMBS], x: f64, shift: u32) {
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as u32;
    let frac = bits & ((1u64 << 52) - 1);
    // x = m · 2^(pos - 1074)
    let (m, pos) = if biased == 0 {
        (frac, 0)
    } else {
        (frac | (1u64 << 52), biased - 1)
    };
    if m == 0 {
        return;
    }
    let pos = pos + shift;
    let limb = (pos / 64) as usize;
    if limb >= LIMBS {
        return; // unreachable for finite inputs; never index out of bounds
    }
    let wide = (m as u128) << (pos % 64);
    let parts = [wide as u64, (wide >> 64) as u64];
    if negative {
        let mut borrow = false;
        for (k, slot) in acc[limb..].iter_mut().enumerate() {
            let sub = if k < 2 { parts[k] } else { 0 };
            if k >= 2 && !borrow {
                break;
            }
            let (r1, b1) = slot.overflowing_sub(sub);
            let (r2, b2) = r1.overflowing_sub(borrow as u64);
            *slot = r2;
            borrow = b1 || b2;
        }
    } else {
        let mut carry = false;
        for (k, slot) in acc[limb..].iter_mut().enumerate() {
            let add = if k < 2 { parts[k] } else { 0 };
            if k >= 2 && !carry {
                break;
            }
            let (r1, c1) = slot.overflowing_add(add);
            let (r2, c2) = r1.overflowing_add(carry as u64);
            *slot = r2;
            carry = c1 || c2;
        }
    }
}

/// Correctly rounds (half-even) a fixed-point integer `acc · 2^-1074` to `f64`.
fn fixed_round(mut acc: [u64; LIMBS]) -> f64 {
    let negative = acc[LIMBS - 1] >> 63 == 1;
    if negative {
        // Two's-complement negate.
        let mut carry = true;
        for limb in acc.iter_mut() {
            let (r, c) = (!*limb).overflowing_add(carry as u64);
            *limb = r;
            carry = c;
        }
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let Some(top) = acc.iter().rposition(|&l| l != 0) else {
        return 0.0;
    };
    let hb = top as u32 * 64 + (63 - acc[top].leading_zeros());
    if hb < 53 {
        // Below 2^53 units the value is exactly representable and its bit pattern is the integer
        // itself (subnormals, and the first normal binade whose exponent field is 1).
        return sign * f64::from_bits(acc[0]);
    }
    let s = hb - 52; // weight of the lowest kept bit
    if s >= 2046 {
        return sign * f64::INFINITY;
    }
    let bit = |i: u32| (acc[(i / 64) as usize] >> (i % 64)) & 1;
    let window = |start: u32| -> u64 {
        let limb = (start / 64) as usize;
        let lo = acc[limb] as u128;
        let hi = if limb + 1 < LIMBS {
            acc[limb + 1] as u128
        } else {
            0
        };
        (((hi << 64) | lo) >> (start % 64)) as u64 & ((1u64 << 53) - 1)
    };
    let mut m = window(s);
    let round = bit(s - 1) == 1;
    let sticky = {
        let r = s - 1; // bits strictly below r
        let full = (r / 64) as usize;
        acc[..full].iter().any(|&l| l != 0) || (acc[full] & ((1u64 << (r % 64)) - 1)) != 0
    };
    if round && (sticky || m & 1 == 1) {
        m += 1;
    }
    // For a value m · 2^(s-1074) with 2^52 <= m <= 2^53 the IEEE bit pattern is (s << 52) + m
    // (a carry of m into 2^53 bumps the exponent, and into 2047 gives the infinity pattern).
    let bits = ((s as u64) << 52) + m;
    if bits >= 0x7ff0_0000_0000_0000 {
        return sign * f64::INFINITY;
    }
    sign * f64::from_bits(bits)
}

/// Correctly rounds `Σ lo + 2^1000 · Σ hi` (all finite) with a fixed-point big integer.
fn round_exact(lo: &[f64], hi: &[f64]) -> f64 {
    let mut acc = [0u64; LIMBS];
    for &p in lo {
        fixed_add(&mut acc, p, 0);
    }
    for &p in hi {
        fixed_add(&mut acc, p, HI_SHIFT);
    }
    fixed_round(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::new();
        for &x in xs {
            s.add(x);
        }
        s.value()
    }

    /// Exact reference for finite inputs: the big-integer rounding of all inputs at once.
    fn reference(xs: &[f64]) -> f64 {
        let mut acc = [0u64; LIMBS];
        for &x in xs {
            fixed_add(&mut acc, x, 0);
        }
        fixed_round(acc)
    }

    #[test]
    fn fsum_known_cases() {
        assert_eq!(
            sum(&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]),
            1e-100
        );
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1.0, 1e-16, 1e-16]), 1.0000000000000002);
        assert_eq!(sum(&[1e-16, 1e-16, 1.0]), 1.0000000000000002);
        assert_eq!(sum(&[1.0, 1e100, 1.0, -1e100]), 2.0);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(
            sum(&[2.0f64.powi(53), -0.5, -2.0f64.powi(-54)]),
            2.0f64.powi(53) - 1.0
        );
        assert_eq!(
            sum(&[2.0f64.powi(53), 1.0, 2.0f64.powi(-100)]),
            2.0f64.powi(53) + 2.0
        );
        // Half-even correction across partials (Python test_math.testFsum cases).
        assert_eq!(
            sum(&[1.0, 2.0f64.powi(-53), 2.0f64.powi(-106)]),
            1.0 + 2.0f64.powi(-52)
        );
        assert_eq!(sum(&[1.0, 2.0f64.powi(-53)]), 1.0);
        assert_eq!(sum(&[1.7e308, -1.7e308 * 0.5, 1e-300]), 8.5e307);
        let xs: Vec<f64> = (1..=1000).map(|i| 1.0 / i as f64).collect();
        assert_eq!(sum(&xs), 7.485470860550345);
        // Python: fsum([0.1*i for i in range(1, 1001)]) == 50050.0
        let xs: Vec<f64> = (1..=1000).map(|i| 0.1 * i as f64).collect();
        assert_eq!(sum(&xs), 50050.0);
    }

    #[test]
    fn non_finite_inputs() {
        assert_eq!(sum(&[1.0, f64::INFINITY, 2.0]), f64::INFINITY);
        assert_eq!(sum(&[f64::NEG_INFINITY, 1e308]), f64::NEG_INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert!(sum(&[1.0, f64::NAN]).is_nan());
        assert!(sum(&[f64::INFINITY, f64::NAN]).is_nan());
        let mut a = ExactSum::new();
        a.add(f64::INFINITY);
        let mut b = ExactSum::new();
        b.add(f64::NEG_INFINITY);
        a.merge(&b);
        assert!(a.value().is_nan());
    }

    #[test]
    fn zeros() {
        assert_eq!(sum(&[-0.0]).to_bits(), 0.0f64.to_bits());
        assert_eq!(sum(&[1.5, -1.5]).to_bits(), 0.0f64.to_bits());
        assert_eq!(ExactSum::new().value(), 0.0);
    }

    #[test]
    fn intermediate_overflow_is_exact() {
        let max = f64::MAX;
        assert_eq!(sum(&[max, max, -max]), max);
        assert_eq!(sum(&[max, -max, max]), max);
        assert_eq!(sum(&[max, max]), f64::INFINITY);
        assert_eq!(sum(&[-max, -max]), f64::NEG_INFINITY);
        assert_eq!(sum(&[max, max, -max, -max]), 0.0);
        assert_eq!(sum(&[max, max, -max, -max, 1e-300]), 1e-300);
        // MAX + half an ulp is a tie that rounds to even, i.e. to 2^1024 = inf...
        let half_ulp = 2.0f64.powi(970);
        assert_eq!(sum(&[max, half_ulp]), f64::INFINITY);
        // ...but anything below the tie stays finite.
        assert_eq!(sum(&[max, half_ulp, -1e-300]), max);
        assert_eq!(sum(&[max, half_ulp, 5e-324, -half_ulp]), max);
        // Large values mixed with tiny ones, in both domains.
        assert_eq!(sum(&[1e308, 1e308, 1.0, -1e308, -1e308]), 1.0);
        assert_eq!(
            sum(&[2.0f64.powi(1000), -2.0f64.powi(1000), 5e-324]),
            5e-324
        );
        // Merging sums that live in the high domain.
        let mut a = ExactSum::new();
        a.add(max);
        a.add(1.0);
        let mut b = ExactSum::new();
        b.add(max);
        b.add(-3.0);
        let mut c = ExactSum::new();
        c.add(-max);
        c.add(-max);
        a.merge(&b);
        a.merge(&c);
        assert_eq!(a.value(), -2.0);
    }

    #[test]
    fn repeated_self_merge_saturates_without_panic() {
        let mut a = ExactSum::new();
        a.add(f64::MAX);
        for _ in 0..1100 {
            let c = a.clone();
            a.merge(&c);
        }
        assert_eq!(a.value(), f64::INFINITY);
    }

    #[test]
    fn fixed_round_matches_fsum_round() {
        // Both finishers on the same partials must agree (cross-check of the two code paths).
        let cases: &[&[f64]] = &[
            &[1.0, 1e-16, 1e-16],
            &[0.1; 10],
            &[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50],
            &[5e-324, 5e-324, -1e-310],
            &[2.2250738585072014e-308, -5e-324],
        ];
        for xs in cases {
            let mut p = Vec::new();
            for &x in *xs {
                grow(&mut p, x);
            }
            assert_eq!(round_partials(&p).to_bits(), round_exact(&p, &[]).to_bits());
        }
    }

    fn any_finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
            (-1e6f64..1e6),
            (-1.0f64..1.0).prop_map(|x| x * 1e-300),
            (-1.0f64..1.0).prop_map(|x| x * f64::MAX),
            (0u64..8).prop_map(f64::from_bits),
            Just(f64::MAX),
            Just(-f64::MAX),
        ]
    }

    proptest! {
        #[test]
        fn order_and_partition_independent(
            xs in prop::collection::vec(any_finite(), 0..40),
            perm_seed in any::<u64>(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let base = sum(&xs);
            // Permutation (deterministic Fisher-Yates from the seed).
            let mut ys = xs.clone();
            let mut state = perm_seed | 1;
            for i in (1..ys.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                ys.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(sum(&ys).to_bits(), base.to_bits());
            // Random split into parts, merged right-to-left.
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(ys.len() + 1)).collect();
            bounds.push(0);
            bounds.push(ys.len());
            bounds.sort_unstable();
            let mut acc = ExactSum::new();
            for w in bounds.windows(2).rev() {
                let mut part = ExactSum::new();
                for &y in &ys[w[0]..w[1]] { part.add(y); }
                acc.merge(&part);
            }
            prop_assert_eq!(acc.value().to_bits(), base.to_bits());
            // And equal to the exact reference rounding.
            prop_assert_eq!(base.to_bits(), reference(&xs).to_bits());
        }

        #[test]
        fn small_integers_match_i128_reference(xs in prop::collection::vec(-(1i64 << 60)..(1i64 << 60), 0..50)) {
            let floats: Vec<f64> = xs.iter().map(|&x| ((x >> 8) << 8) as f64).collect();
            let exact: i128 = xs.iter().map(|&x| ((x >> 8) << 8) as i128).sum();
            // i128 -> f64 `as` rounds to nearest, ties to even.
            prop_assert_eq!(sum(&floats), exact as f64);
        }

        #[test]
        fn finishers_agree(xs in prop::collection::vec(any_finite(), 0..20)) {
            let mut s = ExactSum::new();
            for &x in &xs { s.add(x); }
            if s.hi.is_empty() {
                prop_assert_eq!(round_partials(&s.lo).to_bits(), round_exact(&s.lo, &[]).to_bits());
            }
        }
    }
}
