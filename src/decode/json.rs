//! OTLP/JSON decoding: a hand-written conversion from `serde_json::Value` trees into the
//! opentelemetry-proto (prost) request messages, following the OTLP/JSON encoding rules
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>).
//!
//! Hand-written because opentelemetry-proto is built without `with-serde`, and because the
//! wire format is looser than serde derives: keys may be lowerCamelCase or snake_case,
//! 64-bit integers may be strings or numbers, enums may be numbers or names, ids are hex.
//! Unknown keys are ignored, `null` means absent, and errors carry the path of the
//! offending field (e.g. `resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano`).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{Map, Value};
use std::fmt::Write as _;

#[path = "json_metrics.rs"]
mod metrics;

/// Why a JSON document could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all; the text is serde_json's, including line and column.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// Valid JSON, but a field has the wrong type or an unparsable value.
    #[error("{path}: {message}")]
    Field { path: String, message: String },
    #[error(
        "unknown signal: expected a top-level resourceSpans, resourceMetrics or resourceLogs key"
    )]
    UnknownSignal,
}

type Result<T> = std::result::Result<T, JsonError>;

/// The telemetry signal carried by an OTLP/JSON request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonSignal {
    Traces,
    Metrics,
    Logs,
}

/// Which signal a JSON request holds, from its top-level key (camelCase or snake_case).
pub fn sniff_signal(value: &Value) -> std::result::Result<JsonSignal, JsonError> {
    let Value::Object(map) = value else {
        return Err(JsonError::UnknownSignal);
    };
    [
        ("resourceSpans", JsonSignal::Traces),
        ("resourceMetrics", JsonSignal::Metrics),
        ("resourceLogs", JsonSignal::Logs),
    ]
    .into_iter()
    .find(|(key, _)| lookup(map, key).is_some())
    .map(|(_, signal)| signal)
    .ok_or(JsonError::UnknownSignal)
}

/// Parses bytes as JSON (serde_json's default nesting limit guards against stack overflow).
pub fn parse(bytes: &[u8]) -> std::result::Result<Value, JsonError> {
    serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))
}

/// Converts an OTLP/JSON traces request; without a `resourceSpans` key it is empty.
pub fn traces_from_value(v: &Value) -> std::result::Result<ExportTraceServiceRequest, JsonError> {
    let root = Obj::new(v, &ROOT)?;
    Ok(ExportTraceServiceRequest {
        resource_spans: root.msgs("resourceSpans", resource_spans)?,
    })
}

/// Converts an OTLP/JSON metrics request; without a `resourceMetrics` key it is empty.
pub fn metrics_from_value(
    v: &Value,
) -> std::result::Result<ExportMetricsServiceRequest, JsonError> {
    let root = Obj::new(v, &ROOT)?;
    Ok(ExportMetricsServiceRequest {
        resource_metrics: root.msgs("resourceMetrics", metrics::resource_metrics)?,
    })
}

/// Converts an OTLP/JSON logs request; without a `resourceLogs` key it is empty.
pub fn logs_from_value(v: &Value) -> std::result::Result<ExportLogsServiceRequest, JsonError> {
    let root = Obj::new(v, &ROOT)?;
    Ok(ExportLogsServiceRequest {
        resource_logs: root.msgs("resourceLogs", resource_logs)?,
    })
}

// ---------------------------------------------------------------------------------------
// Paths and object access
// ---------------------------------------------------------------------------------------

/// Location of a JSON node as a chain of stack-allocated links, so that the happy path
/// never allocates; it is rendered to a string only when an error is reported.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg,
}

#[derive(Clone, Copy)]
enum Seg {
    Root,
    Key(&'static str),
    Index(usize),
}

static ROOT: Path<'static> = Path {
    parent: None,
    seg: Seg::Root,
};

impl Path<'_> {
    fn key(&self, key: &'static str) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        if out.is_empty() {
            out.push_str("(root)");
        }
        out
    }

    fn err(&self, message: impl Into<String>) -> JsonError {
        JsonError::Field {
            path: self.render(),
            message: message.into(),
        }
    }

    fn expected(&self, what: &str, got: &Value) -> JsonError {
        self.err(format!("expected {what}, got {}", describe(got)))
    }
}

