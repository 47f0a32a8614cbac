//! Device-side group-by (`GpuContext::group_u64`, `Backend::group_rows`)
//! against the CPU backend: statistics and duration sketches identical, for
//! high cardinality, a hot group, few groups (privatised kernels), forced
//! 32-bit fallbacks and forced batch splits.

mod common;

use common::{gpu_or_skip, Rng};
use otlp_analytics::aggregate::backend::{gpu_pays, Backend, RowGroups, AUTO_GPU_MIN_ROWS};
use otlp_analytics::aggregate::gpu::{GpuContext, GROUP_FLAG};

/// Rows over `groups` groups; `hot` = share of rows in group 0.
fn rows(seed: u64, n: usize, groups: u32, hot: f64) -> (Vec<u32>, Vec<u64>, Vec<u64>) {
    let mut rng = Rng::new(seed);
    let mut ids = Vec::with_capacity(n);
    let mut flags = Vec::with_capacity(n);
    let mut vals = Vec::with_capacity(n);
    for i in 0..n {
        let g = if rng.unit_f64() < hot {
            0
        } else {
            rng.below(u64::from(groups)) as u32
        };
        ids.push(g);
        flags.push(u64::from(rng.below(10) == 0));
        // Heavy-tailed durations, with edge values mixed in.
        let v = match i % 97 {
            0 => u64::MAX - rng.below(3),
            1 => rng.below(300),
            2 => rng.next_u64(),
            3 => 0xFFFF_FFFF + rng.below(3),
            _ => (rng.unit_f64() * 30.0).exp() as u64 + rng.below(1000),
        };
        vals.push(v);
    }
    (ids, flags, vals)
}

fn assert_same(label: &str, cpu: &RowGroups, gpu: &RowGroups) {
    assert_eq!(cpu.stats.len(), gpu.stats.len(), "{label}: groups");
    for g in 0..cpu.stats.len() {
        assert_eq!(cpu.stats[g], gpu.stats[g], "{label}: stats of group {g}");
        assert_eq!(
            cpu.flagged[g], gpu.flagged[g],
            "{label}: flagged of group {g}"
        );
    }
    assert_eq!(cpu.sketches.len(), gpu.sketches.len(), "{label}: sketches");
    for (g, (c, d)) in cpu.sketches.iter().zip(&gpu.sketches).enumerate() {
        assert_eq!(c, d, "{label}: sketch of group {g}");
        for q in [0.5, 0.9, 0.99] {
            assert_eq!(c.quantile(q), d.quantile(q), "{label}: q{q} of group {g}");
        }
    }
}

/// Every path: native atomics (if any), forced u32 pieces, and forced small batches.
fn paths(ctx: &'static GpuContext) -> Vec<(&'static str, GpuContext)> {
    let mut v = vec![
        ("pieces", ctx.with_u64_pieces()),
        ("batches of 7001 rows", ctx.with_max_chunk_rows(7001)),
    ];
    if ctx.capabilities().int64_atomics {
        v.push(("native", ctx.with_options(Default::default())));
    } else {
        eprintln!("adapter lacks 64-bit atomics: only the u32 path runs");
    }
    v
}

fn check(test: &str, ids: &[u32], flags: &[u64], vals: &[u64], groups: usize) {
    let Some(ctx) = gpu_or_skip(test) else { return };
    let cpu = Backend::Cpu
        .group_rows(ids, Some(flags), vals, groups, true)
        .expect("cpu");
    for (label, c) in paths(ctx) {
        // Backend::Gpu needs a 'static context.
        let c: &'static GpuContext = Box::leak(Box::new(c));
        let gpu = Backend::Gpu(c)
            .group_rows(ids, Some(flags), vals, groups, true)
            .expect("gpu");
        assert_same(&format!("{test} / {label}"), &cpu, &gpu);
    }
    let before = ctx.activity();
    let _ = Backend::Gpu(ctx).group_rows(ids, None, vals, groups, false);
    let after = ctx.activity();
    assert!(after.batches > before.batches && after.rows >= before.rows + ids.len() as u64);
}

