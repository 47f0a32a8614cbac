//! A borrowed OTLP `AnyValue`, the one form every parser hands to the column
//! sink: rendering to text (attribute maps, log bodies) and series hashing are
//! defined once here, so the columns cannot differ by encoding.

use std::fmt::Write as _;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};

use super::attributes::{
    base64_encode, TYPE_ARRAY, TYPE_BOOL, TYPE_BYTES, TYPE_DOUBLE, TYPE_EMPTY, TYPE_INT,
    TYPE_KVLIST, TYPE_STRINDEX,
};

/// One attribute value, borrowing its strings and bytes from the frame.
/// Arrays and kvlists own their (rare, small) element vectors.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyRef<'a> {
    /// An `AnyValue` with no value set (or an absent one).
    Empty,
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(&'a [u8]),
    Strindex(i32),
    Array(Vec<AnyRef<'a>>),
    /// Key and value; `None` is a `KeyValue` without a value field (rendered
    /// without `"value"`, unlike an empty `AnyValue`, which renders as `{}`).
    Kvlist(Vec<(&'a str, Option<AnyRef<'a>>)>),
}

impl<'a> AnyRef<'a> {
    /// Borrows a prost value (the reference path used by tests and `generate`).
    pub fn from_prost(v: Option<&'a AnyValue>) -> AnyRef<'a> {
        use any_value::Value;
        match v.and_then(|v| v.value.as_ref()) {
            None => AnyRef::Empty,
            Some(Value::StringValue(s)) => AnyRef::Str(s),
            Some(Value::BoolValue(b)) => AnyRef::Bool(*b),
            Some(Value::IntValue(i)) => AnyRef::Int(*i),
            Some(Value::DoubleValue(d)) => AnyRef::Double(*d),
            Some(Value::BytesValue(b)) => AnyRef::Bytes(b),
            Some(Value::StringValueStrindex(i)) => AnyRef::Strindex(*i),
            Some(Value::ArrayValue(a)) => AnyRef::Array(
                a.values
                    .iter()
                    .map(|v| AnyRef::from_prost(Some(v)))
                    .collect(),
            ),
            Some(Value::KvlistValue(kv)) => AnyRef::Kvlist(
                kv.values
                    .iter()
                    .map(|kv| {
                        (
                            kv.key.as_str(),
                            kv.value.as_ref().map(|v| AnyRef::from_prost(Some(v))),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// The type tag of the `*_types` maps; None for strings.
    pub fn type_tag(&self) -> Option<&'static str> {
        match self {
            AnyRef::Str(_) => None,
            AnyRef::Empty => Some(TYPE_EMPTY),
            AnyRef::Bool(_) => Some(TYPE_BOOL),
            AnyRef::Int(_) => Some(TYPE_INT),
            AnyRef::Double(_) => Some(TYPE_DOUBLE),
            AnyRef::Bytes(_) => Some(TYPE_BYTES),
            AnyRef::Strindex(_) => Some(TYPE_STRINDEX),
            AnyRef::Array(_) => Some(TYPE_ARRAY),
            AnyRef::Kvlist(_) => Some(TYPE_KVLIST),
        }
    }

    /// The value as attribute text: a string is returned as is; anything else
    /// is written into `scratch` (cleared first) and returned from there.
    pub fn render<'s>(&'s self, scratch: &'s mut String) -> &'s str {
        scratch.clear();
        match self {
            AnyRef::Str(s) => return s,
            AnyRef::Empty => return "",
            AnyRef::Bool(b) => return if *b { "true" } else { "false" },
            // Writing into a String cannot fail.
            AnyRef::Int(i) => {
                let _ = write!(scratch, "{i}");
            }
            AnyRef::Strindex(i) => {
                let _ = write!(scratch, "{i}");
            }
            // Display is the shortest text that parses back to the same f64.
            AnyRef::Double(d) => {
                let _ = write!(scratch, "{d}");
            }
            AnyRef::Bytes(b) => scratch.push_str(&base64_encode(b)),
            AnyRef::Array(items) => {
                *scratch =
                    serde_json::Value::Array(items.iter().map(AnyRef::json).collect()).to_string()
            }
            AnyRef::Kvlist(entries) => {
                *scratch = serde_json::Value::Array(
                    entries
                        .iter()
                        .map(|(k, v)| key_value_json(k, v.as_ref()))
                        .collect(),
                )
                .to_string()
            }
        }
        scratch
    }

    /// OTLP/JSON form of a nested value (`{"intValue":"3"}` etc.), which keeps types exact.
    fn json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            AnyRef::Str(s) => json!({ "stringValue": s }),
            AnyRef::Bool(b) => json!({ "boolValue": b }),
            AnyRef::Int(i) => json!({ "intValue": i.to_string() }),
            AnyRef::Double(d) if d.is_finite() => json!({ "doubleValue": d }),
            AnyRef::Double(d) => json!({ "doubleValue": d.to_string() }),
            AnyRef::Bytes(b) => json!({ "bytesValue": base64_encode(b) }),
            AnyRef::Strindex(i) => json!({ "stringValueStrindex": i }),
            AnyRef::Array(items) => {
                json!({ "arrayValue": { "values": items.iter().map(AnyRef::json).collect::<Vec<_>>() } })
            }
            AnyRef::Kvlist(entries) => json!({ "kvlistValue": { "values": entries
                .iter()
                .map(|(k, v)| key_value_json(k, v.as_ref()))
                .collect::<Vec<_>>() } }),
            AnyRef::Empty => json!({}),
        }
    }

    /// Series-identity hash of the value (see `series`).
    pub fn series_hash(&self) -> u64 {
        use super::series::{fnv1a, mix};
        match self {
            AnyRef::Str(s) => fnv1a(s.as_bytes()),
            AnyRef::Bool(b) => mix(1 ^ u64::from(*b)),
            AnyRef::Int(i) => mix(2u64.wrapping_add(*i as u64).rotate_left(7)),
            AnyRef::Double(d) => mix(3 ^ d.to_bits()),
            AnyRef::Bytes(b) => mix(4 ^ fnv1a(b)),
            AnyRef::Strindex(i) => mix(8 ^ (*i as u64)),
            AnyRef::Array(items) => items
                .iter()
                .fold(mix(5), |acc, v| mix(acc ^ v.series_hash())),
            AnyRef::Kvlist(entries) => mix(6 ^ entries.iter().fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(attribute_hash(k, v.as_ref()))
            })),
            AnyRef::Empty => mix(7),
        }
    }
}

/// One key-value pair's share of an order-independent attribute-set hash (summed).
pub fn attribute_hash(key: &str, value: Option<&AnyRef<'_>>) -> u64 {
    use super::series::{fnv1a, mix};
    let v = value.map_or_else(|| mix(7), AnyRef::series_hash);
    mix(fnv1a(key.as_bytes()) ^ v.rotate_left(23))
}

fn key_value_json(key: &str, value: Option<&AnyRef<'_>>) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("key".into(), key.into());
    if let Some(v) = value {
        obj.insert("value".into(), v.json());
    }
    serde_json::Value::Object(obj)
}

/// Borrowed key-values of a prost attribute list.
pub fn prost_attributes(attrs: &[KeyValue]) -> impl Iterator<Item = (&str, AnyRef<'_>)> {
    attrs
        .iter()
        .map(|kv| (kv.key.as_str(), AnyRef::from_prost(kv.value.as_ref())))
}
