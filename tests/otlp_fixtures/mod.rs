//! Shared by the Parquet tests: OTLP requests that use every field, the binary
//! runner, and a reconstruction of OTLP records from the Parquet tables (the
//! inverse of `convert`), so a round trip can be compared record by record.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{
    Array, AsArray, BooleanArray, FixedSizeBinaryArray, Float64Array, Int32Array, Int64Array,
    ListArray, MapArray, RecordBatch, StringArray, StructArray, TimestampNanosecondArray,
    UInt32Array, UInt64Array,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prost::Message;

// ---------------------------------------------------------------- running

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_otlp-analytics"))
}

/// Runs the binary with `args`; returns its output (never panics on a non-zero exit).
pub fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("run otlp-analytics")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and asserts exit 0.
pub fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "otlp-analytics {args:?} failed: {}",
        stderr(&out)
    );
    out
}

pub fn write_message(path: &Path, message: &impl Message) {
    std::fs::write(path, message.encode_to_vec()).expect("write fixture");
}

/// Writes the three fixture requests into `dir` and returns their paths (traces, metrics, logs).
pub fn write_all_fixtures(dir: &Path) -> [PathBuf; 3] {
    let paths = [
        dir.join("traces.pb"),
        dir.join("metrics.pb"),
        dir.join("logs.pb"),
    ];
    write_message(&paths[0], &traces_request());
    write_message(&paths[1], &metrics_request());
    write_message(&paths[2], &logs_request());
    paths
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// All rows of a Parquet file as one batch.
pub fn read_parquet(path: &Path) -> RecordBatch {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet footer")
        .build()
        .expect("reader");
    let schema = arrow::array::RecordBatchReader::schema(&reader);
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("read batch")).collect();
    arrow::compute::concat_batches(&schema, &batches).expect("concat")
}

/// Names of the entries of `dir`, sorted (hidden temporaries included).
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

// ---------------------------------------------------------------- building

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

// ---------------------------------------------------------------- flattening (source side)

/// The resource and scope a row belongs to, as `convert` keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub resource: Resource,
    pub resource_schema_url: String,
    pub scope: InstrumentationScope,
    pub scope_schema_url: String,
}

fn context(
    resource: &Option<Resource>,
    rurl: &str,
    scope: &Option<InstrumentationScope>,
    surl: &str,
) -> Context {
    Context {
        // An absent resource or scope has the same columns as an empty one.
        resource: resource.clone().unwrap_or_default(),
        resource_schema_url: rurl.into(),
        scope: scope.clone().unwrap_or_default(),
        scope_schema_url: surl.into(),
    }
}

/// A status of code UNSET without a message is the same as no status.
fn norm_span(mut s: Span) -> Span {
    s.status = s.status.filter(|st| st.code != 0 || !st.message.is_empty());
    s
}

pub fn source_spans(req: &ExportTraceServiceRequest) -> Vec<(Context, Span)> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push((
                    context(&rs.resource, &rs.schema_url, &ss.scope, &ss.schema_url),
                    norm_span(s.clone()),
                ));
            }
        }
    }
    out
}

pub fn source_logs(req: &ExportLogsServiceRequest) -> Vec<(Context, LogRecord)> {
    let mut out = Vec::new();
    for rl in &req.resource_logs {
        for sl in &rl.scope_logs {
            for l in &sl.log_records {
                out.push((
                    context(&rl.resource, &rl.schema_url, &sl.scope, &sl.schema_url),
                    l.clone(),
                ));
            }
        }
    }
    out
}

/// A metric as each point row repeats it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHeader {
    pub name: String,
    pub description: String,
    pub unit: String,
}

/// Point rows of every type, in input order per table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricRows {
    /// (metric_type, temporality, monotonic, point)
    pub number: Vec<(Context, MetricHeader, (String, i32, bool), NumberDataPoint)>,
    pub histogram: Vec<(Context, MetricHeader, i32, HistogramDataPoint)>,
    pub exp_histogram: Vec<(Context, MetricHeader, i32, ExponentialHistogramDataPoint)>,
    pub summary: Vec<(Context, MetricHeader, SummaryDataPoint)>,
}

fn norm_buckets(b: Option<Buckets>) -> Option<Buckets> {
    b.filter(|b| b.offset != 0 || !b.bucket_counts.is_empty())
}

