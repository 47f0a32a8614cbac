//! Inputs: Parquet from `convert`, stdin, metrics files (ignored), bad files
//! and bad flags.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use prost::Message;
use serde_json::Value;

use crate::fixtures::bin;
use crate::{
    expected, official_trace, request, span, validate, validate_json, write, write_proto, T0,
};

#[test]
fn parquet_from_convert_validates_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pq");
    let converted = bin()
        .args([
            "convert",
            official_trace().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let (code, v) = validate_json(&out.join("spans.parquet"), &[]);
    assert_eq!(code, 1);
    assert_eq!(v, validate_json(&official_trace(), &[]).1);
}

#[test]
fn stdin_is_an_input() {
    let bytes = request(
        "svc",
        vec![span(1, 1, 0, "root", 0), span(1, 2, 1, "child", 1)],
    )
    .encode_to_vec();
    let out = bin()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, expected(1, 2, &[]));
}

fn metrics_request() -> ExportMetricsServiceRequest {
    let point = NumberDataPoint {
        time_unix_nano: T0,
        value: Some(number_data_point::Value::AsDouble(1.5)),
        ..Default::default()
    };
    let metric = Metric {
        name: "queue.depth".into(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: vec![point],
        })),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![metric],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn metrics_inputs_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = write(dir.path(), "m.pb", &metrics_request().encode_to_vec());
    let traces = write_proto(
        dir.path(),
        "t.pb",
        &request("svc", vec![span(1, 1, 0, "root", 0)]),
    );
    let run = validate([
        "--format",
        "json",
        metrics.to_str().unwrap(),
        traces.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(1, 1, &[]));
    assert!(
        run.stderr.contains(&format!(
            "warning: validate: ignoring {} (metrics)",
            metrics.display()
        )),
        "{}",
        run.stderr
    );

    // Nothing but metrics: no spans to check.
    let run = validate([metrics.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no OTLP data in"), "{}", run.stderr);
}

#[test]
fn bad_input_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = request("svc", vec![span(1, 1, 0, "root", 0)]).encode_to_vec();
    // A stream whose second frame's length runs past the end of the file.
    let mut bytes = (good.len() as u32).to_be_bytes().to_vec();
    bytes.extend(&good);
    bytes.extend(1000u32.to_be_bytes());
    bytes.extend([1, 2, 3]);
    let bad = write(dir.path(), "truncated.otlp", &bytes);
    let run = validate([bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("truncated.otlp"), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    // With --skip-invalid the good frame is still checked.
    let run = validate(["--format", "json", "--skip-invalid", bad.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(1, 1, &[]));

    let missing = dir.path().join("missing.pb");
    let run = validate([missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.pb"), "{}", run.stderr);

    let empty = write(dir.path(), "empty.pb", &[]);
    let run = validate([empty.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no OTLP data in"), "{}", run.stderr);
}

#[test]
fn bad_skew_is_a_usage_error() {
    let run = validate(["--skew", "5 parsecs", official_trace().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--skew"), "{}", run.stderr);
}
