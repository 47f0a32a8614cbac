//! Hand-computed quantile estimates for explicit and exponential buckets.

use super::*;

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("an estimate");
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

fn explicit<'a>(bounds: &'a [f64], counts: &'a [u64]) -> ExplicitBuckets<'a> {
    ExplicitBuckets {
        bounds,
        counts,
        min: None,
        max: None,
    }
}

#[test]
fn explicit_matches_prometheus_without_min_max() {
    // Cumulative 6, 11, 14, 19 at le = 0, 0.5, 1, +Inf.
    let h = explicit(&[0.0, 0.5, 1.0], &[6, 5, 3, 5]);
    // rank 9.5: bucket (0, 0.5], 3.5 of its 5 → 0.35.
    close(explicit_quantile(&h, 0.5), 0.35);
    // rank 3.8 in the first bucket, whose upper bound is ≤ 0: that bound.
    close(explicit_quantile(&h, 0.2), 0.0);
    // rank 17.1 in +Inf with no max: the highest finite bound.
    close(explicit_quantile(&h, 0.9), 1.0);
    // First bucket with a positive bound starts at 0: rank 2 of 4 in (0, 8].
    close(explicit_quantile(&explicit(&[8.0], &[4, 0]), 0.5), 4.0);
}

#[test]
fn explicit_uses_min_and_max_for_open_edges_and_clamps() {
    let mut h = ExplicitBuckets {
        bounds: &[10.0, 20.0, 50.0],
        counts: &[2, 6, 0, 2],
        min: Some(4.0),
        max: Some(80.0),
    };
    close(explicit_quantile(&h, 0.1), 7.0); // rank 1 of 2 in (4, 10]
    close(explicit_quantile(&h, 0.5), 15.0); // rank 3 of 6 in (10, 20]
    close(explicit_quantile(&h, 0.9), 65.0); // empty (20, 50] skipped; 1 of 2 in (50, 80]
    close(explicit_quantile(&h, 0.99), 78.5); // 1.9 of 2 in (50, 80]
    close(explicit_quantile(&h, 1.0), 80.0);
    h.max = None;
    close(explicit_quantile(&h, 0.99), 50.0);
    // Values all in (10, 20] but recorded within [16, 18]: 15 clamps to 16.
    let h = ExplicitBuckets {
        bounds: &[10.0, 20.0],
        counts: &[0, 4, 0],
        min: Some(16.0),
        max: Some(18.0),
    };
    close(explicit_quantile(&h, 0.5), 16.0);
    close(explicit_quantile(&h, 0.99), 18.0); // 19.9 clamps to max
}

#[test]
fn explicit_degenerate_inputs() {
    assert_eq!(explicit_quantile(&explicit(&[1.0], &[0, 0]), 0.5), None);
    assert_eq!(
        explicit_quantile(&explicit(&[1.0, 2.0], &[1, 1]), 0.5),
        None
    );
    assert_eq!(explicit_quantile(&explicit(&[], &[]), 0.5), None);
    // One bucket (-inf, +inf): only min and max bound it.
    assert_eq!(explicit_quantile(&explicit(&[], &[5]), 0.5), None);
    let h = ExplicitBuckets {
        bounds: &[],
        counts: &[5],
        min: Some(1.0),
        max: Some(3.0),
    };
    close(explicit_quantile(&h, 0.5), 2.0);
    // Non-finite extremes count as unknown.
    let h = ExplicitBuckets {
        bounds: &[1.0],
        counts: &[1, 1],
        min: Some(f64::NAN),
        max: Some(f64::INFINITY),
    };
    close(explicit_quantile(&h, 0.99), 1.0);
}

fn exponential<'a>(
    scale: i32,
    zero_count: u64,
    positive: (i32, &'a [u64]),
    negative: (i32, &'a [u64]),
) -> ExponentialBuckets<'a> {
    ExponentialBuckets {
        scale,
        zero_count,
        positive_offset: positive.0,
        positive: positive.1,
        negative_offset: negative.0,
        negative: negative.1,
        min: None,
        max: None,
    }
}

