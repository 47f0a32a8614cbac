//! GPU segmented reductions against the CPU references.

mod common;

use std::time::Instant;

use common::{gpu_or_skip, random_offsets, Rng};
use otlp_analytics::aggregate::gpu::{
    last_by_time_cpu, reduce_f64_cpu, reduce_u64_cpu, F64Stats, GpuContext, GpuError, U64Stats,
};
use proptest::prelude::*;

/// The native-u64 context (when the adapter has SHADER_INT64) and the forced
/// 32-bit-pieces one.
fn u64_paths(ctx: &GpuContext) -> Vec<(&'static str, GpuContext)> {
    let mut paths = vec![("pieces", ctx.with_u64_pieces())];
    if ctx.capabilities().shader_int64 {
        paths.push(("native", ctx.with_options(Default::default())));
    }
    paths
}

/// f64 equality where NaN == NaN and 0.0 != -0.0.
fn same_bits(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn sum_close(got: f64, want: f64) -> bool {
    if want.is_nan() || want.is_infinite() {
        return same_bits(got, want);
    }
    (got - want).abs() <= 1e-9 * want.abs().max(f64::MIN_POSITIVE)
}

fn assert_f64_stats(label: &str, got: &[F64Stats], want: &[F64Stats]) {
    assert_eq!(got.len(), want.len(), "{label}: group count");
    for (g, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            sum_close(a.sum, b.sum) && same_bits(a.min, b.min) && same_bits(a.max, b.max),
            "{label}: group {g}: gpu {a:?} cpu {b:?}"
        );
    }
}

fn assert_last(label: &str, got: &[Option<f64>], want: &[Option<f64>]) {
    assert_eq!(got.len(), want.len(), "{label}: group count");
    for (g, (a, b)) in got.iter().zip(want).enumerate() {
        let ok = match (a, b) {
            (Some(x), Some(y)) => same_bits(*x, *y),
            (None, None) => true,
            _ => false,
        };
        assert!(ok, "{label}: group {g}: gpu {a:?} cpu {b:?}");
    }
}

/// Runs all three reductions on every u64 path (and the given chunk limits)
/// and compares with the CPU references.
fn check_all(
    ctx: &GpuContext,
    label: &str,
    offsets: &[usize],
    u: &[u64],
    f: &[f64],
    t: &[u64],
    chunks: &[Option<usize>],
) {
    let want_u = reduce_u64_cpu(offsets, u);
    let want_f = reduce_f64_cpu(offsets, f);
    let want_l = last_by_time_cpu(offsets, t, f);
    for (path, base) in u64_paths(ctx) {
        for &chunk in chunks {
            let c = match chunk {
                Some(n) => base.with_max_chunk_rows(n),
                None => base.with_options(base.options()),
            };
            let l = format!("{label} [{path}, chunk {chunk:?}]");
            assert_eq!(c.reduce_u64(offsets, u).unwrap(), want_u, "{l}: reduce_u64");
            assert_last(&l, &c.last_by_time(offsets, t, f).unwrap(), &want_l);
            match c.reduce_f64(offsets, f) {
                Ok(got) => assert_f64_stats(&l, &got, &want_f),
                Err(GpuError::Unsupported(what)) => {
                    assert!(!ctx.capabilities().shader_f64);
                    assert_eq!(what, "f64");
                }
                Err(e) => panic!("{l}: reduce_f64: {e}"),
            }
        }
    }
}

#[test]
fn adapter_report_and_16m_row_throughput() {
    let Some(ctx) = gpu_or_skip("adapter_report_and_16m_row_throughput") else {
        return;
    };
    eprintln!(
        "adapter: {} ({}, software: {})",
        ctx.adapter_name(),
        ctx.backend_name(),
        ctx.is_software()
    );
    eprintln!("capabilities: {:?}", ctx.capabilities());
    eprintln!("{}", ctx.describe());

    let rows = 16 << 20;
    let mut rng = Rng::new(16);
    let offsets = random_offsets(&mut rng, rows, 10_000, Some((1234, 0.9)));
    let values: Vec<u64> = (0..rows).map(|_| rng.next_u64() >> rng.below(64)).collect();
    let t = Instant::now();
    let want = reduce_u64_cpu(&offsets, &values);
    let cpu = t.elapsed();
    eprintln!(
        "reduce_u64 CPU reference: {rows} rows in {cpu:?} = {:.0} Mrows/s",
        rows as f64 / cpu.as_secs_f64() / 1e6
    );
    for (path, c) in u64_paths(ctx) {
        assert_eq!(c.reduce_u64(&offsets, &values).unwrap(), want, "{path}"); // warm-up
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let got = c.reduce_u64(&offsets, &values).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            assert_eq!(got, want, "{path}");
        }
        eprintln!(
            "reduce_u64 GPU ({path}): {rows} rows, 10000 groups, one 90% group: best {:.1} ms = {:.0} Mrows/s (incl. upload + readback)",
            best * 1e3,
            rows as f64 / best / 1e6
        );
    }
}

