//! Helpers for the decode and inspect tests: every framing the input layer
//! accepts, JSON spelling variants, and running the pipeline to columns.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::{Array, RecordBatch};
use otlp_analytics::columns::{Table, TableBatch};
use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{FrameStats, Request, Signal};
use otlp_analytics::generate::otlp_json::{logs_to_json, metrics_to_json, traces_to_json};
use otlp_analytics::input::InputSource;
use otlp_analytics::pipeline::{self, Event, PipelineOptions};
use prost::Message;
use serde_json::Value;

/// The official opentelemetry-proto examples (README, LICENSE and protobuf
/// text files included), vendored under tests/data.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples")
}

// ---- encodings ---------------------------------------------------------------

pub fn proto_bytes(req: &Request) -> Vec<u8> {
    match req {
        Request::Traces(r) => r.encode_to_vec(),
        Request::Metrics(r) => r.encode_to_vec(),
        Request::Logs(r) => r.encode_to_vec(),
    }
}

pub fn json_value(req: &Request) -> Value {
    match req {
        Request::Traces(r) => traces_to_json(r),
        Request::Metrics(r) => metrics_to_json(r),
        Request::Logs(r) => logs_to_json(r),
    }
}

/// The collector fileexporter stream: [u32 big-endian length][message]...
pub fn length_prefixed(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u32).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// The fileexporter's per-message compression: each frame's payload is zstd.
pub fn per_message_zstd(msgs: &[Vec<u8>]) -> Vec<u8> {
    let compressed: Vec<Vec<u8>> = msgs.iter().map(|m| zstd(m)).collect();
    length_prefixed(&compressed)
}

/// One compact JSON request per line.
pub fn json_lines(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend_from_slice(serde_json::to_string(v).expect("json").as_bytes());
        out.push(b'\n');
    }
    out
}

pub fn pretty(v: &Value) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(v).expect("json");
    text.push('\n');
    text.into_bytes()
}

/// Every object key in snake_case (`startTimeUnixNano` → `start_time_unix_nano`).
pub fn snake_case_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| {
                    let mut s = String::new();
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            s.push('_');
                            s.push(c.to_ascii_lowercase());
                        } else {
                            s.push(c);
                        }
                    }
                    (s, snake_case_keys(x))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(snake_case_keys).collect()),
        other => other.clone(),
    }
}

/// Keys whose values are 64-bit integers (written as strings by the encoder).
const INT64_KEYS: &[&str] = &[
    "timeUnixNano",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "observedTimeUnixNano",
    "intValue",
    "asInt",
    "count",
    "zeroCount",
    "bucketCounts",
];

fn number_of(s: &str) -> Option<Value> {
    if let Ok(u) = s.parse::<u64>() {
        return Some(Value::from(u));
    }
    s.parse::<i64>().ok().map(Value::from)
}

