//! The official opentelemetry-proto examples decode to the values they hold.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::array::RecordBatch;
use otlp_analytics::columns::Table;
use otlp_analytics::decode::Signal;
use otlp_analytics::input::InputSource;
use serde_json::Value;

use crate::columns::*;
use crate::decode_support::*;
use crate::{decode_one, table, tables_of};

/// The official opentelemetry-proto examples, vendored under tests/data.
fn example_path(name: &str) -> PathBuf {
    examples_dir().join(name)
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(example_path(name)).unwrap_or_else(|e| panic!("read example {name}: {e}"))
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
