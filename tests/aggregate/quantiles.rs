//! `p50`, `p90`, `p99` of histogram rows through the real binary: hand-computed
//! values in JSON, CSV and `-o` Parquet, and estimates that stay inside the
//! bucket of the exact quantile of raw values drawn and bucketed here the way
//! `generate` draws and buckets them.

use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, AggregationTemporality,
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    NumberDataPoint,
};
use otlp_analytics::generate::metrics::exp_bucket_index;
use otlp_analytics::generate::rng::{RngCore, SplitMix64};
use serde_json::Value;

use crate::fixtures::*;
use crate::{agg, by_metric};

const QUANTILES: [(&str, f64); 3] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)];

fn f(row: &Value, key: &str) -> f64 {
    row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} not a number in {row}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// The exact nearest-rank quantile of sorted values.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
}

/// Cumulative points whose delta-merged buckets are [2, 4, 1] over bounds [10, 100].
fn cumulative_histogram() -> Data {
    let p = |time, count, sum, buckets: Vec<u64>, min, max| HistogramDataPoint {
        start_time_unix_nano: T0 - SEC,
        time_unix_nano: time,
        count,
        sum: Some(sum),
        bucket_counts: buckets,
        explicit_bounds: vec![10.0, 100.0],
        min: Some(min),
        max: Some(max),
        ..Default::default()
    };
    Data::Histogram(Histogram {
        data_points: vec![
            p(T0, 3, 30.0, vec![1, 1, 1], 1.0, 200.0),
            p(T0 + 1, 5, 80.0, vec![2, 2, 1], 0.5, 150.0),
            p(T0 + 2, 2, 20.0, vec![0, 2, 0], 2.0, 60.0),
        ],
        aggregation_temporality: AggregationTemporality::Cumulative as i32,
    })
}

#[test]
fn hand_computed_quantiles_in_json_csv_and_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gauge = Data::Gauge(Gauge {
        data_points: vec![NumberDataPoint {
            time_unix_nano: T0,
            value: Some(
                opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(1.0),
            ),
            ..Default::default()
        }],
    });
    let req = metrics(
        "svc",
        vec![
            metric("latency", cumulative_histogram()),
            metric("temp", gauge),
        ],
    );
    let file = write_proto(dir.path(), "h.pb", &req);
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    let r = by_metric(&rows, "latency");
    assert_eq!(r["bucket_counts"], serde_json::json!([2, 4, 1]));
    // 7 values: p50 rank 3.5 is 1.5 of 4 into (10, 100] → 43.75; p90 rank 6.3
    // and p99 rank 6.93 fall in (100, max 200]: 0.3 → 130, 0.93 → 193.
    for (key, want) in [("p50", 43.75), ("p90", 130.0), ("p99", 193.0)] {
        assert!(close(f(&r, key), want), "{key}: {} != {want}", r[key]);
    }
    let g = by_metric(&rows, "temp");
    for (key, _) in QUANTILES {
        assert_eq!(g[key], Value::Null, "gauge rows have no {key}");
    }

    let csv = run_ok(&[
        "aggregate",
        path_str(&file),
        "--signal",
        "metrics",
        "--by",
        "service.name",
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    assert!(
        header.ends_with(",negative_bucket_counts,p50,p90,p99"),
        "{header}"
    );
    // CSV prints the exact f64 (0.9 × 7 is a hair above 6.3 in binary).
    assert!(
        lines.any(|l| l.starts_with("latency,svc,histogram,")
            && l.ends_with(",43.75,129.99999999999997,192.99999999999997")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("temp,svc,gauge,") && l.ends_with(",,,")),
        "{csv}"
    );

    let out = dir.path().join("agg.parquet");
    run_ok(&[
        "aggregate",
        path_str(&file),
        "--signal",
        "metrics",
        "--by",
        "service.name",
        "-o",
        path_str(&out),
    ]);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&out).expect("open parquet"),
    )
    .expect("parquet")
    .build()
    .expect("reader");
    let batch = reader.map(|b| b.expect("batch")).next().expect("one batch");
    let p50 = batch
        .column_by_name("p50")
        .expect("p50 column")
        .as_any()
        .downcast_ref::<arrow::array::Float64Array>()
        .expect("p50 is Float64");
    let values: Vec<Option<f64>> = p50.iter().collect();
    assert_eq!(values, vec![Some(43.75), None], "rows: latency, temp");
}

