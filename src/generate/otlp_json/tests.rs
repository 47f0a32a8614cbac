//! Tests for the OTLP/JSON encoder: every field of every message, the
//! omission of defaults and the scalar encodings.

use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::json;

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        key_strindex: 0,
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

fn test_resource() -> Resource {
    Resource {
        attributes: vec![kv("service.name", s("cart"))],
        dropped_attributes_count: 1,
        entity_refs: vec![EntityRef {
            schema_url: "https://e".into(),
            r#type: "service".into(),
            id_keys: vec!["service.name".into()],
            description_keys: vec!["service.version".into()],
        }],
    }
}

fn test_scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "lib".into(),
        version: "1.0".into(),
        attributes: vec![kv("a", any_value::Value::BoolValue(true))],
        dropped_attributes_count: 2,
    }
}

#[test]
fn hex_and_base64() {
    assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
}

#[test]
fn any_value_variants() {
    let cases = vec![
        (s("x"), json!({"stringValue": "x"})),
        (s(""), json!({"stringValue": ""})),
        (
            any_value::Value::BoolValue(false),
            json!({"boolValue": false}),
        ),
        (any_value::Value::IntValue(-5), json!({"intValue": "-5"})),
        (any_value::Value::IntValue(0), json!({"intValue": "0"})),
        (
            any_value::Value::DoubleValue(1.5),
            json!({"doubleValue": 1.5}),
        ),
        (
            any_value::Value::DoubleValue(f64::NAN),
            json!({"doubleValue": "NaN"}),
        ),
        (
            any_value::Value::DoubleValue(f64::NEG_INFINITY),
            json!({"doubleValue": "-Infinity"}),
        ),
        (
            any_value::Value::BytesValue(vec![1, 2, 3]),
            json!({"bytesValue": "AQID"}),
        ),
        (
            any_value::Value::StringValueStrindex(3),
            json!({"stringValueStrindex": 3}),
        ),
        (
            any_value::Value::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue {
                        value: Some(s("a")),
                    },
                    AnyValue {
                        value: Some(any_value::Value::IntValue(1)),
                    },
                    AnyValue { value: None },
                ],
            }),
            json!({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}, {}]}}),
        ),
        (
            any_value::Value::KvlistValue(KeyValueList {
                values: vec![
                    kv("k", any_value::Value::DoubleValue(2.0)),
                    KeyValue {
                        key: "n".into(),
                        value: None,
                        key_strindex: 4,
                    },
                ],
            }),
            json!({"kvlistValue": {"values": [
                {"key": "k", "value": {"doubleValue": 2.0}},
                {"key": "n", "keyStrindex": 4}
            ]}}),
        ),
        (
            any_value::Value::ArrayValue(ArrayValue { values: vec![] }),
            json!({"arrayValue": {}}),
        ),
    ];
    for (v, want) in cases {
        assert_eq!(any_value(&AnyValue { value: Some(v) }), want);
    }
    assert_eq!(any_value(&AnyValue { value: None }), json!({}));
}

#[test]
fn span_with_every_field() {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(test_resource()),
            scope_spans: vec![ScopeSpans {
                scope: Some(test_scope()),
                spans: vec![
                    Span {
                        trace_id: vec![
                            0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33,
                            0x81, 0x3f, 0xc6, 0x0c,
                        ],
                        span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74],
                        trace_state: "k=v".into(),
                        parent_span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73],
                        flags: 257,
                        name: "GET /api/cart".into(),
                        kind: 2,
                        start_time_unix_nano: 1544712660000000000,
                        end_time_unix_nano: 1544712661000000000,
                        attributes: vec![kv("http.status_code", any_value::Value::IntValue(500))],
                        dropped_attributes_count: 1,
                        events: vec![span::Event {
                            time_unix_nano: 1544712660500000000,
                            name: "exception".into(),
                            attributes: vec![kv("exception.type", s("E"))],
                            dropped_attributes_count: 3,
                        }],
                        dropped_events_count: 4,
                        links: vec![span::Link {
                            trace_id: vec![1; 16],
                            span_id: vec![2; 8],
                            trace_state: "a=b".into(),
                            attributes: vec![kv("l", s("x"))],
                            dropped_attributes_count: 5,
                            flags: 1,
                        }],
                        dropped_links_count: 6,
                        status: Some(Status {
                            message: "boom".into(),
                            code: 2,
                        }),
                    },
                    Span {
                        trace_id: vec![0xaa; 16],
                        span_id: vec![0xbb; 8],
                        status: Some(Status::default()),
                        ..Default::default()
                    },
                ],
                schema_url: "https://scope".into(),
            }],
            schema_url: "https://resource".into(),
        }],
    };
    let want = json!({"resourceSpans": [{
        "resource": {
            "attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}],
            "droppedAttributesCount": 1,
            "entityRefs": [{"schemaUrl": "https://e", "type": "service",
                "idKeys": ["service.name"], "descriptionKeys": ["service.version"]}]
        },
        "scopeSpans": [{
            "scope": {"name": "lib", "version": "1.0",
                "attributes": [{"key": "a", "value": {"boolValue": true}}],
                "droppedAttributesCount": 2},
            "spans": [{
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eee19b7ec3c1b174",
                "traceState": "k=v",
                "parentSpanId": "eee19b7ec3c1b173",
                "flags": 257,
                "name": "GET /api/cart",
                "kind": 2,
                "startTimeUnixNano": "1544712660000000000",
                "endTimeUnixNano": "1544712661000000000",
                "attributes": [{"key": "http.status_code", "value": {"intValue": "500"}}],
                "droppedAttributesCount": 1,
                "events": [{"timeUnixNano": "1544712660500000000", "name": "exception",
                    "attributes": [{"key": "exception.type", "value": {"stringValue": "E"}}],
                    "droppedAttributesCount": 3}],
                "droppedEventsCount": 4,
                "links": [{"traceId": "01010101010101010101010101010101",
                    "spanId": "0202020202020202", "traceState": "a=b",
                    "attributes": [{"key": "l", "value": {"stringValue": "x"}}],
                    "droppedAttributesCount": 5, "flags": 1}],
                "droppedLinksCount": 6,
                "status": {"message": "boom", "code": 2}
            }, {
                "traceId": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "spanId": "bbbbbbbbbbbbbbbb",
                "status": {}
            }],
            "schemaUrl": "https://scope"
        }],
        "schemaUrl": "https://resource"
    }]});
    assert_eq!(traces_to_json(&req), want);
}

