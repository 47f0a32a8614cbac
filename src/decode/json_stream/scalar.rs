//! JSON leaves as the streaming parser sees them, and their OTLP/JSON
//! conversions: integers as numbers or strings, doubles with their
//! non-finite spellings, enums by name or number, hex ids, base64 bytes.
//! The rules are those of the tree decoder (`json::scalars`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::decode::json::scalars::{decode_base64, decode_hex};

/// One JSON value that a field of scalar type received.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    /// An array or object (consumed), for error messages.
    Array,
    Object,
}

impl fmt::Display for Scalar<'_> {
    /// A short description for error messages, as the tree decoder writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX_CHARS: usize = 40;
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::U64(n) => write!(f, "{n}"),
            Scalar::I64(n) => write!(f, "{n}"),
            Scalar::F64(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "{n}"),
                None => write!(f, "{x}"),
            },
            Scalar::Str(s) if s.chars().count() > MAX_CHARS => {
                let head: String = s.chars().take(MAX_CHARS).collect();
                write!(f, "{head:?}…")
            }
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::Array => f.write_str("an array"),
            Scalar::Object => f.write_str("an object"),
        }
    }
}

pub(super) struct ScalarSeed;

impl<'de> de::DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// Integers that went through a float (`1e3`) count when exactly integral.
fn integral(f: f64, min: f64, max_exclusive: f64) -> Option<f64> {
    (f.fract() == 0.0 && f >= min && f < max_exclusive).then_some(f)
}

impl<'de> Scalar<'de> {
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }

    pub fn bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn u64(&self) -> Option<u64> {
        match self {
            Scalar::U64(n) => Some(*n),
            Scalar::I64(_) => None,
            Scalar::F64(f) => integral(*f, 0.0, 18_446_744_073_709_551_616.0).map(|f| f as u64),
            Scalar::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn i64(&self) -> Option<i64> {
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        match self {
            Scalar::U64(n) => i64::try_from(*n).ok(),
            Scalar::I64(n) => Some(*n),
            Scalar::F64(f) => integral(*f, -LIMIT, LIMIT).map(|f| f as i64),
            Scalar::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn u32(&self) -> Option<u32> {
        self.u64().and_then(|n| u32::try_from(n).ok())
    }

    pub fn i32(&self) -> Option<i32> {
        self.i64().and_then(|n| i32::try_from(n).ok())
    }

    /// Rust's parser takes "NaN", "Infinity" and "-Infinity", proto3 JSON's spellings.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Scalar::U64(n) => Some(*n as f64),
            Scalar::I64(n) => Some(*n as f64),
            Scalar::F64(f) => Some(*f),
            Scalar::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// An enum by name or number; unknown numbers are kept (proto3 enums are open).
    pub fn enumeration(&self, by_name: fn(&str) -> Option<i32>) -> Option<i32> {
        match self {
            Scalar::Str(s) => by_name(s).or_else(|| self.i32()),
            _ => self.i32(),
        }
    }
}

/// Why a leaf could not be read: the message after the field path.
pub(super) fn expected(what: &str, got: &Scalar<'_>) -> String {
    format!("expected {what}, got {got}")
}

/// A decoded hex id: trace and span ids stay on the stack; any length is
/// kept (the validator judges lengths).
#[derive(Default)]
pub(super) enum Id {
    #[default]
    Empty,
    Inline([u8; 16], u8),
    Heap(Vec<u8>),
}

impl Id {
    /// A hex id value; null is an empty id.
    pub fn parse(v: &Scalar<'_>) -> Result<Id, String> {
        let s = match v {
            Scalar::Null => return Ok(Id::Empty),
            Scalar::Str(s) => s,
            _ => return Err(expected("a hex string", v)),
        };
        let invalid = || format!("invalid hex id {v}");
        let hex = s.as_bytes();
        if hex.len() > 32 {
            return decode_hex(s).map(Id::Heap).ok_or_else(invalid);
        }
        if hex.len() % 2 != 0 {
            return Err(invalid());
        }
        let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
        let mut buf = [0u8; 16];
        for (out, pair) in buf.iter_mut().zip(hex.chunks_exact(2)) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(hi), Some(lo)) => *out = (hi << 4) | lo,
                _ => return Err(invalid()),
            }
        }
        Ok(Id::Inline(buf, (hex.len() / 2) as u8))
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Id::Empty => &[],
            Id::Inline(buf, len) => &buf[..usize::from(*len)],
            Id::Heap(v) => v,
        }
    }
}

pub(super) fn bytes(v: &Scalar<'_>) -> Result<Vec<u8>, String> {
    let Scalar::Str(s) = v else {
        return Err(expected("a base64 string", v));
    };
    decode_base64(s).ok_or_else(|| format!("invalid base64 {v}"))
}