/// A short description of a JSON value for error messages (scalars shown, truncated).
fn describe(v: &Value) -> String {
    const MAX_CHARS: usize = 40;
    match v {
        Value::String(s) if s.chars().count() > MAX_CHARS => {
            let head: String = s.chars().take(MAX_CHARS).collect();
            format!("{head:?}…")
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        scalar => scalar.to_string(),
    }
}

/// The non-null value of a field, by its lowerCamelCase name or, failing that, its
/// snake_case twin (both spellings are valid OTLP/JSON).
fn lookup<'v>(map: &'v Map<String, Value>, camel: &str) -> Option<&'v Value> {
    let present = |v: &&Value| !v.is_null();
    map.get(camel).filter(present).or_else(|| {
        let mut buf = [0u8; 64];
        snake_case(camel, &mut buf)
            .and_then(|snake| map.get(snake))
            .filter(present)
    })
}

/// Writes the snake_case form of an ASCII camelCase name into `buf` (no allocation).
/// None when the name has no uppercase letter, i.e. both spellings coincide.
fn snake_case<'b>(camel: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    if !camel.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut len = 0;
    for b in camel.bytes() {
        if b.is_ascii_uppercase() {
            *buf.get_mut(len)? = b'_';
            len += 1;
        }
        *buf.get_mut(len)? = b.to_ascii_lowercase();
        len += 1;
    }
    std::str::from_utf8(buf.get(..len)?).ok()
}

/// A JSON object together with its path; typed getters return the field's default when
/// it is absent and a `JsonError::Field` naming the field when it has the wrong type.
#[derive(Clone, Copy)]
struct Obj<'v, 'p> {
    map: &'v Map<String, Value>,
    path: &'p Path<'p>,
}

impl<'v, 'p> Obj<'v, 'p> {
    fn new(v: &'v Value, path: &'p Path<'p>) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(path.expected("an object", other)),
        }
    }

    /// Converts the field if present, handing `conv` the field's path.
    fn field<T>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(&'v Value, &Path<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        lookup(self.map, camel)
            .map(|v| conv(v, &self.path.key(camel)))
            .transpose()
    }

    fn or_default<T: Default>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(&'v Value, &Path<'_>) -> Result<T>,
    ) -> Result<T> {
        Ok(self.field(camel, conv)?.unwrap_or_default())
    }

    fn str(&self, camel: &'static str) -> Result<String> {
        self.or_default(camel, to_string)
    }

    fn bool(&self, camel: &'static str) -> Result<bool> {
        self.or_default(camel, to_bool)
    }

    fn u64(&self, camel: &'static str) -> Result<u64> {
        self.or_default(camel, to_u64)
    }

    fn u32(&self, camel: &'static str) -> Result<u32> {
        self.or_default(camel, to_u32)
    }

    fn i32(&self, camel: &'static str) -> Result<i32> {
        self.or_default(camel, to_i32)
    }

    fn f64(&self, camel: &'static str) -> Result<f64> {
        self.or_default(camel, to_f64)
    }

    fn id(&self, camel: &'static str) -> Result<Vec<u8>> {
        self.or_default(camel, to_id)
    }

    fn enumeration(&self, camel: &'static str, by_name: fn(&str) -> Option<i32>) -> Result<i32> {
        self.or_default(camel, |v, p| to_enum(v, p, by_name))
    }

    /// A nested message; absent stays None (proto3 message presence).
    fn msg<T>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(Obj<'v, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.field(camel, |v, p| conv(Obj::new(v, p)?))
    }

    /// A repeated scalar field.
    fn list<T>(
        &self,
        camel: &'static str,
        item: impl Fn(&'v Value, &Path<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.or_default(camel, |v, p| {
            let Value::Array(items) = v else {
                return Err(p.expected("an array", v));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, x)| item(x, &p.index(i)))
                .collect()
        })
    }

    /// A repeated message field.
    fn msgs<T>(
        &self,
        camel: &'static str,
        conv: impl Fn(Obj<'v, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.list(camel, |v, p| conv(Obj::new(v, p)?))
    }

    fn attributes(&self) -> Result<Vec<KeyValue>> {
        self.msgs("attributes", key_value)
    }
}

// ---------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------

fn to_string(v: &Value, p: &Path<'_>) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(p.expected("a string", other)),
    }
}

fn to_bool(v: &Value, p: &Path<'_>) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(p.expected("a boolean", other)),
    }
}

