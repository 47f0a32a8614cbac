//! `inspect` through the real binary: exact totals of the official examples,
//! stdin, every kind of bad input with its message and exit code 2,
//! `--skip-invalid`, `--signal`, the table format and a closed stdout.

#[path = "../decode_support/mod.rs"]
mod decode_support;
#[path = "../fixtures/mod.rs"]
mod fixtures;

mod bad_frames;
mod bad_paths;
mod closed_stdout;
mod examples;
mod signals;
mod skip_invalid;
mod stdin;

use std::path::Path;

use fixtures::{bin, resource, span, traces, SEC, T0};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Gauge, NumberDataPoint,
};
use prost::Message;
use serde_json::{json, Value};

// ---- running the binary --------------------------------------------------------------

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = bin();
    cmd.args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let out = cmd.output().expect("run binary");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// `inspect --format json ARGS...`, asserting success.
fn inspect_json(args: &[&str], stdin: Option<Vec<u8>>) -> (Value, String) {
    let mut all = vec!["inspect", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all, stdin);
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("inspect prints one JSON object");
    (v, r.stderr)
}

/// `inspect ARGS...` that must fail with exit 2 and print nothing on stdout;
/// returns stderr.
fn inspect_fails(args: &[&str], stdin: Option<Vec<u8>>) -> String {
    let mut all = vec!["inspect", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all, stdin);
    assert_eq!(r.code, Some(2), "{args:?}: stderr {}", r.stderr);
    assert_eq!(r.stdout, "", "{args:?}: nothing on stdout");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stderr
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).expect("stat").len()
}

/// The counts every T object must hold, in the documented shape.
#[allow(clippy::too_many_arguments)]
fn counts(
    frames: u64,
    bytes: u64,
    resources: u64,
    scopes: u64,
    spans: u64,
    metrics: u64,
    by_type: [u64; 5],
    log_records: u64,
    services: u64,
    time: (u64, u64),
) -> Value {
    json!({
        "frames": frames,
        "bytes": bytes,
        "skipped_frames": 0,
        "resources": resources,
        "scopes": scopes,
        "spans": spans,
        "metrics": metrics,
        "data_points": by_type.iter().sum::<u64>(),
        "data_points_by_type": {
            "gauge": by_type[0],
            "sum": by_type[1],
            "histogram": by_type[2],
            "exponential_histogram": by_type[3],
            "summary": by_type[4],
        },
        "log_records": log_records,
        "services": services,
        "time_min": time.0,
        "time_max": time.1,
    })
}

/// Asserts every key of `want` has that value in `got` (extra keys allowed).
fn assert_has(what: &str, got: &Value, want: &Value) {
    for (k, v) in want.as_object().expect("object") {
        assert_eq!(&got[k], v, "{what}: {k} in {got}");
    }
}

const SPAN_START: u64 = 1_544_712_660_000_000_000;
const SPAN_END: u64 = 1_544_712_661_000_000_000;
const POINT_TIME: u64 = 1_544_712_660_300_000_000;

// ---- inputs --------------------------------------------------------------------------

fn trace_frames(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let spans = vec![
                span(1, 1, 0, "root", 2, T0 + i * SEC, 500, false),
                span(1, 2, 1, "child", 3, T0 + i * SEC + 10, 100, true),
            ];
            traces(vec![(resource(&format!("svc{}", i % 2), vec![]), spans)]).encode_to_vec()
        })
        .collect()
}

fn gauge_request(points: u64) -> Vec<u8> {
    let dps = (0..points)
        .map(|i| NumberDataPoint {
            time_unix_nano: T0 + i * SEC,
            value: Some(number_data_point::Value::AsDouble(i as f64)),
            ..Default::default()
        })
        .collect();
    fixtures::metrics(
        "metrics-svc",
        vec![fixtures::metric(
            "temp",
            Data::Gauge(Gauge { data_points: dps }),
        )],
    )
    .encode_to_vec()
}