#[test]
fn high_cardinality_600k_rows_over_500k_groups() {
    let n = 600_000;
    let groups = 520_000u32;
    let (mut ids, flags, vals) = rows(1, n, groups, 0.0);
    // Every group has a row, so there really are >= 500k non-empty groups.
    for (i, id) in ids.iter_mut().enumerate().take(groups as usize) {
        *id = i as u32;
    }
    check("high_cardinality", &ids, &flags, &vals, groups as usize);
}

/// `--backend auto` sends a batch to the device only when it has enough rows,
/// and enough per group; either way the result is the CPU's.
#[test]
fn auto_runs_each_batch_where_the_rule_says() {
    assert!(gpu_pays(AUTO_GPU_MIN_ROWS, 1));
    assert!(!gpu_pays(AUTO_GPU_MIN_ROWS - 1, 1));
    assert!(gpu_pays(1 << 20, (1 << 20) / 64));
    assert!(!gpu_pays(1 << 20, (1 << 20) / 64 + 1));
    assert!(!gpu_pays(AUTO_GPU_MIN_ROWS, AUTO_GPU_MIN_ROWS));
    let Some(ctx) = gpu_or_skip("auto") else {
        return;
    };
    for (seed, n, groups, on_gpu) in [
        (5, 300_000, 40u32, true),
        (6, 300_000, 20_000, false),
        (7, 1_000, 3, false),
    ] {
        let (ids, flags, vals) = rows(seed, n, groups, 0.0);
        let cpu = Backend::Cpu
            .group_rows(&ids, Some(&flags), &vals, groups as usize, true)
            .expect("cpu");
        let before = ctx.activity();
        let auto = Backend::Auto(ctx)
            .group_rows(&ids, Some(&flags), &vals, groups as usize, true)
            .expect("auto");
        let after = ctx.activity();
        assert_same(&format!("auto {n} rows / {groups} groups"), &cpu, &auto);
        let kept = after.cpu_batches - before.cpu_batches;
        assert_eq!(
            kept,
            u64::from(!on_gpu),
            "{n} rows / {groups} groups kept on the cpu"
        );
        if on_gpu {
            assert!(
                after.rows >= before.rows + n as u64,
                "{n} rows went to the device"
            );
        }
    }
}

#[test]
fn one_hot_group_with_90_percent_of_rows() {
    let (ids, flags, vals) = rows(2, 300_000, 5_000, 0.9);
    check("hot_group_many", &ids, &flags, &vals, 5_000);
    // Few groups: the privatised workgroup-memory kernels.
    let (ids, flags, vals) = rows(3, 300_000, 40, 0.9);
    check("hot_group_few", &ids, &flags, &vals, 40);
}

#[test]
fn sketch_modes_exact_dense_and_sparse() {
    // Group 0: 64 values (exact); 1: 65 values (buckets); 2: 1000 close values
    // (dense histogram); 3: 100 values spread over all octaves (sparse: raw
    // values); 4: empty; 5: one value.
    let mut ids = Vec::new();
    let mut vals = Vec::new();
    let mut push = |g: u32, v: u64| {
        ids.push(g);
        vals.push(v);
    };
    (0..64).for_each(|i| push(0, 1_000_000 + i * 7919));
    (0..65).for_each(|i| push(1, 1_000_000 + i * 7919));
    (0..1000).for_each(|i| push(2, 5_000_000 + i * 13));
    (0..100).for_each(|i| push(3, 1u64 << (i % 64)));
    push(5, 42);
    let flags: Vec<u64> = (0..ids.len() as u64).map(|i| i % 2).collect();
    check("sketch_modes", &ids, &flags, &vals, 6);
    let Some(ctx) = gpu_or_skip("sketch_modes") else {
        return;
    };
    let r = Backend::Gpu(ctx)
        .group_rows(&ids, Some(&flags), &vals, 6, true)
        .expect("gpu");
    // Hand-checked: exact p50 of group 0 is rank 32 = 1_000_000 + 31 * 7919.
    assert_eq!(r.sketches[0].quantile(0.5), Some(1_000_000 + 31 * 7919));
    assert_eq!(r.stats[4].count, 0);
    assert_eq!(r.sketches[4].quantile(0.5), None);
    assert_eq!(
        (r.stats[5].count, r.stats[5].sum, r.stats[5].min),
        (1, 42, 42)
    );
    assert_eq!(
        r.stats[2].sum,
        (0..1000u64).map(|i| 5_000_000 + i * 13).sum::<u64>()
    );
}

