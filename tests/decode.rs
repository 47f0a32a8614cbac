//! The input and decode layer end to end: the official OTLP examples decode to
//! the values they hold; every framing (single protobuf, fileexporter stream,
//! whole-file gzip/zstd, per-message zstd, OTLP/JSON documents and lines in all
//! spellings) yields exactly the columns and counts of decoding the original
//! messages directly; `--signal` overrides sniffing; garbage never panics.

mod decode_support;
mod otlp_fixtures;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt32Type, UInt64Type,
};
use decode_support::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use otlp_analytics::columns::Table;
use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{decode_message, unwrap_frame, DecodedFrame, Request, Signal};
use otlp_analytics::error::FrameProblem;
use otlp_analytics::input::framing::{FrameReader, Framing};
use otlp_analytics::input::InputSource;
use proptest::prelude::*;
use prost::Message;
use serde_json::Value;

/// The official opentelemetry-proto examples, vendored under tests/data.
fn example_path(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/data/otlp-examples");
    dir.join(name)
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(example_path(name)).unwrap_or_else(|e| panic!("read example {name}: {e}"))
}

/// All frames of a byte stream, unwrapped and decoded (no pipeline).
fn decode_stream(bytes: &[u8], forced: Option<Signal>) -> Vec<Request> {
    let reader = FrameReader::new(bytes).expect("framing");
    reader
        .map(|f| {
            let f = f.expect("frame");
            let data = unwrap_frame(f.data).expect("unwrap");
            decode_message(&data, forced)
                .expect("decode")
                .expect("non-empty request")
        })
        .collect()
}

fn decode_one(bytes: &[u8]) -> DecodedFrame {
    let reqs = decode_stream(bytes, None);
    assert_eq!(reqs.len(), 1, "one message");
    to_columns(&reqs[0], 65_536, true)
}

fn table(frame: &DecodedFrame, t: Table) -> RecordBatch {
    let batches: Vec<RecordBatch> = frame
        .tables
        .iter()
        .filter(|b| b.table == t)
        .map(|b| b.batch.clone())
        .collect();
    arrow::compute::concat_batches(&t.schema(), &batches).expect("concat")
}

fn tables_of(frame: &DecodedFrame) -> BTreeMap<Table, RecordBatch> {
    let mut all = Tables::new();
    add_tables(&mut all, &frame.tables);
    concat(&all)
}

// ---- column readers ------------------------------------------------------------

fn column<'a>(b: &'a RecordBatch, name: &str) -> &'a dyn Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_ref()
}

fn strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    column(b, name)
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect()
}

fn str_at(b: &RecordBatch, name: &str, row: usize) -> String {
    strs(b, name)[row]
        .clone()
        .unwrap_or_else(|| panic!("{name}[{row}] is null"))
}

fn times(b: &RecordBatch, name: &str) -> Vec<i64> {
    column(b, name)
        .as_primitive::<TimestampNanosecondType>()
        .values()
        .to_vec()
}

fn i32s(b: &RecordBatch, name: &str) -> Vec<i32> {
    column(b, name)
        .as_primitive::<Int32Type>()
        .values()
        .to_vec()
}

fn u32s(b: &RecordBatch, name: &str) -> Vec<u32> {
    column(b, name)
        .as_primitive::<UInt32Type>()
        .values()
        .to_vec()
}

fn u64s(b: &RecordBatch, name: &str) -> Vec<u64> {
    column(b, name)
        .as_primitive::<UInt64Type>()
        .values()
        .to_vec()
}

fn f64_opts(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    column(b, name)
        .as_primitive::<Float64Type>()
        .iter()
        .collect()
}

fn i64_opts(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    column(b, name).as_primitive::<Int64Type>().iter().collect()
}

fn bools(b: &RecordBatch, name: &str) -> Vec<bool> {
    column(b, name)
        .as_boolean()
        .iter()
        .map(|v| v.expect("non-null bool"))
        .collect()
}

fn hex_id(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let ids = column(b, name).as_fixed_size_binary();
    ids.is_valid(row)
        .then(|| ids.value(row).iter().map(|x| format!("{x:02x}")).collect())
}

