//! The resource and scope columns every table starts with, rendered once per
//! resource/scope and repeated per row.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder, UInt32Builder};
use arrow::datatypes::{DataType, Field};
use opentelemetry_proto::tonic::common::v1::{any_value::Value, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::attributes::{attr_text, attributes_text, map_type, AttrText, AttributeMapBuilder};
use super::dict::{dict_type, StrDictBuilder};
use super::value::AnyRef;

pub const SERVICE_NAME: &str = "service_name";
pub const RESOURCE_ATTRIBUTES: &str = "resource_attributes";
pub const SCOPE_NAME: &str = "scope_name";
pub const ATTRIBUTES: &str = "attributes";
pub const ATTRIBUTE_TYPES: &str = "attribute_types";

/// Columns shared by all tables, in schema order.
pub fn context_fields() -> Vec<Field> {
    vec![
        Field::new(SERVICE_NAME, dict_type(), true),
        Field::new(RESOURCE_ATTRIBUTES, map_type(), false),
        Field::new("resource_attribute_types", map_type(), false),
        Field::new("resource_dropped_attributes_count", DataType::UInt32, false),
        Field::new("resource_schema_url", DataType::Utf8, false),
        Field::new(SCOPE_NAME, dict_type(), false),
        Field::new("scope_version", DataType::Utf8, false),
        Field::new("scope_attributes", map_type(), false),
        Field::new("scope_attribute_types", map_type(), false),
        Field::new("scope_dropped_attributes_count", DataType::UInt32, false),
        Field::new("scope_schema_url", DataType::Utf8, false),
    ]
}

/// The record-level attribute map pair.
pub fn attribute_fields(prefix: &str) -> [Field; 2] {
    [
        Field::new(format!("{prefix}attributes"), map_type(), false),
        Field::new(format!("{prefix}attribute_types"), map_type(), false),
    ]
}

/// `service.name` of a resource, when it is a string attribute.
pub fn service_name(attrs: &[KeyValue]) -> Option<&str> {
    attrs
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
}

/// A resource's columns, rendered once.
#[derive(Debug, Clone, Default)]
pub struct ResourceContext {
    pub service_name: Option<String>,
    pub attributes: Vec<AttrText>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
    /// Whether a `service.name` attribute was seen (the first one decides).
    service_key_seen: bool,
}

impl ResourceContext {
    /// Adds one attribute (parsers call this per resource attribute, in order).
    pub fn add_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.note_attribute(key, value);
        self.attributes.push(attr_text(key, value));
    }

    /// Looks at an attribute for `service.name` only (when attributes are not kept):
    /// the first `service.name` decides, and only a string value names a service.
    pub fn note_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        if key == "service.name" && !self.service_key_seen {
            self.service_key_seen = true;
            if let AnyRef::Str(s) = value {
                self.service_name = Some((*s).to_owned());
            }
        }
    }

    pub fn new(resource: Option<&Resource>, schema_url: &str) -> Self {
        let Some(r) = resource else {
            return Self {
                schema_url: schema_url.to_owned(),
                ..Self::default()
            };
        };
        Self {
            service_name: service_name(&r.attributes).map(str::to_owned),
            attributes: attributes_text(&r.attributes),
            dropped_attributes_count: r.dropped_attributes_count,
            schema_url: schema_url.to_owned(),
            service_key_seen: r.attributes.iter().any(|kv| kv.key == "service.name"),
        }
    }
}

/// A scope's columns, rendered once.
#[derive(Debug, Clone, Default)]
pub struct ScopeContext {
    pub name: String,
    pub version: String,
    pub attributes: Vec<AttrText>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
}

impl ScopeContext {
    pub fn add_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.attributes.push(attr_text(key, value));
    }

    pub fn new(scope: Option<&InstrumentationScope>, schema_url: &str) -> Self {
        let Some(s) = scope else {
            return Self {
                schema_url: schema_url.to_owned(),
                ..Self::default()
            };
        };
        Self {
            name: s.name.clone(),
            version: s.version.clone(),
            attributes: attributes_text(&s.attributes),
            dropped_attributes_count: s.dropped_attributes_count,
            schema_url: schema_url.to_owned(),
        }
    }
}

pub struct ContextBuilder {
    projection: super::Projection,
    service_name: StrDictBuilder,
    resource_attributes: AttributeMapBuilder,
    resource_dropped: UInt32Builder,
    resource_schema_url: StringBuilder,
    scope_name: StrDictBuilder,
    scope_version: StringBuilder,
    scope_attributes: AttributeMapBuilder,
    scope_dropped: UInt32Builder,
    scope_schema_url: StringBuilder,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        Self::new(super::Projection::ALL)
    }
}

impl ContextBuilder {
    pub fn new(projection: super::Projection) -> Self {
        Self {
            projection,
            service_name: StrDictBuilder::default(),
            resource_attributes: AttributeMapBuilder::default(),
            resource_dropped: UInt32Builder::new(),
            resource_schema_url: StringBuilder::new(),
            scope_name: StrDictBuilder::default(),
            scope_version: StringBuilder::new(),
            scope_attributes: AttributeMapBuilder::default(),
            scope_dropped: UInt32Builder::new(),
            scope_schema_url: StringBuilder::new(),
        }
    }

    pub fn append(&mut self, resource: &ResourceContext, scope: &ScopeContext) {
        self.service_name
            .append_option(resource.service_name.as_deref());
        let p = self.projection;
        self.resource_attributes
            .append_rendered(if p.resource_attributes {
                &resource.attributes
            } else {
                &[]
            });
        self.resource_dropped
            .append_value(resource.dropped_attributes_count);
        self.resource_schema_url.append_value(&resource.schema_url);
        self.scope_name.append_value(&scope.name);
        self.scope_version.append_value(&scope.version);
        self.scope_attributes
            .append_rendered(if p.scope_attributes {
                &scope.attributes
            } else {
                &[]
            });
        self.scope_dropped
            .append_value(scope.dropped_attributes_count);
        self.scope_schema_url.append_value(&scope.schema_url);
    }

    /// `n` rows of the same resource and scope (a parser that learns them
    /// after their records fills them at once).
    pub fn append_n(&mut self, resource: &ResourceContext, scope: &ScopeContext, n: usize) {
        for _ in 0..n {
            self.append(resource, scope);
        }
    }

    /// Arrays in `context_fields` order.
    pub fn finish(&mut self) -> Vec<ArrayRef> {
        let [ra, rt] = self.resource_attributes.finish();
        let [sa, st] = self.scope_attributes.finish();
        vec![
            self.service_name.finish(),
            ra,
            rt,
            Arc::new(self.resource_dropped.finish()),
            Arc::new(self.resource_schema_url.finish()),
            self.scope_name.finish(),
            Arc::new(self.scope_version.finish()),
            sa,
            st,
            Arc::new(self.scope_dropped.finish()),
            Arc::new(self.scope_schema_url.finish()),
        ]
    }
}
