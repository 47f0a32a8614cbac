//! `aggregate` on hand-built inputs with hand-computed expected rows, run through the real binary.

mod fixtures;

use fixtures::*;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, NumberDataPoint, Sum, Summary, SummaryDataPoint,
};
use serde_json::{json, Value};

const SERVER: i32 = 2;
const CLIENT: i32 = 3;

fn agg(dir: &std::path::Path, file: &std::path::Path, signal: &str, extra: &[&str]) -> Vec<Value> {
    let _ = dir;
    let mut args = vec![
        "aggregate",
        path_str(file),
        "--signal",
        signal,
        "--format",
        "json",
        "--backend",
        "cpu",
    ];
    args.extend_from_slice(extra);
    json_rows(&run_ok(&args))
}

fn red_fixture(dir: &std::path::Path) -> std::path::PathBuf {
    let mut checkout = Vec::new();
    // 10 server spans of 10..=100 ms, the 3rd and 7th failing.
    for i in 1..=10u8 {
        checkout.push(span(
            1,
            i,
            0,
            "POST /checkout",
            SERVER,
            T0 + u64::from(i) * SEC,
            u64::from(i) * 10_000_000,
            i == 3 || i == 7,
        ));
    }
    checkout.push(span(
        1,
        20,
        1,
        "SELECT",
        CLIENT,
        T0 + 70 * SEC,
        5_000,
        false,
    ));
    let cart = vec![span(
        2,
        1,
        0,
        "GET /cart",
        SERVER,
        T0 + 61 * SEC,
        2_000_000,
        false,
    )];
    let req = traces(vec![
        (resource("checkout", vec![]), checkout),
        (resource("cart", vec![]), cart),
    ]);
    write_proto(dir, "red.pb", &req)
}

#[test]
fn traces_red_columns_are_exact_on_small_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let rows = agg(dir.path(), &file, "traces", &[]);
    assert_eq!(rows.len(), 3);
    // Sorted by service.name, name, kind.
    assert_eq!(
        rows[0],
        json!({"service.name": "cart", "name": "GET /cart", "kind": "SPAN_KIND_SERVER", "span_count": 1, "error_count": 0,
               "duration_sum_ns": 2_000_000, "duration_min_ns": 2_000_000, "duration_max_ns": 2_000_000,
               "duration_p50_ns": 2_000_000, "duration_p90_ns": 2_000_000, "duration_p99_ns": 2_000_000})
    );
    // Nearest rank over 10..=100 ms: p50 = 5th = 50 ms, p90 = 9th = 90 ms, p99 = 10th = 100 ms.
    assert_eq!(
        rows[1],
        json!({"service.name": "checkout", "name": "POST /checkout", "kind": "SPAN_KIND_SERVER", "span_count": 10,
               "error_count": 2, "duration_sum_ns": 550_000_000u64, "duration_min_ns": 10_000_000, "duration_max_ns": 100_000_000,
               "duration_p50_ns": 50_000_000, "duration_p90_ns": 90_000_000, "duration_p99_ns": 100_000_000})
    );
    assert_eq!(rows[2]["name"], "SELECT");
    assert_eq!(rows[2]["kind"], "SPAN_KIND_CLIENT");
}

#[test]
fn traces_windows_and_status_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let rows = agg(
        dir.path(),
        &file,
        "traces",
        &["--by", "service.name,status_code", "--window", "1m"],
    );
    let summary: Vec<(String, String, i64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["service.name"].as_str().unwrap_or("").to_owned(),
                r["status_code"].as_str().unwrap_or("").to_owned(),
                r["window_start"].as_i64().unwrap_or(-1),
                r["span_count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let (w0, w1) = (T0 as i64, (T0 + 60 * SEC) as i64);
    assert_eq!(
        summary,
        vec![
            ("cart".into(), "STATUS_CODE_UNSET".into(), w1, 1),
            ("checkout".into(), "STATUS_CODE_ERROR".into(), w0, 2),
            ("checkout".into(), "STATUS_CODE_UNSET".into(), w0, 8),
            ("checkout".into(), "STATUS_CODE_UNSET".into(), w1, 1),
        ]
    );
}

#[test]
fn attribute_keys_keep_types_and_missing_is_null_last() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = span(1, 1, 0, "a", SERVER, T0, 100, false);
    a.attributes = vec![kv(
        "http.status_code",
        opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(200),
    )];
    let mut b = span(1, 2, 0, "b", SERVER, T0, 300, false);
    b.attributes = vec![kv(
        "http.status_code",
        opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(500),
    )];
    let c = span(1, 3, 0, "c", SERVER, T0, 500, false);
    let req = traces(vec![(
        resource("svc", vec![kv("host.name", s("h1"))]),
        vec![a, b, c],
    )]);
    let file = write_proto(dir.path(), "attrs.pb", &req);
    let rows = agg(
        dir.path(),
        &file,
        "traces",
        &[
            "--by",
            "attr.http.status_code,resource.host.name,scope.name",
        ],
    );
    let keys: Vec<(Value, Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["attr.http.status_code"].clone(),
                r["resource.host.name"].clone(),
                r["scope.name"].clone(),
                r["span_count"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            (json!(200), json!("h1"), json!("lib.a"), json!(1)),
            (json!(500), json!("h1"), json!("lib.a"), json!(1)),
            (Value::Null, json!("h1"), json!("lib.a"), json!(1)),
        ]
    );
}