#[test]
fn u64_hand_cases() {
    let Some(ctx) = gpu_or_skip("u64_hand_cases") else {
        return;
    };
    let m = u64::MAX;
    // groups: empty, single, wrapping pair, empty, hi/lo word boundaries, single max
    let offsets = [0, 0, 1, 3, 3, 8, 9];
    let values = [42, m, 3, 1 << 32, (1 << 32) - 1, m - 1, 0, m, m];
    let want = vec![
        U64Stats {
            sum: 0,
            min: m,
            max: 0,
        },
        U64Stats {
            sum: 42,
            min: 42,
            max: 42,
        },
        U64Stats {
            sum: 2,
            min: 3,
            max: m,
        },
        U64Stats {
            sum: 0,
            min: m,
            max: 0,
        },
        U64Stats {
            sum: (1u64 << 32)
                .wrapping_add((1 << 32) - 1)
                .wrapping_add(m - 1)
                .wrapping_add(m),
            min: 0,
            max: m,
        },
        U64Stats {
            sum: m,
            min: m,
            max: m,
        },
    ];
    assert_eq!(reduce_u64_cpu(&offsets, &values), want);
    for (path, c) in u64_paths(ctx) {
        for chunk in [None, Some(1), Some(2), Some(4)] {
            let c = chunk.map_or_else(|| c.with_options(c.options()), |n| c.with_max_chunk_rows(n));
            assert_eq!(
                c.reduce_u64(&offsets, &values).unwrap(),
                want,
                "{path} {chunk:?}"
            );
        }
    }
    // Carries out of the low word in long sums, and a wrap of the whole sum.
    let values = vec![u32::MAX as u64; 1000];
    let offsets = [0, 500, 1000];
    for (path, c) in u64_paths(ctx) {
        let got = c.reduce_u64(&offsets, &values).unwrap();
        assert_eq!(got[0].sum, 500 * u32::MAX as u64, "{path}");
        let wrap = vec![m / 3 + 7; 100];
        let got = c.reduce_u64(&[0, 100], &wrap).unwrap();
        assert_eq!(got, reduce_u64_cpu(&[0, 100], &wrap), "{path}");
    }
    // All groups empty / no groups.
    assert_eq!(ctx.reduce_u64(&[0, 0, 0], &[]).unwrap(), vec![want[0]; 2]);
    assert!(ctx.reduce_u64(&[0], &[]).unwrap().is_empty());
}

#[test]
fn f64_hand_cases() {
    let Some(ctx) = gpu_or_skip("f64_hand_cases") else {
        return;
    };
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    // groups: empty, single, NaN skipped by min/max, all NaN, -inf,
    // -0.0 first then 0.0, single NaN, inf + -inf
    let offsets = [0, 0, 1, 4, 6, 9, 11, 12, 14];
    let values = [
        2.5, 1.0, nan, -3.0, nan, nan, -inf, 7.0, -inf, -0.0, 0.0, nan, inf, -inf,
    ];
    let want = reduce_f64_cpu(&offsets, &values);
    assert_eq!((want[0].sum, want[0].min, want[0].max), (0.0, inf, -inf));
    assert_eq!((want[1].sum, want[1].min, want[1].max), (2.5, 2.5, 2.5));
    assert!(want[2].sum.is_nan() && want[2].min == -3.0 && want[2].max == 1.0);
    assert!(want[3].sum.is_nan() && want[3].min.is_nan() && want[3].max.is_nan());
    assert!(want[4].sum == -inf && want[4].min == -inf && want[4].max == 7.0);
    assert!(want[5].min.is_sign_negative() && want[5].max.is_sign_negative());
    assert!(want[6].min.is_nan() && want[6].max.is_nan());
    assert!(want[7].sum.is_nan() && want[7].min == -inf && want[7].max == inf);
    match ctx.reduce_f64(&offsets, &values) {
        Err(GpuError::Unsupported("f64")) => {
            assert!(!ctx.capabilities().shader_f64);
            eprintln!("f64_hand_cases: adapter lacks SHADER_F64, checked the error only");
            return;
        }
        other => assert_f64_stats("hand", &other.unwrap(), &want),
    }
    for n in [1, 2, 3, 5] {
        let got = ctx
            .with_max_chunk_rows(n)
            .reduce_f64(&offsets, &values)
            .unwrap();
        assert_f64_stats(&format!("hand chunk {n}"), &got, &want);
    }
    // All-NaN group split over chunks and tiles.
    let values = vec![nan; 300];
    for n in [None, Some(7)] {
        let c = n.map_or_else(
            || ctx.with_options(ctx.options()),
            |n| ctx.with_max_chunk_rows(n),
        );
        let got = c.reduce_f64(&[0, 300], &values).unwrap();
        assert!(got[0].sum.is_nan() && got[0].min.is_nan() && got[0].max.is_nan());
    }
}

