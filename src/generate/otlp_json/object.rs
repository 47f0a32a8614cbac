//! The JSON object builder behind every OTLP/JSON message (it omits fields
//! at their default value) and the scalar encodings: hex ids, base64 bytes,
//! doubles with their non-finite spellings.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use serde_json::{Map, Value};

use super::common::key_value;

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

/// A double as proto3 JSON writes it: a number, or `"NaN"`, `"Infinity"`,
/// `"-Infinity"`.
pub(super) fn double(v: f64) -> Value {
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

/// A JSON object under construction; its typed setters omit a field at its
/// default value, as protobuf JSON does.
pub(super) struct ObjectBuilder(Map<String, Value>);

impl ObjectBuilder {
    pub(super) fn new() -> Self {
        ObjectBuilder(Map::new())
    }

    /// Writes `v` whatever it holds (fields with presence).
    pub(super) fn put(&mut self, key: &str, v: Value) {
        self.0.insert(key.to_string(), v);
    }

    pub(super) fn string(&mut self, key: &str, s: &str) {
        if !s.is_empty() {
            self.put(key, Value::String(s.to_string()));
        }
    }

    /// Trace and span ids, as lowercase hex.
    pub(super) fn id(&mut self, key: &str, b: &[u8]) {
        if !b.is_empty() {
            self.put(key, Value::String(hex(b)));
        }
    }

    /// 32-bit integers (int32, uint32, fixed32, sint32, enums) are numbers.
    pub(super) fn int32(&mut self, key: &str, v: i64) {
        if v != 0 {
            self.put(key, Value::from(v));
        }
    }

    /// 64-bit unsigned integers are decimal strings.
    pub(super) fn uint64(&mut self, key: &str, v: u64) {
        if v != 0 {
            self.put(key, Value::String(v.to_string()));
        }
    }

    pub(super) fn double(&mut self, key: &str, v: f64) {
        // proto3 JSON omits a default (0) double; -0.0 is not the default bit pattern
        if v != 0.0 || v.is_sign_negative() {
            self.put(key, double(v));
        }
    }

    /// An `optional double`: written whenever it is set.
    pub(super) fn opt_double(&mut self, key: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.put(key, double(v));
        }
    }

    pub(super) fn bool(&mut self, key: &str, v: bool) {
        if v {
            self.put(key, Value::Bool(true));
        }
    }

    /// A repeated field, each item encoded by `f`.
    pub(super) fn list<T>(&mut self, key: &str, items: &[T], f: impl Fn(&T) -> Value) {
        if !items.is_empty() {
            self.put(key, Value::Array(items.iter().map(f).collect()));
        }
    }

    /// A repeated `KeyValue` field.
    pub(super) fn attrs(&mut self, key: &str, kvs: &[KeyValue]) {
        self.list(key, kvs, key_value);
    }

    /// `attributes` and `droppedAttributesCount`, the pair most messages carry.
    pub(super) fn attributes_and_dropped(&mut self, attributes: &[KeyValue], dropped: u32) {
        self.attrs("attributes", attributes);
        self.int32("droppedAttributesCount", dropped as i64);
    }

    /// A repeated `fixed64` / `uint64` field.
    pub(super) fn u64_list(&mut self, key: &str, items: &[u64]) {
        self.list(key, items, |v| Value::String(v.to_string()));
    }

    pub(super) fn f64_list(&mut self, key: &str, items: &[f64]) {
        self.list(key, items, |v| double(*v));
    }

    /// A sub-message: written whenever it is set, even if empty.
    pub(super) fn msg<T>(&mut self, key: &str, m: Option<&T>, f: impl Fn(&T) -> Value) {
        if let Some(m) = m {
            self.put(key, f(m));
        }
    }
}

impl From<ObjectBuilder> for Value {
    fn from(o: ObjectBuilder) -> Value {
        Value::Object(o.0)
    }
}
