//! The streaming parser on hand-written OTLP/JSON: values checked by hand
//! where the key order or the spelling matters, every other document checked
//! against the tree decoder (`decode_json_reference`) row for row.

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, UInt64Type};
use serde_json::json;

use crate::columns::dict::StrColumn;
use crate::columns::{Projection, Table};
use crate::decode::{decode_frame, decode_json_reference, DecodeOptions, DecodedFrame, Signal};
use crate::error::FrameProblem;

fn opts(forced: Option<Signal>, projection: Option<Projection>) -> DecodeOptions {
    DecodeOptions {
        forced,
        only_signal: None,
        projection,
        batch_rows: 2,
    }
}

fn decode(v: &serde_json::Value) -> Result<DecodedFrame, FrameProblem> {
    decode_frame(v.to_string().as_bytes(), &opts(None, Some(Projection::ALL)))
}

/// All batches of `table`, concatenated.
fn table(d: &DecodedFrame, table: Table) -> RecordBatch {
    let batches: Vec<RecordBatch> = d
        .tables
        .iter()
        .filter(|t| t.table == table)
        .map(|t| t.batch.clone())
        .collect();
    arrow::compute::concat_batches(&table.schema(), &batches).expect("concat")
}

fn strings(b: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let col = b.column_by_name(column).expect("column");
    let s = StrColumn::of(col.as_ref()).expect("string column");
    s.iter().map(|v| v.map(str::to_owned)).collect()
}

/// Streaming and tree decoder agree on `text` (rows, counts, or the error kind).
fn same_as_reference(text: &str) {
    for projection in [Some(Projection::ALL), Some(Projection::LEAN), None] {
        let o = opts(None, projection);
        let got = decode_frame(text.as_bytes(), &o);
        let want = decode_json_reference(text.as_bytes(), &o);
        match (got, want) {
            (Ok(g), Ok(w)) => {
                assert_eq!(g.signal, w.signal, "{text}");
                assert_eq!(g.stats, w.stats, "{text}");
                for t in Table::ALL {
                    assert_eq!(table(&g, t), table(&w, t), "{text}: {t:?}");
                }
            }
            (Err(g), Err(w)) => assert_eq!(g, w, "{text}"),
            (g, w) => panic!("{text}: streaming {g:?}, tree decoder {w:?}"),
        }
    }
}

#[test]
fn context_after_the_records_is_filled_in() {
    // The Collector's order: records first, schemaUrl last; here the resource too.
    let d = decode(&json!({"resourceSpans": [
        {"scopeSpans": [
            {"spans": [{"name": "a"}, {"name": "b"}], "scope": {"name": "s1"}, "schemaUrl": "u-s1"},
            {"spans": [{"name": "c"}], "scope": {"name": "s2"}}
         ],
         "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
         "schemaUrl": "u-r"},
        {"scopeSpans": [{"spans": [{"name": "d"}]}], "schemaUrl": "u-r2"}
    ]}))
    .expect("decode");
    let b = table(&d, Table::Spans);
    let s = |c| strings(&b, c);
    let some = |v: &[&str]| v.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
    assert_eq!(s("name"), some(&["a", "b", "c", "d"]));
    assert_eq!(
        s("service_name"),
        vec![
            Some("svc".into()),
            Some("svc".into()),
            Some("svc".into()),
            None
        ]
    );
    assert_eq!(s("scope_name"), some(&["s1", "s1", "s2", ""]));
    assert_eq!(s("scope_schema_url"), some(&["u-s1", "u-s1", "", ""]));
    assert_eq!(
        s("resource_schema_url"),
        some(&["u-r", "u-r", "u-r", "u-r2"])
    );
    assert_eq!(
        (d.stats.resources, d.stats.scopes, d.stats.spans),
        (2, 3, 4)
    );
}