#[test]
fn sums_wrap_and_flags_ride_in_the_key() {
    let Some(ctx) = gpu_or_skip("sums_wrap") else {
        return;
    };
    let vals = [u64::MAX, 2, 0xFFFF_FFFF, 1, 7];
    let keys = [0, GROUP_FLAG, 1 | GROUP_FLAG, 1, 1 | GROUP_FLAG];
    for (label, c) in paths(ctx) {
        let out = c.group_u64(&keys, &vals, 2, false).expect("gpu");
        let s = out.stats;
        assert_eq!(
            (s[0].count, s[0].flagged, s[0].sum, s[0].min, s[0].max),
            (2, 1, 1, 2, u64::MAX),
            "{label}"
        );
        assert_eq!(
            (s[1].count, s[1].flagged, s[1].sum, s[1].min, s[1].max),
            (3, 2, 0x1_0000_0007, 1, 0xFFFF_FFFF),
            "{label}"
        );
        assert!(out.sketches.is_empty());
    }
}

#[test]
fn no_rows_and_no_groups() {
    let Some(ctx) = gpu_or_skip("no_rows") else {
        return;
    };
    let out = ctx.group_u64(&[], &[], 3, true).expect("gpu");
    assert_eq!(out.stats.len(), 3);
    assert!(out.stats.iter().all(|s| s.count == 0 && s.min == u64::MAX));
    assert!(ctx
        .group_u64(&[], &[], 0, true)
        .expect("gpu")
        .stats
        .is_empty());
}

fn check_f64(test: &str, ids: &[u32], vals: &[f64], groups: usize) {
    let Some(ctx) = gpu_or_skip(test) else { return };
    let cpu = Backend::Cpu.group_f64_rows(ids, vals, groups).expect("cpu");
    for (label, c) in [
        ("one batch", ctx.with_options(Default::default())),
        ("batches of 999 rows", ctx.with_max_chunk_rows(999)),
    ] {
        let c: &'static GpuContext = Box::leak(Box::new(c));
        let gpu = Backend::Gpu(c)
            .group_f64_rows(ids, vals, groups)
            .expect("gpu");
        for g in 0..groups {
            let (a, b) = (&cpu[g], &gpu[g]);
            let bits = |x: Option<f64>| x.map(f64::to_bits);
            assert_eq!(a.count, b.count, "{test}/{label}: count of group {g}");
            assert_eq!(
                a.sum.value().to_bits(),
                b.sum.value().to_bits(),
                "{test}/{label}: sum of group {g}: cpu {} gpu {}",
                a.sum.value(),
                b.sum.value()
            );
            assert_eq!(bits(a.min), bits(b.min), "{test}/{label}: min of group {g}");
            assert_eq!(bits(a.max), bits(b.max), "{test}/{label}: max of group {g}");
        }
    }
}

#[test]
fn f64_sums_are_bit_identical_to_the_cpu() {
    let mut rng = Rng::new(11);
    let groups = 3_000u32;
    let n = 200_000;
    let mut ids = Vec::with_capacity(n);
    let mut vals = Vec::with_capacity(n);
    for i in 0..n {
        // Group 0 is hot (half the rows).
        let g = if i % 2 == 0 {
            0
        } else {
            rng.below(u64::from(groups)) as u32
        };
        let v = match rng.below(12) {
            0 => rng.unit_f64() * 1e15,
            1 => -rng.unit_f64() * 1e15,
            2 => 0.1 * rng.below(1000) as f64,
            3 => (rng.unit_f64() - 0.5) * 1e-3,
            4 => rng.unit_f64() * 1e-30, // far below the window of big groups: exceptions
            5 => f64::from_bits(rng.below(1 << 40)), // subnormal
            6 => 0.0,
            _ => (rng.unit_f64() - 0.3) * 1e6,
        };
        ids.push(g);
        vals.push(v);
    }
    check_f64("f64_bits", &ids, &vals, groups as usize);
}