#[test]
fn exponential_walks_negative_zero_positive() {
    // Scale 0 (base 2): [-4, -2) ×2, zero ×2, (1, 2] ×4, (2, 4] ×4; 12 values.
    let mut h = exponential(0, 2, (0, &[4, 4]), (1, &[2]));
    // rank 1.2: 0.6 of the way from -4 to -2 in log scale: -2^(2 - 0.6).
    close(exponential_quantile(&h, 0.1), -(1.4f64.exp2()));
    close(exponential_quantile(&h, 0.25), 0.0); // rank 3 in the zero bucket
    close(exponential_quantile(&h, 0.5), 0.5f64.exp2()); // rank 6: half of (1, 2]
    close(exponential_quantile(&h, 0.9), 1.7f64.exp2()); // rank 10.8: 0.7 of (2, 4]
    close(exponential_quantile(&h, 1.0), 4.0);
    h.max = Some(3.0);
    h.min = Some(-3.0);
    close(exponential_quantile(&h, 0.9), 3.0);
    close(exponential_quantile(&h, 0.01), -3.0);
}

#[test]
fn exponential_other_scales() {
    // Scale 1 (base √2): buckets 2 and 3 are (2, 2^1.5] and (2^1.5, 4].
    let h = exponential(1, 0, (2, &[1, 1]), (0, &[]));
    close(exponential_quantile(&h, 0.5), 1.5f64.exp2());
    close(exponential_quantile(&h, 0.75), 1.75f64.exp2());
    // Scale -1 (base 4): bucket 1 is (4, 16]; its log-midpoint is 8.
    let h = exponential(-1, 0, (1, &[2]), (0, &[]));
    close(exponential_quantile(&h, 0.5), 8.0);
    // Only zeros.
    close(
        exponential_quantile(&exponential(3, 7, (0, &[]), (0, &[])), 0.99),
        0.0,
    );
    assert_eq!(
        exponential_quantile(&exponential(3, 0, (5, &[0]), (0, &[])), 0.5),
        None
    );
}

#[test]
fn appends_columns_null_outside_histograms() {
    use arrow::array::Float64Builder;
    use arrow::array::{Int32Array, ListBuilder, StringArray, UInt64Array, UInt64Builder};
    let f64s = |v: Vec<Option<f64>>| Arc::new(Float64Array::from(v)) as ArrayRef;
    let mut bounds = ListBuilder::new(Float64Builder::new());
    bounds.append(false);
    bounds.values().append_slice(&[10.0, 20.0, 50.0]);
    bounds.append(true);
    bounds.append(false);
    let mut counts = ListBuilder::new(UInt64Builder::new());
    counts.append(false);
    counts.values().append_slice(&[2, 6, 0, 2]);
    counts.append(true);
    counts.append(false);
    let mut pos = ListBuilder::new(UInt64Builder::new());
    pos.append(false);
    pos.append(false);
    pos.values().append_slice(&[4, 4]);
    pos.append(true);
    let mut neg = ListBuilder::new(UInt64Builder::new());
    neg.append(false);
    neg.append(false);
    neg.values().append_slice(&[2]);
    neg.append(true);
    let i32s = |v: Vec<Option<i32>>| Arc::new(Int32Array::from(v)) as ArrayRef;
    let list = |b: &mut ListBuilder<UInt64Builder>| Arc::new(b.finish()) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        (
            "metric.type",
            Arc::new(StringArray::from(vec![
                "gauge",
                "histogram",
                "exponential_histogram",
            ])) as ArrayRef,
        ),
        ("min", f64s(vec![None, Some(4.0), None])),
        ("max", f64s(vec![None, Some(80.0), None])),
        ("explicit_bounds", Arc::new(bounds.finish()) as ArrayRef),
        ("bucket_counts", list(&mut counts)),
        ("scale", i32s(vec![None, None, Some(0)])),
        (
            "zero_count",
            Arc::new(UInt64Array::from(vec![None, None, Some(2)])) as ArrayRef,
        ),
        ("positive_offset", i32s(vec![None, None, Some(0)])),
        ("positive_bucket_counts", list(&mut pos)),
        ("negative_offset", i32s(vec![None, None, Some(1)])),
        ("negative_bucket_counts", list(&mut neg)),
    ])
    .expect("batch");
    let out = append_quantiles(batch).expect("quantiles");
    let col = |name: &str| {
        out.column_by_name(name)
            .expect(name)
            .as_primitive::<Float64Type>()
            .iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(col("p50"), vec![None, Some(15.0), Some(0.5f64.exp2())]);
    assert_eq!(col("p90")[..2], [None, Some(65.0)]);
    assert_eq!(out.num_columns(), 14);

    let lacking = RecordBatch::try_from_iter([("min", f64s(vec![None]))]).expect("batch");
    let err = append_quantiles(lacking).unwrap_err().to_string();
    assert!(err.contains("lacks `max`"), "{err}");
}