/// A `Map<Utf8, Utf8>` cell as (key, value) pairs in order.
fn map_at(b: &RecordBatch, name: &str, row: usize) -> Vec<(String, String)> {
    let entries = column(b, name).as_map().value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| (keys.value(i).to_owned(), values.value(i).to_owned()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn list_u64(b: &RecordBatch, name: &str, row: usize) -> Vec<u64> {
    let list = column(b, name).as_list::<i32>().value(row);
    list.as_primitive::<UInt64Type>().values().to_vec()
}

fn list_f64(b: &RecordBatch, name: &str, row: usize) -> Vec<f64> {
    let list = column(b, name).as_list::<i32>().value(row);
    list.as_primitive::<Float64Type>().values().to_vec()
}

/// Resource and scope columns every official example shares.
fn assert_example_context(b: &RecordBatch, row: usize) {
    assert_eq!(str_at(b, "service_name", row), "my.service");
    assert_eq!(
        map_at(b, "resource_attributes", row),
        pairs(&[("service.name", "my.service")])
    );
    assert_eq!(str_at(b, "scope_name", row), "my.library");
    assert_eq!(str_at(b, "scope_version", row), "1.0.0");
    assert_eq!(
        map_at(b, "scope_attributes", row),
        pairs(&[("my.scope.attribute", "some scope attribute")])
    );
}

// ---- the official examples ---------------------------------------------------------

const EXAMPLE_TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
const EXAMPLE_START: i64 = 1_544_712_660_000_000_000;
const EXAMPLE_END: i64 = 1_544_712_661_000_000_000;
const EXAMPLE_POINT_TIME: i64 = 1_544_712_660_300_000_000;

#[test]
fn trace_examples_json_and_protobuf_decode_to_the_same_span() {
    let json = decode_one(&example("trace.json"));
    let bin = decode_one(&example("trace.protobuf-bin"));
    for (what, frame) in [("trace.json", &json), ("trace.protobuf-bin", &bin)] {
        assert_eq!(frame.signal, Some(Signal::Traces), "{what}");
        let s = &frame.stats;
        assert_eq!(
            (s.resources, s.scopes, s.spans, s.metrics, s.log_records),
            (1, 1, 1, 0, 0),
            "{what}"
        );
        assert_eq!(s.time_min, Some(EXAMPLE_START as u64), "{what}");
        assert_eq!(s.time_max, Some(EXAMPLE_END as u64), "{what}");
        assert_eq!(
            s.services.iter().cloned().collect::<Vec<_>>(),
            ["my.service"]
        );
        let spans = table(frame, Table::Spans);
        assert_eq!(spans.num_rows(), 1, "{what}");
        assert_example_context(&spans, 0);
        assert_eq!(
            hex_id(&spans, "trace_id", 0).as_deref(),
            Some(EXAMPLE_TRACE_ID)
        );
        assert_eq!(
            hex_id(&spans, "span_id", 0).as_deref(),
            Some("eee19b7ec3c1b174")
        );
        assert_eq!(
            hex_id(&spans, "parent_span_id", 0).as_deref(),
            Some("eee19b7ec3c1b173")
        );
        assert_eq!(str_at(&spans, "name", 0), "I'm a server span");
        assert_eq!(i32s(&spans, "kind"), [2]);
        assert_eq!(times(&spans, "start_time_unix_nano"), [EXAMPLE_START]);
        assert_eq!(times(&spans, "end_time_unix_nano"), [EXAMPLE_END]);
        assert_eq!(
            map_at(&spans, "attributes", 0),
            pairs(&[("my.span.attr", "some value")])
        );
        assert_eq!(i32s(&spans, "status_code"), [0]);
        assert_eq!(u32s(&spans, "flags"), [0]);
        assert_eq!(str_at(&spans, "status_message", 0), "");
        assert_eq!(str_at(&spans, "trace_state", 0), "");
    }
    assert_tables_eq(
        "trace.json vs trace.protobuf-bin",
        &tables_of(&json),
        &tables_of(&bin),
    );
}

#[test]
fn metrics_json_example_has_every_point_type_it_declares() {
    let frame = decode_one(&example("metrics.json"));
    assert_eq!(frame.signal, Some(Signal::Metrics));
    let s = &frame.stats;
    assert_eq!((s.resources, s.scopes, s.metrics), (1, 1, 4));
    // gauge, sum, histogram, exponential_histogram, summary
    assert_eq!(s.points, [1, 1, 1, 1, 0]);
    assert_eq!(s.time_min, Some(EXAMPLE_POINT_TIME as u64));
    assert_eq!(s.time_max, Some(EXAMPLE_POINT_TIME as u64));

    let number = table(&frame, Table::MetricPoints);
    assert_eq!(number.num_rows(), 2);
    for row in 0..2 {
        assert_example_context(&number, row);
    }
    assert_eq!(
        strs(&number, "metric_name"),
        [Some("my.counter".into()), Some("my.gauge".into())]
    );
    assert_eq!(
        strs(&number, "metric_description"),
        [Some("I am a Counter".into()), Some("I am a Gauge".into())]
    );
    assert_eq!(
        strs(&number, "metric_unit"),
        [Some("1".into()), Some("1".into())]
    );
    assert_eq!(
        strs(&number, "metric_type"),
        [Some("sum".into()), Some("gauge".into())]
    );
    assert_eq!(i32s(&number, "aggregation_temporality"), [1, 0]);
    assert_eq!(bools(&number, "is_monotonic"), [true, false]);
    assert_eq!(f64_opts(&number, "as_double"), [Some(5.0), Some(10.0)]);
    assert_eq!(i64_opts(&number, "as_int"), [None, None]);
    assert_eq!(
        times(&number, "start_time_unix_nano"),
        [EXAMPLE_POINT_TIME, 0]
    );
    assert_eq!(
        times(&number, "time_unix_nano"),
        [EXAMPLE_POINT_TIME, EXAMPLE_POINT_TIME]
    );
    assert_eq!(
        map_at(&number, "attributes", 0),
        pairs(&[("my.counter.attr", "some value")])
    );
    assert_eq!(
        map_at(&number, "attributes", 1),
        pairs(&[("my.gauge.attr", "some value")])
    );

    let hist = table(&frame, Table::HistogramPoints);
    assert_eq!(hist.num_rows(), 1);
    assert_example_context(&hist, 0);
    assert_eq!(str_at(&hist, "metric_name", 0), "my.histogram");
    assert_eq!(str_at(&hist, "metric_description", 0), "I am a Histogram");
    assert_eq!(i32s(&hist, "aggregation_temporality"), [1]);
    assert_eq!(u64s(&hist, "count"), [2]);
    assert_eq!(f64_opts(&hist, "sum"), [Some(2.0)]);
    assert_eq!(f64_opts(&hist, "min"), [Some(0.0)]);
    assert_eq!(f64_opts(&hist, "max"), [Some(2.0)]);
    assert_eq!(list_u64(&hist, "bucket_counts", 0), [1, 1]);
    assert_eq!(list_f64(&hist, "explicit_bounds", 0), [1.0]);
    assert_eq!(times(&hist, "start_time_unix_nano"), [EXAMPLE_POINT_TIME]);
    assert_eq!(
        map_at(&hist, "attributes", 0),
        pairs(&[("my.histogram.attr", "some value")])
    );

    let exp = table(&frame, Table::ExpHistogramPoints);
    assert_eq!(exp.num_rows(), 1);
    assert_example_context(&exp, 0);
    assert_eq!(str_at(&exp, "metric_name", 0), "my.exponential.histogram");
    assert_eq!(
        str_at(&exp, "metric_description", 0),
        "I am an Exponential Histogram"
    );
    assert_eq!(i32s(&exp, "aggregation_temporality"), [1]);
    assert_eq!(u64s(&exp, "count"), [3]);
    assert_eq!(f64_opts(&exp, "sum"), [Some(10.0)]);
    assert_eq!(f64_opts(&exp, "min"), [Some(0.0)]);
    assert_eq!(f64_opts(&exp, "max"), [Some(5.0)]);
    assert_eq!(i32s(&exp, "scale"), [0]);
    assert_eq!(u64s(&exp, "zero_count"), [1]);
    assert_eq!(f64_opts(&exp, "zero_threshold"), [Some(0.0)]);
    assert_eq!(i32s(&exp, "positive_offset"), [1]);
    assert_eq!(list_u64(&exp, "positive_bucket_counts", 0), [0, 2]);
    assert_eq!(i32s(&exp, "negative_offset"), [0]);
    assert_eq!(
        list_u64(&exp, "negative_bucket_counts", 0),
        Vec::<u64>::new()
    );
    assert_eq!(
        map_at(&exp, "attributes", 0),
        pairs(&[("my.exponential.histogram.attr", "some value")])
    );
    assert!(!frame.tables.iter().any(|t| t.table == Table::SummaryPoints));
}

#[test]
fn metrics_protobuf_example_matches_its_json_twin_without_the_exponential_histogram() {
    let bin = decode_one(&example("metrics.protobuf-bin"));
    let json = decode_one(&example("metrics.json"));
    assert_eq!(bin.signal, Some(Signal::Metrics));
    let s = &bin.stats;
    assert_eq!((s.resources, s.scopes, s.metrics), (1, 1, 3));
    assert_eq!(s.points, [1, 1, 1, 0, 0]);
    assert_eq!(s.time_min, Some(EXAMPLE_POINT_TIME as u64));
    assert_eq!(s.time_max, Some(EXAMPLE_POINT_TIME as u64));
    let (bin_t, json_t) = (tables_of(&bin), tables_of(&json));
    assert_eq!(
        bin_t.keys().copied().collect::<Vec<_>>(),
        [Table::MetricPoints, Table::HistogramPoints]
    );
    for t in [Table::MetricPoints, Table::HistogramPoints] {
        assert_batches_eq(t.file_stem(), &bin_t[&t], &json_t[&t]);
    }
}

#[test]
fn logs_example_keeps_every_attribute_type() {
    let frame = decode_one(&example("logs.json"));
    assert_eq!(frame.signal, Some(Signal::Logs));
    let s = &frame.stats;
    assert_eq!(
        (s.resources, s.scopes, s.log_records, s.spans),
        (1, 1, 1, 0)
    );
    assert_eq!(s.time_min, Some(EXAMPLE_POINT_TIME as u64));
    assert_eq!(s.time_max, Some(EXAMPLE_POINT_TIME as u64));
    let logs = table(&frame, Table::Logs);
    assert_eq!(logs.num_rows(), 1);
    assert_example_context(&logs, 0);
    assert_eq!(times(&logs, "time_unix_nano"), [EXAMPLE_POINT_TIME]);
    assert_eq!(
        times(&logs, "observed_time_unix_nano"),
        [EXAMPLE_POINT_TIME]
    );
    assert_eq!(i32s(&logs, "severity_number"), [10]);
    assert_eq!(str_at(&logs, "severity_text", 0), "Information");
    assert_eq!(
        hex_id(&logs, "trace_id", 0).as_deref(),
        Some(EXAMPLE_TRACE_ID)
    );
    assert_eq!(
        hex_id(&logs, "span_id", 0).as_deref(),
        Some("eee19b7ec3c1b174")
    );
    assert_eq!(str_at(&logs, "body", 0), "Example log record");
    assert_eq!(strs(&logs, "body_type"), [None]);
    assert_eq!(str_at(&logs, "event_name", 0), "");
    assert_eq!(
        map_at(&logs, "attributes", 0),
        pairs(&[
            ("string.attribute", "some string"),
            ("boolean.attribute", "true"),
            ("int.attribute", "10"),
            ("double.attribute", "637.704"),
            (
                "array.attribute",
                r#"[{"stringValue":"many"},{"stringValue":"values"}]"#
            ),
            (
                "map.attribute",
                r#"[{"key":"some.map.key","value":{"stringValue":"some value"}}]"#
            ),
        ])
    );
    assert_eq!(
        map_at(&logs, "attribute_types", 0),
        pairs(&[
            ("boolean.attribute", "bool"),
            ("int.attribute", "int"),
            ("double.attribute", "double"),
            ("array.attribute", "array"),
            ("map.attribute", "kvlist"),
        ])
    );
}

#[test]
fn events_example_has_its_event_name_and_map_body() {
    let frame = decode_one(&example("events.json"));
    assert_eq!(frame.signal, Some(Signal::Logs));
    assert_eq!(frame.stats.log_records, 1);
    let logs = table(&frame, Table::Logs);
    assert_example_context(&logs, 0);
    assert_eq!(str_at(&logs, "event_name", 0), "browser.page_view");
    assert_eq!(i32s(&logs, "severity_number"), [9]);
    assert_eq!(str_at(&logs, "severity_text", 0), "test severity text");
    assert_eq!(times(&logs, "time_unix_nano"), [EXAMPLE_POINT_TIME]);
    assert_eq!(hex_id(&logs, "trace_id", 0), None);
    assert_eq!(hex_id(&logs, "span_id", 0), None);
    assert_eq!(
        map_at(&logs, "attributes", 0),
        pairs(&[("event.attribute", "some event attribute")])
    );
    assert_eq!(str_at(&logs, "body_type", 0), "kvlist");
    let body: Value = serde_json::from_str(&str_at(&logs, "body", 0)).expect("kvlist body is JSON");
    let keys: Vec<&str> = body
        .as_array()
        .expect("list of key-values")
        .iter()
        .map(|kv| kv["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["type", "url", "referrer", "title"]);
    assert_eq!(body[0]["value"]["intValue"], "0");
    assert_eq!(
        body[1]["value"]["stringValue"],
        "https://www.guidgenerator.com/online-guid-generator.aspx"
    );
    assert_eq!(
        body[3]["value"]["stringValue"],
        "Free Online GUID Generator"
    );
}

#[test]
fn all_examples_through_the_pipeline_at_once() {
    let names = [
        "events.json",
        "logs.json",
        "metrics.json",
        "metrics.protobuf-bin",
        "trace.json",
        "trace.protobuf-bin",
    ];
    let sources: Vec<InputSource> = names
        .iter()
        .map(|n| InputSource::File(example_path(n)))
        .collect();
    let got = run_pipeline(&sources, &opts(2, 1)).expect("pipeline");
    assert_eq!(got.frames, 6);
    assert!(got.skipped.is_empty());
    for (i, n) in names.iter().enumerate() {
        let size = std::fs::metadata(example_path(n)).expect("stat").len();
        assert_eq!(got.bytes[i], size, "{n}");
    }
    assert_eq!(
        got.signals,
        [
            vec![Signal::Logs],
            vec![Signal::Logs],
            vec![Signal::Metrics],
            vec![Signal::Metrics],
            vec![Signal::Traces],
            vec![Signal::Traces],
        ]
    );
    let s = &got.stats;
    assert_eq!((s.resources, s.scopes, s.spans, s.metrics), (6, 6, 2, 7));
    assert_eq!(s.points, [2, 2, 2, 1, 0]);
    assert_eq!(s.log_records, 2);
    assert_eq!(s.time_min, Some(EXAMPLE_START as u64));
    assert_eq!(s.time_max, Some(EXAMPLE_END as u64));
    let rows: BTreeMap<Table, usize> = concat(&got.tables)
        .iter()
        .map(|(t, b)| (*t, b.num_rows()))
        .collect();
    assert_eq!(
        rows,
        BTreeMap::from([
            (Table::Spans, 2),
            (Table::Logs, 2),
            (Table::MetricPoints, 4),
            (Table::HistogramPoints, 2),
            (Table::ExpHistogramPoints, 1),
        ])
    );
}

// ---- round trips through every framing ---------------------------------------------------

fn rename_service(resource: &mut Option<Resource>, suffix: &str) {
    if let Some(r) = resource {
        for kv in &mut r.attributes {
            if kv.key == "service.name" {
                if let Some(AnyValue {
                    value: Some(any_value::Value::StringValue(s)),
                }) = &mut kv.value
                {
                    s.push_str(suffix);
                }
            }
        }
    }
}

/// The rich fixture of a signal, changed per frame so frames differ.
fn variant(signal: Signal, i: u64) -> Request {
    let suffix = if i == 0 {
        String::new()
    } else {
        format!("-{i}")
    };
    let shift = i * 1_000_000_007;
    match signal {
        Signal::Traces => {
            let mut r = otlp_fixtures::traces_request();
            for rs in &mut r.resource_spans {
                rename_service(&mut rs.resource, &suffix);
                for ss in &mut rs.scope_spans {
                    for s in &mut ss.spans {
                        s.start_time_unix_nano += shift;
                        s.end_time_unix_nano += shift;
                    }
                }
            }
            Request::Traces(r)
        }
        Signal::Metrics => {
            let mut r = otlp_fixtures::metrics_request();
            for rm in &mut r.resource_metrics {
                rename_service(&mut rm.resource, &suffix);
            }
            Request::Metrics(r)
        }
        Signal::Logs => {
            let mut r = otlp_fixtures::logs_request();
            for rl in &mut r.resource_logs {
                rename_service(&mut rl.resource, &suffix);
                for sl in &mut rl.scope_logs {
                    for l in &mut sl.log_records {
                        l.observed_time_unix_nano += shift;
                        if l.time_unix_nano != 0 {
                            l.time_unix_nano += shift;
                        }
                    }
                }
            }
            Request::Logs(r)
        }
    }
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

#[test]
fn rich_fixtures_have_the_hand_counted_stats() {
    use otlp_fixtures::T0;
    let (_, s) = direct(&[variant(Signal::Traces, 0)]);
    assert_eq!((s.resources, s.scopes, s.spans), (2, 3, 4));
    assert_eq!((s.time_min, s.time_max), (Some(T0), Some(T0 + 250_000_001)));
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["checkout"]);

    let (_, s) = direct(&[variant(Signal::Metrics, 0)]);
    assert_eq!((s.resources, s.scopes, s.metrics), (2, 2, 7));
    assert_eq!(s.points, [4, 3, 2, 2, 2]);
    assert_eq!(
        (s.time_min, s.time_max),
        (Some(T0 + 10), Some(T0 + 61_000_000_000))
    );
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["cart"]);

    let (_, s) = direct(&[variant(Signal::Logs, 0)]);
    assert_eq!((s.resources, s.scopes, s.log_records), (1, 1, 9));
    // The record with time 0 counts at its observed time.
    assert_eq!((s.time_min, s.time_max), (Some(T0), Some(T0 + 1_003)));
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["frontend"]);

    let (_, s) = direct(&[
        variant(Signal::Traces, 0),
        variant(Signal::Traces, 1),
        variant(Signal::Traces, 2),
    ]);
    assert_eq!((s.resources, s.scopes, s.spans), (6, 9, 12));
    assert_eq!(
        s.services.iter().collect::<Vec<_>>(),
        ["checkout", "checkout-1", "checkout-2"]
    );
}

#[test]
fn columns_hold_every_field_of_the_rich_requests() {
    let req = otlp_fixtures::traces_request();
    let t = tables_of(&to_columns(&Request::Traces(req.clone()), 65_536, true));
    assert_eq!(
        otlp_fixtures::spans_from(&t[&Table::Spans]),
        otlp_fixtures::source_spans(&req)
    );

    let req = otlp_fixtures::logs_request();
    let t = tables_of(&to_columns(&Request::Logs(req.clone()), 65_536, true));
    assert_eq!(
        otlp_fixtures::logs_from(&t[&Table::Logs]),
        otlp_fixtures::source_logs(&req)
    );

    let req = otlp_fixtures::metrics_request();
    let t = tables_of(&to_columns(&Request::Metrics(req.clone()), 65_536, true));
    let want = otlp_fixtures::source_metrics(&req);
    assert_eq!(
        otlp_fixtures::number_points_from(&t[&Table::MetricPoints]),
        want.number
    );
    assert_eq!(
        otlp_fixtures::histogram_points_from(&t[&Table::HistogramPoints]),
        want.histogram
    );
    assert_eq!(
        otlp_fixtures::exp_histogram_points_from(&t[&Table::ExpHistogramPoints]),
        want.exp_histogram
    );
    assert_eq!(
        otlp_fixtures::summary_points_from(&t[&Table::SummaryPoints]),
        want.summary
    );
}

/// One way of writing requests to files.
struct Case {
    name: &'static str,
    /// Files and their bytes.
    files: Vec<(String, Vec<u8>)>,
    /// Frames the pipeline delivers over all files.
    frames: u64,
}

fn json_text(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

fn cases(reqs: &[Request]) -> Vec<Case> {
    let n = reqs.len() as u64;
    let protos: Vec<Vec<u8>> = reqs.iter().map(proto_bytes).collect();
    let jsons: Vec<Value> = reqs.iter().map(json_value).collect();
    let stream = length_prefixed(&protos);
    let per_file = |ext: &str, f: &dyn Fn(usize) -> Vec<u8>| -> Vec<(String, Vec<u8>)> {
        (0..reqs.len())
            .map(|i| (format!("{i}.{ext}"), f(i)))
            .collect()
    };
    let map_all = |f: fn(&Value) -> Value| -> Vec<Value> { jsons.iter().map(f).collect() };
    let jsonl = json_lines(&jsons);
    let mut multi_member = gzip(&stream[..stream.len() / 2]);
    multi_member.extend(gzip(&stream[stream.len() / 2..]));
    let crlf: Vec<u8> = {
        let mut out = b"\r\n\n".to_vec();
        for v in &jsons {
            out.extend(json_text(v));
            out.extend(b"\r\n\r\n");
        }
        out
    };
    vec![
        Case {
            name: "single protobuf per file",
            files: per_file("pb", &|i| protos[i].clone()),
            frames: n,
        },
        Case {
            name: "fileexporter stream",
            files: vec![("s.otlp".into(), stream.clone())],
            frames: n,
        },
        Case {
            name: "gzip of the stream",
            files: vec![("s.otlp.gz".into(), gzip(&stream))],
            frames: n,
        },
        Case {
            name: "gzip of the stream in two members",
            files: vec![("s.otlp.gz".into(), multi_member)],
            frames: n,
        },
        Case {
            name: "zstd of the stream",
            files: vec![("s.otlp.zst".into(), zstd(&stream))],
            frames: n,
        },
        Case {
            name: "zstd of a single protobuf",
            files: per_file("pb.zst", &|i| zstd(&protos[i])),
            frames: n,
        },
        Case {
            name: "per-message zstd stream",
            files: vec![("s.otlp".into(), per_message_zstd(&protos))],
            frames: n,
        },
        Case {
            name: "per-message zstd stream of JSON",
            files: vec![(
                "s.otlp".into(),
                per_message_zstd(&jsons.iter().map(json_text).collect::<Vec<_>>()),
            )],
            frames: n,
        },
        Case {
            name: "JSON object per file",
            files: per_file("json", &|i| json_text(&jsons[i])),
            frames: n,
        },
        Case {
            name: "pretty-printed JSON per file",
            files: per_file("json", &|i| pretty(&jsons[i])),
            frames: n,
        },
        Case {
            name: "gzip of pretty-printed JSON",
            files: per_file("json.gz", &|i| gzip(&pretty(&jsons[i]))),
            frames: n,
        },
        Case {
            name: "JSON Lines",
            files: vec![("s.jsonl".into(), jsonl.clone())],
            frames: n,
        },
        Case {
            name: "JSON Lines without a final newline",
            files: vec![("s.jsonl".into(), jsonl[..jsonl.len() - 1].to_vec())],
            frames: n,
        },
        Case {
            name: "JSON Lines with CRLF and blank lines",
            files: vec![("s.jsonl".into(), crlf)],
            frames: n,
        },
        Case {
            name: "zstd of JSON Lines",
            files: vec![("s.jsonl.zst".into(), zstd(&jsonl))],
            frames: n,
        },
        Case {
            name: "snake_case JSON Lines",
            files: vec![("s.jsonl".into(), json_lines(&map_all(snake_case_keys)))],
            frames: n,
        },
        Case {
            name: "JSON Lines with int64 as numbers",
            files: vec![("s.jsonl".into(), json_lines(&map_all(int64_as_numbers)))],
            frames: n,
        },
        Case {
            name: "JSON Lines with enum names",
            files: vec![("s.jsonl".into(), json_lines(&map_all(enums_as_names)))],
            frames: n,
        },
        Case {
            name: "pretty snake_case JSON, int64 numbers, enum names",
            files: per_file("json", &|i| {
                pretty(&snake_case_keys(&int64_as_numbers(&enums_as_names(
                    &jsons[i],
                ))))
            }),
            frames: n,
        },
    ]
}

fn write_case(dir: &Path, case: &Case) -> Vec<PathBuf> {
    let sub = dir.join(case.name.replace([' ', ','], "_"));
    std::fs::create_dir_all(&sub).expect("mkdir");
    case.files
        .iter()
        .map(|(name, bytes)| {
            let path = sub.join(name);
            std::fs::write(&path, bytes).expect("write case");
            path
        })
        .collect()
}

fn inspect_total(paths: &[PathBuf]) -> Value {
    let mut cmd = assert_cmd::Command::cargo_bin("otlp-analytics").expect("binary");
    cmd.arg("inspect").arg("--format").arg("json");
    cmd.args(paths);
    let out = cmd.output().expect("run inspect");
    assert!(
        out.status.success(),
        "inspect {paths:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    v["total"].clone()
}

#[test]
fn every_framing_yields_the_columns_and_counts_of_the_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    for signal in SIGNALS {
        let reqs: Vec<Request> = (0..3).map(|i| variant(signal, i)).collect();
        let (want, want_stats) = direct(&reqs);
        assert!(!want.is_empty());
        for case in cases(&reqs) {
            let what = format!("{signal} / {}", case.name);
            let paths = write_case(dir.path(), &case);
            let sources: Vec<InputSource> = paths.iter().cloned().map(InputSource::File).collect();
            for (threads, batch_rows) in [(1, 65_536), (3, 2)] {
                let got = run_pipeline(&sources, &opts(threads, batch_rows))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(got.frames, case.frames, "{what}: frames");
                assert!(got.skipped.is_empty(), "{what}: {:?}", got.skipped);
                assert!(
                    got.signals.iter().flatten().all(|s| *s == signal),
                    "{what}: {:?}",
                    got.signals
                );
                for (i, p) in paths.iter().enumerate() {
                    let size = std::fs::metadata(p).expect("stat").len();
                    assert_eq!(got.bytes[i], size, "{what}: bytes of {}", p.display());
                }
                assert_eq!(got.stats, want_stats, "{what}: stats");
                assert_tables_eq(&what, &concat(&got.tables), &want);
            }
            // The binary counts the same.
            let total = inspect_total(&paths);
            let size: u64 = paths
                .iter()
                .map(|p| std::fs::metadata(p).expect("stat").len())
                .sum();
            assert_eq!(total["frames"], case.frames, "{what}");
            assert_eq!(total["bytes"], size, "{what}");
            assert_eq!(total["skipped_frames"], 0, "{what}");
            assert_eq!(total["resources"], want_stats.resources, "{what}");
            assert_eq!(total["scopes"], want_stats.scopes, "{what}");
            assert_eq!(total["spans"], want_stats.spans, "{what}");
            assert_eq!(total["metrics"], want_stats.metrics, "{what}");
            assert_eq!(total["data_points"], want_stats.data_points(), "{what}");
            assert_eq!(total["log_records"], want_stats.log_records, "{what}");
            assert_eq!(total["services"], want_stats.services.len(), "{what}");
            assert_eq!(
                total["time_min"],
                want_stats.time_min.expect("time"),
                "{what}"
            );
            assert_eq!(
                total["time_max"],
                want_stats.time_max.expect("time"),
                "{what}"
            );
            let by_type = &total["data_points_by_type"];
            let names = [
                "gauge",
                "sum",
                "histogram",
                "exponential_histogram",
                "summary",
            ];
            for (i, name) in names.iter().enumerate() {
                assert_eq!(by_type[name], want_stats.points[i], "{what}: {name}");
            }
        }
    }
}

#[test]
fn json_in_every_spelling_decodes_to_the_identical_message() {
    for signal in SIGNALS {
        let req = variant(signal, 1);
        let json = json_value(&req);
        let spellings = [
            ("compact", json_text(&json)),
            ("pretty", pretty(&json)),
            ("snake_case", json_text(&snake_case_keys(&json))),
            ("int64 numbers", json_text(&int64_as_numbers(&json))),
            ("enum names", json_text(&enums_as_names(&json))),
            (
                "all at once",
                pretty(&snake_case_keys(&int64_as_numbers(&enums_as_names(&json)))),
            ),
        ];
        for (what, bytes) in spellings {
            let got = decode_message(&bytes, None)
                .unwrap_or_else(|e| panic!("{signal} {what}: {e}"))
                .expect("request");
            assert_eq!(got, req, "{signal} {what}");
        }
        // And the protobuf bytes of the same request.
        let got = decode_message(&proto_bytes(&req), None)
            .expect("proto")
            .expect("request");
        assert_eq!(got, req, "{signal} protobuf");
    }
}

#[test]
fn framing_is_chosen_from_content_not_extension() {
    let req = variant(Signal::Traces, 0);
    let proto = proto_bytes(&req);
    let json = json_value(&req);
    let cases: [(&str, Vec<u8>, Framing, usize); 5] = [
        ("single", proto.clone(), Framing::SingleProto, 1),
        (
            "stream",
            length_prefixed(&[proto.clone(), proto.clone()]),
            Framing::LengthPrefixed,
            2,
        ),
        ("document", pretty(&json), Framing::JsonDocument, 1),
        (
            "lines",
            json_lines(&[json.clone(), json.clone(), json]),
            Framing::JsonLines,
            3,
        ),
        ("empty", b"  \n\t\n".to_vec(), Framing::Empty, 0),
    ];
    for (what, bytes, framing, frames) in cases {
        let reader = FrameReader::new(bytes.as_slice()).expect("framing");
        assert_eq!(reader.framing(), framing, "{what}");
        let got: Vec<_> = reader.collect();
        assert_eq!(got.len(), frames, "{what}");
        assert!(got.iter().all(Result::is_ok), "{what}");
    }
    // Frames carry their index and byte offset.
    let stream = length_prefixed(&[proto.clone(), vec![], proto.clone()]);
    let frames: Vec<_> = FrameReader::new(stream.as_slice())
        .expect("framing")
        .map(|f| f.expect("frame"))
        .collect();
    let offsets: Vec<(u64, u64, usize)> = frames
        .iter()
        .map(|f| (f.index, f.offset, f.data.len()))
        .collect();
    let len = proto.len();
    assert_eq!(
        offsets,
        [
            (0, 0, len),
            (1, 4 + len as u64, 0),
            (2, 8 + len as u64, len)
        ]
    );
}

#[test]
fn empty_requests_in_a_stream_are_frames_without_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let req = variant(Signal::Logs, 0);
    let stream = length_prefixed(&[
        ExportLogsServiceRequest::default().encode_to_vec(),
        proto_bytes(&req),
        Vec::new(),
    ]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, &stream).expect("write");
    let got = run_file(&path, &opts(2, 100)).expect("pipeline");
    assert_eq!(got.frames, 3);
    let (want, want_stats) = direct(&[req]);
    assert_eq!(got.stats, want_stats);
    assert_tables_eq("empty frames", &concat(&got.tables), &want);
}

// ---- --signal and several signals ------------------------------------------------------

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
    assert_eq!(
        decode_message(b"{}", None).expect_err("no signal"),
        FrameProblem::UnknownSignal
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

// ---- bad input through the library --------------------------------------------------------

#[test]
fn mixed_signals_in_one_stream_are_a_bad_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = proto_bytes(&variant(Signal::Traces, 0));
    let m = proto_bytes(&variant(Signal::Metrics, 0));
    let path = dir.path().join("mixed.otlp");
    std::fs::write(&path, length_prefixed(&[t.clone(), m, t.clone()])).expect("write");
    let err = run_file(&path, &opts(2, 65_536)).expect_err("mixed");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: frame 1 at byte {}: mixed signals: this frame holds metrics, earlier frames of the stream hold traces",
            path.display(),
            4 + t.len()
        )
    );
    let mut o = opts(2, 65_536);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 2);
    assert_eq!(got.skipped.len(), 1);
    assert_eq!(got.skipped[0].0, 1);
    assert_eq!(got.stats.spans, 8);
    assert_eq!(got.stats.metrics, 0);
}

