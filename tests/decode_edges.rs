//! Inputs at the decoder's edges, through the real binary in every command:
//! times at and past 2^63 ns, JSON requests with no signal key, and
//! protobuf frames whose bytes happen to start like JSON.

mod otlp_fixtures;

use std::path::Path;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otlp_fixtures::{p, read_parquet, run, stderr};
use prost::Message;

const PAST: u64 = u64::MAX;
const LAST: u64 = i64::MAX as u64;

fn service() -> Option<Resource> {
    Some(Resource {
        attributes: vec![KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue("svc".into())),
            }),
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn spans(start: u64, end: u64) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: service(),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![1; 16],
                    span_id: vec![2; 8],
                    name: "op".into(),
                    start_time_unix_nano: start,
                    end_time_unix_nano: end,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn logs(time: u64) -> Vec<u8> {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: service(),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: time,
                    severity_text: "INFO".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// A fileexporter stream: [u32 big-endian length][message]...
fn frames(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u32).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    p(&path).to_owned()
}

/// Runs the binary; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let out = run(args);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn a_time_past_2_63_ns_is_a_bad_frame_in_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Frame 0 is good, frame 1 holds the bad time.
    let traces = write(d, "traces.bin", &frames(&[spans(5, 9), spans(5, PAST)]));
    let logs = write(d, "logs.bin", &frames(&[logs(7), logs(PAST)]));
    let out_dir = d.join("out");
    let out = p(&out_dir).to_owned();
    let offset = 4 + spans(5, 9).len();
    let log_offset = 4 + self::logs(7).len();
    let cases: Vec<(Vec<&str>, &str, &str, usize)> = vec![
        (
            vec!["inspect", &traces],
            &traces,
            "end_time_unix_nano",
            offset,
        ),
        (
            vec!["validate", &traces],
            &traces,
            "end_time_unix_nano",
            offset,
        ),
        (
            vec!["convert", &traces, "-o", &out],
            &traces,
            "end_time_unix_nano",
            offset,
        ),
        (
            vec!["aggregate", &traces, "--signal", "traces"],
            &traces,
            "end_time_unix_nano",
            offset,
        ),
        (
            vec!["aggregate", &logs, "--signal", "logs"],
            &logs,
            "time_unix_nano",
            log_offset,
        ),
        (
            vec!["aggregate", &logs, "--signal", "logs", "--window", "1m"],
            &logs,
            "time_unix_nano",
            log_offset,
        ),
    ];
    for (args, path, field, offset) in cases {
        let (code, stdout, err) = cli(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(
            err.contains(&format!(
                "{path}: frame 1 at byte {offset}: {field} 18446744073709551615 is past 2^63-1 ns (year 2262)"
            )),
            "{args:?}: {err}"
        );
        // --skip-invalid skips and counts the frame; the good one is read.
        let mut skipping = args.clone();
        skipping.push("--skip-invalid");
        let (code, _, err) = cli(&skipping);
        assert_eq!(code, 0, "{skipping:?}: {err}");
        assert!(err.contains("skipped"), "{skipping:?}: {err}");
    }

    let (_, stdout, _) = cli(&["inspect", &traces, "--skip-invalid", "--format", "json"]);
    let report = json(&stdout);
    assert_eq!(report["total"]["skipped_frames"], 1);
    assert_eq!(report["total"]["spans"], 1);
    assert_eq!(report["total"]["time_max"], 9);
}

#[test]
fn the_largest_valid_time_is_read_exactly_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let traces = write(d, "traces.bin", &spans(LAST - 10, LAST));
    let logs = write(d, "logs.bin", &logs(LAST));

    let (code, stdout, err) = cli(&["inspect", &traces, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report = json(&stdout);
    assert_eq!(report["total"]["time_min"], LAST - 10);
    assert_eq!(report["total"]["time_max"], LAST);

    let (code, _, err) = cli(&["validate", &traces]);
    assert_eq!(code, 0, "{err}");

    for window in [None, Some("1m")] {
        let mut args = vec!["aggregate", &logs, "--signal", "logs", "--format", "json"];
        args.extend(window.map(|w| ["--window", w]).into_iter().flatten());
        let (code, stdout, err) = cli(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let row = json(stdout.lines().next().expect("one row"));
        assert_eq!(row["first_time"], LAST, "{args:?}");
        assert_eq!(row["last_time"], LAST, "{args:?}");
        if window.is_some() {
            assert_eq!(row["window_start"], LAST - LAST % 60_000_000_000);
        }
    }
    let (code, stdout, err) = cli(&[
        "aggregate",
        &traces,
        "--signal",
        "traces",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json(stdout.lines().next().expect("row"))["duration_sum_ns"],
        10
    );

    let out_dir = d.join("out");
    let (code, _, err) = cli(&["convert", &traces, "-o", p(&out_dir)]);
    assert_eq!(code, 0, "{err}");
    let batch = read_parquet(&out_dir.join("spans.parquet"));
    let end = batch
        .column_by_name("end_time_unix_nano")
        .expect("end column");
    let end = arrow::array::AsArray::as_primitive::<arrow::datatypes::TimestampNanosecondType>(
        end.as_ref(),
    );
    assert_eq!(end.value(0), i64::MAX);
}

#[test]
fn a_json_request_without_a_signal_key_is_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Two empty requests around a real one: three frames, one record.
    let line = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "5"}]}]}]});
    let text = format!("{{}}\n{line}\n{{\"somethingNew\": {{\"x\": 1}}}}\n");
    let path = write(d, "logs.jsonl", text.as_bytes());
    let (code, stdout, err) = cli(&["inspect", &path, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report = json(&stdout);
    assert_eq!(report["total"]["frames"], 3);
    assert_eq!(report["total"]["log_records"], 1);
    assert_eq!(report["total"]["skipped_frames"], 0);
    let (code, stdout, err) = cli(&["aggregate", &path, "--signal", "logs", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(stdout.lines().next().expect("row"))["log_count"], 1);

    // A known field of the wrong type is still a bad frame.
    let bad = write(d, "bad.jsonl", b"{}\n{\"resourceLogs\": 5}\n");
    let (code, _, err) = cli(&["inspect", &bad]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{bad}: frame 1 at byte 3: invalid JSON: resourceLogs"
        )),
        "{err}"
    );
    let (code, stdout, err) = cli(&["inspect", &bad, "--skip-invalid", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report = json(&stdout);
    assert_eq!(report["total"]["frames"], 1, "the empty request");
    assert_eq!(report["total"]["skipped_frames"], 1);
}

/// A request whose first resource record is `len` bytes long (8 to 135): one
/// server span, padded by the resource's schema URL.
fn request_with_resource_of(len: usize) -> Vec<u8> {
    let rs = ResourceSpans {
        scope_spans: vec![ScopeSpans {
            spans: vec![Span {
                kind: 2,
                ..Default::default()
            }],
            ..Default::default()
        }],
        schema_url: "x".repeat(len - 8),
        ..Default::default()
    };
    assert_eq!(rs.encoded_len(), len);
    ExportTraceServiceRequest {
        resource_spans: vec![rs],
    }
    .encode_to_vec()
}

#[test]
fn protobuf_frames_that_start_like_json_are_protobuf() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Length bytes that are ASCII whitespace, `{` or `[`.
    for len in [9usize, 10, 12, 13, 32, 91, 123] {
        let msg = request_with_resource_of(len);
        assert_eq!(msg[..2], [b'\n', len as u8]);
        for (name, bytes) in [
            ("single", msg.clone()),
            ("frames", frames(&[msg.clone(), msg.clone()])),
        ] {
            let path = write(dir.path(), &format!("{name}-{len}.bin"), &bytes);
            let (code, stdout, err) = cli(&["inspect", &path, "--format", "json"]);
            assert_eq!(code, 0, "length {len}, {name}: {err}");
            let spans = if name == "single" { 1 } else { 2 };
            assert_eq!(
                json(&stdout)["total"]["spans"],
                spans,
                "length {len}, {name}"
            );
        }
    }
}
