//! Where a JSON node is and how to read it: paths that render only when an
//! error is reported, lookup by camelCase or snake_case key, and
//! [`JsonObject`], whose typed getters turn absent fields into defaults and
//! wrong types into errors naming the field.

use std::fmt::Write as _;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use serde_json::{Map, Value};

use super::common::key_value;
use super::scalars::{to_bool, to_enum, to_f64, to_i32, to_id, to_string, to_u32, to_u64};
use super::{JsonError, Result};

/// Location of a JSON node as a chain of stack-allocated links, so that the happy path
/// never allocates; it is rendered to a string only when an error is reported.
#[derive(Clone, Copy)]
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg,
}

#[derive(Clone, Copy)]
enum Seg {
    Root,
    Key(&'static str),
    Index(usize),
}

pub(super) static ROOT: Path<'static> = Path {
    parent: None,
    seg: Seg::Root,
};

impl Path<'_> {
    pub(super) fn key(&self, key: &'static str) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    pub(super) fn index(&self, index: usize) -> Path<'_> {
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

    pub(super) fn err(&self, message: impl Into<String>) -> JsonError {
        JsonError::Field {
            path: self.render(),
            message: message.into(),
        }
    }

    pub(super) fn expected(&self, what: &str, got: &Value) -> JsonError {
        self.err(format!("expected {what}, got {}", describe(got)))
    }
}

/// A short description of a JSON value for error messages (scalars shown, truncated).
pub(super) fn describe(v: &Value) -> String {
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
pub(super) fn lookup<'v>(map: &'v Map<String, Value>, camel: &str) -> Option<&'v Value> {
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
pub(super) struct JsonObject<'v, 'p> {
    map: &'v Map<String, Value>,
    path: &'p Path<'p>,
}

impl<'v, 'p> JsonObject<'v, 'p> {
    pub(super) fn new(v: &'v Value, path: &'p Path<'p>) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(JsonObject { map, path }),
            other => Err(path.expected("an object", other)),
        }
    }

    /// Converts the field if present, handing `conv` the field's path.
    pub(super) fn field<T>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(&'v Value, &Path<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        lookup(self.map, camel)
            .map(|v| conv(v, &self.path.key(camel)))
            .transpose()
    }

    pub(super) fn or_default<T: Default>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(&'v Value, &Path<'_>) -> Result<T>,
    ) -> Result<T> {
        Ok(self.field(camel, conv)?.unwrap_or_default())
    }

    pub(super) fn str(&self, camel: &'static str) -> Result<String> {
        self.or_default(camel, to_string)
    }

    pub(super) fn bool(&self, camel: &'static str) -> Result<bool> {
        self.or_default(camel, to_bool)
    }

    pub(super) fn u64(&self, camel: &'static str) -> Result<u64> {
        self.or_default(camel, to_u64)
    }

    pub(super) fn u32(&self, camel: &'static str) -> Result<u32> {
        self.or_default(camel, to_u32)
    }

    pub(super) fn i32(&self, camel: &'static str) -> Result<i32> {
        self.or_default(camel, to_i32)
    }

    pub(super) fn f64(&self, camel: &'static str) -> Result<f64> {
        self.or_default(camel, to_f64)
    }

    pub(super) fn id(&self, camel: &'static str) -> Result<Vec<u8>> {
        self.or_default(camel, to_id)
    }

    pub(super) fn enumeration(
        &self,
        camel: &'static str,
        by_name: fn(&str) -> Option<i32>,
    ) -> Result<i32> {
        self.or_default(camel, |v, p| to_enum(v, p, by_name))
    }

    /// A nested message; absent stays None (proto3 message presence).
    pub(super) fn msg<T>(
        &self,
        camel: &'static str,
        conv: impl FnOnce(JsonObject<'v, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.field(camel, |v, p| conv(JsonObject::new(v, p)?))
    }

    /// A repeated scalar field.
    pub(super) fn list<T>(
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
    pub(super) fn msgs<T>(
        &self,
        camel: &'static str,
        conv: impl Fn(JsonObject<'v, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.list(camel, |v, p| conv(JsonObject::new(v, p)?))
    }

    pub(super) fn attributes(&self) -> Result<Vec<KeyValue>> {
        self.msgs("attributes", key_value)
    }
}