/// JSON numbers that went through a float (e.g. `1e3`) are accepted when exactly integral.
fn integral(f: f64, min: f64, max_exclusive: f64) -> Option<f64> {
    (f.fract() == 0.0 && f >= min && f < max_exclusive).then_some(f)
}

fn to_u64(v: &Value, p: &Path<'_>) -> Result<u64> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = integral(n.as_f64()?, 0.0, 18_446_744_073_709_551_616.0)?;
            Some(f as u64)
        }),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| p.expected("an unsigned 64-bit integer", v))
}

fn to_i64(v: &Value, p: &Path<'_>) -> Result<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = integral(n.as_f64()?, -LIMIT, LIMIT)?;
            Some(f as i64)
        }),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| p.expected("a signed 64-bit integer", v))
}

fn to_u32(v: &Value, p: &Path<'_>) -> Result<u32> {
    to_u64(v, p)
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| p.expected("an unsigned 32-bit integer", v))
}

fn to_i32(v: &Value, p: &Path<'_>) -> Result<i32> {
    to_i64(v, p)
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| p.expected("a signed 32-bit integer", v))
}

fn to_f64(v: &Value, p: &Path<'_>) -> Result<f64> {
    let f = match v {
        Value::Number(n) => n.as_f64(),
        // Rust's parser also takes "NaN", "Infinity" and "-Infinity", the spellings
        // proto3 JSON uses for non-finite doubles.
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    f.ok_or_else(|| p.expected("a number", v))
}

/// Enums may be written as their proto name or their number; unknown numbers are kept
/// (proto3 enums are open).
fn to_enum(v: &Value, p: &Path<'_>, by_name: fn(&str) -> Option<i32>) -> Result<i32> {
    if let Some(n) = v.as_str().and_then(by_name) {
        return Ok(n);
    }
    to_i32(v, p).map_err(|_| p.expected("an enum name or number", v))
}

/// Ids are hex in OTLP/JSON (unlike proto3 JSON's base64). Lengths are not checked here:
/// a malformed-length id is data for the validator, not a decoding failure.
fn to_id(v: &Value, p: &Path<'_>) -> Result<Vec<u8>> {
    let Value::String(s) = v else {
        return Err(p.expected("a hex string", v));
    };
    decode_hex(s).ok_or_else(|| p.err(format!("invalid hex id {}", describe(v))))
}

fn to_bytes(v: &Value, p: &Path<'_>) -> Result<Vec<u8>> {
    let Value::String(s) = v else {
        return Err(p.expected("a base64 string", v));
    };
    decode_base64(s).ok_or_else(|| p.err(format!("invalid base64 {}", describe(v))))
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16);
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match *pair {
            [hi, lo] => Some((digit(hi)? << 4 | digit(lo)?) as u8),
            _ => None,
        })
        .collect()
}

/// Base64 with the standard alphabet, padding optional; the URL-safe `-`/`_` are accepted
/// too since proto3 JSON parsers do.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }
    let s = s
        .strip_suffix("==")
        .or_else(|| s.strip_suffix('='))
        .unwrap_or(s);
    // A lone trailing character carries only 6 bits: never a valid encoding.
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Common messages
// ---------------------------------------------------------------------------------------

fn any_value(o: Obj<'_, '_>) -> Result<AnyValue> {
    use any_value::Value as V;
    // A oneof: the first variant present wins; `{}` is a valid empty AnyValue.
    let value = if let Some(s) = o.field("stringValue", to_string)? {
        V::StringValue(s)
    } else if let Some(b) = o.field("boolValue", to_bool)? {
        V::BoolValue(b)
    } else if let Some(i) = o.field("intValue", to_i64)? {
        V::IntValue(i)
    } else if let Some(d) = o.field("doubleValue", to_f64)? {
        V::DoubleValue(d)
    } else if let Some(values) = o.msg("arrayValue", |a| a.msgs("values", any_value))? {
        V::ArrayValue(ArrayValue { values })
    } else if let Some(values) = o.msg("kvlistValue", |l| l.msgs("values", key_value))? {
        V::KvlistValue(KeyValueList { values })
    } else if let Some(b) = o.field("bytesValue", to_bytes)? {
        V::BytesValue(b)
    } else if let Some(i) = o.field("stringValueStrindex", to_i32)? {
        V::StringValueStrindex(i)
    } else {
        return Ok(AnyValue { value: None });
    };
    Ok(AnyValue { value: Some(value) })
}

