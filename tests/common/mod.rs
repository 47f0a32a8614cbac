//! Helpers shared by the integration tests.
#![allow(dead_code)]

use otlp_analytics::aggregate::gpu::GpuContext;

/// The shared GPU context, or `None` (with a note on stderr) when this
/// machine has no GPU adapter. With `OTLP_ANALYTICS_REQUIRE_GPU=1` a missing
/// adapter fails the test instead of skipping it.
pub fn gpu_or_skip(test: &str) -> Option<&'static GpuContext> {
    match GpuContext::shared() {
        Ok(ctx) => Some(ctx),
        Err(err) => {
            if std::env::var("OTLP_ANALYTICS_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!(
                    "{test}: OTLP_ANALYTICS_REQUIRE_GPU=1 but no usable GPU adapter: {err} \
                     (install a Vulkan driver, e.g. Mesa lavapipe: mesa-vulkan-drivers)"
                );
            }
            eprintln!("skipping {test}: no GPU adapter ({err})");
            None
        }
    }
}

/// Small deterministic PRNG (splitmix64) for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [0, 1).
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Group offsets (`groups + 1` entries) for `rows` rows spread over `groups`
/// groups; if `hot` is set, that group holds `hot_share` of the rows and the
/// others share the rest at random (some end up empty).
pub fn random_offsets(
    rng: &mut Rng,
    rows: usize,
    groups: usize,
    hot: Option<(usize, f64)>,
) -> Vec<usize> {
    assert!(groups > 0);
    let hot_rows = hot.map_or(0, |(_, share)| (rows as f64 * share) as usize);
    let mut sizes = vec![0usize; groups];
    let others: Vec<usize> = (0..groups)
        .filter(|&g| hot.is_none_or(|(h, _)| h != g))
        .collect();
    let rest = rows - hot_rows;
    if others.is_empty() {
        sizes[hot.unwrap().0] = rows;
    } else {
        for _ in 0..rest {
            sizes[others[rng.below(others.len() as u64) as usize]] += 1;
        }
        if let Some((h, _)) = hot {
            sizes[h] += hot_rows;
        }
    }
    let mut offsets = Vec::with_capacity(groups + 1);
    offsets.push(0);
    for s in sizes {
        offsets.push(offsets.last().unwrap() + s);
    }
    offsets
}
