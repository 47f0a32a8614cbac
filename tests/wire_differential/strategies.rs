//! Random export requests of all three signals (proptest strategies): every
//! AnyValue type, nested arrays and kvlists, empty and missing fields,
//! wrong-length ids, extreme integers, exemplars, all five point types.

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
use otlp_analytics::decode::Request;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// Times below 2^63 ns (larger ones make a frame bad; tested separately).
fn time() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(i64::MAX as u64),
        1u64..4_000_000_000_000_000_000,
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c]{1,3}", "[ -~é😀]{0,12}",]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("service.name".to_string()),
        Just("host".to_string()),
        "[a-d]{1,2}",
        Just(String::new()),
    ]
}

fn extreme_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX),
        any::<i64>()
    ]
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0f64),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NAN),
        Just(1e300),
        any::<f64>(),
        -1000.0f64..1000.0,
    ]
}

fn id() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        vec(any::<u8>(), 16),
        vec(any::<u8>(), 8),
        vec(any::<u8>(), 0..20),
    ]
}

pub fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        Just(None),
        text().prop_map(|s| Some(Value::StringValue(s))),
        any::<bool>().prop_map(|b| Some(Value::BoolValue(b))),
        extreme_i64().prop_map(|i| Some(Value::IntValue(i))),
        double().prop_map(|d| Some(Value::DoubleValue(d))),
        vec(any::<u8>(), 0..6).prop_map(|b| Some(Value::BytesValue(b))),
        any::<i32>().prop_map(|i| Some(Value::StringValueStrindex(i))),
    ]
    .prop_map(|value| AnyValue { value });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(|values| AnyValue {
                value: Some(Value::ArrayValue(ArrayValue { values }))
            }),
            vec((key(), option::of(inner)), 0..3).prop_map(|kvs| AnyValue {
                value: Some(Value::KvlistValue(KeyValueList {
                    values: kvs
                        .into_iter()
                        .map(|(key, value)| KeyValue {
                            key,
                            value,
                            ..Default::default()
                        })
                        .collect()
                }))
            }),
        ]
    })
}

pub fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    vec((key(), option::of(any_value())), 0..4).prop_map(|kvs| {
        kvs.into_iter()
            .map(|(key, value)| KeyValue {
                key,
                value,
                ..Default::default()
            })
            .collect()
    })
}

fn resource() -> impl Strategy<Value = Option<Resource>> {
    option::of(
        (attributes(), any::<u32>()).prop_map(|(attributes, dropped)| Resource {
            attributes,
            dropped_attributes_count: dropped,
            ..Default::default()
        }),
    )
}

fn scope() -> impl Strategy<Value = Option<InstrumentationScope>> {
    option::of((text(), text(), attributes(), any::<u32>()).prop_map(
        |(name, version, attributes, d)| InstrumentationScope {
            name,
            version,
            attributes,
            dropped_attributes_count: d,
        },
    ))
}

fn event() -> impl Strategy<Value = span::Event> {
    (time(), text(), attributes(), any::<u32>()).prop_map(|(t, name, attributes, d)| span::Event {
        time_unix_nano: t,
        name,
        attributes,
        dropped_attributes_count: d,
    })
}

fn link() -> impl Strategy<Value = span::Link> {
    (id(), id(), text(), attributes(), any::<u32>(), any::<u32>()).prop_map(
        |(trace_id, span_id, trace_state, attributes, d, flags)| span::Link {
            trace_id,
            span_id,
            trace_state,
            attributes,
            dropped_attributes_count: d,
            flags,
        },
    )
}

fn span() -> impl Strategy<Value = Span> {
    (
        (id(), id(), id(), text(), any::<u32>(), text()),
        (any::<i32>(), time(), time(), attributes(), any::<u32>()),
        (
            vec(event(), 0..3),
            any::<u32>(),
            vec(link(), 0..2),
            any::<u32>(),
        ),
        option::of((text(), any::<i32>()).prop_map(|(message, code)| Status { message, code })),
    )
        .prop_map(|(a, b, c, status)| Span {
            trace_id: a.0,
            span_id: a.1,
            parent_span_id: a.2,
            trace_state: a.3,
            flags: a.4,
            name: a.5,
            kind: b.0,
            start_time_unix_nano: b.1,
            end_time_unix_nano: b.2,
            attributes: b.3,
            dropped_attributes_count: b.4,
            events: c.0,
            dropped_events_count: c.1,
            links: c.2,
            dropped_links_count: c.3,
            status,
        })
}

