//! OTLP/JSON encoder: export requests → `serde_json::Value`, following the
//! OTLP specification's JSON mapping (as the Collector's fileexporter and
//! `otlpjsonfile` use it):
//!
//! - lowerCamelCase keys; trace and span ids as lowercase hex (not base64);
//! - 64-bit integers (`fixed64`, `sfixed64`, `int64`, `uint64`) as decimal
//!   strings, 32-bit integers as numbers; enums as integers;
//! - `bytes` in `AnyValue` as standard base64 (with padding);
//! - non-finite doubles as `"NaN"`, `"Infinity"`, `"-Infinity"`;
//! - fields at their default value are omitted, as protobuf JSON does, while
//!   fields with presence (set sub-messages, `oneof` members and `optional`
//!   doubles) are written even when they hold a default value. The top-level
//!   `resourceSpans` / `resourceMetrics` / `resourceLogs` array is always
//!   written.
//!
//! Every field of every message in the trace, metrics and logs protos is
//! covered, so the output round-trips through a conforming OTLP/JSON decoder.

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
use serde_json::{Map, Value};

/// `ExportTraceServiceRequest` (same shape as `TracesData`) as OTLP/JSON.
pub fn traces_to_json(req: &ExportTraceServiceRequest) -> Value {
    let mut o = Obj::new();
    o.put(
        "resourceSpans",
        Value::Array(req.resource_spans.iter().map(resource_spans).collect()),
    );
    o.into()
}

/// `ExportMetricsServiceRequest` (same shape as `MetricsData`) as OTLP/JSON.
pub fn metrics_to_json(req: &ExportMetricsServiceRequest) -> Value {
    let mut o = Obj::new();
    o.put(
        "resourceMetrics",
        Value::Array(req.resource_metrics.iter().map(resource_metrics).collect()),
    );
    o.into()
}

/// `ExportLogsServiceRequest` (same shape as `LogsData`) as OTLP/JSON.
pub fn logs_to_json(req: &ExportLogsServiceRequest) -> Value {
    let mut o = Obj::new();
    o.put(
        "resourceLogs",
        Value::Array(req.resource_logs.iter().map(resource_logs).collect()),
    );
    o.into()
}

/// Lowercase hex, as OTLP/JSON writes trace and span ids.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Standard base64 with padding (RFC 4648 §4), as proto3 JSON writes `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0] as u32;
        let b1 = chunk.get(1).copied().unwrap_or(0) as u32;
        let b2 = chunk.get(2).copied().unwrap_or(0) as u32;
        let n = (b0 << 16) | (b1 << 8) | b2;
        s.push(ALPHABET[(n >> 18) as usize & 63] as char);
        s.push(ALPHABET[(n >> 12) as usize & 63] as char);
        s.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

/// A JSON object under construction, with the "omit defaults" helpers.
struct Obj(Map<String, Value>);

impl Obj {
    fn new() -> Self {
        Obj(Map::new())
    }

    fn put(&mut self, key: &str, v: Value) {
        self.0.insert(key.to_string(), v);
    }

    fn string(&mut self, key: &str, s: &str) {
        if !s.is_empty() {
            self.put(key, Value::String(s.to_string()));
        }
    }

    fn id(&mut self, key: &str, b: &[u8]) {
        if !b.is_empty() {
            self.put(key, Value::String(hex(b)));
        }
    }

    /// 32-bit integers (int32, uint32, fixed32, sint32, enums) are numbers.
    fn int32(&mut self, key: &str, v: i64) {
        if v != 0 {
            self.put(key, Value::from(v));
        }
    }

    /// 64-bit unsigned integers are decimal strings.
    fn uint64(&mut self, key: &str, v: u64) {
        if v != 0 {
            self.put(key, Value::String(v.to_string()));
        }
    }

    fn double(&mut self, key: &str, v: f64) {
        // proto3 JSON omits a default (0) double; -0.0 is not the default bit pattern
        if v != 0.0 || v.is_sign_negative() {
            self.put(key, double(v));
        }
    }

