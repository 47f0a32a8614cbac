//! Streaming cumulative → delta: series interleaved across frames and files,
//! points reversed, shuffled and duplicated, resets inside a disordered series,
//! an exponential histogram changing scale mid-stream, any thread count — all
//! give the answer of the series sorted by time, with hand-computed values.

use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, NumberDataPoint,
    Sum,
};
use prost::Message;
use serde_json::{json, Value};

use crate::fixtures::*;
use crate::{agg, by_metric};

fn number(start: u64, time: u64, v: f64, host: &str) -> NumberDataPoint {
    NumberDataPoint {
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(v)),
        attributes: vec![kv("host", s(host))],
        ..Default::default()
    }
}

fn counter(name: &str, points: Vec<NumberDataPoint>) -> Vec<u8> {
    let data = Data::Sum(Sum {
        data_points: points,
        aggregation_temporality: AggregationTemporality::Cumulative as i32,
        is_monotonic: true,
    });
    metrics("svc", vec![metric(name, data)]).encode_to_vec()
}

/// Runs `aggregate` with `--verbose`: the rows and stderr.
fn agg_verbose(files: &[&std::path::Path], extra: &[&str]) -> (Vec<Value>, String) {
    let mut args: Vec<&str> = vec!["aggregate"];
    args.extend(files.iter().map(|f| path_str(f)));
    args.extend([
        "--signal",
        "metrics",
        "--format",
        "json",
        "--backend",
        "cpu",
        "--verbose",
    ]);
    args.extend_from_slice(extra);
    let out = bin().args(&args).output().expect("run binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    (
        json_rows(&stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cols(row: &Value, names: &[&str]) -> Vec<Value> {
    names.iter().map(|c| row[*c].clone()).collect()
}

const SUM_COLS: [&str; 4] = ["point_count", "value_sum", "value_min", "value_max"];

#[test]
fn metric_streaming_series_interleaved_across_frames_and_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = T0 - SEC;
    // Host a: 10, 20, ... 100 (+10 each). Host b: 5, 10, 15, 20, reset to 3, then +3 each.
    let b_values = [5.0, 10.0, 15.0, 20.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0];
    // Each frame holds two points of each series.
    let msgs: Vec<Vec<u8>> = (0..5u64)
        .map(|f| {
            let mut points = Vec::new();
            for i in [2 * f, 2 * f + 1] {
                let t = T0 + i * SEC;
                points.push(number(st, t, 10.0 * (i + 1) as f64, "a"));
                points.push(number(st, t, b_values[i as usize], "b"));
            }
            counter("requests", points)
        })
        .collect();
    let whole = write_stream(dir.path(), "whole.bin", &msgs);
    let first = write_stream(dir.path(), "first.bin", &msgs[..3]);
    let second = write_stream(dir.path(), "second.bin", &msgs[3..]);
    // Total increase a: 10 + 9×10 = 100; b: 5 + 3×5 + 3 + 5×3 = 38.
    let want = [json!(20), json!(138.0), json!(3.0), json!(10.0)];
    let by = ["--by", "service.name"];
    let (rows, err) = agg_verbose(&[&whole], &by);
    assert_eq!(cols(&by_metric(&rows, "requests"), &SUM_COLS), want);
    assert!(err.contains("metrics: 2 series tracked, 20 points folded as they arrived, 0 points buffered out of order"), "{err}");
    assert!(err.contains("1 pass(es)"), "{err}");
    let (rows, err) = agg_verbose(&[&first, &second], &by);
    assert_eq!(cols(&by_metric(&rows, "requests"), &SUM_COLS), want);
    assert!(err.contains("0 points buffered out of order"), "{err}");
    // The later file first: both series go back in time, are found, and replayed sorted.
    let (rows, err) = agg_verbose(&[&second, &first], &by);
    assert_eq!(cols(&by_metric(&rows, "requests"), &SUM_COLS), want);
    assert!(
        err.contains("20 points buffered out of order (2 series replayed sorted; 2 pass(es)"),
        "{err}"
    );
    assert!(err.contains("peak metric state"), "{err}");
}

#[test]
fn metric_streaming_reversed_shuffled_and_duplicated_points() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = T0 - SEC;
    // In time order: 10, 20, 20 (same timestamp twice), 35, 5 (a reset), 15.
    let sorted = [
        (0, 10.0),
        (1, 20.0),
        (1, 20.0),
        (2, 35.0),
        (3, 5.0),
        (4, 15.0),
    ];
    // Another series whose start time changes (a restart) in the middle, arriving shuffled.
    let st2 = T0 + 2 * SEC - 1;
    let restarted = vec![
        number(st2, T0 + 2 * SEC, 4.0, "r"),
        number(st, T0, 100.0, "r"),
        number(st2, T0 + 3 * SEC, 9.0, "r"),
        number(st, T0 + SEC, 110.0, "r"),
    ];
    let arrangements: [(&str, Vec<usize>); 3] = [
        ("in_order", vec![0, 1, 2, 3, 4, 5]),
        ("reversed", vec![5, 4, 3, 2, 1, 0]),
        ("shuffled", vec![3, 0, 5, 2, 4, 1]),
    ];
    for (name, order) in arrangements {
        // One point per frame, so the disorder crosses frames too.
        let mut msgs: Vec<Vec<u8>> = order
            .iter()
            .map(|&i| {
                let (k, v) = sorted[i];
                counter("hits", vec![number(st, T0 + k * SEC, v, "h")])
            })
            .collect();
        msgs.push(counter("restarts", restarted.clone()));
        let file = write_stream(dir.path(), &format!("{name}.bin"), &msgs);
        let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
        // 10 (known start) + 10 + 0 + 15 + 5 (reset) + 10.
        assert_eq!(
            cols(&by_metric(&rows, "hits"), &SUM_COLS),
            [json!(6), json!(50.0), json!(0.0), json!(15.0)],
            "{name}"
        );
        // 100 (known start) + 10, then a new start: 4 in full, then + 5.
        assert_eq!(
            cols(&by_metric(&rows, "restarts"), &SUM_COLS),
            [json!(4), json!(119.0), json!(4.0), json!(100.0)],
            "{name}"
        );
        // Standard input cannot be read twice: its series are kept and sorted at the end.
        let piped = bin()
            .args([
                "aggregate",
                "-",
                "--signal",
                "metrics",
                "--format",
                "json",
                "--by",
                "service.name",
                "--backend",
                "cpu",
            ])
            .write_stdin(std::fs::read(&file).expect("read"))
            .output()
            .expect("run binary");
        assert!(
            piped.status.success(),
            "{}",
            String::from_utf8_lossy(&piped.stderr)
        );
        let piped_rows = json_rows(&String::from_utf8_lossy(&piped.stdout));
        assert_eq!(
            cols(&by_metric(&piped_rows, "hits"), &SUM_COLS),
            [json!(6), json!(50.0), json!(0.0), json!(15.0)],
            "{name} via stdin"
        );
        // Windows of 2 s: each delta lands in its own point's window.
        let rows = agg(
            dir.path(),
            &file,
            "metrics",
            &["--by", "metric.name", "--window", "2s"],
        );
        let hits: Vec<Value> = rows
            .iter()
            .filter(|r| r["metric.name"] == "hits")
            .map(|r| json!([r["point_count"], r["value_sum"]]))
            .collect();
        assert_eq!(
            hits,
            [json!([3, 20.0]), json!([2, 20.0]), json!([1, 10.0])],
            "{name}"
        );
    }
}

fn exp_point(
    time_s: u64,
    scale: i32,
    offset: i32,
    counts: Vec<u64>,
    sum: f64,
) -> ExponentialHistogramDataPoint {
    ExponentialHistogramDataPoint {
        start_time_unix_nano: T0 - SEC,
        time_unix_nano: T0 + time_s * SEC,
        count: counts.iter().sum(),
        sum: Some(sum),
        scale,
        positive: Some(Buckets {
            offset,
            bucket_counts: counts,
        }),
        ..Default::default()
    }
}

#[test]
fn metric_streaming_exponential_histogram_changes_scale_mid_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Cumulative: scale 2 buckets 4,5 = [1,1]; then [2,1,1] at 4..=6; then scale 1 buckets 2,3 = [4,2].
    // At the series' smallest scale (1): [2], [3,1], [4,2] → deltas [2], [1,1], [1,1].
    let points = [
        exp_point(0, 2, 4, vec![1, 1], 10.0),
        exp_point(1, 2, 4, vec![2, 1, 1], 20.0),
        exp_point(2, 1, 2, vec![4, 2], 30.0),
    ];
    for (name, order) in [("in_order", [0, 1, 2]), ("shuffled", [2, 0, 1])] {
        let msgs: Vec<Vec<u8>> = order
            .iter()
            .map(|&i| {
                let data = Data::ExponentialHistogram(ExponentialHistogram {
                    data_points: vec![points[i].clone()],
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                });
                metrics("svc", vec![metric("latency", data)]).encode_to_vec()
            })
            .collect();
        let file = write_stream(dir.path(), &format!("exp_{name}.bin"), &msgs);
        let exp_cols = [
            "count",
            "sum",
            "scale",
            "positive_offset",
            "positive_bucket_counts",
        ];
        let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
        assert_eq!(
            cols(&by_metric(&rows, "latency"), &exp_cols),
            [json!(6), json!(30.0), json!(1), json!(2), json!([4, 2])],
            "{name}"
        );
        // One window per point: the first point's window is lowered to scale 1 too.
        let rows = agg(
            dir.path(),
            &file,
            "metrics",
            &["--by", "metric.name", "--window", "1s"],
        );
        let per_window: Vec<Vec<Value>> = rows.iter().map(|r| cols(r, &exp_cols)).collect();
        assert_eq!(
            per_window,
            [
                [json!(2), json!(10.0), json!(1), json!(2), json!([2])],
                [json!(2), json!(10.0), json!(1), json!(2), json!([1, 1])],
                [json!(2), json!(10.0), json!(1), json!(2), json!([1, 1])],
            ],
            "{name}"
        );
    }
}

