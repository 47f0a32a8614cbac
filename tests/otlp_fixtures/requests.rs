//! OTLP requests that use every field of every signal.

use super::*;

pub fn av(v: Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

pub fn kv(key: &str, v: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(av(v)),
        ..Default::default()
    }
}

pub fn kv_str(key: &str, v: &str) -> KeyValue {
    kv(key, Value::StringValue(v.into()))
}

/// One attribute of every AnyValue type, nested ones included.
pub fn every_any_value(prefix: &str) -> Vec<KeyValue> {
    let nested_kvlist = KeyValueList {
        values: vec![
            kv("n.int", Value::IntValue(i64::MIN)),
            kv(
                "n.list",
                Value::ArrayValue(ArrayValue {
                    values: vec![av(Value::BoolValue(false))],
                }),
            ),
            KeyValue {
                key: "n.absent".into(),
                value: None,
                ..Default::default()
            },
            KeyValue {
                key: "n.empty".into(),
                value: Some(AnyValue { value: None }),
                ..Default::default()
            },
        ],
    };
    vec![
        kv(
            &format!("{prefix}.string"),
            Value::StringValue("héllo \"wörld\"\n\t{}[]".into()),
        ),
        kv(
            &format!("{prefix}.empty_string"),
            Value::StringValue(String::new()),
        ),
        kv(&format!("{prefix}.bool"), Value::BoolValue(true)),
        kv(
            &format!("{prefix}.int"),
            Value::IntValue(-9_007_199_254_740_993),
        ),
        kv(&format!("{prefix}.int_max"), Value::IntValue(i64::MAX)),
        kv(&format!("{prefix}.double"), Value::DoubleValue(0.1)),
        kv(
            &format!("{prefix}.double_big"),
            Value::DoubleValue(-1.5e300),
        ),
        kv(&format!("{prefix}.double_tiny"), Value::DoubleValue(5e-324)),
        kv(&format!("{prefix}.double_int"), Value::DoubleValue(3.0)),
        kv(
            &format!("{prefix}.double_inf"),
            Value::DoubleValue(f64::INFINITY),
        ),
        kv(
            &format!("{prefix}.bytes"),
            Value::BytesValue(vec![0, 1, 2, 0xfe, 0xff]),
        ),
        kv(&format!("{prefix}.bytes_empty"), Value::BytesValue(vec![])),
        kv(
            &format!("{prefix}.array"),
            Value::ArrayValue(ArrayValue {
                values: vec![
                    av(Value::StringValue("a".into())),
                    av(Value::IntValue(7)),
                    av(Value::DoubleValue(2.5)),
                    av(Value::BoolValue(true)),
                    av(Value::BytesValue(vec![9, 8])),
                    av(Value::ArrayValue(ArrayValue {
                        values: vec![av(Value::IntValue(-1))],
                    })),
                    av(Value::KvlistValue(KeyValueList {
                        values: vec![kv_str("k", "v")],
                    })),
                    AnyValue { value: None },
                ],
            }),
        ),
        kv(
            &format!("{prefix}.array_empty"),
            Value::ArrayValue(ArrayValue { values: vec![] }),
        ),
        kv(
            &format!("{prefix}.kvlist"),
            Value::KvlistValue(nested_kvlist),
        ),
        KeyValue {
            key: format!("{prefix}.empty"),
            value: Some(AnyValue { value: None }),
            ..Default::default()
        },
    ]
}

fn resource(service: Option<&str>, dropped: u32) -> Resource {
    let mut attributes = Vec::new();
    if let Some(s) = service {
        attributes.push(kv_str("service.name", s));
    }
    attributes.extend(every_any_value("res"));
    Resource {
        attributes,
        dropped_attributes_count: dropped,
        ..Default::default()
    }
}

fn scope(name: &str, version: &str, dropped: u32) -> InstrumentationScope {
    InstrumentationScope {
        name: name.into(),
        version: version.into(),
        attributes: vec![
            kv_str("scope.attr", "x"),
            kv("scope.int", Value::IntValue(5)),
        ],
        dropped_attributes_count: dropped,
    }
}

