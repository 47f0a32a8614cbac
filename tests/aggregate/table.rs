//! `--format table` compared whole: durations with units, floats to four
//! significant digits, RFC 3339 times, no all-null columns, one table per
//! metric type; and CSV keeping the exact machine values.

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, NumberDataPoint, Sum, Summary, SummaryDataPoint,
};

use crate::fixtures::*;
use crate::red_fixture;

fn aggregate(file: &std::path::Path, signal: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "aggregate",
        path_str(file),
        "--signal",
        signal,
        "--backend",
        "cpu",
    ];
    args.extend_from_slice(extra);
    run_ok(&args)
}

#[test]
fn traces_table_shows_durations_with_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    // POST /checkout: 10 spans of 10..=100 ms, sum 550 ms, nearest-rank p50 = 5th = 50 ms.
    let want = "\
service.name  name            kind              span_count  error_count  duration_sum  duration_min  duration_max  duration_p50  duration_p90  duration_p99
------------  --------------  ----------------  ----------  -----------  ------------  ------------  ------------  ------------  ------------  ------------
cart          GET /cart       SPAN_KIND_SERVER           1            0       2.00 ms       2.00 ms       2.00 ms       2.00 ms       2.00 ms       2.00 ms
checkout      POST /checkout  SPAN_KIND_SERVER          10            2        550 ms       10.0 ms        100 ms       50.0 ms       90.0 ms        100 ms
checkout      SELECT          SPAN_KIND_CLIENT           1            0       5.00 µs       5.00 µs       5.00 µs       5.00 µs       5.00 µs       5.00 µs
";
    assert_eq!(aggregate(&file, "traces", &[]), want);
    // The window column prints at the precision its values need (whole minutes here).
    let windows = aggregate(&file, "traces", &["--by", "service.name", "--window", "1m"]);
    let want = "\
service.name  window_start          span_count  error_count  duration_sum  duration_min  duration_max  duration_p50  duration_p90  duration_p99
------------  --------------------  ----------  -----------  ------------  ------------  ------------  ------------  ------------  ------------
cart          2026-01-01T00:01:00Z           1            0       2.00 ms       2.00 ms       2.00 ms       2.00 ms       2.00 ms       2.00 ms
checkout      2026-01-01T00:00:00Z          10            2        550 ms       10.0 ms        100 ms       50.0 ms       90.0 ms        100 ms
checkout      2026-01-01T00:01:00Z           1            0       5.00 µs       5.00 µs       5.00 µs       5.00 µs       5.00 µs       5.00 µs
";
    assert_eq!(windows, want);
}

#[test]
fn logs_table_prints_times_and_leaves_out_empty_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = |t: u64, text: &str| LogRecord {
        time_unix_nano: t,
        severity_text: text.into(),
        ..Default::default()
    };
    let req = logs(
        "api",
        vec![
            rec(T0 + 1_500_000, "INFO"),
            rec(T0 + 61 * SEC, "INFO"),
            rec(T0 + 2 * SEC, "ERROR"),
        ],
    );
    let file = write_proto(dir.path(), "l.pb", &req);
    // Each time column prints the fraction digits its own values need.
    let want = "\
service.name  severity_text  log_count  first_time                   last_time
------------  -------------  ---------  ---------------------------  --------------------
api           ERROR                  1  2026-01-01T00:00:02.000000Z  2026-01-01T00:00:02Z
api           INFO                   2  2026-01-01T00:00:00.001500Z  2026-01-01T00:01:01Z
";
    let table = aggregate(&file, "logs", &[]);
    assert_eq!(table, want);
    // An attribute no record has is an all-null key column: left out of the table, kept in CSV.
    let by = ["--by", "service.name,attr.tenant"];
    let table = aggregate(&file, "logs", &by);
    assert!(
        table.starts_with("service.name  log_count  first_time"),
        "{table}"
    );
    let csv = aggregate(&file, "logs", &[by[0], by[1], "--format", "csv"]);
    assert!(
        csv.starts_with("service.name,attr.tenant,log_count,"),
        "{csv}"
    );
}

fn number(time: u64, v: number_data_point::Value, attrs: &[(&str, &str)]) -> NumberDataPoint {
    NumberDataPoint {
        start_time_unix_nano: time - SEC,
        time_unix_nano: time,
        value: Some(v),
        attributes: attrs.iter().map(|(k, v)| kv(k, s(v))).collect(),
        ..Default::default()
    }
}

/// One metric of each type; only the gauge has a `host` attribute.
fn every_type(dir: &std::path::Path) -> std::path::PathBuf {
    use number_data_point::Value::{AsDouble, AsInt};
    let gauge = Data::Gauge(Gauge {
        data_points: vec![
            number(T0, AsDouble(0.1), &[("host", "a")]),
            number(T0 + SEC, AsDouble(0.2), &[("host", "a")]),
        ],
    });
    let sum = Data::Sum(Sum {
        data_points: vec![number(T0, AsInt(3), &[]), number(T0 + SEC, AsInt(4), &[])],
        aggregation_temporality: AggregationTemporality::Delta as i32,
        is_monotonic: true,
    });
    let histogram = Data::Histogram(Histogram {
        data_points: vec![HistogramDataPoint {
            start_time_unix_nano: T0 - SEC,
            time_unix_nano: T0,
            count: 7,
            sum: Some(47.846000000000004),
            bucket_counts: vec![2, 4, 1],
            explicit_bounds: vec![10.0, 100.0],
            min: Some(0.5),
            max: Some(200.0),
            ..Default::default()
        }],
        aggregation_temporality: AggregationTemporality::Delta as i32,
    });
    let exponential = Data::ExponentialHistogram(ExponentialHistogram {
        data_points: vec![ExponentialHistogramDataPoint {
            start_time_unix_nano: T0 - SEC,
            time_unix_nano: T0,
            count: 12,
            sum: Some(10.0),
            scale: 0,
            zero_count: 2,
            positive: Some(Buckets {
                offset: 0,
                bucket_counts: vec![4, 4],
            }),
            negative: Some(Buckets {
                offset: 1,
                bucket_counts: vec![2],
            }),
            min: Some(-3.0),
            max: Some(3.5),
            ..Default::default()
        }],
        aggregation_temporality: AggregationTemporality::Delta as i32,
    });
    let summary = Data::Summary(Summary {
        data_points: vec![SummaryDataPoint {
            start_time_unix_nano: T0 - SEC,
            time_unix_nano: T0,
            count: 4,
            sum: 10.25,
            ..Default::default()
        }],
    });
    let req = metrics(
        "svc",
        vec![
            metric("temp", gauge),
            metric("requests", sum),
            metric("latency", histogram),
            metric("sizes", exponential),
            metric("gc", summary),
        ],
    );
    write_proto(dir, "m.pb", &req)
}

