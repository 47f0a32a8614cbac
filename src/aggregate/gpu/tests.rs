//! Unit tests of the GPU module (they skip when there is no adapter).

use super::*;

fn ctx() -> Option<&'static GpuContext> {
    match GpuContext::shared() {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("skipping: no GPU adapter ({e})");
            None
        }
    }
}

#[test]
fn cpu_references_handle_edge_cases() {
    let offsets = [0, 0, 2, 3];
    let u = reduce_u64_cpu(&offsets, &[u64::MAX, 2, 7]);
    assert_eq!(u[0], U64Stats::EMPTY);
    assert_eq!(
        u[1],
        U64Stats {
            sum: 1,
            min: 2,
            max: u64::MAX
        }
    );
    let f = reduce_f64_cpu(&offsets, &[f64::NAN, f64::NAN, 1.5]);
    assert_eq!(
        (f[0].sum, f[0].min, f[0].max),
        (0.0, f64::INFINITY, f64::NEG_INFINITY)
    );
    assert!(f[1].sum.is_nan() && f[1].min.is_nan() && f[1].max.is_nan());
    assert_eq!((f[2].min, f[2].max), (1.5, 1.5));
    let l = last_by_time_cpu(&offsets, &[5, 5, 1], &[1.0, 2.0, 3.0]);
    assert_eq!(l, vec![None, Some(2.0), Some(3.0)]);
}

#[test]
fn gpu_matches_cpu_small() {
    let Some(ctx) = ctx() else { return };
    let offsets = [0, 0, 1, 1, 70, 200, 200];
    let values: Vec<u64> = (0..200u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let want = reduce_u64_cpu(&offsets, &values);
    assert_eq!(ctx.reduce_u64(&offsets, &values).unwrap(), want);
    assert_eq!(
        ctx.with_u64_pieces().reduce_u64(&offsets, &values).unwrap(),
        want
    );
    assert_eq!(
        ctx.with_max_chunk_rows(3)
            .reduce_u64(&offsets, &values)
            .unwrap(),
        want
    );
    let times: Vec<u64> = values.iter().map(|v| v % 5).collect();
    let fv: Vec<f64> = (0..200).map(|i| i as f64).collect();
    assert_eq!(
        ctx.last_by_time(&offsets, &times, &fv).unwrap(),
        last_by_time_cpu(&offsets, &times, &fv)
    );
    if ctx.capabilities().shader_f64 {
        let got = ctx.reduce_f64(&offsets, &fv).unwrap();
        assert_eq!(got, reduce_f64_cpu(&offsets, &fv));
    }
}

/// A device without SHADER_INT64 / SHADER_F64: the 32-bit-pieces kernels
/// must compile and run on their own, and f64 stats report Unsupported.
#[test]
fn plain_device_without_optional_features() {
    if ctx().is_none() {
        return;
    }
    let plain = GpuContext {
        inner: Arc::new(Inner::new(wgpu::Features::empty()).unwrap()),
        options: GpuOptions::default(),
    };
    assert!(!plain.capabilities().shader_int64 && !plain.capabilities().shader_f64);
    assert!(plain.describe().contains("u64 reductions: 32-bit pieces"));
    let offsets = [0, 3, 3, 130];
    let values: Vec<u64> = (0..130u64).map(|i| u64::MAX - i * 977).collect();
    assert_eq!(
        plain.reduce_u64(&offsets, &values).unwrap(),
        reduce_u64_cpu(&offsets, &values)
    );
    let fv: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    assert_eq!(
        plain.last_by_time(&offsets, &values, &fv).unwrap(),
        last_by_time_cpu(&offsets, &values, &fv)
    );
    assert!(matches!(
        plain.reduce_f64(&offsets, &fv),
        Err(GpuError::Unsupported("f64"))
    ));
}

#[test]
fn no_rows_needs_no_gpu_work() {
    let Some(ctx) = ctx() else { return };
    assert_eq!(ctx.reduce_u64(&[0, 0], &[]).unwrap(), vec![U64Stats::EMPTY]);
    assert!(ctx.reduce_u64(&[], &[]).unwrap().is_empty());
    assert_eq!(ctx.last_by_time(&[0], &[], &[]).unwrap(), vec![]);
}
