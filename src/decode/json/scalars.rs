//! JSON scalars → proto scalars: strings, booleans, integers written as
//! numbers or strings, doubles with their non-finite spellings, enums by
//! name or number, hex ids and base64 bytes.

use serde_json::Value;

use super::object::{describe, Path};
use super::Result;

pub(super) fn to_string(v: &Value, p: &Path<'_>) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(p.expected("a string", other)),
    }
}

pub(super) fn to_bool(v: &Value, p: &Path<'_>) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(p.expected("a boolean", other)),
    }
}

/// JSON numbers that went through a float (e.g. `1e3`) are accepted when exactly integral.
fn integral(f: f64, min: f64, max_exclusive: f64) -> Option<f64> {
    (f.fract() == 0.0 && f >= min && f < max_exclusive).then_some(f)
}

pub(super) fn to_u64(v: &Value, p: &Path<'_>) -> Result<u64> {
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

pub(super) fn to_i64(v: &Value, p: &Path<'_>) -> Result<i64> {
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

pub(super) fn to_u32(v: &Value, p: &Path<'_>) -> Result<u32> {
    to_u64(v, p)
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| p.expected("an unsigned 32-bit integer", v))
}

pub(super) fn to_i32(v: &Value, p: &Path<'_>) -> Result<i32> {
    to_i64(v, p)
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| p.expected("a signed 32-bit integer", v))
}

pub(super) fn to_f64(v: &Value, p: &Path<'_>) -> Result<f64> {
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
pub(super) fn to_enum(v: &Value, p: &Path<'_>, by_name: fn(&str) -> Option<i32>) -> Result<i32> {
    if let Some(n) = v.as_str().and_then(by_name) {
        return Ok(n);
    }
    to_i32(v, p).map_err(|_| p.expected("an enum name or number", v))
}

/// Ids are hex in OTLP/JSON (unlike proto3 JSON's base64). Lengths are not checked here:
/// a malformed-length id is data for the validator, not a decoding failure.
pub(super) fn to_id(v: &Value, p: &Path<'_>) -> Result<Vec<u8>> {
    let Value::String(s) = v else {
        return Err(p.expected("a hex string", v));
    };
    decode_hex(s).ok_or_else(|| p.err(format!("invalid hex id {}", describe(v))))
}

pub(super) fn to_bytes(v: &Value, p: &Path<'_>) -> Result<Vec<u8>> {
    let Value::String(s) = v else {
        return Err(p.expected("a base64 string", v));
    };
    decode_base64(s).ok_or_else(|| p.err(format!("invalid base64 {}", describe(v))))
}

pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
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
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
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
