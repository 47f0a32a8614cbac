//! Tests for the OTLP/JSON decoder, by theme: the official examples, the
//! encoding's permitted spellings, error paths, a metrics sample covering
//! what the examples lack, and robustness against arbitrary input.

use super::*;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as V, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::json;

/// The shared OTLP examples, as raw text or bytes.
macro_rules! example {
    (bytes $name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/otlp-examples/",
            $name
        ))
    };
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/otlp-examples/",
            $name
        ))
    };
}

mod encoding_rules;
mod errors;
mod examples;
mod metrics_sample;
mod robustness;

/// An `AnyValue` holding `v`.
fn av(v: V) -> AnyValue {
    AnyValue { value: Some(v) }
}

fn kv(key: &str, v: V) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(av(v)),
        key_strindex: 0,
    }
}

fn string(s: &str) -> V {
    V::StringValue(s.into())
}

fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.unwrap_err().to_string()
}

/// The first span / log record of a one-span (one-record) request.
fn first_span(v: Value) -> Span {
    let mut req = traces_from_value(&v).unwrap();
    req.resource_spans
        .remove(0)
        .scope_spans
        .remove(0)
        .spans
        .remove(0)
}

fn first_log(v: Value) -> LogRecord {
    let mut req = logs_from_value(&v).unwrap();
    req.resource_logs
        .remove(0)
        .scope_logs
        .remove(0)
        .log_records
        .remove(0)
}

fn span_doc(span: Value) -> Value {
    json!({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
}

fn log_doc(record: Value) -> Value {
    json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]})
}

const TRACE_ID: [u8; 16] = [
    0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c,
];
const SPAN_ID: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74];