pub fn source_metrics(req: &ExportMetricsServiceRequest) -> MetricRows {
    let mut out = MetricRows::default();
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            let ctx = context(&rm.resource, &rm.schema_url, &sm.scope, &sm.schema_url);
            for m in &sm.metrics {
                let h = MetricHeader {
                    name: m.name.clone(),
                    description: m.description.clone(),
                    unit: m.unit.clone(),
                };
                match m.data.as_ref().expect("fixture metrics have data") {
                    Data::Gauge(g) => out.number.extend(g.data_points.iter().map(|p| {
                        (
                            ctx.clone(),
                            h.clone(),
                            ("gauge".into(), 0, false),
                            p.clone(),
                        )
                    })),
                    Data::Sum(s) => out.number.extend(g_sum(&ctx, &h, s)),
                    Data::Histogram(x) => {
                        out.histogram.extend(x.data_points.iter().map(|p| {
                            (ctx.clone(), h.clone(), x.aggregation_temporality, p.clone())
                        }))
                    }
                    Data::ExponentialHistogram(x) => {
                        out.exp_histogram.extend(x.data_points.iter().map(|p| {
                            let mut p = p.clone();
                            p.positive = norm_buckets(p.positive);
                            p.negative = norm_buckets(p.negative);
                            (ctx.clone(), h.clone(), x.aggregation_temporality, p)
                        }))
                    }
                    Data::Summary(x) => out.summary.extend(
                        x.data_points
                            .iter()
                            .map(|p| (ctx.clone(), h.clone(), p.clone())),
                    ),
                }
            }
        }
    }
    out
}

fn g_sum<'a>(
    ctx: &'a Context,
    h: &'a MetricHeader,
    s: &'a Sum,
) -> impl Iterator<Item = (Context, MetricHeader, (String, i32, bool), NumberDataPoint)> + 'a {
    s.data_points.iter().map(move |p| {
        (
            ctx.clone(),
            h.clone(),
            ("sum".into(), s.aggregation_temporality, s.is_monotonic),
            p.clone(),
        )
    })
}

// ---------------------------------------------------------------- reconstruction (Parquet side)

pub fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    let c = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has type {}", c.data_type()))
}

fn struct_col<'a, T: 'static>(s: &'a StructArray, name: &str) -> &'a T {
    let c = s
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no field {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("field {name} has type {}", c.data_type()))
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 {text:?}"),
        }
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (value(c) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter().copied());
    }
    out
}

/// OTLP/JSON value (as `convert` renders nested values) back to an AnyValue.
fn json_any_value(v: &serde_json::Value) -> AnyValue {
    let obj = v.as_object().expect("AnyValue JSON is an object");
    let Some((k, x)) = obj.iter().next() else {
        return AnyValue { value: None };
    };
    let value = match k.as_str() {
        "stringValue" => Value::StringValue(x.as_str().unwrap().into()),
        "boolValue" => Value::BoolValue(x.as_bool().unwrap()),
        "intValue" => Value::IntValue(
            x.as_str()
                .map_or_else(|| x.as_i64().unwrap(), |s| s.parse().unwrap()),
        ),
        "doubleValue" => Value::DoubleValue(
            x.as_str()
                .map_or_else(|| x.as_f64().unwrap(), |s| s.parse().unwrap()),
        ),
        "bytesValue" => Value::BytesValue(base64_decode(x.as_str().unwrap())),
        "arrayValue" => Value::ArrayValue(ArrayValue {
            values: json_values(&x["values"]),
        }),
        "kvlistValue" => Value::KvlistValue(KeyValueList {
            values: json_key_values(&x["values"]),
        }),
        other => panic!("unknown AnyValue key {other}"),
    };
    AnyValue { value: Some(value) }
}

fn json_values(v: &serde_json::Value) -> Vec<AnyValue> {
    v.as_array()
        .map(|a| a.iter().map(json_any_value).collect())
        .unwrap_or_default()
}