#[test]
fn a_corrupt_frame_is_skipped_and_its_neighbours_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reqs: Vec<Request> = (0..4).map(|i| variant(Signal::Traces, i)).collect();
    let mut msgs: Vec<Vec<u8>> = reqs.iter().map(proto_bytes).collect();
    // Frame 2: a LEN field whose length runs past the message.
    msgs.insert(2, vec![0x0a, 0x7f, 0x01, 0x02]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, length_prefixed(&msgs)).expect("write");
    let offset2: u64 = msgs[..2].iter().map(|m| 4 + m.len() as u64).sum();

    let err = run_file(&path, &opts(2, 65_536)).expect_err("corrupt");
    let text = err.to_string();
    let prefix = format!(
        "{}: frame 2 at byte {offset2}: invalid protobuf",
        path.display()
    );
    assert!(text.starts_with(&prefix), "{text}");

    let mut o = opts(2, 3);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 4);
    assert_eq!(got.skipped.len(), 1);
    assert_eq!((got.skipped[0].0, got.skipped[0].1), (2, offset2));
    let (want, want_stats) = direct(&reqs);
    assert_eq!(got.stats, want_stats);
    assert_tables_eq("around a corrupt frame", &concat(&got.tables), &want);
}

#[test]
fn a_truncated_final_frame_is_one_bad_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reqs: Vec<Request> = (0..2).map(|i| variant(Signal::Metrics, i)).collect();
    let mut bytes = length_prefixed(&reqs.iter().map(proto_bytes).collect::<Vec<_>>());
    let good_len = bytes.len() as u64;
    let last = proto_bytes(&reqs[0]);
    bytes.extend_from_slice(&(last.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&last[..10]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, &bytes).expect("write");

    let err = run_file(&path, &opts(2, 65_536)).expect_err("truncated");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: frame 2 at byte {good_len}: truncated frame: length prefix says {} bytes but only 10 remain",
            path.display(),
            last.len()
        )
    );
    let mut o = opts(2, 65_536);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 2);
    assert_eq!(got.skipped.len(), 1);
    let (_, want_stats) = direct(&reqs);
    assert_eq!(got.stats, want_stats);
}