#[test]
fn last_by_time_hand_cases() {
    let Some(ctx) = gpu_or_skip("last_by_time_hand_cases") else {
        return;
    };
    let m = u64::MAX;
    // groups: empty, single, tie → later row, max earlier, times that differ
    // only in the high / low word, u64::MAX times with a tie, long run of ties
    let mut offsets = vec![0, 0, 1, 4, 7, 10, 13];
    let mut times = vec![
        5,
        9,
        3,
        9,
        10,
        2,
        1,
        1 << 32,
        (1 << 32) - 1,
        1 << 32,
        m,
        0,
        m,
    ];
    let mut values = vec![
        0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
    ];
    for i in 0..500 {
        times.push(77);
        values.push(i as f64);
    }
    offsets.push(times.len());
    let want = vec![
        None,
        Some(0.5),
        Some(3.0),
        Some(4.0),
        Some(9.0),
        Some(12.0),
        Some(499.0),
    ];
    assert_eq!(last_by_time_cpu(&offsets, &times, &values), want);
    for (path, c) in u64_paths(ctx) {
        for chunk in [None, Some(1), Some(2), Some(3), Some(64), Some(100)] {
            let c = chunk.map_or_else(|| c.with_options(c.options()), |n| c.with_max_chunk_rows(n));
            let got = c.last_by_time(&offsets, &times, &values).unwrap();
            assert_last(&format!("{path} {chunk:?}"), &got, &want);
        }
    }
    // NaN values travel untouched (raw bits).
    let nan = f64::from_bits(0x7ff8_0000_dead_beef);
    let got = ctx.last_by_time(&[0, 2], &[1, 2], &[1.0, nan]).unwrap();
    assert_eq!(got[0].map(f64::to_bits), Some(nan.to_bits()));
}

#[test]
fn random_2m_rows_with_hot_group() {
    let Some(ctx) = gpu_or_skip("random_2m_rows_with_hot_group") else {
        return;
    };
    let rows = 2_000_000;
    let mut rng = Rng::new(2);
    // Many groups, one of them holding 90 % of the rows.
    let offsets = random_offsets(&mut rng, rows, 50_000, Some((25_000, 0.9)));
    let u: Vec<u64> = (0..rows).map(|_| rng.next_u64() >> rng.below(64)).collect();
    let f: Vec<f64> = (0..rows).map(|_| rng.unit_f64() * 1e6).collect();
    let t: Vec<u64> = (0..rows)
        .map(|_| rng.below(1000) << rng.below(40))
        .collect();
    check_all(ctx, "2M hot", &offsets, &u, &f, &t, &[None, Some(777_777)]);
    // Many small groups, no hot one.
    let offsets = random_offsets(&mut rng, rows, 300_000, None);
    check_all(ctx, "2M small", &offsets, &u, &f, &t, &[None]);
}