fn json_key_values(v: &serde_json::Value) -> Vec<KeyValue> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| KeyValue {
                    key: kv["key"].as_str().unwrap().into(),
                    value: kv.get("value").map(json_any_value),
                    ..Default::default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A value column entry and its type tag back to the OTLP value.
pub fn typed_value(text: &str, tag: Option<&str>) -> AnyValue {
    let value = match tag {
        None => Value::StringValue(text.into()),
        Some("bool") => Value::BoolValue(text.parse().unwrap()),
        Some("int") => Value::IntValue(text.parse().unwrap()),
        Some("double") => Value::DoubleValue(text.parse().unwrap()),
        Some("bytes") => Value::BytesValue(base64_decode(text)),
        Some("array") => Value::ArrayValue(ArrayValue {
            values: json_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("kvlist") => Value::KvlistValue(KeyValueList {
            values: json_key_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("empty") => return AnyValue { value: None },
        Some(other) => panic!("unknown type tag {other}"),
    };
    AnyValue { value: Some(value) }
}

fn map_entries(map: &MapArray, row: usize) -> Vec<(String, Option<String>)> {
    let entries = map.value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| {
            (
                keys.value(i).to_owned(),
                values.is_valid(i).then(|| values.value(i).to_owned()),
            )
        })
        .collect()
}

/// An attribute map and its `*_types` sibling back to key-values.
pub fn attributes_at(values: &MapArray, types: &MapArray, row: usize) -> Vec<KeyValue> {
    let tags: HashMap<String, String> = map_entries(types, row)
        .into_iter()
        .map(|(k, v)| (k, v.expect("type tag")))
        .collect();
    map_entries(values, row)
        .into_iter()
        .map(|(key, value)| {
            let tag = tags.get(&key).map(String::as_str);
            let value = typed_value(value.as_deref().expect("attribute value"), tag);
            KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            }
        })
        .collect()
}

fn attrs(batch: &RecordBatch, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(
        col::<MapArray>(batch, name),
        col::<MapArray>(batch, types),
        row,
    )
}

/// An id back to bytes: the fixed-width column, else its `_raw` sibling, else empty.
fn id_at(fixed: &FixedSizeBinaryArray, raw: &arrow::array::BinaryArray, row: usize) -> Vec<u8> {
    assert!(
        !(fixed.is_valid(row) && raw.is_valid(row)),
        "an id is in both its fixed and raw column"
    );
    if fixed.is_valid(row) {
        fixed.value(row).to_vec()
    } else if raw.is_valid(row) {
        raw.value(row).to_vec()
    } else {
        vec![]
    }
}

fn id(batch: &RecordBatch, name: &str, row: usize) -> Vec<u8> {
    id_at(col(batch, name), col(batch, &format!("{name}_raw")), row)
}

fn struct_id(s: &StructArray, name: &str, row: usize) -> Vec<u8> {
    id_at(
        struct_col(s, name),
        struct_col(s, &format!("{name}_raw")),
        row,
    )
}

fn struct_attrs(s: &StructArray, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(struct_col(s, name), struct_col(s, types), row)
}

fn time(batch: &RecordBatch, name: &str, row: usize) -> u64 {
    col::<TimestampNanosecondArray>(batch, name).value(row) as u64
}

fn string(batch: &RecordBatch, name: &str, row: usize) -> String {
    col::<StringArray>(batch, name).value(row).to_owned()
}

fn u32_at(batch: &RecordBatch, name: &str, row: usize) -> u32 {
    col::<UInt32Array>(batch, name).value(row)
}

fn i32_at(batch: &RecordBatch, name: &str, row: usize) -> i32 {
    col::<Int32Array>(batch, name).value(row)
}

fn opt_f64(batch: &RecordBatch, name: &str, row: usize) -> Option<f64> {
    let c = col::<Float64Array>(batch, name);
    c.is_valid(row).then(|| c.value(row))
}

fn u64_list(batch: &RecordBatch, name: &str, row: usize) -> Vec<u64> {
    let l = col::<ListArray>(batch, name).value(row);
    l.as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .to_vec()
}

/// The items of a `List<Struct>` cell.
fn struct_list(batch: &RecordBatch, name: &str, row: usize) -> StructArray {
    col::<ListArray>(batch, name).value(row).as_struct().clone()
}

pub fn context_at(batch: &RecordBatch, row: usize) -> Context {
    let resource = Resource {
        attributes: attrs(
            batch,
            "resource_attributes",
            "resource_attribute_types",
            row,
        ),
        dropped_attributes_count: u32_at(batch, "resource_dropped_attributes_count", row),
        ..Default::default()
    };
    // service_name mirrors the string attribute service.name.
    let service = col::<StringArray>(batch, "service_name");
    let expected = resource
        .attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        });
    assert_eq!(
        service.is_valid(row).then(|| service.value(row).to_owned()),
        expected,
        "service_name of row {row}"
    );
    Context {
        resource,
        resource_schema_url: string(batch, "resource_schema_url", row),
        scope: InstrumentationScope {
            name: string(batch, "scope_name", row),
            version: string(batch, "scope_version", row),
            attributes: attrs(batch, "scope_attributes", "scope_attribute_types", row),
            dropped_attributes_count: u32_at(batch, "scope_dropped_attributes_count", row),
        },
        scope_schema_url: string(batch, "scope_schema_url", row),
    }
}

pub fn spans_from(batch: &RecordBatch) -> Vec<(Context, Span)> {
    (0..batch.num_rows())
        .map(|row| {
            let events = struct_list(batch, "events", row);
            let events = (0..events.len())
                .map(|i| span::Event {
                    time_unix_nano: struct_col::<TimestampNanosecondArray>(
                        &events,
                        "time_unix_nano",
                    )
                    .value(i) as u64,
                    name: struct_col::<StringArray>(&events, "name").value(i).into(),
                    attributes: struct_attrs(&events, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &events,
                        "dropped_attributes_count",
                    )
                    .value(i),
                })
                .collect();
            let links = struct_list(batch, "links", row);
            let links = (0..links.len())
                .map(|i| span::Link {
                    trace_id: struct_id(&links, "trace_id", i),
                    span_id: struct_id(&links, "span_id", i),
                    trace_state: struct_col::<StringArray>(&links, "trace_state")
                        .value(i)
                        .into(),
                    attributes: struct_attrs(&links, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &links,
                        "dropped_attributes_count",
                    )
                    .value(i),
                    flags: struct_col::<UInt32Array>(&links, "flags").value(i),
                })
                .collect();
            let status = Status {
                message: string(batch, "status_message", row),
                code: i32_at(batch, "status_code", row),
            };
            let span = Span {
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                trace_state: string(batch, "trace_state", row),
                parent_span_id: id(batch, "parent_span_id", row),
                flags: u32_at(batch, "flags", row),
                name: string(batch, "name", row),
                kind: i32_at(batch, "kind", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                end_time_unix_nano: time(batch, "end_time_unix_nano", row),
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                events,
                dropped_events_count: u32_at(batch, "dropped_events_count", row),
                links,
                dropped_links_count: u32_at(batch, "dropped_links_count", row),
                status: Some(status),
            };
            (context_at(batch, row), norm_span(span))
        })
        .collect()
}

pub fn logs_from(batch: &RecordBatch) -> Vec<(Context, LogRecord)> {
    (0..batch.num_rows())
        .map(|row| {
            let body = col::<StringArray>(batch, "body");
            let body_type = col::<StringArray>(batch, "body_type");
            let body = body.is_valid(row).then(|| {
                typed_value(
                    body.value(row),
                    body_type.is_valid(row).then(|| body_type.value(row)),
                )
            });
            let log = LogRecord {
                time_unix_nano: time(batch, "time_unix_nano", row),
                observed_time_unix_nano: time(batch, "observed_time_unix_nano", row),
                severity_number: i32_at(batch, "severity_number", row),
                severity_text: string(batch, "severity_text", row),
                body,
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                flags: u32_at(batch, "flags", row),
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                event_name: string(batch, "event_name", row),
            };
            (context_at(batch, row), log)
        })
        .collect()
}

fn header_at(batch: &RecordBatch, row: usize) -> MetricHeader {
    MetricHeader {
        name: string(batch, "metric_name", row),
        description: string(batch, "metric_description", row),
        unit: string(batch, "metric_unit", row),
    }
}

fn exemplars_at(batch: &RecordBatch, row: usize) -> Vec<Exemplar> {
    let ex = struct_list(batch, "exemplars", row);
    let as_double = struct_col::<Float64Array>(&ex, "as_double");
    let as_int = struct_col::<Int64Array>(&ex, "as_int");
    (0..ex.len())
        .map(|i| {
            assert!(
                !(as_double.is_valid(i) && as_int.is_valid(i)),
                "exemplar with two values"
            );
            let value = if as_double.is_valid(i) {
                Some(exemplar::Value::AsDouble(as_double.value(i)))
            } else if as_int.is_valid(i) {
                Some(exemplar::Value::AsInt(as_int.value(i)))
            } else {
                None
            };
            Exemplar {
                filtered_attributes: struct_attrs(
                    &ex,
                    "filtered_attributes",
                    "filtered_attribute_types",
                    i,
                ),
                time_unix_nano: struct_col::<TimestampNanosecondArray>(&ex, "time_unix_nano")
                    .value(i) as u64,
                span_id: struct_id(&ex, "span_id", i),
                trace_id: struct_id(&ex, "trace_id", i),
                value,
            }
        })
        .collect()
}

pub fn number_points_from(
    batch: &RecordBatch,
) -> Vec<(Context, MetricHeader, (String, i32, bool), NumberDataPoint)> {
    (0..batch.num_rows())
        .map(|row| {
            let as_double = col::<Float64Array>(batch, "as_double");
            let as_int = col::<Int64Array>(batch, "as_int");
            assert!(
                !(as_double.is_valid(row) && as_int.is_valid(row)),
                "point with two values"
            );
            let value = if as_double.is_valid(row) {
                Some(number_data_point::Value::AsDouble(as_double.value(row)))
            } else if as_int.is_valid(row) {
                Some(number_data_point::Value::AsInt(as_int.value(row)))
            } else {
                None
            };
            let kind = (
                string(batch, "metric_type", row),
                i32_at(batch, "aggregation_temporality", row),
                col::<BooleanArray>(batch, "is_monotonic").value(row),
            );
            let point = NumberDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                exemplars: exemplars_at(batch, row),
                flags: u32_at(batch, "flags", row),
                value,
            };
            (context_at(batch, row), header_at(batch, row), kind, point)
        })
        .collect()
}

pub fn histogram_points_from(
    batch: &RecordBatch,
) -> Vec<(Context, MetricHeader, i32, HistogramDataPoint)> {
    (0..batch.num_rows())
        .map(|row| {
            let bounds = col::<ListArray>(batch, "explicit_bounds").value(row);
            let point = HistogramDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: opt_f64(batch, "sum", row),
                bucket_counts: u64_list(batch, "bucket_counts", row),
                explicit_bounds: bounds
                    .as_primitive::<arrow::datatypes::Float64Type>()
                    .values()
                    .to_vec(),
                exemplars: exemplars_at(batch, row),
                flags: u32_at(batch, "flags", row),
                min: opt_f64(batch, "min", row),
                max: opt_f64(batch, "max", row),
            };
            (
                context_at(batch, row),
                header_at(batch, row),
                i32_at(batch, "aggregation_temporality", row),
                point,
            )
        })
        .collect()
}

