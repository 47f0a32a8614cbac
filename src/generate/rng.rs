//! Deterministic pseudo-random numbers for the generators.
//!
//! Everything here is written out by hand — xoshiro256** seeded through
//! SplitMix64, and `ln` / `exp` built from IEEE-754 `+ - * /` only — so that a
//! given seed yields the same bytes on every platform and with every crate
//! version. (The platform's libm `ln`/`exp`/`cos` may differ in the last bit
//! between systems; basic arithmetic and `sqrt`/`floor`/`ceil` may not.)

/// SplitMix64: a tiny generator used for seeding and for cheap per-series
/// streams whose state must stay small (8 bytes).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Mixes a seed and a stream number into an independent seed.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut sm = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    sm.next_u64();
    sm.next_u64()
}

/// Anything that yields uniformly distributed 64-bit words; the sampling
/// helpers are provided on top of `next_u64`.
pub trait RngCore {
    fn next_u64(&mut self) -> u64;

    /// Uniform in [0, 1) with 53 bits of precision.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    fn next_f64_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform integer in [0, n); 0 when n is 0. (Multiply-high: the bias is
    /// below 2^-64 · n, irrelevant for synthetic data.)
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform integer in [lo, hi] (inclusive).
    fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability p.
    fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// Standard normal draw (Marsaglia's polar form of Box-Muller; only
    /// `sqrt` and the deterministic `ln` below are used).
    fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * ln(s) / s).sqrt();
            }
        }
    }

    /// Normal with the given mean and standard deviation.
    fn normal_with(&mut self, mean: f64, std_dev: f64) -> f64 {
        mean + std_dev * self.normal()
    }

    /// Log-normal whose median is `median` and whose log has standard
    /// deviation `sigma` (heavy right tail for sigma ≳ 1).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * exp(sigma * self.normal())
    }

    /// Exponential with the given mean.
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * ln(self.next_f64_open0())
    }

    /// Index drawn with probability proportional to `weights[i]`.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.next_f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Fills `out` with random bytes, never all zero (ids must be valid).
    fn fill_id(&mut self, out: &mut [u8]) {
        loop {
            for chunk in out.chunks_mut(8) {
                let w = self.next_u64().to_le_bytes();
                chunk.copy_from_slice(&w[..chunk.len()]);
            }
            if out.iter().any(|b| *b != 0) {
                return;
            }
        }
    }

    fn trace_id(&mut self) -> Vec<u8> {
        let mut id = vec![0u8; 16];
        self.fill_id(&mut id);
        id
    }

    fn span_id(&mut self) -> Vec<u8> {
        let mut id = vec![0u8; 8];
        self.fill_id(&mut id);
        id
    }
}

impl RngCore for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        SplitMix64::next_u64(self)
    }
}

/// xoshiro256** (Blackman & Vigna): the main generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let mut s = [0u64; 4];
        for w in &mut s {
            *w = sm.next_u64();
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Self { s }
    }

    /// An independent generator for a named sub-stream of `seed`.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Self::new(derive_seed(seed, stream))
    }
}

impl RngCore for Rng {
    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }
}

const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // upper bits of ln 2
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln 2 - LN2_HI
const LN2: f64 = std::f64::consts::LN_2;
const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Natural logarithm using only IEEE basic arithmetic (bit-reproducible).
/// Accurate to a few ulps; returns NaN for x < 0 or NaN, -inf for 0.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut bits = x.to_bits();
    let mut e: i64 = 0;
    if bits >> 52 == 0 {
        // subnormal: scale up by 2^54
        bits = (x * 18_014_398_509_481_984.0).to_bits();
        e -= 54;
    }
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    // mantissa in [1, 2)
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > 2.0 * SQRT_HALF {
        m *= 0.5;
        e += 1;
    }
    // m in [sqrt(1/2), sqrt(2)]: ln m = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut term = t;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= t2;
        k += 2.0;
    }
    let ef = e as f64;
    ef * LN2_HI + (ef * LN2_LO + 2.0 * sum)
}