#[test]
fn metric_fields_after_the_points_are_filled_in() {
    let late = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"sum": {"dataPoints": [{"asInt": "5", "timeUnixNano": "10"}, {"asDouble": 1.5}],
                 "isMonotonic": true, "aggregationTemporality": "AGGREGATION_TEMPORALITY_CUMULATIVE"},
         "unit": "1", "name": "requests"},
        {"gauge": {"dataPoints": [{"asDouble": 2.0, "attributes": [{"key": "k", "value": {"stringValue": "v"}}]}]},
         "name": "load"}
    ]}], "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]}}]});
    let d = decode(&late).expect("decode");
    let b = table(&d, Table::MetricPoints);
    let some = |v: &[&str]| v.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
    assert_eq!(
        strings(&b, "metric_name"),
        some(&["requests", "requests", "load"])
    );
    assert_eq!(strings(&b, "metric_unit"), some(&["1", "1", ""]));
    assert_eq!(strings(&b, "service_name"), some(&["svc", "svc", "svc"]));
    let temporality = b.column_by_name("aggregation_temporality").expect("col");
    let temporality: Vec<i32> = temporality.as_primitive::<Int32Type>().values().to_vec();
    assert_eq!(temporality, [2, 2, 0]);
    // Series ids equal those of the same metrics written in the usual order.
    let early = json!({"resourceMetrics": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeMetrics": [{"metrics": [
        {"name": "requests", "unit": "1", "sum": {"aggregationTemporality": 2, "isMonotonic": true,
            "dataPoints": [{"asInt": 5, "timeUnixNano": 10}, {"asDouble": 1.5}]}},
        {"name": "load", "gauge": {"dataPoints": [{"attributes": [{"key": "k", "value": {"stringValue": "v"}}], "asDouble": 2.0}]}}
    ]}]}]});
    let e = table(&decode(&early).expect("decode"), Table::MetricPoints);
    assert_eq!(b, e);
    let ids = b.column_by_name("series_id").expect("col");
    let ids = ids.as_primitive::<UInt64Type>();
    assert_eq!(ids.value(0), ids.value(1));
    assert_ne!(ids.value(0), ids.value(2));
    same_as_reference(&late.to_string());
}

#[test]
fn the_first_signal_of_traces_metrics_logs_is_read() {
    let both = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}],"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]}]}]}"#;
    let d = decode_frame(both.as_bytes(), &opts(None, Some(Projection::ALL))).expect("decode");
    assert_eq!(
        (d.signal, d.stats.spans, d.stats.log_records),
        (Some(Signal::Traces), 2, 0)
    );
    same_as_reference(both);
    let forced = decode_frame(both.as_bytes(), &opts(Some(Signal::Logs), None));
    let mismatch = FrameProblem::SignalMismatch {
        forced: Signal::Logs,
        found: Signal::Traces,
    };
    assert_eq!(forced.expect_err("mismatch"), mismatch);
    // A null signal key is absent: no signal, or the forced one with no records.
    let null = r#"{"resourceSpans":null,"x":1}"#;
    let d = decode_frame(null.as_bytes(), &opts(None, Some(Projection::ALL))).expect("empty");
    assert_eq!((d.signal, d.tables.len()), (None, 0));
    let d = decode_frame(null.as_bytes(), &opts(Some(Signal::Logs), None)).expect("empty");
    assert_eq!(d.signal, Some(Signal::Logs));
    same_as_reference(null);
    let only_lower = r#"{"resourceLogs":[]}"#;
    let forced = decode_frame(only_lower.as_bytes(), &opts(Some(Signal::Metrics), None));
    let mismatch = FrameProblem::SignalMismatch {
        forced: Signal::Metrics,
        found: Signal::Logs,
    };
    assert_eq!(forced.expect_err("mismatch"), mismatch);
}

