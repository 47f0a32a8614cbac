//! The encoding's permitted spellings: snake_case keys, enum names or
//! numbers, integers as numbers or strings, non-finite doubles, base64 with
//! or without padding, hex ids of any length, nulls as absent fields.

use super::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{ArrayValue, EntityRef, KeyValueList};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

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