#[test]
fn damaged_compression_is_reported_not_panicked() {
    let req = variant(Signal::Logs, 0);
    let stream = length_prefixed(&[proto_bytes(&req), proto_bytes(&req)]);
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, mut bytes) in [("gzip", gzip(&stream)), ("zstd", zstd(&stream))] {
        let n = bytes.len();
        bytes.truncate(n / 2);
        let path = dir.path().join(what);
        std::fs::write(&path, &bytes).expect("write");
        let err = run_file(&path, &opts(1, 65_536)).expect_err(what);
        assert!(
            err.to_string()
                .starts_with(&format!("{}: frame ", path.display())),
            "{what}: {err}"
        );
    }
    // A per-message zstd frame that is not valid zstd after its magic.
    let mut frame = zstd(&proto_bytes(&req));
    let n = frame.len();
    frame.truncate(n - 3);
    assert!(matches!(
        unwrap_frame(frame),
        Err(FrameProblem::Decompress(_))
    ));
}

// ---- robustness ----------------------------------------------------------------------------

/// Reads, unwraps and decodes every frame of `bytes` with each signal choice;
/// returns (good frames, bad frames). Must never panic.
fn chew(bytes: &[u8]) -> (usize, usize) {
    let (mut good, mut bad) = (0, 0);
    let reader = match FrameReader::new(bytes) {
        Ok(r) => r,
        Err(_) => return (0, 1),
    };
    for item in reader {
        let Ok(frame) = item else {
            bad += 1;
            continue;
        };
        let Ok(data) = unwrap_frame(frame.data) else {
            bad += 1;
            continue;
        };
        for forced in [
            None,
            Some(Signal::Traces),
            Some(Signal::Metrics),
            Some(Signal::Logs),
        ] {
            match decode_message(&data, forced) {
                Ok(Some(req)) => {
                    let cols = to_columns(&req, 7, true);
                    let rows: usize = cols.tables.iter().map(|t| t.batch.num_rows()).sum();
                    let records =
                        cols.stats.spans + cols.stats.log_records + cols.stats.data_points();
                    assert_eq!(rows as u64, records, "every record becomes one row");
                    if forced.is_none() {
                        good += 1;
                    }
                }
                Ok(None) => {
                    if forced.is_none() {
                        good += 1;
                    }
                }
                Err(_) => {
                    if forced.is_none() {
                        bad += 1;
                    }
                }
            }
        }
    }
    (good, bad)
}