/// Values as `generate` draws them for an HTTP histogram (lognormal, rounded to µ units).
fn draw_latencies(rng: &mut SplitMix64, median: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| (rng.lognormal(median, 0.9) * 1000.0).round() / 1000.0)
        .collect()
}

fn explicit_point(values: &[f64], bounds: &[f64], time: u64) -> HistogramDataPoint {
    let mut counts = vec![0u64; bounds.len() + 1];
    for v in values {
        counts[bounds.iter().position(|b| v <= b).unwrap_or(bounds.len())] += 1;
    }
    HistogramDataPoint {
        start_time_unix_nano: time - SEC,
        time_unix_nano: time,
        count: values.len() as u64,
        sum: Some(values.iter().sum()),
        bucket_counts: counts,
        explicit_bounds: bounds.to_vec(),
        min: values.iter().copied().reduce(f64::min),
        max: values.iter().copied().reduce(f64::max),
        ..Default::default()
    }
}

#[test]
fn explicit_estimates_stay_in_the_bucket_of_the_exact_quantile() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The generator's HTTP bounds, and a coarse set that leaves many values in +Inf.
    let http = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
    let coarse = [1.0, 20.0];
    let mut rng = SplitMix64::new(15);
    let mut raw = Vec::new();
    let mut data = Vec::new();
    for (m, (median, bounds)) in [(40.0, &http[..]), (3.0, &http[..]), (12.0, &coarse[..])]
        .into_iter()
        .enumerate()
    {
        // Three delta points per metric: the group merges them.
        let chunks: Vec<Vec<f64>> = [120, 7, 300]
            .iter()
            .map(|&n| draw_latencies(&mut rng, median, n))
            .collect();
        let points = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| explicit_point(c, bounds, T0 + i as u64 * SEC))
            .collect();
        let name = format!("lat{m}");
        data.push(metric(
            &name,
            Data::Histogram(Histogram {
                data_points: points,
                aggregation_temporality: AggregationTemporality::Delta as i32,
            }),
        ));
        let mut all: Vec<f64> = chunks.concat();
        all.sort_by(f64::total_cmp);
        raw.push((name, bounds, all));
    }
    let file = write_proto(dir.path(), "raw.pb", &metrics("svc", data));
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    for (name, bounds, values) in raw {
        let r = by_metric(&rows, &name);
        let (min, max) = (values[0], values[values.len() - 1]);
        for (key, q) in QUANTILES {
            let exact = nearest_rank(&values, q);
            let b = bounds
                .iter()
                .position(|b| exact <= *b)
                .unwrap_or(bounds.len());
            let lo = if b == 0 { min } else { bounds[b - 1] };
            let hi = bounds.get(b).copied().unwrap_or(max).min(max);
            let est = f(&r, key);
            assert!(
                lo <= est && est <= hi && (est - exact).abs() <= hi - lo,
                "{name} {key}: estimate {est} outside bucket [{lo}, {hi}] of exact {exact}"
            );
        }
    }
}

/// Values as `generate` draws them for exponential histograms: sizes with
/// some exact zeros, or signed values around zero.
fn draw_exp_values(rng: &mut SplitMix64, signed: bool, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if signed {
                (rng.normal_with(0.0, 5.0) * 1000.0).round() / 1000.0
            } else if rng.chance(0.1) {
                0.0
            } else {
                rng.lognormal(2048.0, 1.2).round().max(1.0)
            }
        })
        .collect()
}