#[test]
fn millions_of_single_row_groups_use_2d_dispatch() {
    let Some(ctx) = gpu_or_skip("millions_of_single_row_groups_use_2d_dispatch") else {
        return;
    };
    // 4.5M work items > 65535 workgroups of 64: needs a 2D dispatch.
    let rows = 4_500_000;
    let mut rng = Rng::new(5);
    let offsets: Vec<usize> = (0..=rows).collect();
    let u: Vec<u64> = (0..rows).map(|_| rng.next_u64()).collect();
    let f: Vec<f64> = u.iter().map(|&v| v as f64).collect();
    let t: Vec<u64> = u.iter().map(|&v| v >> 3).collect();
    check_all(ctx, "4.5M groups", &offsets, &u, &f, &t, &[None]);
}

#[test]
fn forced_chunking_tiny_limits() {
    let Some(ctx) = gpu_or_skip("forced_chunking_tiny_limits") else {
        return;
    };
    let rows = 5000;
    let mut rng = Rng::new(3);
    let offsets = random_offsets(&mut rng, rows, 40, Some((7, 0.6)));
    let u: Vec<u64> = (0..rows).map(|_| rng.next_u64()).collect();
    let f: Vec<f64> = (0..rows)
        .map(|i| {
            if i % 97 == 0 {
                f64::NAN
            } else {
                rng.unit_f64() - 0.25
            }
        })
        .collect();
    let t: Vec<u64> = (0..rows).map(|_| rng.below(50)).collect();
    let chunks = [
        Some(1),
        Some(2),
        Some(3),
        Some(63),
        Some(64),
        Some(65),
        Some(1000),
        Some(4999),
    ];
    check_all(ctx, "tiny chunks", &offsets, &u, &f, &t, &chunks);
}

#[test]
fn results_are_deterministic() {
    let Some(ctx) = gpu_or_skip("results_are_deterministic") else {
        return;
    };
    if !ctx.capabilities().shader_f64 {
        return;
    }
    let rows = 300_000;
    let mut rng = Rng::new(4);
    let offsets = random_offsets(&mut rng, rows, 100, Some((3, 0.9)));
    let f: Vec<f64> = (0..rows).map(|_| (rng.unit_f64() - 0.5) * 1e12).collect();
    let bits = |s: Vec<F64Stats>| -> Vec<[u64; 3]> {
        s.iter()
            .map(|s| [s.sum.to_bits(), s.min.to_bits(), s.max.to_bits()])
            .collect()
    };
    let first = bits(ctx.reduce_f64(&offsets, &f).unwrap());
    for _ in 0..3 {
        assert_eq!(bits(ctx.reduce_f64(&offsets, &f).unwrap()), first);
    }
}

#[test]
fn concurrent_calls_from_threads() {
    let Some(ctx) = gpu_or_skip("concurrent_calls_from_threads") else {
        return;
    };
    std::thread::scope(|s| {
        for k in 0..4u64 {
            s.spawn(move || {
                let mut rng = Rng::new(100 + k);
                let rows = 50_000 + k as usize * 1000;
                let offsets = random_offsets(&mut rng, rows, 500, Some((k as usize, 0.5)));
                let u: Vec<u64> = (0..rows).map(|_| rng.next_u64()).collect();
                let want = reduce_u64_cpu(&offsets, &u);
                for _ in 0..5 {
                    assert_eq!(ctx.reduce_u64(&offsets, &u).unwrap(), want);
                }
            });
        }
    });
}

fn layout_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<u64>, Vec<u64>, Option<usize>)> {
    (
        prop::collection::vec(0usize..150, 1..20),
        any::<u64>(),
        prop::option::of(1usize..200),
    )
        .prop_map(|(sizes, seed, chunk)| {
            let mut offsets = vec![0];
            for s in &sizes {
                offsets.push(offsets.last().unwrap() + s);
            }
            let rows = *offsets.last().unwrap();
            let mut rng = Rng::new(seed);
            let u = (0..rows).map(|_| rng.next_u64() >> rng.below(64)).collect();
            let t = (0..rows)
                .map(|_| rng.below(8) << (32 * rng.below(2)))
                .collect();
            (offsets, u, t, chunk)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_layouts_match_cpu((offsets, u, t, chunk) in layout_strategy()) {
        let Some(ctx) = gpu_or_skip("random_layouts_match_cpu") else { return Ok(()); };
        let f: Vec<f64> = u.iter().map(|&v| (v >> 11) as f64 - 1e15).collect();
        let chunks = [chunk];
        check_all(ctx, "proptest", &offsets, &u, &f, &t, &chunks);
    }
}