pub fn traces() -> impl Strategy<Value = Request> {
    let scope_spans =
        (scope(), vec(span(), 0..4), text()).prop_map(|(scope, spans, url)| ScopeSpans {
            scope,
            spans,
            schema_url: url,
        });
    let resource_spans =
        (resource(), vec(scope_spans, 0..3), text()).prop_map(|(resource, scope_spans, url)| {
            ResourceSpans {
                resource,
                scope_spans,
                schema_url: url,
            }
        });
    vec(resource_spans, 1..3)
        .prop_map(|resource_spans| Request::Traces(ExportTraceServiceRequest { resource_spans }))
}

fn log() -> impl Strategy<Value = LogRecord> {
    (
        (time(), time(), any::<i32>(), text()),
        (
            option::of(any_value()),
            attributes(),
            any::<u32>(),
            any::<u32>(),
        ),
        (id(), id(), text()),
    )
        .prop_map(|(a, b, c)| LogRecord {
            time_unix_nano: a.0,
            observed_time_unix_nano: a.1,
            severity_number: a.2,
            severity_text: a.3,
            body: b.0,
            attributes: b.1,
            dropped_attributes_count: b.2,
            flags: b.3,
            trace_id: c.0,
            span_id: c.1,
            event_name: c.2,
        })
}

pub fn logs() -> impl Strategy<Value = Request> {
    let scope_logs =
        (scope(), vec(log(), 0..4), text()).prop_map(|(scope, log_records, url)| ScopeLogs {
            scope,
            log_records,
            schema_url: url,
        });
    let resource_logs =
        (resource(), vec(scope_logs, 0..3), text()).prop_map(|(resource, scope_logs, url)| {
            ResourceLogs {
                resource,
                scope_logs,
                schema_url: url,
            }
        });
    vec(resource_logs, 1..3)
        .prop_map(|resource_logs| Request::Logs(ExportLogsServiceRequest { resource_logs }))
}

fn exemplar() -> impl Strategy<Value = Exemplar> {
    (
        attributes(),
        time(),
        prop_oneof![
            Just(None),
            double().prop_map(|d| Some(exemplar::Value::AsDouble(d))),
            extreme_i64().prop_map(|i| Some(exemplar::Value::AsInt(i))),
        ],
        id(),
        id(),
    )
        .prop_map(
            |(filtered_attributes, t, value, span_id, trace_id)| Exemplar {
                filtered_attributes,
                time_unix_nano: t,
                value,
                span_id,
                trace_id,
            },
        )
}

/// Attributes, start, time, flags, exemplars: every point's header.
fn header() -> impl Strategy<Value = (Vec<KeyValue>, u64, u64, u32, Vec<Exemplar>)> {
    (
        attributes(),
        time(),
        time(),
        any::<u32>(),
        vec(exemplar(), 0..2),
    )
}

fn number_point() -> impl Strategy<Value = NumberDataPoint> {
    (
        header(),
        prop_oneof![
            Just(None),
            double().prop_map(|d| Some(number_data_point::Value::AsDouble(d))),
            extreme_i64().prop_map(|i| Some(number_data_point::Value::AsInt(i))),
        ],
    )
        .prop_map(|(h, value)| NumberDataPoint {
            attributes: h.0,
            start_time_unix_nano: h.1,
            time_unix_nano: h.2,
            flags: h.3,
            exemplars: h.4,
            value,
        })
}