/// A generated stream with its frames in reverse order (every series runs backwards in time).
fn reversed_frames(bytes: &[u8]) -> Vec<u8> {
    let mut msgs = Vec::new();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        msgs.push(bytes[at + 4..at + 4 + len].to_vec());
        at += 4 + len;
    }
    msgs.reverse();
    frames(&msgs)
}

#[test]
fn metric_streaming_same_rows_at_any_thread_count_and_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("gen.bin");
    run_ok(&[
        "generate",
        "--signal",
        "metrics",
        "--seed",
        "5",
        "--series",
        "40",
        "--points",
        "12",
        "--format",
        "fileexporter",
        "-o",
        path_str(&file),
    ]);
    let reversed = dir.path().join("reversed.bin");
    std::fs::write(
        &reversed,
        reversed_frames(&std::fs::read(&file).expect("read")),
    )
    .expect("write");
    let run = |f: &std::path::Path, threads: usize| {
        run_ok(&[
            "aggregate",
            path_str(f),
            "--signal",
            "metrics",
            "--window",
            "1m",
            "--format",
            "json",
            "--backend",
            "cpu",
            "--threads",
            &threads.to_string(),
        ])
    };
    let want = run(&file, 1);
    assert!(json_rows(&want).len() > 10);
    for threads in 1..=8 {
        assert_eq!(run(&file, threads), want, "{threads} threads");
        assert_eq!(run(&reversed, threads), want, "reversed, {threads} threads");
    }
}
