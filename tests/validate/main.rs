//! `validate` end to end: the real binary on hand-built OTLP files, one case
//! per rule, with the exact JSON it prints and the exit code it returns.

#[path = "../fixtures/mod.rs"]
mod fixtures;

mod inputs;
mod reports;
mod rules;

use std::path::{Path, PathBuf};

use fixtures::{bin, frames};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};

const RULES: [&str; 7] = [
    "duplicate_span_id",
    "end_before_start",
    "invalid_id",
    "orphan_span",
    "multiple_roots",
    "parent_cycle",
    "child_starts_before_parent",
];

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn tid(n: u8) -> Vec<u8> {
    let mut id = vec![0xa0; 16];
    id[15] = n;
    id
}

fn sid(n: u8) -> Vec<u8> {
    if n == 0 {
        Vec::new()
    } else {
        vec![0, 0, 0, 0, 0, 0, 0xb0, n]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A span from raw ids; starts at T0 + `start_ms`, lasts 10 ms.
fn raw_span(trace: &[u8], span: &[u8], parent: &[u8], name: &str, start_ms: u64) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: span.to_vec(),
        parent_span_id: parent.to_vec(),
        name: name.into(),
        start_time_unix_nano: T0 + start_ms * MS,
        end_time_unix_nano: T0 + (start_ms + 10) * MS,
        ..Default::default()
    }
}

/// Span `span` of trace `trace` with parent `parent` (0: root).
fn span(trace: u8, span: u8, parent: u8, name: &str, start_ms: u64) -> Span {
    raw_span(&tid(trace), &sid(span), &sid(parent), name, start_ms)
}

fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    let attr = KeyValue {
        key: "service.name".into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(service.into())),
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A single protobuf message file.
fn write_proto(dir: &Path, name: &str, req: &ExportTraceServiceRequest) -> PathBuf {
    write(dir, name, &req.encode_to_vec())
}

/// A fileexporter stream: [4-byte big-endian length][message], repeated.
fn write_stream(dir: &Path, name: &str, reqs: &[ExportTraceServiceRequest]) -> PathBuf {
    let msgs: Vec<Vec<u8>> = reqs.iter().map(Message::encode_to_vec).collect();
    write(dir, name, &frames(&msgs))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", self.stdout, self.stderr))
    }
}

fn validate<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = bin().arg("validate").args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `validate --format json` on one file.
fn validate_json(path: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json", path.to_str().unwrap()];
    args.extend(extra);
    let run = validate(args);
    (run.code, run.json())
}

fn example(trace: &[u8], span: &[u8], service: &str, name: &str) -> Value {
    json!({"trace_id": hex(trace), "span_id": hex(span), "service": service, "name": name})
}

/// The whole expected report: `found` lists the rules with violations and
/// their examples; every other rule is 0 with no examples.
fn expected(traces: u64, spans: u64, found: &[(&str, u64, Vec<Value>)]) -> Value {
    let mut violations = serde_json::Map::new();
    let mut examples = serde_json::Map::new();
    for rule in RULES {
        let (count, ex) = found
            .iter()
            .find(|f| f.0 == rule)
            .map_or((0, vec![]), |f| (f.1, f.2.clone()));
        violations.insert(rule.into(), json!(count));
        examples.insert(rule.into(), Value::Array(ex));
    }
    json!({"traces_checked": traces, "spans_checked": spans, "violations": violations, "examples": examples})
}

fn official_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples/trace.json")
}