#[test]
fn empty_requests_keep_top_level_key() {
    assert_eq!(
        traces_to_json(&ExportTraceServiceRequest::default()),
        json!({"resourceSpans": []})
    );
    assert_eq!(
        metrics_to_json(&ExportMetricsServiceRequest::default()),
        json!({"resourceMetrics": []})
    );
    assert_eq!(
        logs_to_json(&ExportLogsServiceRequest::default()),
        json!({"resourceLogs": []})
    );
}

#[test]
fn metrics_with_every_point_type() {
    let attrs = vec![kv("tenant", s("t1"))];
    let ex = Exemplar {
        filtered_attributes: vec![kv("user", s("u"))],
        time_unix_nano: 5,
        span_id: vec![0x0a; 8],
        trace_id: vec![0x0b; 16],
        value: Some(exemplar::Value::AsDouble(7.5)),
    };
    let ex_int = Exemplar {
        value: Some(exemplar::Value::AsInt(9)),
        ..Default::default()
    };
    let metrics = vec![
        Metric {
            name: "g".into(),
            description: "a gauge".into(),
            unit: "1".into(),
            metadata: vec![kv("m", s("v"))],
            data: Some(metric::Data::Gauge(Gauge {
                data_points: vec![NumberDataPoint {
                    attributes: attrs.clone(),
                    start_time_unix_nano: 0,
                    time_unix_nano: 10,
                    exemplars: vec![ex_int.clone()],
                    flags: 1,
                    value: Some(number_data_point::Value::AsDouble(0.0)),
                }],
            })),
        },
        Metric {
            name: "s".into(),
            data: Some(metric::Data::Sum(Sum {
                data_points: vec![NumberDataPoint {
                    start_time_unix_nano: 1,
                    time_unix_nano: 10,
                    value: Some(number_data_point::Value::AsInt(-3)),
                    ..Default::default()
                }],
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
            ..Default::default()
        },
        Metric {
            name: "h".into(),
            data: Some(metric::Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    attributes: attrs.clone(),
                    start_time_unix_nano: 1,
                    time_unix_nano: 10,
                    count: 3,
                    sum: Some(0.0),
                    bucket_counts: vec![1, 0, 2],
                    explicit_bounds: vec![5.0, 10.0],
                    exemplars: vec![ex.clone()],
                    flags: 0,
                    min: Some(1.0),
                    max: Some(12.5),
                }],
                aggregation_temporality: 2,
            })),
            ..Default::default()
        },
        Metric {
            name: "e".into(),
            data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    attributes: vec![],
                    start_time_unix_nano: 1,
                    time_unix_nano: 10,
                    count: 6,
                    sum: Some(-1.25),
                    scale: -2,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: -3,
                        bucket_counts: vec![2, 0, 1],
                    }),
                    negative: Some(Buckets {
                        offset: 0,
                        bucket_counts: vec![2],
                    }),
                    flags: 0,
                    exemplars: vec![],
                    min: Some(-4.0),
                    max: Some(3.0),
                    zero_threshold: 1e-9,
                }],
                aggregation_temporality: 1,
            })),
            ..Default::default()
        },
        Metric {
            name: "q".into(),
            data: Some(metric::Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: vec![],
                    start_time_unix_nano: 1,
                    time_unix_nano: 10,
                    count: 4,
                    sum: 10.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.0,
                            value: 1.0,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 4.5,
                        },
                    ],
                    flags: 0,
                }],
            })),
            ..Default::default()
        },
        Metric {
            name: "empty".into(),
            data: Some(metric::Data::Gauge(Gauge::default())),
            ..Default::default()
        },
    ];
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource::default()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(test_scope()),
                metrics,
                schema_url: "https://s".into(),
            }],
            schema_url: String::new(),
        }],
    };
    let tenant = json!([{"key": "tenant", "value": {"stringValue": "t1"}}]);
    let want = json!({"resourceMetrics": [{
        "resource": {},
        "scopeMetrics": [{
            "scope": {"name": "lib", "version": "1.0",
                "attributes": [{"key": "a", "value": {"boolValue": true}}],
                "droppedAttributesCount": 2},
            "metrics": [
                {"name": "g", "description": "a gauge", "unit": "1",
                 "metadata": [{"key": "m", "value": {"stringValue": "v"}}],
                 "gauge": {"dataPoints": [{
                    "attributes": tenant, "timeUnixNano": "10", "asDouble": 0.0,
                    "exemplars": [{"asInt": "9"}], "flags": 1}]}},
                {"name": "s", "sum": {"dataPoints": [{
                    "startTimeUnixNano": "1", "timeUnixNano": "10", "asInt": "-3"}],
                    "aggregationTemporality": 2, "isMonotonic": true}},
                {"name": "h", "histogram": {"dataPoints": [{
                    "attributes": tenant, "startTimeUnixNano": "1", "timeUnixNano": "10",
                    "count": "3", "sum": 0.0, "bucketCounts": ["1", "0", "2"],
                    "explicitBounds": [5.0, 10.0],
                    "exemplars": [{
                        "filteredAttributes": [{"key": "user", "value": {"stringValue": "u"}}],
                        "timeUnixNano": "5", "asDouble": 7.5,
                        "spanId": "0a0a0a0a0a0a0a0a",
                        "traceId": "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"}],
                    "min": 1.0, "max": 12.5}],
                    "aggregationTemporality": 2}},
                {"name": "e", "exponentialHistogram": {"dataPoints": [{
                    "startTimeUnixNano": "1", "timeUnixNano": "10", "count": "6",
                    "sum": -1.25, "scale": -2, "zeroCount": "1",
                    "positive": {"offset": -3, "bucketCounts": ["2", "0", "1"]},
                    "negative": {"bucketCounts": ["2"]},
                    "min": -4.0, "max": 3.0, "zeroThreshold": 1e-9}],
                    "aggregationTemporality": 1}},
                {"name": "q", "summary": {"dataPoints": [{
                    "startTimeUnixNano": "1", "timeUnixNano": "10", "count": "4",
                    "sum": 10.5,
                    "quantileValues": [{"value": 1.0}, {"quantile": 0.99, "value": 4.5}]}]}},
                {"name": "empty", "gauge": {}}
            ],
            "schemaUrl": "https://s"
        }]
    }]});
    assert_eq!(metrics_to_json(&req), want);
}

