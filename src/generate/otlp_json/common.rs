//! OTLP/JSON for the messages every signal shares: `AnyValue`, `KeyValue`,
//! `Resource`, `InstrumentationScope`, and the request / resource / scope
//! envelopes that wrap each signal's records.

use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde_json::Value;

use super::object::{base64, double, ObjectBuilder};

/// `AnyValue`; an unset value is `{}`.
pub fn any_value(v: &AnyValue) -> Value {
    let mut o = ObjectBuilder::new();
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
    let mut o = ObjectBuilder::new();
    o.list("values", &a.values, any_value);
    o.into()
}

fn kvlist_value(l: &KeyValueList) -> Value {
    let mut o = ObjectBuilder::new();
    o.attrs("values", &l.values);
    o.into()
}

/// `KeyValue`. The key is always written (an attribute without a key makes
/// no sense to readers), the value when set.
pub fn key_value(kv: &KeyValue) -> Value {
    let mut o = ObjectBuilder::new();
    o.put("key", Value::String(kv.key.clone()));
    o.msg("value", kv.value.as_ref(), any_value);
    o.int32("keyStrindex", kv.key_strindex as i64);
    o.into()
}

fn scope(s: &InstrumentationScope) -> Value {
    let mut o = ObjectBuilder::new();
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.attributes_and_dropped(&s.attributes, s.dropped_attributes_count);
    o.into()
}

fn entity_ref(e: &EntityRef) -> Value {
    let mut o = ObjectBuilder::new();
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.list("idKeys", &e.id_keys, |k| Value::String(k.clone()));
    o.list("descriptionKeys", &e.description_keys, |k| {
        Value::String(k.clone())
    });
    o.into()
}

fn resource(r: &Resource) -> Value {
    let mut o = ObjectBuilder::new();
    o.attributes_and_dropped(&r.attributes, r.dropped_attributes_count);
    o.list("entityRefs", &r.entity_refs, entity_ref);
    o.into()
}

/// An export request: its one top-level array, written even when empty.
pub(super) fn request<T>(key: &str, items: &[T], item: impl Fn(&T) -> Value) -> Value {
    let mut o = ObjectBuilder::new();
    o.put(key, Value::Array(items.iter().map(item).collect()));
    o.into()
}

/// `ResourceSpans` / `ResourceMetrics` / `ResourceLogs`: the resource, its
/// scope groups under `scopes_key`, the schema URL.
pub(super) fn resource_group<T>(
    resource_msg: Option<&Resource>,
    scopes_key: &str,
    scopes: &[T],
    scope_group: impl Fn(&T) -> Value,
    schema_url: &str,
) -> Value {
    let mut o = ObjectBuilder::new();
    o.msg("resource", resource_msg, resource);
    o.list(scopes_key, scopes, scope_group);
    o.string("schemaUrl", schema_url);
    o.into()
}

/// `ScopeSpans` / `ScopeMetrics` / `ScopeLogs`: the scope, its records under
/// `records_key`, the schema URL.
pub(super) fn scope_group<T>(
    scope_msg: Option<&InstrumentationScope>,
    records_key: &str,
    records: &[T],
    record: impl Fn(&T) -> Value,
    schema_url: &str,
) -> Value {
    let mut o = ObjectBuilder::new();
    o.msg("scope", scope_msg, scope);
    o.list(records_key, records, record);
    o.string("schemaUrl", schema_url);
    o.into()
}