fn histogram_point() -> impl Strategy<Value = HistogramDataPoint> {
    (
        header(),
        (
            any::<u64>(),
            option::of(double()),
            option::of(double()),
            option::of(double()),
        ),
        (vec(any::<u64>(), 0..5), vec(double(), 0..4)),
    )
        .prop_map(|(h, s, b)| HistogramDataPoint {
            attributes: h.0,
            start_time_unix_nano: h.1,
            time_unix_nano: h.2,
            flags: h.3,
            exemplars: h.4,
            count: s.0,
            sum: s.1,
            min: s.2,
            max: s.3,
            bucket_counts: b.0,
            explicit_bounds: b.1,
        })
}

fn buckets() -> impl Strategy<Value = Option<Buckets>> {
    option::of(
        (any::<i32>(), vec(any::<u64>(), 0..5)).prop_map(|(offset, bucket_counts)| Buckets {
            offset,
            bucket_counts,
        }),
    )
}

fn exp_point() -> impl Strategy<Value = ExponentialHistogramDataPoint> {
    (
        header(),
        (
            any::<u64>(),
            option::of(double()),
            option::of(double()),
            option::of(double()),
        ),
        (any::<i32>(), any::<u64>(), double(), buckets(), buckets()),
    )
        .prop_map(|(h, s, e)| ExponentialHistogramDataPoint {
            attributes: h.0,
            start_time_unix_nano: h.1,
            time_unix_nano: h.2,
            flags: h.3,
            exemplars: h.4,
            count: s.0,
            sum: s.1,
            min: s.2,
            max: s.3,
            scale: e.0,
            zero_count: e.1,
            zero_threshold: e.2,
            positive: e.3,
            negative: e.4,
        })
}

fn summary_point() -> impl Strategy<Value = SummaryDataPoint> {
    (
        header(),
        any::<u64>(),
        double(),
        vec((double(), double()), 0..3),
    )
        .prop_map(|(h, count, sum, q)| SummaryDataPoint {
            attributes: h.0,
            start_time_unix_nano: h.1,
            time_unix_nano: h.2,
            flags: h.3,
            count,
            sum,
            quantile_values: q
                .into_iter()
                .map(|(quantile, value)| ValueAtQuantile { quantile, value })
                .collect(),
        })
}

fn data() -> impl Strategy<Value = Option<Data>> {
    prop_oneof![
        Just(None),
        vec(number_point(), 0..3).prop_map(|data_points| Some(Data::Gauge(Gauge { data_points }))),
        (vec(number_point(), 0..3), any::<i32>(), any::<bool>()).prop_map(|(d, t, m)| Some(
            Data::Sum(Sum {
                data_points: d,
                aggregation_temporality: t,
                is_monotonic: m
            })
        )),
        (vec(histogram_point(), 0..3), any::<i32>()).prop_map(|(d, t)| Some(Data::Histogram(
            Histogram {
                data_points: d,
                aggregation_temporality: t
            }
        ))),
        (vec(exp_point(), 0..3), any::<i32>()).prop_map(|(d, t)| Some(Data::ExponentialHistogram(
            ExponentialHistogram {
                data_points: d,
                aggregation_temporality: t
            }
        ))),
        vec(summary_point(), 0..3)
            .prop_map(|data_points| Some(Data::Summary(Summary { data_points }))),
    ]
}

fn metric() -> impl Strategy<Value = Metric> {
    (text(), text(), text(), attributes(), data()).prop_map(
        |(name, description, unit, metadata, data)| Metric {
            name,
            description,
            unit,
            metadata,
            data,
        },
    )
}

pub fn metrics() -> impl Strategy<Value = Request> {
    let scope_metrics =
        (scope(), vec(metric(), 0..4), text()).prop_map(|(scope, metrics, url)| ScopeMetrics {
            scope,
            metrics,
            schema_url: url,
        });
    let resource_metrics = (resource(), vec(scope_metrics, 0..3), text()).prop_map(
        |(resource, scope_metrics, url)| ResourceMetrics {
            resource,
            scope_metrics,
            schema_url: url,
        },
    );
    vec(resource_metrics, 1..3).prop_map(|resource_metrics| {
        Request::Metrics(ExportMetricsServiceRequest { resource_metrics })
    })
}

pub fn request() -> impl Strategy<Value = Request> {
    prop_oneof![traces(), metrics(), logs()]
}