pub const TRACE_A: [u8; 16] = [
    0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c,
];
pub const SPAN_A: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74];
pub const SPAN_B: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73];
/// 2024-03-01T12:00:00.123456789Z
pub const T0: u64 = 1_709_294_400_123_456_789;

pub fn traces_request() -> ExportTraceServiceRequest {
    let root = Span {
        trace_id: TRACE_A.to_vec(),
        span_id: SPAN_A.to_vec(),
        trace_state: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into(),
        parent_span_id: vec![],
        flags: 0x301,
        name: "GET /cart".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: T0,
        end_time_unix_nano: T0 + 250_000_001,
        attributes: every_any_value("span"),
        dropped_attributes_count: 2,
        events: vec![
            span::Event {
                time_unix_nano: T0 + 1,
                name: "exception".into(),
                attributes: vec![
                    kv_str("exception.type", "E"),
                    kv("retry", Value::IntValue(3)),
                ],
                dropped_attributes_count: 1,
            },
            span::Event {
                time_unix_nano: T0 + 2,
                name: String::new(),
                attributes: vec![],
                dropped_attributes_count: 0,
            },
        ],
        dropped_events_count: 5,
        links: vec![
            span::Link {
                trace_id: vec![0x11; 16],
                span_id: vec![0x22; 8],
                trace_state: "a=b".into(),
                attributes: vec![kv("link.double", Value::DoubleValue(-0.5))],
                dropped_attributes_count: 6,
                flags: 0x100,
            },
            // Ids of the wrong length are kept as they are.
            span::Link {
                trace_id: vec![0x33; 5],
                span_id: vec![0x44; 9],
                trace_state: String::new(),
                attributes: vec![],
                dropped_attributes_count: 0,
                flags: 0,
            },
        ],
        dropped_links_count: 4,
        status: Some(Status {
            message: "upstream timeout".into(),
            code: 2,
        }),
    };
    let child = Span {
        trace_id: TRACE_A.to_vec(),
        span_id: SPAN_B.to_vec(),
        parent_span_id: SPAN_A.to_vec(),
        name: "SELECT cart".into(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: T0 + 10,
        end_time_unix_nano: T0 + 100_000_010,
        attributes: vec![kv_str("db.system", "postgresql")],
        status: None,
        ..Default::default()
    };
    let odd_ids = Span {
        trace_id: vec![0xab; 15],
        span_id: vec![0xcd; 9],
        parent_span_id: vec![0xef; 3],
        name: "odd ids".into(),
        kind: span::SpanKind::Internal as i32,
        start_time_unix_nano: T0 + 1_000,
        end_time_unix_nano: T0 + 2_000,
        status: Some(Status {
            message: String::new(),
            code: 1,
        }),
        ..Default::default()
    };
    let unnamed = Span {
        trace_id: vec![0x01; 16],
        span_id: vec![0x02; 8],
        kind: span::SpanKind::Consumer as i32,
        start_time_unix_nano: T0 + 5_000,
        end_time_unix_nano: T0 + 5_000,
        status: Some(Status {
            message: "only a message".into(),
            code: 0,
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(resource(Some("checkout"), 3)),
                scope_spans: vec![
                    ScopeSpans {
                        scope: Some(scope("io.example.http", "1.2.3", 1)),
                        spans: vec![root, child],
                        schema_url: "https://opentelemetry.io/schemas/1.20.0".into(),
                    },
                    ScopeSpans {
                        scope: None,
                        spans: vec![odd_ids],
                        schema_url: String::new(),
                    },
                ],
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            },
            // No resource at all, so no service name.
            ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope("", "", 0)),
                    spans: vec![unnamed],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

fn exemplars() -> Vec<Exemplar> {
    vec![
        Exemplar {
            filtered_attributes: vec![kv_str("user", "u1"), kv("n", Value::IntValue(1))],
            time_unix_nano: T0 - 5,
            span_id: SPAN_A.to_vec(),
            trace_id: TRACE_A.to_vec(),
            value: Some(exemplar::Value::AsDouble(0.25)),
        },
        Exemplar {
            filtered_attributes: vec![],
            time_unix_nano: T0 - 4,
            span_id: vec![1, 2, 3],
            trace_id: vec![],
            value: Some(exemplar::Value::AsInt(-17)),
        },
        Exemplar {
            time_unix_nano: T0 - 3,
            value: None,
            ..Default::default()
        },
    ]
}

fn metric(name: &str, description: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        description: description.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

pub fn metrics_request() -> ExportMetricsServiceRequest {
    let number =
        |time: u64, value: number_data_point::Value, attrs: Vec<KeyValue>| NumberDataPoint {
            attributes: attrs,
            start_time_unix_nano: T0,
            time_unix_nano: time,
            exemplars: vec![],
            flags: 0,
            value: Some(value),
        };
    let gauge = Gauge {
        data_points: vec![
            NumberDataPoint {
                exemplars: exemplars(),
                flags: 1,
                ..number(
                    T0 + 10,
                    number_data_point::Value::AsDouble(21.5),
                    vec![kv_str("core", "0")],
                )
            },
            number(
                T0 + 20,
                number_data_point::Value::AsInt(-3),
                vec![kv_str("core", "1")],
            ),
            NumberDataPoint {
                value: None,
                start_time_unix_nano: 0,
                ..number(T0 + 30, number_data_point::Value::AsInt(0), vec![])
            },
        ],
    };
    // The same series twice, attributes in a different order: one series id.
    let sum_attrs = vec![kv_str("method", "GET"), kv("code", Value::IntValue(200))];
    let sum_attrs_rev = vec![sum_attrs[1].clone(), sum_attrs[0].clone()];
    let sum = Sum {
        data_points: vec![
            number(T0 + 10, number_data_point::Value::AsInt(10), sum_attrs),
            number(T0 + 20, number_data_point::Value::AsInt(15), sum_attrs_rev),
        ],
        aggregation_temporality: 2,
        is_monotonic: true,
    };
    let delta_sum = Sum {
        data_points: vec![number(
            T0 + 10,
            number_data_point::Value::AsDouble(-2.5),
            every_any_value("pt"),
        )],
        aggregation_temporality: 1,
        is_monotonic: false,
    };
    let histogram = Histogram {
        data_points: vec![
            HistogramDataPoint {
                attributes: vec![kv_str("route", "/cart")],
                start_time_unix_nano: T0,
                time_unix_nano: T0 + 60_000_000_000,
                count: 6,
                sum: Some(12.75),
                bucket_counts: vec![1, 2, 0, 3],
                explicit_bounds: vec![0.5, 1.0, 2.5],
                exemplars: exemplars(),
                flags: 0,
                min: Some(0.125),
                max: Some(7.0),
            },
            // sum, min and max absent; no buckets at all.
            HistogramDataPoint {
                attributes: vec![],
                start_time_unix_nano: 0,
                time_unix_nano: T0 + 61_000_000_000,
                count: 0,
                sum: None,
                bucket_counts: vec![],
                explicit_bounds: vec![],
                exemplars: vec![],
                flags: 1,
                min: None,
                max: None,
            },
        ],
        aggregation_temporality: 1,
    };
    let exp_histogram = ExponentialHistogram {
        data_points: vec![
            ExponentialHistogramDataPoint {
                attributes: vec![kv("bool", Value::BoolValue(false))],
                start_time_unix_nano: T0,
                time_unix_nano: T0 + 60_000_000_000,
                count: 11,
                sum: Some(-3.5),
                scale: -2,
                zero_count: 1,
                positive: Some(Buckets {
                    offset: -3,
                    bucket_counts: vec![1, 0, 4],
                }),
                negative: Some(Buckets {
                    offset: 2,
                    bucket_counts: vec![5],
                }),
                flags: 0,
                exemplars: exemplars(),
                min: Some(-40.0),
                max: Some(9.5),
                zero_threshold: 1e-9,
            },
            ExponentialHistogramDataPoint {
                attributes: vec![],
                start_time_unix_nano: T0,
                time_unix_nano: T0 + 61_000_000_000,
                count: 3,
                sum: None,
                scale: 20,
                zero_count: 0,
                positive: Some(Buckets {
                    offset: 1_000_000,
                    bucket_counts: vec![3],
                }),
                negative: None,
                flags: 0,
                exemplars: vec![],
                min: None,
                max: None,
                zero_threshold: 0.0,
            },
        ],
        aggregation_temporality: 2,
    };
    let summary = Summary {
        data_points: vec![
            SummaryDataPoint {
                attributes: vec![kv_str("q", "yes")],
                start_time_unix_nano: T0,
                time_unix_nano: T0 + 60_000_000_000,
                count: 100,
                sum: 1234.5,
                quantile_values: vec![
                    ValueAtQuantile {
                        quantile: 0.0,
                        value: 0.5,
                    },
                    ValueAtQuantile {
                        quantile: 0.99,
                        value: 99.25,
                    },
                    ValueAtQuantile {
                        quantile: 1.0,
                        value: 120.0,
                    },
                ],
                flags: 0,
            },
            SummaryDataPoint {
                time_unix_nano: T0 + 61_000_000_000,
                flags: 1,
                ..Default::default()
            },
        ],
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![
            ResourceMetrics {
                resource: Some(resource(Some("cart"), 0)),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(scope("io.example.metrics", "0.9", 2)),
                    metrics: vec![
                        metric("system.cpu.utilization", "CPU use", "1", Data::Gauge(gauge)),
                        metric(
                            "http.server.requests",
                            "Requests",
                            "{request}",
                            Data::Sum(sum),
                        ),
                        metric("queue.delta", "", "", Data::Sum(delta_sum)),
                        metric(
                            "http.server.duration",
                            "Latency",
                            "ms",
                            Data::Histogram(histogram),
                        ),
                        metric(
                            "rpc.latency",
                            "Exp",
                            "s",
                            Data::ExponentialHistogram(exp_histogram),
                        ),
                        metric("gc.pause", "Summary", "ms", Data::Summary(summary)),
                    ],
                    schema_url: "https://opentelemetry.io/schemas/1.22.0".into(),
                }],
                schema_url: "https://opentelemetry.io/schemas/1.23.0".into(),
            },
            ResourceMetrics {
                resource: Some(resource(None, 1)),
                scope_metrics: vec![ScopeMetrics {
                    scope: None,
                    metrics: vec![metric(
                        "system.cpu.utilization",
                        "CPU use",
                        "1",
                        Data::Gauge(Gauge {
                            data_points: vec![number(
                                T0 + 40,
                                number_data_point::Value::AsDouble(1.0),
                                vec![kv_str("core", "0")],
                            )],
                        }),
                    )],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

pub fn logs_request() -> ExportLogsServiceRequest {
    let bodies: Vec<Option<AnyValue>> = vec![
        Some(av(Value::StringValue("plain text body".into()))),
        Some(av(Value::IntValue(42))),
        Some(av(Value::DoubleValue(-0.75))),
        Some(av(Value::BoolValue(false))),
        Some(av(Value::BytesValue(vec![0xde, 0xad, 0xbe, 0xef]))),
        Some(av(Value::ArrayValue(ArrayValue {
            values: vec![av(Value::StringValue("x".into())), av(Value::IntValue(2))],
        }))),
        Some(av(Value::KvlistValue(KeyValueList {
            values: every_any_value("body"),
        }))),
        Some(AnyValue { value: None }),
        None,
    ];
    let records: Vec<LogRecord> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| LogRecord {
            // One record with time 0: readers fall back to the observed time.
            time_unix_nano: if i == 3 { 0 } else { T0 + i as u64 },
            observed_time_unix_nano: T0 + 1_000 + i as u64,
            severity_number: (i as i32 * 4) % 25,
            severity_text: ["INFO", "WARN", "ERROR", ""][i % 4].into(),
            body,
            attributes: if i == 0 {
                every_any_value("log")
            } else {
                vec![kv("i", Value::IntValue(i as i64))]
            },
            dropped_attributes_count: i as u32,
            flags: if i % 2 == 0 { 1 } else { 0 },
            trace_id: match i {
                0 => TRACE_A.to_vec(),
                1 => vec![7; 3],
                _ => vec![],
            },
            span_id: match i {
                0 => SPAN_A.to_vec(),
                1 => vec![8; 12],
                _ => vec![],
            },
            event_name: if i == 2 {
                "browser.page_view".into()
            } else {
                String::new()
            },
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource(Some("frontend"), 0)),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope("io.example.logs", "2", 0)),
                log_records: records,
                schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
            }],
            schema_url: String::new(),
        }],
    }
}
