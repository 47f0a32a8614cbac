//! Inputs of several signals, `--signal` overriding sniffing, and frames that
//! nothing tells apart never silently dropped.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message;
use serde_json::{json, Value};

use crate::decode_support::{examples_dir, length_prefixed, zstd};
use crate::fixtures::path_str as s;
use crate::fixtures::{kv, resource, SEC, T0};
use crate::{gauge_request, inspect_fails, inspect_json, run, trace_frames, POINT_TIME};

/// Log records with only a severity text and an attribute: nothing in them
/// tells logs apart from the other signals on the wire.
fn ambiguous_logs() -> Vec<u8> {
    let record = |t: &str| LogRecord {
        severity_text: t.into(),
        attributes: vec![kv("k", Any::StringValue("v".into()))],
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("log-svc", vec![]),
            scope_logs: vec![ScopeLogs {
                log_records: vec![record("INFO"), record("WARN"), record("ERROR")],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn inputs_of_different_signals_are_all_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("a-traces.otlp");
    let m = dir.path().join("b-metrics.pb.zst");
    let l = dir.path().join("c-logs.json");
    std::fs::write(&t, length_prefixed(&trace_frames(2))).expect("write");
    std::fs::write(&m, zstd(&gauge_request(5))).expect("write");
    std::fs::copy(examples_dir().join("logs.json"), &l).expect("copy");
    let (v, _) = inspect_json(&[s(dir.path())], None);
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 3);
    assert_eq!(inputs[0]["spans"], 4);
    assert_eq!(inputs[1]["data_points_by_type"]["gauge"], 5);
    assert_eq!(inputs[1]["metrics"], 1);
    assert_eq!(inputs[2]["log_records"], 1);
    let total = &v["total"];
    assert_eq!(total["frames"], 4);
    assert_eq!(total["spans"], 4);
    assert_eq!(total["data_points"], 5);
    assert_eq!(total["log_records"], 1);
    // svc0, svc1, metrics-svc, my.service
    assert_eq!(total["services"], 4);
    assert_eq!(total["time_min"], POINT_TIME);
    assert_eq!(total["time_max"], T0 + 4 * SEC);
}

#[test]
fn signal_flag_overrides_sniffing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("logs.pb");
    let stream = dir.path().join("logs.otlp");
    std::fs::write(&one, ambiguous_logs()).expect("write");
    std::fs::write(
        &stream,
        length_prefixed(&[ambiguous_logs(), ambiguous_logs()]),
    )
    .expect("write");
    for (p, frames) in [(&one, 1), (&stream, 2)] {
        let (v, _) = inspect_json(&["--signal", "logs", s(p)], None);
        let total = &v["total"];
        assert_eq!(total["frames"], frames);
        assert_eq!(total["log_records"], 3 * frames);
        assert_eq!(total["spans"], 0);
        assert_eq!(total["metrics"], 0);
        assert_eq!(total["services"], 1);
        assert_eq!(total["service_names"], json!(["log-svc"]));
    }
}

#[test]
fn signal_flag_contradicting_json_is_an_error() {
    let logs = examples_dir().join("logs.json");
    let err = inspect_fails(&["--signal", "traces", s(&logs)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: --signal traces given, but this frame holds logs",
            logs.display()
        )),
        "{err}"
    );
}

#[test]
fn an_unsniffable_frame_is_not_silently_dropped() {
    // Without --signal: the three records are counted as logs, or inspect
    // fails naming the frame; it must not report success with them missing.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("logs.otlp");
    let texts_only = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    LogRecord {
                        severity_text: "INFO".into(),
                        ..Default::default()
                    };
                    3
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec();
    let frames = [texts_only.clone(), texts_only];
    std::fs::write(&p, length_prefixed(&frames)).expect("write");
    let r = run(&["inspect", "--format", "json", s(&p)], None);
    match r.code {
        Some(0) => {
            let v: Value = serde_json::from_str(&r.stdout).expect("json");
            assert_eq!(v["total"]["log_records"], 6, "records lost: {v}");
        }
        Some(2) => assert!(
            r.stderr
                .contains(&format!("{}: frame 0 at byte 0: ", p.display())),
            "{}",
            r.stderr
        ),
        other => panic!("exit {other:?}: {}", r.stderr),
    }
}