#[test]
fn log_with_every_field() {
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(test_resource()),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope::default()),
                log_records: vec![
                    LogRecord {
                        time_unix_nano: 1544712660300000000,
                        observed_time_unix_nano: 1544712660300000001,
                        severity_number: 17,
                        severity_text: "ERROR".into(),
                        body: Some(AnyValue {
                            value: Some(any_value::Value::KvlistValue(KeyValueList {
                                values: vec![kv("msg", s("hi"))],
                            })),
                        }),
                        attributes: vec![kv("n", any_value::Value::IntValue(1))],
                        dropped_attributes_count: 2,
                        flags: 1,
                        trace_id: vec![
                            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0, 0, 0,
                            0xff,
                        ],
                        span_id: vec![0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3],
                        event_name: "user.login".into(),
                    },
                    LogRecord {
                        observed_time_unix_nano: 42,
                        ..Default::default()
                    },
                ],
                schema_url: String::new(),
            }],
            schema_url: "https://r".into(),
        }],
    };
    let want = json!({"resourceLogs": [{
        "resource": {
            "attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}],
            "droppedAttributesCount": 1,
            "entityRefs": [{"schemaUrl": "https://e", "type": "service",
                "idKeys": ["service.name"], "descriptionKeys": ["service.version"]}]
        },
        "scopeLogs": [{
            "scope": {},
            "logRecords": [{
                "timeUnixNano": "1544712660300000000",
                "observedTimeUnixNano": "1544712660300000001",
                "severityNumber": 17,
                "severityText": "ERROR",
                "body": {"kvlistValue": {"values": [{"key": "msg", "value": {"stringValue": "hi"}}]}},
                "attributes": [{"key": "n", "value": {"intValue": "1"}}],
                "droppedAttributesCount": 2,
                "flags": 1,
                "traceId": "0123456789abcdef00000000000000ff",
                "spanId": "deadbeef00010203",
                "eventName": "user.login"
            }, {
                "observedTimeUnixNano": "42"
            }]
        }],
        "schemaUrl": "https://r"
    }]});
    assert_eq!(logs_to_json(&req), want);
}