fn exp_point(values: &[f64], scale: i32, time: u64) -> ExponentialHistogramDataPoint {
    let buckets = |keep: fn(f64) -> bool| -> Buckets {
        let idx: Vec<i64> = values
            .iter()
            .filter(|v| keep(**v))
            .map(|v| exp_bucket_index(*v, scale))
            .collect();
        let Some(&lo) = idx.iter().min() else {
            return Buckets::default();
        };
        let hi = *idx.iter().max().expect("non-empty");
        let mut counts = vec![0u64; (hi - lo + 1) as usize];
        idx.iter().for_each(|i| counts[(i - lo) as usize] += 1);
        Buckets {
            offset: lo as i32,
            bucket_counts: counts,
        }
    };
    ExponentialHistogramDataPoint {
        start_time_unix_nano: time - SEC,
        time_unix_nano: time,
        count: values.len() as u64,
        sum: Some(values.iter().sum()),
        scale,
        zero_count: values.iter().filter(|v| **v == 0.0).count() as u64,
        positive: Some(buckets(|v| v > 0.0)),
        negative: Some(buckets(|v| v < 0.0)),
        min: values.iter().copied().reduce(f64::min),
        max: values.iter().copied().reduce(f64::max),
        ..Default::default()
    }
}

#[test]
fn exponential_estimates_stay_in_the_bucket_of_the_exact_quantile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = SplitMix64::new(1515);
    let mut raw = Vec::new();
    let mut data = Vec::new();
    // Points at two scales: the group merges at the smaller one.
    for (m, (signed, scales)) in [(false, [8, 5]), (true, [3, 6]), (false, [0, 2])]
        .into_iter()
        .enumerate()
    {
        let mut points = Vec::new();
        // (value, bucket index at the merged scale, as the aggregator shifts it)
        let mut values: Vec<(f64, i64)> = Vec::new();
        let merged = scales.iter().copied().min().expect("two scales");
        for (i, (scale, n)) in scales.into_iter().zip([250, 90]).enumerate() {
            let chunk = draw_exp_values(&mut rng, signed, n);
            values.extend(chunk.iter().map(|&v| {
                let index = if v == 0.0 {
                    0
                } else {
                    exp_bucket_index(v, scale)
                };
                (v, index >> (scale - merged))
            }));
            points.push(exp_point(&chunk, scale, T0 + i as u64 * SEC));
        }
        let name = format!("size{m}");
        data.push(metric(
            &name,
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: points,
                aggregation_temporality: AggregationTemporality::Delta as i32,
            }),
        ));
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        raw.push((name, merged, values));
    }
    let file = write_proto(dir.path(), "raw.pb", &metrics("svc", data));
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    for (name, merged, values) in raw {
        let r = by_metric(&rows, &name);
        assert_eq!(r["scale"], merged, "{name} merges at the smaller scale");
        let base = (-f64::from(merged)).exp2().exp2();
        let n = values.len();
        for (key, q) in QUANTILES {
            let (exact, index) = values[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
            let est = f(&r, key);
            if exact == 0.0 {
                assert_eq!(
                    est, 0.0,
                    "{name} {key}: exact quantile is in the zero bucket"
                );
                continue;
            }
            // |v| in (base^i, base^(i+1)], same sign as the exact value.
            let lo = base.powf(index as f64);
            let hi = base.powf(index as f64 + 1.0);
            let size = est.abs();
            assert!(
                est.signum() == exact.signum()
                    && lo * (1.0 - 1e-9) <= size
                    && size <= hi * (1.0 + 1e-9)
                    && (est - exact).abs() <= (base - 1.0) * exact.abs() * (1.0 + 1e-9),
                "{name} {key}: estimate {est} outside bucket ±({lo}, {hi}] of exact {exact}"
            );
        }
    }
}