pub fn exp_histogram_points_from(
    batch: &RecordBatch,
) -> Vec<(Context, MetricHeader, i32, ExponentialHistogramDataPoint)> {
    (0..batch.num_rows())
        .map(|row| {
            let buckets = |side: &str| {
                norm_buckets(Some(Buckets {
                    offset: i32_at(batch, &format!("{side}_offset"), row),
                    bucket_counts: u64_list(batch, &format!("{side}_bucket_counts"), row),
                }))
            };
            let point = ExponentialHistogramDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: opt_f64(batch, "sum", row),
                scale: i32_at(batch, "scale", row),
                zero_count: col::<UInt64Array>(batch, "zero_count").value(row),
                positive: buckets("positive"),
                negative: buckets("negative"),
                flags: u32_at(batch, "flags", row),
                exemplars: exemplars_at(batch, row),
                min: opt_f64(batch, "min", row),
                max: opt_f64(batch, "max", row),
                zero_threshold: col::<Float64Array>(batch, "zero_threshold").value(row),
            };
            (
                context_at(batch, row),
                header_at(batch, row),
                i32_at(batch, "aggregation_temporality", row),
                point,
            )
        })
        .collect()
}

pub fn summary_points_from(batch: &RecordBatch) -> Vec<(Context, MetricHeader, SummaryDataPoint)> {
    (0..batch.num_rows())
        .map(|row| {
            let q = struct_list(batch, "quantile_values", row);
            assert_eq!(
                exemplars_at(batch, row),
                vec![],
                "summaries have no exemplars"
            );
            let point = SummaryDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: col::<Float64Array>(batch, "sum").value(row),
                quantile_values: (0..q.len())
                    .map(|i| ValueAtQuantile {
                        quantile: struct_col::<Float64Array>(&q, "quantile").value(i),
                        value: struct_col::<Float64Array>(&q, "value").value(i),
                    })
                    .collect(),
                flags: u32_at(batch, "flags", row),
            };
            (context_at(batch, row), header_at(batch, row), point)
        })
        .collect()
}
