//! Attribute maps: OTLP `AnyValue`s flattened to `Map<Utf8, Utf8>` plus a
//! sibling `*_types` map that records the type of every non-string value, so
//! an int stays recoverable as an int (see docs/schema.md).

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, MapBuilder, MapFieldNames, StringBuilder};
use arrow::datatypes::{DataType, Field, Fields};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

use super::value::{prost_attributes, AnyRef};

/// Type tags stored in `*_types` maps; strings are untagged.
pub const TYPE_BOOL: &str = "bool";
pub const TYPE_INT: &str = "int";
pub const TYPE_DOUBLE: &str = "double";
pub const TYPE_BYTES: &str = "bytes";
pub const TYPE_ARRAY: &str = "array";
pub const TYPE_KVLIST: &str = "kvlist";
pub const TYPE_EMPTY: &str = "empty";
/// A string-table index (profiles signal); kept as the number.
pub const TYPE_STRINDEX: &str = "strindex";

/// The Arrow type of every attribute map column.
pub fn map_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// One attribute rendered as text: the value and its type tag (None = string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrText {
    pub key: String,
    pub value: String,
    pub type_tag: Option<&'static str>,
}

/// Renders a value as text: strings as themselves, scalars in their shortest
/// exact form, bytes as base64, arrays and kvlists as OTLP/JSON.
/// Strings are borrowed: they are the common case and need no copy.
pub fn any_value_text(value: Option<&AnyValue>) -> (Cow<'_, str>, Option<&'static str>) {
    let v = AnyRef::from_prost(value);
    let tag = v.type_tag();
    if let AnyRef::Str(s) = v {
        return (Cow::Borrowed(s), None);
    }
    let mut scratch = String::new();
    (Cow::Owned(v.render(&mut scratch).to_owned()), tag)
}

/// Shortest text that parses back to the same f64 (Rust's `Display` guarantees it).
pub fn format_f64(d: f64) -> String {
    d.to_string()
}

pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Renders one attribute once, so a resource's attributes can be appended to many rows.
pub fn attr_text(key: &str, value: &AnyRef<'_>) -> AttrText {
    let mut scratch = String::new();
    AttrText {
        key: key.to_owned(),
        value: value.render(&mut scratch).to_owned(),
        type_tag: value.type_tag(),
    }
}

/// Converts a key-value list once, so a resource's attributes can be appended to many rows.
pub fn attributes_text(attrs: &[KeyValue]) -> Vec<AttrText> {
    prost_attributes(attrs)
        .map(|(k, v)| attr_text(k, &v))
        .collect()
}

/// Builds an attribute map column and its `*_types` sibling in step.
pub struct AttributeMapBuilder {
    values: MapBuilder<StringBuilder, StringBuilder>,
    types: MapBuilder<StringBuilder, StringBuilder>,
    /// Reused text buffer for non-string values.
    scratch: String,
}

impl Default for AttributeMapBuilder {
    fn default() -> Self {
        let names = || MapFieldNames {
            entry: "entries".into(),
            key: "keys".into(),
            value: "values".into(),
        };
        Self {
            values: MapBuilder::new(Some(names()), StringBuilder::new(), StringBuilder::new()),
            types: MapBuilder::new(Some(names()), StringBuilder::new(), StringBuilder::new()),
            scratch: String::new(),
        }
    }
}

impl AttributeMapBuilder {
    /// Appends a row from raw OTLP key-values.
    pub fn append_key_values(&mut self, attrs: &[KeyValue]) {
        for (k, v) in prost_attributes(attrs) {
            self.push(k, &v);
        }
        self.finish_row();
    }

    /// Adds one entry to the open row (close it with `finish_row`).
    pub fn push(&mut self, key: &str, value: &AnyRef<'_>) {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.push_entry(key, value.render(&mut scratch), value.type_tag());
        self.scratch = scratch;
    }

    /// Appends a row from pre-rendered attributes (resource and scope maps repeat per row).
    pub fn append_rendered(&mut self, attrs: &[AttrText]) {
        for a in attrs {
            self.push_entry(&a.key, &a.value, a.type_tag);
        }
        self.finish_row();
    }

    fn push_entry(&mut self, key: &str, value: &str, type_tag: Option<&str>) {
        self.values.keys().append_value(key);
        self.values.values().append_value(value);
        if let Some(tag) = type_tag {
            self.types.keys().append_value(key);
            self.types.values().append_value(tag);
        }
    }

    /// Closes the open row (possibly empty).
    pub fn finish_row(&mut self) {
        // MapBuilder::append only fails on a key/value length mismatch, which push_entry rules out.
        self.values
            .append(true)
            .expect("map keys and values appended in step");
        self.types
            .append(true)
            .expect("map keys and values appended in step");
    }

    /// The value map and the types map, in schema order.
    pub fn finish(&mut self) -> [ArrayRef; 2] {
        [
            Arc::new(self.values.finish()),
            Arc::new(self.types.finish()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::common::v1::ArrayValue;

    fn av(v: Value) -> AnyValue {
        AnyValue { value: Some(v) }
    }

    #[test]
    fn scalars_render_exactly_with_type_tags() {
        let text = |v: Option<&AnyValue>| {
            let (t, tag) = any_value_text(v);
            (t.into_owned(), tag)
        };
        assert_eq!(
            text(Some(&av(Value::StringValue("x".into())))),
            ("x".into(), None)
        );
        assert_eq!(
            text(Some(&av(Value::IntValue(-42)))),
            ("-42".into(), Some(TYPE_INT))
        );
        assert_eq!(
            text(Some(&av(Value::DoubleValue(0.1)))),
            ("0.1".into(), Some(TYPE_DOUBLE))
        );
        assert_eq!(
            text(Some(&av(Value::BoolValue(true)))),
            ("true".into(), Some(TYPE_BOOL))
        );
        assert_eq!(text(None), (String::new(), Some(TYPE_EMPTY)));
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn arrays_keep_nested_types() {
        let arr = av(Value::ArrayValue(ArrayValue {
            values: vec![av(Value::StringValue("a".into())), av(Value::IntValue(3))],
        }));
        let (text, tag) = any_value_text(Some(&arr));
        assert_eq!(tag, Some(TYPE_ARRAY));
        assert_eq!(text, r#"[{"stringValue":"a"},{"intValue":"3"}]"#);
    }
}