fn small_stream() -> Vec<u8> {
    let mut t = otlp_fixtures::traces_request();
    t.resource_spans.truncate(1);
    let m = otlp_fixtures::metrics_request();
    let mut stream = length_prefixed(&[t.encode_to_vec(), t.encode_to_vec()]);
    // A per-message-compressed frame too.
    stream.extend(per_message_zstd(&[m.encode_to_vec()]));
    stream
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        chew(&bytes);
        // The same bytes as a bare message, a JSON-looking message and a zstd-looking frame.
        for forced in [None, Some(Signal::Traces), Some(Signal::Metrics), Some(Signal::Logs)] {
            let _ = decode_message(&bytes, forced);
        }
        let mut json = b"{".to_vec();
        json.extend_from_slice(&bytes);
        let _ = decode_message(&json, None);
        let mut z = vec![0x28, 0xb5, 0x2f, 0xfd];
        z.extend_from_slice(&bytes);
        let _ = unwrap_frame(z);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_prefix_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        start in prop::sample::select(vec![0x0a_u8, 0x00, b'{']),
    ) {
        let mut input = vec![start];
        input.extend_from_slice(&bytes);
        chew(&input);
    }

}

proptest! {
    // Each case runs the whole pipeline twice over a temporary file.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_streams_decode_or_report_a_frame_problem(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        wrap in 0u8..3,
    ) {
        let clean = small_stream();
        let mut bytes = clean.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let bytes = match wrap {
            0 => bytes,
            1 => gzip(&bytes),
            _ => zstd(&bytes),
        };
        let _ = chew(&bytes);

        // Through the pipeline: with --skip-invalid nothing aborts and every
        // frame is either delivered or counted as skipped.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.otlp");
        std::fs::write(&path, &bytes).expect("write");
        let mut o = opts(2, 3);
        o.skip_invalid = true;
        let got = run_file(&path, &o);
        prop_assert!(got.is_ok(), "{:?}", got.err().map(|e| e.to_string()));
        let strict = run_file(&path, &opts(2, 3));
        if let Err(e) = strict {
            let text = e.to_string();
            prop_assert!(text.starts_with(&format!("{}: frame ", path.display())), "{}", text);
        }
    }

    #[test]
    fn json_with_a_node_replaced_never_panics(
        signal in prop::sample::select(SIGNALS.to_vec()),
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(vec![
            Value::Null, Value::Bool(true), Value::from(0), Value::from(-1), Value::from(1.5),
            Value::from(u64::MAX), Value::from("x"), Value::from(""), Value::from("-1"),
            Value::from("Infinity"), Value::Array(vec![]), serde_json::json!({}),
            serde_json::json!([{}]), Value::from(1e300),
        ]),
    ) {
        let mut json = json_value(&variant(signal, 0));
        let mut pointers = Vec::new();
        collect_pointers(&json, String::new(), &mut pointers);
        let target = pointers[at.index(pointers.len())].clone();
        if let Some(node) = json.pointer_mut(&target) {
            *node = replacement;
        }
        let bytes = json_text(&json);
        match decode_message(&bytes, None) {
            Ok(Some(req)) => { let _ = to_columns(&req, 5, true); }
            Ok(None) => {}
            Err(FrameProblem::InvalidJson(_) | FrameProblem::UnknownSignal) => {}
            Err(other) => prop_assert!(false, "unexpected problem {}", other),
        }
    }
}

/// JSON pointers of every node below the root.
fn collect_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    if !at.is_empty() {
        out.push(at.clone());
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                collect_pointers(x, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                collect_pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
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
