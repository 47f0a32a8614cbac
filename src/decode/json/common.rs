//! OTLP/JSON → the messages every signal shares: `AnyValue`, `KeyValue`,
//! `Resource`, `InstrumentationScope`, and the resource / scope envelopes
//! that wrap each signal's records.

use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::object::JsonObject;
use super::scalars::{to_bool, to_bytes, to_f64, to_i32, to_i64, to_string};
use super::Result;

pub(super) fn any_value(o: JsonObject<'_, '_>) -> Result<AnyValue> {
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

pub(super) fn key_value(o: JsonObject<'_, '_>) -> Result<KeyValue> {
    Ok(KeyValue {
        key: o.str("key")?,
        value: o.msg("value", any_value)?,
        key_strindex: o.i32("keyStrindex")?,
    })
}

fn resource(o: JsonObject<'_, '_>) -> Result<Resource> {
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

fn scope(o: JsonObject<'_, '_>) -> Result<InstrumentationScope> {
    Ok(InstrumentationScope {
        name: o.str("name")?,
        version: o.str("version")?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
    })
}

/// `ResourceSpans` / `ResourceMetrics` / `ResourceLogs`: the resource, the
/// scope groups under `scopes_key` and the schema URL, read in that order
/// (so the first bad field is the one reported) and handed to `build`.
pub(super) fn resource_group<'v, S, R>(
    o: JsonObject<'v, '_>,
    scopes_key: &'static str,
    scope_group: impl Fn(JsonObject<'v, '_>) -> Result<S>,
    build: impl FnOnce(Option<Resource>, Vec<S>, String) -> R,
) -> Result<R> {
    let resource = o.msg("resource", resource)?;
    let scopes = o.msgs(scopes_key, scope_group)?;
    let schema_url = o.str("schemaUrl")?;
    Ok(build(resource, scopes, schema_url))
}

/// `ScopeSpans` / `ScopeMetrics` / `ScopeLogs`: the scope, the records under
/// `records_key` and the schema URL, read in that order and handed to
/// `build`.
pub(super) fn scope_group<'v, T, S>(
    o: JsonObject<'v, '_>,
    records_key: &'static str,
    record: impl Fn(JsonObject<'v, '_>) -> Result<T>,
    build: impl FnOnce(Option<InstrumentationScope>, Vec<T>, String) -> S,
) -> Result<S> {
    let scope = o.msg("scope", scope)?;
    let records = o.msgs(records_key, record)?;
    let schema_url = o.str("schemaUrl")?;
    Ok(build(scope, records, schema_url))
}