#[test]
fn f64_special_values_and_cancellation() {
    // 0: cancels to exactly 0 (+0.0); 1: 1e308 + 1e308 - 1e308 (huge values
    // are exceptions, exact on the host); 2: NaN among numbers (sum NaN,
    // min / max skip it); 3: +inf and -inf (NaN); 4: only NaN (no min / max);
    // 5: 2^53 + 1 + 1 (no rounding in between); 6: empty.
    let rows: Vec<(u32, f64)> = vec![
        (0, 1e16),
        (0, 1.0),
        (0, -1e16),
        (0, -1.0),
        (1, 1e308),
        (1, 1e308),
        (1, -1e308),
        (2, 1.5),
        (2, f64::NAN),
        (2, -2.5),
        (3, f64::INFINITY),
        (3, f64::NEG_INFINITY),
        (4, f64::NAN),
        (5, 9007199254740992.0),
        (5, 1.0),
        (5, 1.0),
    ];
    let (ids, vals): (Vec<u32>, Vec<f64>) = rows.into_iter().unzip();
    check_f64("f64_special", &ids, &vals, 7);
    let Some(ctx) = gpu_or_skip("f64_special") else {
        return;
    };
    let r = ctx.group_f64(&ids, &vals, 7).expect("gpu");
    assert_eq!(r[0].sum.value().to_bits(), 0.0f64.to_bits());
    assert_eq!(r[1].sum.value(), 1e308);
    assert!(r[2].sum.value().is_nan());
    assert_eq!((r[2].min, r[2].max), (Some(-2.5), Some(1.5)));
    assert!(r[3].sum.value().is_nan());
    assert_eq!((r[4].count, r[4].min, r[4].max), (1, None, None));
    assert_eq!(r[5].sum.value(), 9007199254740994.0);
    assert_eq!((r[6].count, r[6].min), (0, None));
}

/// Runs the real binary; returns (stdout, stderr).
fn run(args: &[&str], envs: &[(&str, &str)]) -> (String, String) {
    let out = assert_cmd::Command::cargo_bin("otlp-analytics")
        .expect("binary")
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

/// End to end through the CLI: traces (windowed, by attribute), logs and
/// metrics (counters with resets, gauges, histograms) print byte-identical
/// JSON on both backends, also with the forced 32-bit fallback; `--verbose`
/// reports the GPU path's traffic.
#[test]
fn cli_outputs_identical_and_verbose_reports_traffic() {
    if gpu_or_skip("cli_outputs_identical").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |n: &str| dir.path().join(n).display().to_string();
    for (signal, size) in [
        ("traces", ["--spans", "40000"]),
        ("logs", ["--logs", "20000"]),
        ("metrics", ["--series", "300"]),
    ] {
        let file = path(&format!("{signal}.otlp"));
        run(
            &[
                "generate", "--signal", signal, "--seed", "5", size[0], size[1], "-o", &file,
            ],
            &[],
        );
        let mut queries: Vec<Vec<&str>> = vec![vec![]];
        if signal == "traces" {
            queries.push(vec![
                "--by",
                "service.name,name,status_code",
                "--window",
                "1s",
            ]);
        }
        for extra in queries {
            let mut args = vec![
                "aggregate",
                file.as_str(),
                "--signal",
                signal,
                "--format",
                "json",
            ];
            args.extend(&extra);
            let with = |backend: &'static str| {
                let mut a = args.clone();
                a.extend(["--backend", backend, "-v"]);
                a
            };
            let (cpu, _) = run(&with("cpu"), &[]);
            let (gpu, stderr) = run(&with("gpu"), &[]);
            let (pieces, _) = run(&with("gpu"), &[("OTLP_ANALYTICS_GPU_FORCE_PIECES", "1")]);
            assert!(cpu.lines().count() > 1, "{signal}: {cpu}");
            assert_eq!(cpu, gpu, "{signal} {extra:?}: cpu and gpu differ");
            assert_eq!(
                cpu, pieces,
                "{signal} {extra:?}: cpu and forced-fallback gpu differ"
            );
            assert!(stderr.contains("backend: gpu"), "{stderr}");
            if signal != "metrics" {
                // 4-byte key + 8-byte value per row (+16 bytes of parameters per batch).
                assert!(stderr.contains("uploaded 12.0 B/row"), "{stderr}");
            }
            assert!(
                stderr.contains("submits/batch") && stderr.contains("ms preparing GPU work"),
                "{stderr}"
            );
        }
    }
}