fn number(start: u64, time: u64, v: f64) -> NumberDataPoint {
    NumberDataPoint {
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(v)),
        ..Default::default()
    }
}

fn cumulative_sum(points: Vec<NumberDataPoint>, monotonic: bool) -> Data {
    Data::Sum(Sum {
        data_points: points,
        aggregation_temporality: AggregationTemporality::Cumulative as i32,
        is_monotonic: monotonic,
    })
}

fn by_metric(rows: &[Value], name: &str) -> Value {
    rows.iter()
        .find(|r| r["metric.name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn metric_numbers_gauge_delta_and_every_reset_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = T0 - 10 * SEC;
    let req = metrics(
        "svc",
        vec![
            // Gauge: last = value at the greatest time, even when it arrives first.
            metric(
                "temp",
                Data::Gauge(Gauge {
                    data_points: vec![
                        number(0, T0 + 30, 7.0),
                        number(0, T0 + 10, 3.0),
                        number(0, T0 + 20, 5.0),
                    ],
                }),
            ),
            metric(
                "delta",
                Data::Sum(Sum {
                    data_points: vec![number(T0, T0 + 1, 2.5), number(T0 + 1, T0 + 2, 4.0)],
                    aggregation_temporality: AggregationTemporality::Delta as i32,
                    is_monotonic: true,
                }),
            ),
            // Known start: first point counts in full (10), then +5, reset by a drop (3), then +4.
            metric(
                "known_start",
                cumulative_sum(
                    vec![
                        number(st, T0, 10.0),
                        number(st, T0 + 1, 15.0),
                        number(st, T0 + 2, 3.0),
                        number(st, T0 + 3, 7.0),
                    ],
                    true,
                ),
            ),
            // Unknown start (start = 0): first point is a baseline; a new start time is a reset (full 4).
            metric(
                "unknown_start",
                cumulative_sum(
                    vec![
                        number(0, T0, 100.0),
                        number(0, T0 + 1, 110.0),
                        number(T0 + 2, T0 + 3, 4.0),
                    ],
                    true,
                ),
            ),
            // Out-of-order arrival is sorted by time within the series.
            metric(
                "out_of_order",
                cumulative_sum(
                    vec![
                        number(st, T0 + 2, 30.0),
                        number(st, T0 + 1, 20.0),
                        number(st, T0, 10.0),
                    ],
                    true,
                ),
            ),
            // Non-monotonic: a drop is a negative delta, not a reset.
            metric(
                "updown",
                cumulative_sum(vec![number(st, T0, 10.0), number(st, T0 + 1, 4.0)], false),
            ),
            // Only a baseline: no delta at all.
            metric(
                "baseline_only",
                cumulative_sum(vec![number(T0, T0, 42.0)], true),
            ),
        ],
    );
    let file = write_proto(dir.path(), "m.pb", &req);
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    let pick = |name: &str, cols: &[&str]| -> Vec<Value> {
        cols.iter()
            .map(|c| by_metric(&rows, name)[*c].clone())
            .collect()
    };
    let cols = [
        "metric.type",
        "point_count",
        "value_sum",
        "value_min",
        "value_max",
        "value_last",
    ];
    assert_eq!(
        pick("temp", &cols),
        [
            json!("gauge"),
            json!(3),
            json!(15.0),
            json!(3.0),
            json!(7.0),
            json!(7.0)
        ]
    );
    assert_eq!(
        pick("delta", &cols),
        [
            json!("sum"),
            json!(2),
            json!(6.5),
            json!(2.5),
            json!(4.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("known_start", &cols),
        [
            json!("sum"),
            json!(4),
            json!(22.0),
            json!(3.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("unknown_start", &cols),
        [
            json!("sum"),
            json!(3),
            json!(14.0),
            json!(4.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("out_of_order", &cols),
        [
            json!("sum"),
            json!(3),
            json!(30.0),
            json!(10.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("updown", &cols),
        [
            json!("sum"),
            json!(2),
            json!(4.0),
            json!(-6.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("baseline_only", &cols),
        [
            json!("sum"),
            json!(1),
            json!(0.0),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
}

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

#[test]
fn metric_default_keys_add_one_column_per_point_attribute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = number(0, T0, 1.0);
    a.attributes = vec![kv("host", s("a"))];
    let mut b = number(0, T0, 2.0);
    b.attributes = vec![
        kv("host", s("b")),
        kv(
            "cpu",
            opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(1),
        ),
    ];
    let data = Data::Gauge(Gauge {
        data_points: vec![a, b],
    });
    let file = write_proto(
        dir.path(),
        "g.pb",
        &metrics("svc", vec![metric("load", data)]),
    );
    let rows = agg(dir.path(), &file, "metrics", &[]);
    let keys: Vec<(Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["attr.cpu"].clone(),
                r["attr.host"].clone(),
                r["value_sum"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            (json!(1), json!("b"), json!(2.0)),
            (Value::Null, json!("a"), json!(1.0))
        ]
    );
}

#[test]
fn logs_count_first_last_with_observed_fallback_and_null_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = |t: u64, observed: u64, text: &str, n: i32| LogRecord {
        time_unix_nano: t,
        observed_time_unix_nano: observed,
        severity_text: text.into(),
        severity_number: n,
        ..Default::default()
    };
    let req = logs(
        "api",
        vec![
            rec(T0 + 5, T0 + 6, "INFO", 9),
            rec(0, T0 + 1, "INFO", 9),
            rec(T0 + 9, T0 + 9, "", 0),
            rec(T0 + 3, 0, "ERROR", 17),
        ],
    );
    let file = write_proto(dir.path(), "l.pb", &req);
    let rows = agg(dir.path(), &file, "logs", &[]);
    assert_eq!(
        rows,
        vec![
            json!({"service.name": "api", "severity_text": "ERROR", "log_count": 1, "first_time": T0 + 3, "last_time": T0 + 3}),
            json!({"service.name": "api", "severity_text": "INFO", "log_count": 2, "first_time": T0 + 1, "last_time": T0 + 5}),
            json!({"service.name": "api", "severity_text": null, "log_count": 1, "first_time": T0 + 9, "last_time": T0 + 9}),
        ]
    );
    let rows = agg(dir.path(), &file, "logs", &["--by", "severity_number"]);
    let nums: Vec<Value> = rows.iter().map(|r| r["severity_number"].clone()).collect();
    assert_eq!(nums, vec![json!(0), json!(9), json!(17)]);
}

#[test]
fn table_and_csv_formats_print_rfc3339_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let req = logs(
        "api",
        vec![LogRecord {
            time_unix_nano: T0,
            severity_text: "INFO".into(),
            ..Default::default()
        }],
    );
    let file = write_proto(dir.path(), "l.pb", &req);
    let csv = run_ok(&[
        "aggregate",
        path_str(&file),
        "--signal",
        "logs",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "service.name,severity_text,log_count,first_time,last_time\napi,INFO,1,2026-01-01T00:00:00.000000000Z,2026-01-01T00:00:00.000000000Z\n"
    );
    let table = run_ok(&["aggregate", path_str(&file), "--signal", "logs"]);
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("service.name  severity_text  log_count")),
        "{table}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let err = run_fails(
        &[
            "aggregate",
            path_str(&file),
            "--signal",
            "traces",
            "--by",
            "severity_text",
        ],
        2,
    );
    assert!(
        err.contains("unknown key \"severity_text\" for traces"),
        "{err}"
    );
    let err = run_fails(
        &[
            "aggregate",
            path_str(&file),
            "--signal",
            "traces",
            "--window",
            "5 fortnights",
        ],
        2,
    );
    assert!(err.contains("invalid duration"), "{err}");
    let err = run_fails(&["aggregate", path_str(&file), "--signal", "logs"], 2);
    assert!(
        err.contains("no OTLP data in") && err.contains("no logs found"),
        "{err}"
    );
}

#[test]
fn backend_gpu_without_an_adapter_exits_2_and_auto_falls_back_to_cpu() {
    // Point the Vulkan loader at no driver: wgpu then finds no adapter.
    let no_gpu = |args: &[&str]| {
        bin()
            .args(args)
            .env("VK_ICD_FILENAMES", "/nonexistent.json")
            .env("WGPU_BACKEND", "vulkan")
            .output()
            .expect("run")
    };
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/traces.otlp.zst");
    let out = no_gpu(&[
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--backend",
        "gpu",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--backend gpu: no GPU adapter found"), "{err}");
    assert!(out.stdout.is_empty());
    let out = no_gpu(&[
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--backend",
        "auto",
        "--verbose",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("backend: cpu"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        run_ok(&[
            "aggregate",
            path_str(&input),
            "--signal",
            "traces",
            "--backend",
            "cpu"
        ])
    );
}