#[test]
fn errors_name_the_field_path() {
    let bad = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[{"asInt":"5"},{"asInt":"x"}]}}]}]}]}"#;
    let err = decode_frame(bad.as_bytes(), &opts(None, Some(Projection::ALL))).expect_err("bad");
    assert_eq!(
        err,
        FrameProblem::InvalidJson(
            "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[1].asInt: expected a signed 64-bit integer, got \"x\"".into()
        )
    );
    same_as_reference(bad);
    let late = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":"9223372036854775808"}]}]}]}"#;
    let err = decode_frame(late.as_bytes(), &opts(None, None)).expect_err("late");
    assert_eq!(
        err,
        FrameProblem::TimeOutOfRange {
            field: "end_time_unix_nano",
            value: 1 << 63
        }
    );
    same_as_reference(late);
    let mut not_utf8 = br#"{"resourceSpans":[],"x":"a"#.to_vec();
    not_utf8.extend_from_slice(&[0xff, b'"', b'}']);
    let err = decode_frame(&not_utf8, &opts(None, None)).expect_err("not UTF-8");
    assert_eq!(
        err,
        FrameProblem::InvalidJson("invalid UTF-8 at byte 26".into())
    );
    for text in [
        "[]",
        "{",
        r#"{"resourceSpans":{}}"#,
        r#"{"resourceSpans":[null]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":true}]}]}]}"#,
        r#"{"resourceSpans":[]} x"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"a"}}]}]}]}"#,
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"abc"}]}]}]}"#,
    ] {
        same_as_reference(text);
    }
}

#[test]
fn spellings_match_the_tree_decoder() {
    let docs = [
        // snake_case, enum names, ints as numbers, floats that are integers, hex in capitals.
        r#"{"resource_spans":[{"schema_url":"s","scope_spans":[{"scope":{"name":"n","version":"1","attributes":[{"key":"a","value":{"bool_value":true}}],"dropped_attributes_count":1},"spans":[{"trace_id":"0102030405060708090A0B0C0D0E0F10","span_id":"AABBCCDDEEFF0011","parent_span_id":"0011","kind":"SPAN_KIND_CLIENT","start_time_unix_nano":1e3,"end_time_unix_nano":"2000","flags":257,"status":{"code":"STATUS_CODE_ERROR","message":"boom"},"events":[{"time_unix_nano":5,"name":"e","attributes":[{"key":"x","value":{"double_value":"NaN"}}]}],"links":[{"trace_id":"ff","span_id":"00","flags":1}],"attributes":[{"key":"i","value":{"int_value":-7}},{"key":"b","value":{"bytes_value":"AQI"}},{"key":"arr","value":{"array_value":{"values":[{"string_value":"x"},{}]}}},{"key":"kv","value":{"kvlist_value":{"values":[{"key":"k"},{"key":"v","value":{"double_value":"-Infinity"}}]}}},{"key":"none"},{"key":"nul","value":null}]}]}]}]}"#,
        // camelCase, enum numbers (unknown numbers kept), nulls, unknown keys.
        r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"intValue":"3"}}],"droppedAttributesCount":null,"extra":[1,2]},"scopeLogs":[{"logRecords":[{"timeUnixNano":null,"observedTimeUnixNano":"7","severityNumber":99,"severityText":"X","body":{"kvlistValue":{"values":[]}},"flags":1,"traceId":"00","spanId":"","eventName":"ev","unknown":{"a":null}}]}]}],"other":true}"#,
        // Every metric type, exemplars, buckets, quantiles.
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","dataPoints":[{"count":"3","sum":1.5,"min":0,"max":1,"bucketCounts":["1",2],"explicitBounds":[0.5],"exemplars":[{"asInt":"4","timeUnixNano":"9","spanId":"0102030405060708","filteredAttributes":[{"key":"f","value":{"stringValue":"g"}}]}]}]}},{"name":"e","exponential_histogram":{"aggregation_temporality":2,"data_points":[{"count":2,"scale":-1,"zero_count":"1","zero_threshold":"Infinity","positive":{"offset":-2,"bucket_counts":[1]},"negative":{"bucketCounts":["1"]}}]}},{"name":"s","summary":{"dataPoints":[{"count":1,"sum":"2","quantileValues":[{"quantile":0.5,"value":1},{}]}]}},{"name":"none"},{"name":"g","gauge":{"dataPoints":[{"asDouble":1,"asInt":"2"}]},"metadata":[{"key":"m","value":{"stringValue":"v"}}]}]}]}]}"#,
    ];
    for text in docs {
        same_as_reference(text);
    }
}
