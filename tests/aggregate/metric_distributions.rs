//! Histograms, exponential histograms and summaries: per-bucket deltas, resets,
//! scale merging and bound mismatches.

use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, AggregationTemporality,
    ExponentialHistogram, ExponentialHistogramDataPoint, Histogram, HistogramDataPoint, Summary,
    SummaryDataPoint,
};
use serde_json::json;

use crate::fixtures::*;
use crate::{agg, by_metric};

#[allow(clippy::too_many_arguments)] // one per point field, as the proto has them
fn hist(
    start: u64,
    time: u64,
    count: u64,
    sum: f64,
    buckets: Vec<u64>,
    bounds: Vec<f64>,
    min: f64,
    max: f64,
) -> HistogramDataPoint {
    HistogramDataPoint {
        start_time_unix_nano: start,
        time_unix_nano: time,
        count,
        sum: Some(sum),
        bucket_counts: buckets,
        explicit_bounds: bounds,
        min: Some(min),
        max: Some(max),
        ..Default::default()
    }
}

#[test]
fn histograms_delta_per_bucket_with_count_reset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = T0 - SEC;
    let b = vec![10.0, 100.0];
    let points = vec![
        hist(st, T0, 3, 30.0, vec![1, 1, 1], b.clone(), 1.0, 200.0),
        hist(st, T0 + 1, 5, 80.0, vec![2, 2, 1], b.clone(), 0.5, 150.0),
        // count drops: reset, contributes in full
        hist(st, T0 + 2, 2, 20.0, vec![0, 2, 0], b.clone(), 2.0, 60.0),
    ];
    let data = Data::Histogram(Histogram {
        data_points: points,
        aggregation_temporality: AggregationTemporality::Cumulative as i32,
    });
    let file = write_proto(
        dir.path(),
        "h.pb",
        &metrics("svc", vec![metric("latency", data)]),
    );
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    let r = by_metric(&rows, "latency");
    assert_eq!(r["metric.type"], "histogram");
    assert_eq!(r["point_count"], 3);
    // 3 (known start) + 2 + 2 (reset) = 7; 30 + 50 + 20 = 100; buckets [1+1+0, 1+1+2, 1+0+0]
    assert_eq!(r["count"], 7);
    assert_eq!(r["sum"], 100.0);
    assert_eq!(r["bucket_counts"], json!([2, 4, 1]));
    assert_eq!(r["explicit_bounds"], json!([10.0, 100.0]));
    assert_eq!(
        (r["min"].clone(), r["max"].clone()),
        (json!(0.5), json!(200.0))
    );
}

#[test]
fn histograms_with_different_bounds_in_one_group_are_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let points = vec![
        hist(T0 - SEC, T0, 1, 1.0, vec![1, 0], vec![5.0], 1.0, 1.0),
        hist(
            T0 - SEC,
            T0 + 1,
            1,
            1.0,
            vec![1, 0, 0],
            vec![5.0, 10.0],
            1.0,
            1.0,
        ),
    ];
    let data = Data::Histogram(Histogram {
        data_points: points,
        aggregation_temporality: AggregationTemporality::Delta as i32,
    });
    let file = write_proto(
        dir.path(),
        "h.pb",
        &metrics("svc", vec![metric("rpc.duration", data)]),
    );
    let err = run_fails(
        &[
            "aggregate",
            path_str(&file),
            "--signal",
            "metrics",
            "--by",
            "service.name",
        ],
        2,
    );
    assert!(
        err.contains("histogram rpc.duration: points with different explicit bounds"),
        "{err}"
    );
}

#[test]
fn exponential_histograms_merge_at_the_smallest_scale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let point =
        |scale: i32, offset: i32, counts: Vec<u64>, zero: u64| ExponentialHistogramDataPoint {
            start_time_unix_nano: T0,
            time_unix_nano: T0 + 1,
            count: counts.iter().sum::<u64>() + zero,
            sum: Some(1.0),
            scale,
            zero_count: zero,
            positive: Some(Buckets {
                offset,
                bucket_counts: counts,
            }),
            min: Some(0.0),
            max: Some(9.0),
            ..Default::default()
        };
    // Scale 1 buckets 2..=5 become scale 0 buckets 1,1,2,2; merged with scale 0 buckets 1..=2.
    let data = Data::ExponentialHistogram(ExponentialHistogram {
        data_points: vec![
            point(1, 2, vec![1, 2, 3, 4], 1),
            point(0, 1, vec![10, 20], 0),
        ],
        aggregation_temporality: AggregationTemporality::Delta as i32,
    });
    let file = write_proto(
        dir.path(),
        "e.pb",
        &metrics("svc", vec![metric("sizes", data)]),
    );
    let r = by_metric(
        &agg(dir.path(), &file, "metrics", &["--by", "service.name"]),
        "sizes",
    );
    assert_eq!(r["metric.type"], "exponential_histogram");
    assert_eq!(
        (
            r["scale"].clone(),
            r["zero_count"].clone(),
            r["count"].clone()
        ),
        (json!(0), json!(1), json!(41))
    );
    assert_eq!(
        (
            r["positive_offset"].clone(),
            r["positive_bucket_counts"].clone()
        ),
        (json!(1), json!([13, 27]))
    );
    assert_eq!(
        (
            r["negative_offset"].clone(),
            r["negative_bucket_counts"].clone()
        ),
        (json!(0), json!([]))
    );
    assert_eq!(r["sum"], 2.0);
}

#[test]
fn summaries_sum_count_and_sum_as_deltas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |time: u64, count: u64, sum: f64| SummaryDataPoint {
        start_time_unix_nano: T0 - SEC,
        time_unix_nano: time,
        count,
        sum,
        ..Default::default()
    };
    let data = Data::Summary(Summary {
        data_points: vec![p(T0, 4, 10.0), p(T0 + 1, 6, 16.0)],
    });
    let file = write_proto(
        dir.path(),
        "s.pb",
        &metrics("svc", vec![metric("gc", data)]),
    );
    let r = by_metric(
        &agg(dir.path(), &file, "metrics", &["--by", "service.name"]),
        "gc",
    );
    assert_eq!(
        (
            r["metric.type"].clone(),
            r["count"].clone(),
            r["sum"].clone()
        ),
        (json!("summary"), json!(6), json!(16.0))
    );
}