    fn opt_double(&mut self, key: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.put(key, double(v));
        }
    }

    fn bool(&mut self, key: &str, v: bool) {
        if v {
            self.put(key, Value::Bool(true));
        }
    }

    fn list<T>(&mut self, key: &str, items: &[T], f: impl Fn(&T) -> Value) {
        if !items.is_empty() {
            self.put(key, Value::Array(items.iter().map(f).collect()));
        }
    }

    fn attrs(&mut self, key: &str, kvs: &[KeyValue]) {
        self.list(key, kvs, key_value);
    }

    fn u64_list(&mut self, key: &str, items: &[u64]) {
        self.list(key, items, |v| Value::String(v.to_string()));
    }

    fn f64_list(&mut self, key: &str, items: &[f64]) {
        self.list(key, items, |v| double(*v));
    }

    fn msg<T>(&mut self, key: &str, m: Option<&T>, f: impl Fn(&T) -> Value) {
        if let Some(m) = m {
            self.put(key, f(m));
        }
    }
}

impl From<Obj> for Value {
    fn from(o: Obj) -> Value {
        Value::Object(o.0)
    }
}

fn double(v: f64) -> Value {
    if v.is_nan() {
        Value::String("NaN".into())
    } else if v == f64::INFINITY {
        Value::String("Infinity".into())
    } else if v == f64::NEG_INFINITY {
        Value::String("-Infinity".into())
    } else {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

// ---- common ----------------------------------------------------------------

/// `AnyValue`; an unset value is `{}`.
pub fn any_value(v: &AnyValue) -> Value {
    let mut o = Obj::new();
    match &v.value {
        None => {}
        Some(any_value::Value::StringValue(s)) => o.put("stringValue", Value::String(s.clone())),
        Some(any_value::Value::BoolValue(b)) => o.put("boolValue", Value::Bool(*b)),
        Some(any_value::Value::IntValue(i)) => o.put("intValue", Value::String(i.to_string())),
        Some(any_value::Value::DoubleValue(d)) => o.put("doubleValue", double(*d)),
        Some(any_value::Value::ArrayValue(a)) => o.put("arrayValue", array_value(a)),
        Some(any_value::Value::KvlistValue(l)) => o.put("kvlistValue", kvlist_value(l)),
        Some(any_value::Value::BytesValue(b)) => o.put("bytesValue", Value::String(base64(b))),
        Some(any_value::Value::StringValueStrindex(i)) => {
            o.put("stringValueStrindex", Value::from(*i))
        }
    }
    o.into()
}

fn array_value(a: &ArrayValue) -> Value {
    let mut o = Obj::new();
    o.list("values", &a.values, any_value);
    o.into()
}

fn kvlist_value(l: &KeyValueList) -> Value {
    let mut o = Obj::new();
    o.attrs("values", &l.values);
    o.into()
}

/// `KeyValue`. The key is always written (an attribute without a key makes
/// no sense to readers), the value when set.
pub fn key_value(kv: &KeyValue) -> Value {
    let mut o = Obj::new();
    o.put("key", Value::String(kv.key.clone()));
    o.msg("value", kv.value.as_ref(), any_value);
    o.int32("keyStrindex", kv.key_strindex as i64);
    o.into()
}

fn scope(s: &InstrumentationScope) -> Value {
    let mut o = Obj::new();
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.attrs("attributes", &s.attributes);
    o.int32("droppedAttributesCount", s.dropped_attributes_count as i64);
    o.into()
}

fn entity_ref(e: &EntityRef) -> Value {
    let mut o = Obj::new();
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.list("idKeys", &e.id_keys, |k| Value::String(k.clone()));
    o.list("descriptionKeys", &e.description_keys, |k| {
        Value::String(k.clone())
    });
    o.into()
}

fn resource(r: &Resource) -> Value {
    let mut o = Obj::new();
    o.attrs("attributes", &r.attributes);
    o.int32("droppedAttributesCount", r.dropped_attributes_count as i64);
    o.list("entityRefs", &r.entity_refs, entity_ref);
    o.into()
}

// ---- traces ----------------------------------------------------------------

fn resource_spans(rs: &ResourceSpans) -> Value {
    let mut o = Obj::new();
    o.msg("resource", rs.resource.as_ref(), resource);
    o.list("scopeSpans", &rs.scope_spans, scope_spans);
    o.string("schemaUrl", &rs.schema_url);
    o.into()
}

fn scope_spans(ss: &ScopeSpans) -> Value {
    let mut o = Obj::new();
    o.msg("scope", ss.scope.as_ref(), scope);
    o.list("spans", &ss.spans, span_json);
    o.string("schemaUrl", &ss.schema_url);
    o.into()
}

/// One `Span`.
pub fn span_json(s: &Span) -> Value {
    let mut o = Obj::new();
    o.id("traceId", &s.trace_id);
    o.id("spanId", &s.span_id);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id);
    o.int32("flags", s.flags as i64);
    o.string("name", &s.name);
    o.int32("kind", s.kind as i64);
    o.uint64("startTimeUnixNano", s.start_time_unix_nano);
    o.uint64("endTimeUnixNano", s.end_time_unix_nano);
    o.attrs("attributes", &s.attributes);
    o.int32("droppedAttributesCount", s.dropped_attributes_count as i64);
    o.list("events", &s.events, event);
    o.int32("droppedEventsCount", s.dropped_events_count as i64);
    o.list("links", &s.links, link);
    o.int32("droppedLinksCount", s.dropped_links_count as i64);
    o.msg("status", s.status.as_ref(), status);
    o.into()
}

fn event(e: &span::Event) -> Value {
    let mut o = Obj::new();
    o.uint64("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.attrs("attributes", &e.attributes);
    o.int32("droppedAttributesCount", e.dropped_attributes_count as i64);
    o.into()
}

fn link(l: &span::Link) -> Value {
    let mut o = Obj::new();
    o.id("traceId", &l.trace_id);
    o.id("spanId", &l.span_id);
    o.string("traceState", &l.trace_state);
    o.attrs("attributes", &l.attributes);
    o.int32("droppedAttributesCount", l.dropped_attributes_count as i64);
    o.int32("flags", l.flags as i64);
    o.into()
}

fn status(s: &Status) -> Value {
    let mut o = Obj::new();
    o.string("message", &s.message);
    o.int32("code", s.code as i64);
    o.into()
}

// ---- metrics ---------------------------------------------------------------

fn resource_metrics(rm: &ResourceMetrics) -> Value {
    let mut o = Obj::new();
    o.msg("resource", rm.resource.as_ref(), resource);
    o.list("scopeMetrics", &rm.scope_metrics, scope_metrics);
    o.string("schemaUrl", &rm.schema_url);
    o.into()
}

fn scope_metrics(sm: &ScopeMetrics) -> Value {
    let mut o = Obj::new();
    o.msg("scope", sm.scope.as_ref(), scope);
    o.list("metrics", &sm.metrics, metric_json);
    o.string("schemaUrl", &sm.schema_url);
    o.into()
}

/// One `Metric` with its data (the `oneof` member is always written).
pub fn metric_json(m: &Metric) -> Value {
    let mut o = Obj::new();
    o.string("name", &m.name);
    o.string("description", &m.description);
    o.string("unit", &m.unit);
    o.attrs("metadata", &m.metadata);
    match &m.data {
        None => {}
        Some(metric::Data::Gauge(g)) => o.put("gauge", gauge(g)),
        Some(metric::Data::Sum(s)) => o.put("sum", sum(s)),
        Some(metric::Data::Histogram(h)) => o.put("histogram", histogram(h)),
        Some(metric::Data::ExponentialHistogram(h)) => {
            o.put("exponentialHistogram", exp_histogram(h))
        }
        Some(metric::Data::Summary(s)) => o.put("summary", summary(s)),
    }
    o.into()
}

fn gauge(g: &Gauge) -> Value {
    let mut o = Obj::new();
    o.list("dataPoints", &g.data_points, number_point);
    o.into()
}

fn sum(s: &Sum) -> Value {
    let mut o = Obj::new();
    o.list("dataPoints", &s.data_points, number_point);
    o.int32("aggregationTemporality", s.aggregation_temporality as i64);
    o.bool("isMonotonic", s.is_monotonic);
    o.into()
}

fn histogram(h: &Histogram) -> Value {
    let mut o = Obj::new();
    o.list("dataPoints", &h.data_points, histogram_point);
    o.int32("aggregationTemporality", h.aggregation_temporality as i64);
    o.into()
}

fn exp_histogram(h: &ExponentialHistogram) -> Value {
    let mut o = Obj::new();
    o.list("dataPoints", &h.data_points, exp_histogram_point);
    o.int32("aggregationTemporality", h.aggregation_temporality as i64);
    o.into()
}

fn summary(s: &Summary) -> Value {
    let mut o = Obj::new();
    o.list("dataPoints", &s.data_points, summary_point);
    o.into()
}

fn number_point(p: &NumberDataPoint) -> Value {
    let mut o = Obj::new();
    o.attrs("attributes", &p.attributes);
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    match p.value {
        None => {}
        Some(number_data_point::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(number_data_point::Value::AsInt(i)) => o.put("asInt", Value::String(i.to_string())),
    }
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.int32("flags", p.flags as i64);
    o.into()
}

fn histogram_point(p: &HistogramDataPoint) -> Value {
    let mut o = Obj::new();
    o.attrs("attributes", &p.attributes);
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.opt_double("sum", p.sum);
    o.u64_list("bucketCounts", &p.bucket_counts);
    o.f64_list("explicitBounds", &p.explicit_bounds);
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.int32("flags", p.flags as i64);
    o.opt_double("min", p.min);
    o.opt_double("max", p.max);
    o.into()
}

fn buckets(b: &Buckets) -> Value {
    let mut o = Obj::new();
    o.int32("offset", b.offset as i64);
    o.u64_list("bucketCounts", &b.bucket_counts);
    o.into()
}

fn exp_histogram_point(p: &ExponentialHistogramDataPoint) -> Value {
    let mut o = Obj::new();
    o.attrs("attributes", &p.attributes);
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.opt_double("sum", p.sum);
    o.int32("scale", p.scale as i64);
    o.uint64("zeroCount", p.zero_count);
    o.msg("positive", p.positive.as_ref(), buckets);
    o.msg("negative", p.negative.as_ref(), buckets);
    o.int32("flags", p.flags as i64);
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.opt_double("min", p.min);
    o.opt_double("max", p.max);
    o.double("zeroThreshold", p.zero_threshold);
    o.into()
}

fn quantile(q: &ValueAtQuantile) -> Value {
    let mut o = Obj::new();
    o.double("quantile", q.quantile);
    o.double("value", q.value);
    o.into()
}

fn summary_point(p: &SummaryDataPoint) -> Value {
    let mut o = Obj::new();
    o.attrs("attributes", &p.attributes);
    o.uint64("startTimeUnixNano", p.start_time_unix_nano);
    o.uint64("timeUnixNano", p.time_unix_nano);
    o.uint64("count", p.count);
    o.double("sum", p.sum);
    o.list("quantileValues", &p.quantile_values, quantile);
    o.int32("flags", p.flags as i64);
    o.into()
}

fn exemplar_json(e: &Exemplar) -> Value {
    let mut o = Obj::new();
    o.attrs("filteredAttributes", &e.filtered_attributes);
    o.uint64("timeUnixNano", e.time_unix_nano);
    match e.value {
        None => {}
        Some(exemplar::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(exemplar::Value::AsInt(i)) => o.put("asInt", Value::String(i.to_string())),
    }
    o.id("spanId", &e.span_id);
    o.id("traceId", &e.trace_id);
    o.into()
}

// ---- logs ------------------------------------------------------------------

fn resource_logs(rl: &ResourceLogs) -> Value {
    let mut o = Obj::new();
    o.msg("resource", rl.resource.as_ref(), resource);
    o.list("scopeLogs", &rl.scope_logs, scope_logs);
    o.string("schemaUrl", &rl.schema_url);
    o.into()
}

fn scope_logs(sl: &ScopeLogs) -> Value {
    let mut o = Obj::new();
    o.msg("scope", sl.scope.as_ref(), scope);
    o.list("logRecords", &sl.log_records, log_record);
    o.string("schemaUrl", &sl.schema_url);
    o.into()
}

/// One `LogRecord`.
pub fn log_record(r: &LogRecord) -> Value {
    let mut o = Obj::new();
    o.uint64("timeUnixNano", r.time_unix_nano);
    o.uint64("observedTimeUnixNano", r.observed_time_unix_nano);
    o.int32("severityNumber", r.severity_number as i64);
    o.string("severityText", &r.severity_text);
    o.msg("body", r.body.as_ref(), any_value);
    o.attrs("attributes", &r.attributes);
    o.int32("droppedAttributesCount", r.dropped_attributes_count as i64);
    o.int32("flags", r.flags as i64);
    o.id("traceId", &r.trace_id);
    o.id("spanId", &r.span_id);
    o.string("eventName", &r.event_name);
    o.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
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
                                0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6,
                                0x33, 0x81, 0x3f, 0xc6, 0x0c,
                            ],
                            span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74],
                            trace_state: "k=v".into(),
                            parent_span_id: vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73],
                            flags: 257,
                            name: "GET /api/cart".into(),
                            kind: 2,
                            start_time_unix_nano: 1544712660000000000,
                            end_time_unix_nano: 1544712661000000000,
                            attributes: vec![kv(
                                "http.status_code",
                                any_value::Value::IntValue(500),
                            )],
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
                                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0, 0,
                                0, 0xff,
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
}