#[test]
fn metrics_print_one_compact_table_per_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = every_type(dir.path());
    // histogram p50: rank 3.5, 1.5 of 4 into (10, 100] = 43.75; p90 rank 6.3 in
    // (100, max 200] = 130; p99 = 193. exponential (scale 0): 12 values, p50
    // rank 6 is half of (1, 2] = 2^0.5; p90 rank 10.8 is 0.7 of (2, 4] = 2^1.7
    // = 3.249; p99 clamps to max 3.5.
    let want = "\
gauge (1 row)
service.name  metric.name  attr.host  point_count  value_sum  value_min  value_max  value_last
------------  -----------  ---------  -----------  ---------  ---------  ---------  ----------
svc           temp         a                    2        0.3        0.1        0.2         0.2

sum (1 row)
service.name  metric.name  point_count  value_sum  value_min  value_max
------------  -----------  -----------  ---------  ---------  ---------
svc           requests               2          7          3          4

histogram (1 row)
service.name  metric.name  point_count  count    sum  min  max  buckets    p50  p90  p99
------------  -----------  -----------  -----  -----  ---  ---  -------  -----  ---  ---
svc           latency                1      7  47.85  0.5  200        3  43.75  130  193

exponential_histogram (1 row)
service.name  metric.name  point_count  count  sum  min  max  scale  zero_count  buckets    p50    p90  p99
------------  -----------  -----------  -----  ---  ---  ---  -----  ----------  -------  -----  -----  ---
svc           sizes                  1     12   10   -3  3.5      0           2        3  1.414  3.249  3.5

summary (1 row)
service.name  metric.name  point_count  count    sum
------------  -----------  -----------  -----  -----
svc           gc                     1      4  10.25
";
    assert_eq!(aggregate(&file, "metrics", &[]), want);
}

#[test]
fn csv_keeps_exact_machine_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = every_type(dir.path());
    let csv = aggregate(&file, "metrics", &["--format", "csv"]);
    let want = "\
service.name,metric.name,attr.host,metric.type,point_count,value_sum,value_min,value_max,value_last,count,sum,min,max,explicit_bounds,bucket_counts,scale,zero_count,positive_offset,positive_bucket_counts,negative_offset,negative_bucket_counts,p50,p90,p99
";
    assert!(csv.starts_with(want), "{csv}");
    let row = |name: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("svc,{name},")))
            .unwrap_or_else(|| panic!("{name} row in {csv}"))
            .to_owned()
    };
    assert_eq!(
        row("temp"),
        "svc,temp,a,gauge,2,0.30000000000000004,0.1,0.2,0.2,,,,,,,,,,,,,,,"
    );
    assert_eq!(
        row("latency"),
        "svc,latency,,histogram,1,,,,,7,47.846000000000004,0.5,200.0,\"[10.0, 100.0]\",\"[2, 4, 1]\",,,,,,,43.75,129.99999999999997,192.99999999999997"
    );
}

#[test]
fn bundled_metrics_dataset_prints_compact_tables_with_ordered_quantiles() {
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/metrics.otlp.zst");
    let table = aggregate(&input, "metrics", &[]);
    let headings: Vec<&str> = table
        .lines()
        .filter(|l| l.ends_with(" rows)") || l.ends_with(" row)"))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        headings,
        [
            "gauge",
            "sum",
            "histogram",
            "exponential_histogram",
            "summary"
        ],
        "{table}"
    );
    assert!(
        !table.contains('['),
        "no bucket lists in the table:\n{table}"
    );
    assert!(!table.contains("metric.type"), "{table}");
    assert!(!table.contains("000000000"), "no float noise:\n{table}");

    let rows = crate::agg(input.parent().expect("dir"), &input, "metrics", &[]);
    let mut histograms = 0;
    for r in &rows {
        let q: Vec<Option<f64>> = ["p50", "p90", "p99"]
            .iter()
            .map(|k| r[*k].as_f64())
            .collect();
        match r["metric.type"].as_str() {
            Some("histogram" | "exponential_histogram") => {
                histograms += 1;
                let (min, max) = (r["min"].as_f64(), r["max"].as_f64());
                let mut chain = vec![min];
                chain.extend(&q);
                chain.push(max);
                let values: Vec<f64> = chain.iter().map(|v| v.expect("all present")).collect();
                assert!(
                    values.windows(2).all(|w| w[0] <= w[1]),
                    "min ≤ p50 ≤ p90 ≤ p99 ≤ max: {r}"
                );
            }
            _ => assert_eq!(q, [None, None, None], "{r}"),
        }
    }
    assert_eq!(
        histograms, 65,
        "40 histogram and 25 exponential histogram rows"
    );
}