/// 64-bit integers as JSON numbers instead of strings (both are valid OTLP/JSON).
pub fn int64_as_numbers(v: &Value) -> Value {
    fn conv(key: Option<&str>, v: &Value) -> Value {
        let is_int64 = key.is_some_and(|k| INT64_KEYS.contains(&k));
        match v {
            Value::String(s) if is_int64 => number_of(s).unwrap_or_else(|| v.clone()),
            Value::Array(items) if is_int64 => {
                Value::Array(items.iter().map(|x| conv(key, x)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(|x| conv(None, x)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, x)| (k.clone(), conv(Some(k), x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    conv(None, v)
}

/// Enums written by name (`"kind": "SPAN_KIND_SERVER"`), as proto3 JSON printers do.
pub fn enums_as_names(v: &Value) -> Value {
    use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
    use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
    fn conv(key: Option<&str>, v: &Value) -> Value {
        let name = |n: i64| -> Option<&'static str> {
            let n = i32::try_from(n).ok()?;
            match key? {
                "kind" => SpanKind::try_from(n).ok().map(|k| k.as_str_name()),
                "code" => StatusCode::try_from(n).ok().map(|k| k.as_str_name()),
                "severityNumber" => SeverityNumber::try_from(n).ok().map(|k| k.as_str_name()),
                "aggregationTemporality" => AggregationTemporality::try_from(n)
                    .ok()
                    .map(|k| k.as_str_name()),
                _ => None,
            }
        };
        match v {
            Value::Number(n) => n
                .as_i64()
                .and_then(name)
                .map_or_else(|| v.clone(), |s| Value::String(s.into())),
            Value::Array(items) => Value::Array(items.iter().map(|x| conv(None, x)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, x)| (k.clone(), conv(Some(k), x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    conv(None, v)
}

// ---- columns -------------------------------------------------------------------

/// Batches per table, in order.
pub type Tables = BTreeMap<Table, Vec<RecordBatch>>;

pub fn add_tables(into: &mut Tables, tables: &[TableBatch]) {
    for t in tables {
        into.entry(t.table).or_default().push(t.batch.clone());
    }
}

/// One batch per table.
pub fn concat(tables: &Tables) -> BTreeMap<Table, RecordBatch> {
    tables
        .iter()
        .map(|(t, batches)| {
            let batch =
                arrow::compute::concat_batches(&t.schema(), batches).expect("concat batches");
            (*t, batch)
        })
        .collect()
}

/// Columns and counts of requests decoded directly (no framing, no pipeline).
pub fn direct(reqs: &[Request]) -> (BTreeMap<Table, RecordBatch>, FrameStats) {
    let mut tables = Tables::new();
    let mut stats = FrameStats::default();
    for r in reqs {
        let d = to_columns(r, 65_536, true);
        add_tables(&mut tables, &d.tables);
        stats.merge(&d.stats);
    }
    (concat(&tables), stats)
}

/// What a pipeline run delivered.
#[derive(Debug, Default)]
pub struct Collected {
    pub tables: Tables,
    pub stats: FrameStats,
    pub frames: u64,
    pub skipped: Vec<(u64, u64, String)>,
    pub bytes: Vec<u64>,
    pub signals: Vec<Vec<Signal>>,
}

pub fn opts(threads: usize, batch_rows: usize) -> PipelineOptions {
    let mut o = PipelineOptions::new(Some(threads));
    o.batch_rows = batch_rows;
    o.queue_frames = 4;
    o
}

/// Runs the pipeline; the map stage returns the decoded tables.
pub fn run_pipeline(
    sources: &[InputSource],
    o: &PipelineOptions,
) -> otlp_analytics::Result<Collected> {
    let mut c = Collected {
        bytes: vec![0; sources.len()],
        signals: vec![Vec::new(); sources.len()],
        ..Default::default()
    };
    pipeline::run(
        sources,
        o,
        |d| Ok(d.tables.clone()),
        |event| {
            match event {
                Event::Frame {
                    input,
                    decoded,
                    mapped,
                    signal,
                    ..
                } => {
                    c.frames += 1;
                    add_tables(&mut c.tables, &mapped);
                    c.stats.merge(&decoded.stats);
                    if let Some(s) = signal {
                        c.signals[input].push(s);
                    }
                }
                Event::Skipped {
                    location, problem, ..
                } => {
                    c.skipped
                        .push((location.frame, location.offset, problem.to_string()));
                }
                Event::InputEnd { input, bytes, .. } => c.bytes[input] = bytes,
            }
            Ok(())
        },
    )?;
    Ok(c)
}

pub fn run_file(path: &Path, o: &PipelineOptions) -> otlp_analytics::Result<Collected> {
    run_pipeline(&[InputSource::File(path.to_path_buf())], o)
}

/// Asserts two batches are equal, naming the first differing column and row.
pub fn assert_batches_eq(what: &str, got: &RecordBatch, want: &RecordBatch) {
    assert_eq!(got.schema(), want.schema(), "{what}: schema");
    assert_eq!(got.num_rows(), want.num_rows(), "{what}: rows");
    for (i, field) in want.schema().fields().iter().enumerate() {
        let (g, w) = (got.column(i), want.column(i));
        if g.as_ref() == w.as_ref() {
            continue;
        }
        let row = (0..w.len()).find(|&r| g.slice(r, 1).as_ref() != w.slice(r, 1).as_ref());
        match row {
            Some(r) => panic!(
                "{what}: column {} differs at row {r}:\n got  {:?}\n want {:?}",
                field.name(),
                g.slice(r, 1),
                w.slice(r, 1)
            ),
            None => panic!("{what}: column {} differs (layout)", field.name()),
        }
    }
    assert_eq!(got, want, "{what}");
}

pub fn assert_tables_eq(
    what: &str,
    got: &BTreeMap<Table, RecordBatch>,
    want: &BTreeMap<Table, RecordBatch>,
) {
    let got_names: Vec<Table> = got.keys().copied().collect();
    let want_names: Vec<Table> = want.keys().copied().collect();
    assert_eq!(got_names, want_names, "{what}: tables");
    for (t, w) in want {
        assert_batches_eq(&format!("{what}: {}", t.file_stem()), &got[t], w);
    }
}