fn key_value(o: Obj<'_, '_>) -> Result<KeyValue> {
    Ok(KeyValue {
        key: o.str("key")?,
        value: o.msg("value", any_value)?,
        key_strindex: o.i32("keyStrindex")?,
    })
}

fn resource(o: Obj<'_, '_>) -> Result<Resource> {
    Ok(Resource {
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
        entity_refs: o.msgs("entityRefs", |e| {
            Ok(EntityRef {
                schema_url: e.str("schemaUrl")?,
                r#type: e.str("type")?,
                id_keys: e.list("idKeys", to_string)?,
                description_keys: e.list("descriptionKeys", to_string)?,
            })
        })?,
    })
}

fn scope(o: Obj<'_, '_>) -> Result<InstrumentationScope> {
    Ok(InstrumentationScope {
        name: o.str("name")?,
        version: o.str("version")?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
    })
}

// ---------------------------------------------------------------------------------------
// Traces
// ---------------------------------------------------------------------------------------

fn resource_spans(o: Obj<'_, '_>) -> Result<ResourceSpans> {
    Ok(ResourceSpans {
        resource: o.msg("resource", resource)?,
        scope_spans: o.msgs("scopeSpans", |s| {
            Ok(ScopeSpans {
                scope: s.msg("scope", scope)?,
                spans: s.msgs("spans", span)?,
                schema_url: s.str("schemaUrl")?,
            })
        })?,
        schema_url: o.str("schemaUrl")?,
    })
}

fn span(o: Obj<'_, '_>) -> Result<Span> {
    Ok(Span {
        trace_id: o.id("traceId")?,
        span_id: o.id("spanId")?,
        trace_state: o.str("traceState")?,
        parent_span_id: o.id("parentSpanId")?,
        flags: o.u32("flags")?,
        name: o.str("name")?,
        kind: o.enumeration("kind", |s| SpanKind::from_str_name(s).map(|k| k as i32))?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        end_time_unix_nano: o.u64("endTimeUnixNano")?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
        events: o.msgs("events", |e| {
            Ok(Event {
                time_unix_nano: e.u64("timeUnixNano")?,
                name: e.str("name")?,
                attributes: e.attributes()?,
                dropped_attributes_count: e.u32("droppedAttributesCount")?,
            })
        })?,
        dropped_events_count: o.u32("droppedEventsCount")?,
        links: o.msgs("links", |l| {
            Ok(Link {
                trace_id: l.id("traceId")?,
                span_id: l.id("spanId")?,
                trace_state: l.str("traceState")?,
                attributes: l.attributes()?,
                dropped_attributes_count: l.u32("droppedAttributesCount")?,
                flags: l.u32("flags")?,
            })
        })?,
        dropped_links_count: o.u32("droppedLinksCount")?,
        status: o.msg("status", |s| {
            Ok(Status {
                message: s.str("message")?,
                code: s.enumeration("code", |n| StatusCode::from_str_name(n).map(|c| c as i32))?,
            })
        })?,
    })
}

// ---------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------

fn resource_logs(o: Obj<'_, '_>) -> Result<ResourceLogs> {
    Ok(ResourceLogs {
        resource: o.msg("resource", resource)?,
        scope_logs: o.msgs("scopeLogs", |s| {
            Ok(ScopeLogs {
                scope: s.msg("scope", scope)?,
                log_records: s.msgs("logRecords", log_record)?,
                schema_url: s.str("schemaUrl")?,
            })
        })?,
        schema_url: o.str("schemaUrl")?,
    })
}

fn log_record(o: Obj<'_, '_>) -> Result<LogRecord> {
    Ok(LogRecord {
        time_unix_nano: o.u64("timeUnixNano")?,
        observed_time_unix_nano: o.u64("observedTimeUnixNano")?,
        severity_number: o.enumeration("severityNumber", |s| {
            SeverityNumber::from_str_name(s).map(|n| n as i32)
        })?,
        severity_text: o.str("severityText")?,
        body: o.msg("body", any_value)?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
        flags: o.u32("flags")?,
        trace_id: o.id("traceId")?,
        span_id: o.id("spanId")?,
        event_name: o.str("eventName")?,
    })
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
