//! `--signal` overrides sniffing, never silently drops or empties records, and
//! different inputs may hold different signals.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use otlp_analytics::columns::Table;
use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{decode_message, Request, Signal};
use otlp_analytics::error::FrameProblem;
use otlp_analytics::input::InputSource;
use prost::Message;

use crate::columns::strs;
use crate::decode_support::*;
use crate::{json_text, table, variant, SIGNALS};

/// A logs request whose first record has only a severity text and an
/// attribute: no field in it tells logs from traces or metrics.
fn ambiguous_logs() -> ExportLogsServiceRequest {
    let record = |text: &str| LogRecord {
        severity_text: text.into(),
        attributes: vec![KeyValue {
            key: "k".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue("v".into())),
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("svc".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![record("INFO"), record("WARN")],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn forced_signal_decodes_an_ambiguous_frame() {
    let req = ambiguous_logs();
    let bytes = req.encode_to_vec();
    let got = decode_message(&bytes, Some(Signal::Logs))
        .expect("decodes as logs")
        .expect("request");
    assert_eq!(got, Request::Logs(req.clone()));
    let frame = to_columns(&got, 65_536, true);
    assert_eq!(frame.stats.log_records, 2);
    assert_eq!(
        strs(&table(&frame, Table::Logs), "severity_text"),
        [Some("INFO".into()), Some("WARN".into())]
    );

    // Through the pipeline with the override, in a stream and as a single message.
    let dir = tempfile::tempdir().expect("tempdir");
    let single = dir.path().join("one.pb");
    let stream = dir.path().join("s.otlp");
    std::fs::write(&single, &bytes).expect("write");
    std::fs::write(&stream, length_prefixed(&[bytes.clone(), bytes.clone()])).expect("write");
    let mut o = opts(2, 65_536);
    o.forced_signal = Some(Signal::Logs);
    let got = run_pipeline(&[InputSource::File(single), InputSource::File(stream)], &o)
        .expect("pipeline");
    assert_eq!(got.frames, 3);
    assert_eq!(got.stats.log_records, 6);
    assert_eq!(got.signals, [vec![Signal::Logs], vec![Signal::Logs; 2]]);
}

#[test]
fn an_unsniffable_frame_is_never_silently_dropped() {
    // Without --signal the records must not vanish: either the frame is
    // recognized as logs or it is reported as a bad frame.
    let mut severity_only = ambiguous_logs();
    let records = &mut severity_only.resource_logs[0].scope_logs[0].log_records;
    // First record: a severity text alone, which is also a valid span (trace_state).
    records[0].attributes.clear();
    // Second record: an ordinary log line.
    records[1].time_unix_nano = 1_700_000_000_000_000_000;
    records[1].severity_number = 13;
    // Only severity texts: every record is also a valid span, none tells.
    let mut texts_only = ambiguous_logs();
    for r in &mut texts_only.resource_logs[0].scope_logs[0].log_records {
        r.attributes.clear();
    }
    for req in [ambiguous_logs(), severity_only, texts_only] {
        match decode_message(&req.encode_to_vec(), None) {
            Ok(Some(Request::Logs(got))) => assert_eq!(got, req),
            Ok(Some(other)) => panic!("decoded as {}", other.signal()),
            Ok(None) => panic!(
                "a request holding {} log records was decoded as an empty request",
                req.resource_logs[0].scope_logs[0].log_records.len()
            ),
            Err(e) => assert!(
                matches!(
                    e,
                    FrameProblem::UnknownSignal | FrameProblem::InvalidProtobuf(_)
                ),
                "unexpected problem {e}"
            ),
        }
    }
}

#[test]
fn forced_signal_applies_to_json_too() {
    let req = variant(Signal::Metrics, 0);
    let json = json_text(&json_value(&req));
    let got = decode_message(&json, Some(Signal::Metrics))
        .expect("metrics")
        .expect("request");
    assert_eq!(got, req);
    // A JSON object without a signal key is an empty request of the forced signal.
    let got = decode_message(b"{}", Some(Signal::Traces))
        .expect("empty")
        .expect("request");
    assert_eq!(got, Request::Traces(ExportTraceServiceRequest::default()));
    // Without --signal it is an empty request of no signal (nothing to decode).
    assert_eq!(decode_message(b"{}", None).expect("empty request"), None);
    assert_eq!(
        decode_message(b"{\"unknownKey\": [1]}", None).expect("empty request"),
        None
    );
}

#[test]
fn different_inputs_may_hold_different_signals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reqs: Vec<Request> = SIGNALS.iter().map(|s| variant(*s, 0)).collect();
    let files = [
        ("t.pb", proto_bytes(&reqs[0])),
        (
            "m.otlp.gz",
            gzip(&length_prefixed(&[
                proto_bytes(&reqs[1]),
                proto_bytes(&reqs[1]),
            ])),
        ),
        ("l.jsonl", json_lines(&[json_value(&reqs[2])])),
    ];
    let sources: Vec<InputSource> = files
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).expect("write");
            InputSource::File(p)
        })
        .collect();
    let got = run_pipeline(&sources, &opts(2, 5)).expect("pipeline");
    assert_eq!(
        got.signals,
        [
            vec![Signal::Traces],
            vec![Signal::Metrics; 2],
            vec![Signal::Logs]
        ]
    );
    let (want, want_stats) = direct(&[
        reqs[0].clone(),
        reqs[1].clone(),
        reqs[1].clone(),
        reqs[2].clone(),
    ]);
    assert_eq!(got.stats, want_stats);
    assert_tables_eq("three signals", &concat(&got.tables), &want);
}

#[test]
fn only_signal_builds_columns_for_that_signal_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("t.pb");
    let l = dir.path().join("l.pb");
    std::fs::write(&t, proto_bytes(&variant(Signal::Traces, 0))).expect("write");
    std::fs::write(&l, proto_bytes(&variant(Signal::Logs, 0))).expect("write");
    let mut o = opts(2, 65_536);
    o.only_signal = Some(Signal::Logs);
    let got = run_pipeline(&[InputSource::File(t), InputSource::File(l)], &o).expect("pipeline");
    assert_eq!(got.stats.spans, 4);
    assert_eq!(got.stats.log_records, 9);
    assert_eq!(
        got.tables.keys().copied().collect::<Vec<_>>(),
        [Table::Logs]
    );
}

#[test]
fn a_forced_signal_never_empties_json_of_another_signal() {
    // OTLP/JSON names its signal; forcing another one must not turn the
    // records into an empty request of the forced signal: it is a mismatch.
    for (json_signal, forced) in [
        (Signal::Logs, Signal::Traces),
        (Signal::Traces, Signal::Metrics),
        (Signal::Metrics, Signal::Logs),
    ] {
        let req = variant(json_signal, 0);
        let bytes = json_text(&json_value(&req));
        assert_eq!(
            decode_message(&bytes, Some(forced)),
            Err(FrameProblem::SignalMismatch {
                forced,
                found: json_signal
            }),
            "{json_signal} JSON forced to {forced}"
        );
    }
}