/// e^x using only IEEE basic arithmetic (bit-reproducible). Accurate to a
/// few ulps; saturates to 0 / +inf outside the representable range.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > 709.78 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    let k = (x / LN2 + if x < 0.0 { -0.5 } else { 0.5 }).trunc();
    let r = (x - k * LN2_HI) - k * LN2_LO; // |r| <= ln2/2
                                           // Taylor series of e^r, 20 terms is far past double precision for |r| < 0.35
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 1.0;
    while n < 21.0 {
        term *= r / n;
        sum += term;
        n += 1.0;
    }
    scale_pow2(sum, k as i32)
}

/// x · 2^k for the exponents `exp` needs (two steps keep it exact near
/// the ends of the range).
fn scale_pow2(x: f64, k: i32) -> f64 {
    let half = k / 2;
    x * pow2(half) * pow2(k - half)
}

fn pow2(k: i32) -> f64 {
    if k < -1022 {
        // smallest normal times the rest, subnormal result
        return f64::from_bits(1u64 << 52) * pow2(k + 1022);
    }
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// log2 through the deterministic `ln`.
pub fn log2(x: f64) -> f64 {
    ln(x) / LN2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference outputs of SplitMix64 seeded with 1234567 (Vigna's C code).
        let mut sm = SplitMix64::new(1234567);
        assert_eq!(sm.next_u64(), 6457827717110365317);
        assert_eq!(sm.next_u64(), 3203168211198807973);
        assert_eq!(sm.next_u64(), 9817491932198370423);
    }

    #[test]
    fn xoshiro_is_deterministic_and_seed_sensitive() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..16).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..16).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(43);
            (0..16).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(Rng::stream(42, 1).next_u64(), Rng::stream(42, 2).next_u64());
    }

    #[test]
    fn xoshiro_reference_values() {
        // xoshiro256** from the state {1, 2, 3, 4} (reference C implementation).
        let mut r = Rng { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 11520);
        assert_eq!(r.next_u64(), 0);
        assert_eq!(r.next_u64(), 1509978240);
        assert_eq!(r.next_u64(), 1215971899390074240);
    }

    #[test]
    fn ln2_split_is_exact() {
        assert_eq!(LN2_HI + LN2_LO, LN2);
        assert_eq!(
            LN2_HI.to_bits() & 0x1f_ffff,
            0,
            "hi part has trailing zero bits"
        );
    }

    #[test]
    fn ln_and_exp_match_libm_closely() {
        let xs = [
            1e-300, 1e-10, 0.001, 0.1, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 10.0, 123.456, 1e10, 1e300,
        ];
        for x in xs {
            let got = ln(x);
            let want = x.ln();
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1.0),
                "ln({x}) = {got}, want {want}"
            );
        }
        assert!(ln(5e-324).is_finite());
        assert_eq!(ln(1.0), 0.0);
        let ys = [
            -700.0, -50.0, -1.0, -0.3, 0.0, 1e-9, 0.5, 1.0, 2.5, 20.0, 700.0,
        ];
        for y in ys {
            let got = exp(y);
            let want = y.exp();
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want,
                "exp({y}) = {got}, want {want}"
            );
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
    }

    #[test]
    fn distributions_have_expected_moments() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");

        let mut logs: Vec<f64> = (0..10_001).map(|_| r.lognormal(5.0, 1.0)).collect();
        logs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = logs[5000];
        assert!((median - 5.0).abs() < 0.3, "median {median}");
        assert!(logs.iter().all(|v| *v > 0.0));

        let m: f64 = (0..n).map(|_| r.exponential(3.0)).sum::<f64>() / n as f64;
        assert!((m - 3.0).abs() < 0.05, "exp mean {m}");

        for _ in 0..1000 {
            let u = r.uniform(2.0, 3.0);
            assert!((2.0..3.0).contains(&u));
            assert!(r.below(7) < 7);
            assert!((3..=5).contains(&r.range_inclusive(3, 5)));
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn ids_are_never_zero() {
        let mut r = Rng::new(0);
        for _ in 0..100 {
            assert!(r.trace_id().iter().any(|b| *b != 0));
            assert_eq!(r.span_id().len(), 8);
        }
    }
}
