//! Tests for the OTLP/JSON decoder (`json.rs`); metrics-specific ones live in
//! `json_metrics.rs`.

use super::*;
use any_value::Value as V;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use proptest::prelude::*;
use prost::Message;
use serde_json::json;

/// The shared OTLP examples, as raw text or bytes.
macro_rules! example {
    (bytes $name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/otlp-examples/",
            $name
        ))
    };
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/otlp-examples/",
            $name
        ))
    };
}
pub(super) use example;

/// An `AnyValue` holding `v`.
pub(super) fn av(v: V) -> AnyValue {
    AnyValue { value: Some(v) }
}

pub(super) fn kv(key: &str, v: V) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(av(v)),
        key_strindex: 0,
    }
}

pub(super) fn string(s: &str) -> V {
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

#[test]
fn trace_example_matches_its_protobuf_twin() {
    let v = parse(example!("trace.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Traces);
    let req = traces_from_value(&v).unwrap();
    let rs = &req.resource_spans[0];
    let res = rs.resource.as_ref().unwrap();
    assert_eq!(res.attributes, [kv("service.name", string("my.service"))]);
    let scope = rs.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("my.library", "1.0.0")
    );
    let attr = kv("my.scope.attribute", string("some scope attribute"));
    assert_eq!(scope.attributes, [attr]);
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(span.trace_id, TRACE_ID);
    assert_eq!(span.span_id, SPAN_ID);
    assert_eq!(
        span.parent_span_id,
        [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73]
    );
    assert_eq!(span.name, "I'm a server span");
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(span.kind, SpanKind::Server as i32);
    assert_eq!(span.attributes, [kv("my.span.attr", string("some value"))]);
    assert_eq!((span.flags, span.status.as_ref()), (0, None));

    let bin = ExportTraceServiceRequest::decode(&example!(bytes "trace.protobuf-bin")[..]);
    assert_eq!(req, bin.unwrap());
}

#[test]
fn logs_example_has_every_attribute_type() {
    let v = parse(example!("logs.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Logs);
    let rec = first_log(v);
    assert_eq!(rec.time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(rec.observed_time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(rec.severity_number, SeverityNumber::Info2 as i32);
    assert_eq!(rec.severity_text, "Information");
    assert_eq!(
        (rec.trace_id.as_slice(), rec.span_id.as_slice()),
        (&TRACE_ID[..], &SPAN_ID[..])
    );
    assert_eq!(rec.body, Some(av(string("Example log record"))));
    let array = ArrayValue {
        values: vec![av(string("many")), av(string("values"))],
    };
    let map = KeyValueList {
        values: vec![kv("some.map.key", string("some value"))],
    };
    let expected = [
        kv("string.attribute", string("some string")),
        kv("boolean.attribute", V::BoolValue(true)),
        kv("int.attribute", V::IntValue(10)),
        kv("double.attribute", V::DoubleValue(637.704)),
        kv("array.attribute", V::ArrayValue(array)),
        kv("map.attribute", V::KvlistValue(map)),
    ];
    assert_eq!(rec.attributes, expected);
    assert_eq!(
        (
            rec.flags,
            rec.dropped_attributes_count,
            rec.event_name.as_str()
        ),
        (0, 0, "")
    );
}

#[test]
fn events_example_has_event_name_and_map_body() {
    let v = parse(example!("events.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Logs);
    let rec = first_log(v);
    assert_eq!(rec.event_name, "browser.page_view");
    assert_eq!(rec.severity_number, SeverityNumber::Info as i32);
    assert_eq!(rec.severity_text, "test severity text");
    assert!(rec.trace_id.is_empty() && rec.span_id.is_empty());
    assert_eq!(
        rec.attributes,
        [kv("event.attribute", string("some event attribute"))]
    );
    let Some(V::KvlistValue(body)) = rec.body.and_then(|b| b.value) else {
        panic!("body is not a kvlist");
    };
    let url = "https://www.guidgenerator.com/online-guid-generator.aspx";
    let expected = [
        kv("type", V::IntValue(0)),
        kv("url", string(url)),
        kv("referrer", string("https://wwww.google.com")),
        kv("title", string("Free Online GUID Generator")),
    ];
    assert_eq!(body.values, expected);
}

#[test]
fn snake_case_keys_and_enum_names() {
    let span = first_span(json!({"resource_spans": [{
        "schema_url": "https://schema/1",
        "scope_spans": [{"schema_url": "https://schema/2", "spans": [{
            "trace_id": "0102030405060708090a0b0c0d0e0f10", "span_id": "AABBCCDDEEFF0011",
            "parent_span_id": "", "trace_state": "k=v", "flags": 257,
            "kind": "SPAN_KIND_CLIENT", "start_time_unix_nano": 5, "end_time_unix_nano": "6",
            "dropped_attributes_count": 1, "dropped_events_count": "2", "dropped_links_count": 3,
            "attributes": [{"key": "n", "value": {"int_value": -7}}],
            "events": [{"time_unix_nano": "9", "name": "ev", "dropped_attributes_count": 4}],
            "links": [{"trace_id": "ff", "span_id": "00", "trace_state": "a=b", "flags": 1}],
            "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}
        }]}]
    }]}));
    assert_eq!(span.trace_id, (1..=16).collect::<Vec<u8>>());
    assert_eq!(
        span.span_id,
        [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11]
    );
    assert!(span.parent_span_id.is_empty());
    assert_eq!((span.trace_state.as_str(), span.flags), ("k=v", 257));
    assert_eq!(span.kind, SpanKind::Client as i32);
    assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (5, 6));
    let dropped = (
        span.dropped_attributes_count,
        span.dropped_events_count,
        span.dropped_links_count,
    );
    assert_eq!(dropped, (1, 2, 3));
    assert_eq!(span.attributes, [kv("n", V::IntValue(-7))]);
    let ev = &span.events[0];
    assert_eq!(
        (
            ev.time_unix_nano,
            ev.name.as_str(),
            ev.dropped_attributes_count
        ),
        (9, "ev", 4)
    );
    let link = &span.links[0];
    assert_eq!(
        (link.trace_id.as_slice(), link.span_id.as_slice()),
        (&[0xff][..], &[0][..])
    );
    assert_eq!((link.trace_state.as_str(), link.flags), ("a=b", 1));
    let status = span.status.unwrap();
    assert_eq!(
        (status.code, status.message.as_str()),
        (StatusCode::Error as i32, "boom")
    );

    let req = traces_from_value(&json!({"resource_spans": [{"schema_url": "s1",
        "scope_spans": [{"schema_url": "s2", "scope": {"name": "n", "dropped_attributes_count": 2}}]}]}));
    let rs = &req.unwrap().resource_spans[0];
    assert_eq!(
        (
            rs.schema_url.as_str(),
            rs.scope_spans[0].schema_url.as_str()
        ),
        ("s1", "s2")
    );
    assert_eq!(
        rs.scope_spans[0]
            .scope
            .as_ref()
            .unwrap()
            .dropped_attributes_count,
        2
    );

    let rec = first_log(json!({"resource_logs": [{"scope_logs": [{"log_records": [{
        "time_unix_nano": 1, "observed_time_unix_nano": "2", "severity_number": "SEVERITY_NUMBER_WARN",
        "severity_text": "W", "event_name": "e", "trace_id": "0a", "span_id": "0B", "flags": 1,
        "body": {"bool_value": false}, "dropped_attributes_count": 3
    }]}]}]}));
    assert_eq!((rec.time_unix_nano, rec.observed_time_unix_nano), (1, 2));
    assert_eq!(rec.severity_number, SeverityNumber::Warn as i32);
    assert_eq!(
        (rec.severity_text.as_str(), rec.event_name.as_str()),
        ("W", "e")
    );
    assert_eq!(
        (rec.trace_id, rec.span_id, rec.flags),
        (vec![10], vec![11], 1)
    );
    assert_eq!(
        (rec.body, rec.dropped_attributes_count),
        (Some(av(V::BoolValue(false))), 3)
    );
}

#[test]
fn enums_accept_numbers_numeric_strings_and_unknown_numbers() {
    assert_eq!(
        first_span(span_doc(json!({"kind": "4"}))).kind,
        SpanKind::Producer as i32
    );
    assert_eq!(first_span(span_doc(json!({"kind": 42}))).kind, 42);
    let e = err(traces_from_value(&span_doc(
        json!({"kind": "SPAN_KIND_NOPE"}),
    )));
    let msg = "resourceSpans[0].scopeSpans[0].spans[0].kind: expected an enum name or number, got \"SPAN_KIND_NOPE\"";
    assert_eq!(e, msg);
}

#[test]
fn numbers_in_all_spellings() {
    let attr = |value: Value| {
        first_log(log_doc(json!({"body": value})))
            .body
            .unwrap()
            .value
    };
    assert_eq!(attr(json!({"intValue": -5})), Some(V::IntValue(-5)));
    assert_eq!(
        attr(json!({"intValue": "-9223372036854775808"})),
        Some(V::IntValue(i64::MIN))
    );
    assert_eq!(attr(json!({"intValue": 1e3})), Some(V::IntValue(1000)));
    assert_eq!(attr(json!({"doubleValue": 3})), Some(V::DoubleValue(3.0)));
    assert_eq!(
        attr(json!({"doubleValue": "2.5"})),
        Some(V::DoubleValue(2.5))
    );
    assert_eq!(
        attr(json!({"doubleValue": "-Infinity"})),
        Some(V::DoubleValue(f64::NEG_INFINITY))
    );
    assert_eq!(
        attr(json!({"doubleValue": "Infinity"})),
        Some(V::DoubleValue(f64::INFINITY))
    );
    assert!(matches!(attr(json!({"doubleValue": "NaN"})), Some(V::DoubleValue(d)) if d.is_nan()));

    let time = |t: Value| traces_from_value(&span_doc(json!({"startTimeUnixNano": t})));
    assert_eq!(
        first_span(span_doc(json!({"startTimeUnixNano": u64::MAX}))).start_time_unix_nano,
        u64::MAX
    );
    assert_eq!(
        first_span(span_doc(
            json!({"startTimeUnixNano": "18446744073709551615"})
        ))
        .start_time_unix_nano,
        u64::MAX
    );
    let path = "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano";
    for bad in [
        json!(-1),
        json!(1.5),
        json!("18446744073709551616"),
        json!("1 "),
        json!(true),
    ] {
        let expected = format!("{path}: expected an unsigned 64-bit integer, got {bad}");
        assert_eq!(err(time(bad)), expected);
    }
    let e = err(traces_from_value(&span_doc(
        json!({"droppedLinksCount": 4294967296u64}),
    )));
    assert!(
        e.ends_with("droppedLinksCount: expected an unsigned 32-bit integer, got 4294967296"),
        "{e}"
    );
}

#[test]
fn bytes_value_is_base64_with_or_without_padding() {
    let body = |b: &str| logs_from_value(&log_doc(json!({"body": {"bytesValue": b}})));
    let bytes = |b: &str| {
        first_log(log_doc(json!({"body": {"bytesValue": b}})))
            .body
            .unwrap()
            .value
    };
    assert_eq!(bytes("aGVsbG8="), Some(V::BytesValue(b"hello".to_vec())));
    assert_eq!(bytes("aGVsbG8"), Some(V::BytesValue(b"hello".to_vec())));
    assert_eq!(bytes("/+8="), Some(V::BytesValue(vec![0xff, 0xef])));
    assert_eq!(bytes("_-8"), Some(V::BytesValue(vec![0xff, 0xef])));
    assert_eq!(bytes(""), Some(V::BytesValue(vec![])));
    let e = err(body("aGVsb*8="));
    assert_eq!(
        e,
        "resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: invalid base64 \"aGVsb*8=\""
    );
    assert!(body("a").is_err() && body("ab===").is_err() && body("=").is_ok());
}

#[test]
fn ids_are_hex_of_any_length() {
    let span = first_span(span_doc(json!({"traceId": "0A0b0C", "spanId": ""})));
    assert_eq!((span.trace_id, span.span_id), (vec![10, 11, 12], vec![]));
    let path = "resourceSpans[0].scopeSpans[0].spans[0]";
    let e = err(traces_from_value(&span_doc(json!({"traceId": "xyz0"}))));
    assert_eq!(e, format!("{path}.traceId: invalid hex id \"xyz0\""));
    let e = err(traces_from_value(&span_doc(
        json!({"links": [{"spanId": "abc"}]}),
    )));
    assert_eq!(e, format!("{path}.links[0].spanId: invalid hex id \"abc\""));
    let e = err(traces_from_value(&span_doc(json!({"parentSpanId": 12}))));
    assert_eq!(
        e,
        format!("{path}.parentSpanId: expected a hex string, got 12")
    );
}

#[test]
fn wrong_types_name_the_field() {
    let doc = json!({"resourceSpans": [{"scopeSpans": [{}, {"spans": 5}]}]});
    let e = err(traces_from_value(&doc));
    assert_eq!(
        e,
        "resourceSpans[0].scopeSpans[1].spans: expected an array, got 5"
    );
    let e = err(traces_from_value(&span_doc(
        json!({"startTimeUnixNano": true}),
    )));
    let path = "resourceSpans[0].scopeSpans[0].spans[0]";
    assert_eq!(
        e,
        format!("{path}.startTimeUnixNano: expected an unsigned 64-bit integer, got true")
    );
    let e = err(traces_from_value(&span_doc(json!({"name": 3}))));
    assert_eq!(e, format!("{path}.name: expected a string, got 3"));
    let e = err(traces_from_value(&span_doc(json!({"events": [{}, "x"]}))));
    assert_eq!(
        e,
        format!("{path}.events[1]: expected an object, got \"x\"")
    );
    let e = err(traces_from_value(&span_doc(json!({"status": []}))));
    assert_eq!(
        e,
        format!("{path}.status: expected an object, got an array")
    );
    // Paths use the camelCase name even when the input was snake_case.
    let e = err(traces_from_value(&json!({"resource_spans": {}})));
    assert_eq!(e, "resourceSpans: expected an array, got an object");
    let e = err(traces_from_value(&json!([])));
    assert_eq!(e, "(root): expected an object, got an array");
    let body = json!({"kvlistValue": {"values": [{"key": "a"}, {"key": "b", "value": {"boolValue": "yes"}}]}});
    let e = err(logs_from_value(&log_doc(json!({"body": body}))));
    let path =
        "resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values[1].value.boolValue";
    assert_eq!(e, format!("{path}: expected a boolean, got \"yes\""));
    let long = "x".repeat(100);
    let e = err(traces_from_value(&span_doc(json!({"traceId": long}))));
    assert!(
        e.ends_with(&format!("invalid hex id \"{}\"…", "x".repeat(40))),
        "{e}"
    );
}

#[test]
fn nulls_absent_fields_and_empty_values_take_defaults() {
    let doc = json!({"resourceSpans": [{"resource": null, "scopeSpans": [{"scope": null, "spans": [{
        "name": null, "traceId": null, "kind": null, "attributes": null, "status": null,
        "traceState": null, "trace_state": "from-snake", "unknownField": {"deep": [1, 2]}
    }]}]}]});
    let req = traces_from_value(&doc).unwrap();
    let rs = &req.resource_spans[0];
    assert!(rs.resource.is_none() && rs.scope_spans[0].scope.is_none());
    let span = &rs.scope_spans[0].spans[0];
    let expected = Span {
        trace_state: "from-snake".into(),
        ..Span::default()
    };
    assert_eq!(*span, expected);

    let rec = first_log(log_doc(
        json!({"body": {}, "attributes": [{"key": "k"}, {"key": "e", "value": {}}]}),
    ));
    assert_eq!(rec.body, Some(AnyValue { value: None }));
    assert_eq!(rec.attributes[0].value, None);
    assert_eq!(rec.attributes[1].value, Some(AnyValue { value: None }));

    assert_eq!(
        traces_from_value(&json!({})).unwrap(),
        ExportTraceServiceRequest::default()
    );
    assert_eq!(
        metrics_from_value(&json!({})).unwrap(),
        ExportMetricsServiceRequest::default()
    );
    // A request for another signal is simply empty for this one.
    let logs = parse(example!("logs.json").as_bytes()).unwrap();
    assert_eq!(
        traces_from_value(&logs).unwrap(),
        ExportTraceServiceRequest::default()
    );
}

#[test]
fn resource_entity_refs_and_nested_any_values() {
    let doc = json!({"resourceLogs": [{"resource": {"droppedAttributesCount": 2, "entityRefs": [
        {"schemaUrl": "u", "type": "service", "idKeys": ["service.name"], "description_keys": ["a", "b"]}
    ]}}]});
    let res = logs_from_value(&doc)
        .unwrap()
        .resource_logs
        .remove(0)
        .resource
        .unwrap();
    assert_eq!(res.dropped_attributes_count, 2);
    let expected = EntityRef {
        schema_url: "u".into(),
        r#type: "service".into(),
        id_keys: vec!["service.name".into()],
        description_keys: vec!["a".into(), "b".into()],
    };
    assert_eq!(res.entity_refs, [expected]);

    let nested =
        json!({"arrayValue": {"values": [{"arrayValue": {}}, {"kvlistValue": {"values": []}}]}});
    let body = first_log(log_doc(json!({"body": nested})))
        .body
        .unwrap()
        .value;
    let inner = vec![
        av(V::ArrayValue(ArrayValue::default())),
        av(V::KvlistValue(KeyValueList::default())),
    ];
    assert_eq!(body, Some(V::ArrayValue(ArrayValue { values: inner })));
}

#[test]
fn sniff_signal_and_parse() {
    let sniff = |v: Value| sniff_signal(&v);
    assert_eq!(
        sniff(json!({"resourceSpans": []})).unwrap(),
        JsonSignal::Traces
    );
    assert_eq!(
        sniff(json!({"resource_metrics": []})).unwrap(),
        JsonSignal::Metrics
    );
    assert_eq!(
        sniff(json!({"x": 1, "resourceLogs": []})).unwrap(),
        JsonSignal::Logs
    );
    for bad in [
        json!({}),
        json!({"resourceSpans": null}),
        json!([]),
        json!("resourceSpans"),
    ] {
        assert!(matches!(sniff(bad), Err(JsonError::UnknownSignal)));
    }
    let msg = JsonError::UnknownSignal.to_string();
    assert_eq!(
        msg,
        "unknown signal: expected a top-level resourceSpans, resourceMetrics or resourceLogs key"
    );

    let e = parse(b"{\n  \"resourceSpans\": [,]\n}").unwrap_err();
    assert!(matches!(&e, JsonError::Syntax(_)));
    assert!(
        e.to_string().starts_with("invalid JSON: ") && e.to_string().contains("line 2 column"),
        "{e}"
    );
    assert!(matches!(parse(b""), Err(JsonError::Syntax(_))));
    assert!(matches!(parse(&[0xff, 0xfe]), Err(JsonError::Syntax(_))));
}

/// Standard base64 encoder, only to property-test the decoder.
fn encode_base64(bytes: &[u8], pad: bool) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
        if pad {
            out.push_str(&"=="[..3 - chunk.len()]);
        }
    }
    out
}

fn field_names() -> impl Strategy<Value = String> {
    const NAMES: &str = "resourceSpans scopeSpans spans resource_logs scopeLogs logRecords \
        resourceMetrics scopeMetrics metrics attributes key value values stringValue intValue \
        doubleValue bytesValue arrayValue kvlistValue traceId spanId kind status code body sum \
        gauge histogram exponentialHistogram summary dataPoints asInt asDouble bucketCounts \
        positive quantileValues exemplars startTimeUnixNano severityNumber";
    let names: Vec<&str> = NAMES.split_whitespace().collect();
    prop_oneof![
        prop::sample::select(names).prop_map(String::from),
        "[a-z_]{0,8}"
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9a-fA-Fz=+/_-]{0,12}".prop_map(Value::from),
        prop::sample::select(&["NaN", "-Infinity", "SPAN_KIND_SERVER", "-1", "1e400", "é"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field_names(), inner), 0..4)
                .prop_map(|kvs| Value::Object(kvs.into_iter().collect())),
        ]
    })
}

/// JSON pointers to every node of `v`.
fn pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                pointers(x, format!("{prefix}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                pointers(
                    x,
                    format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
    out.push(prefix);
}

fn decode_all(v: &Value) {
    let _ = sniff_signal(v);
    let _ = traces_from_value(v);
    let _ = metrics_from_value(v);
    let _ = logs_from_value(v);
}

proptest! {
    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..40), pad: bool) {
        prop_assert_eq!(decode_base64(&encode_base64(&bytes, pad)), Some(bytes));
    }

    #[test]
    fn garbage_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(v) = parse(&bytes) {
            decode_all(&v);
        }
    }

    #[test]
    fn garbage_text_never_panics(text in r#"[\[\]{}:,"0-9a-fA-F .eE+-]{0,80}"#) {
        if let Ok(v) = parse(text.as_bytes()) {
            decode_all(&v);
        }
    }

    #[test]
    fn garbage_values_never_panic(v in arb_json()) {
        decode_all(&v);
        let wrapped = json!({"resourceSpans": [&v], "resourceMetrics": [&v], "resourceLogs": [v]});
        decode_all(&wrapped);
    }

    /// Replaces one node of an example with garbage: every field converter gets a turn.
    #[test]
    fn mutated_examples_never_panic(
        example in 0usize..5,
        node in any::<prop::sample::Index>(),
        junk in arb_json(),
    ) {
        let texts = [
            example!("trace.json"),
            example!("metrics.json"),
            example!("logs.json"),
            example!("events.json"),
            super::metrics::tests::SAMPLE,
        ];
        let mut doc: Value = serde_json::from_str(texts[example]).unwrap();
        let mut ptrs = Vec::new();
        pointers(&doc, String::new(), &mut ptrs);
        if let Some(slot) = doc.pointer_mut(node.get(&ptrs).as_str()) {
            *slot = junk;
        }
        decode_all(&doc);
    }
}
