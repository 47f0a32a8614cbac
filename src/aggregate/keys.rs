//! Group keys: parsing `--by`, the compact byte encoding of each key part
//! (see `key_columns` for reading them from a batch), and decoding keys back
//! into typed values for output and sorting.

use std::cmp::Ordering;

use super::key_columns::AttrMaps;
use crate::columns::attributes::{TYPE_BOOL, TYPE_DOUBLE, TYPE_INT};
use crate::decode::Signal;
use crate::error::{Error, Result};

/// What a key column reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    ServiceName,
    Resource(String),
    Attr(String),
    /// Every point attribute (the metrics default); expanded into one column per key at finish.
    AllAttrs,
    ScopeName,
    Name,
    Kind,
    StatusCode,
    MetricName,
    SeverityNumber,
    SeverityText,
    Window(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Output column name: the key as the user wrote it.
    pub column: String,
    pub kind: KeyKind,
}

/// Parses `--by` (or the signal's defaults) and appends the window key.
pub fn parse_keys(
    by: Option<&str>,
    signal: Signal,
    window_ns: Option<u64>,
) -> Result<Vec<KeySpec>> {
    let default = match signal {
        Signal::Traces => "service.name,name,kind",
        Signal::Metrics => "service.name",
        Signal::Logs => "service.name,severity_text",
    };
    let mut keys = Vec::new();
    for raw in by
        .unwrap_or(default)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let kind = parse_key(raw, signal)?;
        if keys.iter().any(|k: &KeySpec| k.column == raw) {
            return Err(Error::Usage(format!("--by: key {raw:?} given twice")));
        }
        keys.push(KeySpec {
            column: raw.to_owned(),
            kind,
        });
    }
    if signal == Signal::Metrics {
        if !keys.iter().any(|k| k.kind == KeyKind::MetricName) {
            let at = usize::from(by.is_none() && !keys.is_empty());
            keys.insert(
                at,
                KeySpec {
                    column: "metric.name".into(),
                    kind: KeyKind::MetricName,
                },
            );
        }
        if by.is_none() {
            keys.push(KeySpec {
                column: "attr.*".into(),
                kind: KeyKind::AllAttrs,
            });
        }
    }
    if let Some(w) = window_ns {
        keys.push(KeySpec {
            column: "window_start".into(),
            kind: KeyKind::Window(w),
        });
    }
    Ok(keys)
}

fn parse_key(raw: &str, signal: Signal) -> Result<KeyKind> {
    let kind = match raw {
        "service.name" | "resource.service.name" => KeyKind::ServiceName,
        "scope.name" => KeyKind::ScopeName,
        "name" if signal == Signal::Traces => KeyKind::Name,
        "kind" if signal == Signal::Traces => KeyKind::Kind,
        "status_code" if signal == Signal::Traces => KeyKind::StatusCode,
        "metric.name" if signal == Signal::Metrics => KeyKind::MetricName,
        "severity_number" if signal == Signal::Logs => KeyKind::SeverityNumber,
        "severity_text" if signal == Signal::Logs => KeyKind::SeverityText,
        _ => match (raw.strip_prefix("resource."), raw.strip_prefix("attr.")) {
            (Some(k), _) if !k.is_empty() => KeyKind::Resource(k.to_owned()),
            (_, Some(k)) if !k.is_empty() => KeyKind::Attr(k.to_owned()),
            _ => {
                let specific = match signal {
                    Signal::Traces => "name, kind, status_code",
                    Signal::Metrics => "metric.name",
                    Signal::Logs => "severity_number, severity_text",
                };
                return Err(Error::Usage(format!(
                    "--by: unknown key {raw:?} for {signal}: use service.name, resource.KEY, attr.KEY, scope.name, {specific}"
                )));
            }
        },
    };
    Ok(kind)
}

/// A decoded key value.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    Null,
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// All point attributes, sorted by key.
    Attrs(Vec<(String, KeyValue)>),
}

const NULL: u8 = 0;
const STR: u8 = 1;
const INT: u8 = 2;
const DOUBLE: u8 = 3;
const BOOL: u8 = 4;
const ATTRS: u8 = 5;

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Encodes an attribute's text with its recorded type, so `42` (int) and `"42"` differ.
/// Text that does not parse as its recorded type (hand-made Parquet) stays a string.
fn put_typed(buf: &mut Vec<u8>, text: &str, type_tag: Option<&str>) {
    match type_tag {
        Some(TYPE_INT) => {
            if let Ok(i) = text.parse::<i64>() {
                buf.push(INT);
                buf.extend_from_slice(&i.to_le_bytes());
                return;
            }
        }
        Some(TYPE_DOUBLE) => {
            if let Ok(d) = text.parse::<f64>() {
                buf.push(DOUBLE);
                buf.extend_from_slice(&d.to_bits().to_le_bytes());
                return;
            }
        }
        Some(TYPE_BOOL) if text == "true" || text == "false" => {
            buf.push(BOOL);
            buf.push(u8::from(text == "true"));
            return;
        }
        _ => {}
    }
    buf.push(STR);
    put_str(buf, text);
}

pub fn put_opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            buf.push(STR);
            put_str(buf, s);
        }
        None => buf.push(NULL),
    }
}

pub(crate) fn put_int(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            buf.push(INT);
            buf.extend_from_slice(&v.to_le_bytes());
        }
        None => buf.push(NULL),
    }
}

pub(crate) fn put_map(buf: &mut Vec<u8>, maps: Option<&AttrMaps>, row: usize, key: &str) {
    let Some((values, types)) = maps else {
        buf.push(NULL);
        return;
    };
    match values.lookup(row, key) {
        Some(text) => put_typed(buf, text, types.lookup(row, key)),
        None => buf.push(NULL),
    }
}

pub(crate) fn put_all_attrs(buf: &mut Vec<u8>, maps: Option<&AttrMaps>, row: usize) {
    buf.push(ATTRS);
    let Some((values, types)) = maps else {
        buf.extend_from_slice(&0u32.to_le_bytes());
        return;
    };
    let entries = values.entries(row);
    let typed = types.entries(row);
    // Writers put both maps in one order: the entry at the same position is
    // tried before a search.
    let first = entries.start;
    let type_of = |i: usize, key: &str| {
        let j = typed.start + (i - first);
        if typed.contains(&j) && types.key(j) == key {
            Some(types.value(j))
        } else {
            types.lookup(row, key)
        }
    };
    let put = |buf: &mut Vec<u8>, i: usize| {
        let key = values.key(i);
        put_str(buf, key);
        put_typed(buf, values.value(i), type_of(i, key));
    };
    // Attribute order in the input must not split a series: sort by key.
    let sorted = entries
        .clone()
        .zip(entries.clone().skip(1))
        .all(|(a, b)| values.key(a) < values.key(b));
    if sorted {
        buf.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        entries.for_each(|i| put(buf, i));
        return;
    }
    let mut idx: Vec<usize> = entries.collect();
    idx.sort_by(|&a, &b| values.key(a).cmp(values.key(b)));
    idx.dedup_by(|a, b| values.key(*a) == values.key(*b));
    buf.extend_from_slice(&(idx.len() as u32).to_le_bytes());
    idx.into_iter().for_each(|i| put(buf, i));
}

/// Reads one key part's bytes back into its value.
pub fn decode_part(mut bytes: &[u8]) -> KeyValue {
    decode_value(&mut bytes)
}

/// Reads key bytes back into values, one per key spec.
pub fn decode_key(mut bytes: &[u8], n: usize) -> Vec<KeyValue> {
    (0..n).map(|_| decode_value(&mut bytes)).collect()
}

/// Splits encoded key bytes (as [`GroupTable::key`](super::groups::GroupTable::key)
/// writes them) into the bytes of each part; `None` when they are malformed.
pub fn split_key(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    while !bytes.is_empty() {
        let before = bytes;
        skip_value(&mut bytes)?;
        parts.push(&before[..before.len() - bytes.len()]);
    }
    Some(parts)
}

/// Advances past one encoded value without decoding it.
fn skip_value(bytes: &mut &[u8]) -> Option<()> {
    let advance = |bytes: &mut &[u8], n: usize| -> Option<()> {
        *bytes = bytes.get(n..)?;
        Some(())
    };
    let (&tag, rest) = bytes.split_first()?;
    *bytes = rest;
    match tag {
        NULL => Some(()),
        STR => {
            let len = take_u32_exact(bytes)?;
            advance(bytes, len)
        }
        INT | DOUBLE => advance(bytes, 8),
        BOOL => advance(bytes, 1),
        ATTRS => {
            for _ in 0..take_u32_exact(bytes)? {
                let len = take_u32_exact(bytes)?;
                advance(bytes, len)?;
                skip_value(bytes)?;
            }
            Some(())
        }
        _ => None,
    }
}

fn take_u32_exact(bytes: &mut &[u8]) -> Option<usize> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    *bytes = rest;
    Some(u32::from_le_bytes(*head) as usize)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> &'a [u8] {
    let n = n.min(bytes.len());
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    head
}

fn take_u32(bytes: &mut &[u8]) -> usize {
    let mut b = [0u8; 4];
    let head = take(bytes, 4);
    b[..head.len()].copy_from_slice(head);
    u32::from_le_bytes(b) as usize
}

fn take_u64(bytes: &mut &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let head = take(bytes, 8);
    b[..head.len()].copy_from_slice(head);
    u64::from_le_bytes(b)
}

fn take_string(bytes: &mut &[u8]) -> String {
    let len = take_u32(bytes);
    String::from_utf8_lossy(take(bytes, len)).into_owned()
}

fn decode_value(bytes: &mut &[u8]) -> KeyValue {
    let tag = take(bytes, 1).first().copied().unwrap_or(NULL);
    match tag {
        STR => KeyValue::Str(take_string(bytes)),
        INT => KeyValue::Int(take_u64(bytes) as i64),
        DOUBLE => KeyValue::Double(f64::from_bits(take_u64(bytes))),
        BOOL => KeyValue::Bool(take(bytes, 1).first() == Some(&1)),
        ATTRS => {
            let n = take_u32(bytes);
            KeyValue::Attrs(
                (0..n)
                    .map(|_| (take_string(bytes), decode_value(bytes)))
                    .collect(),
            )
        }
        _ => KeyValue::Null,
    }
}

/// Output order: values by type rank, then value; nulls last.
pub fn compare_values(a: &KeyValue, b: &KeyValue) -> Ordering {
    fn rank(v: &KeyValue) -> u8 {
        match v {
            KeyValue::Bool(_) => 0,
            KeyValue::Int(_) | KeyValue::Double(_) => 1,
            KeyValue::Str(_) => 2,
            KeyValue::Attrs(_) => 3,
            KeyValue::Null => 4,
        }
    }
    match (a, b) {
        (KeyValue::Str(x), KeyValue::Str(y)) => x.cmp(y),
        (KeyValue::Int(x), KeyValue::Int(y)) => x.cmp(y),
        (KeyValue::Bool(x), KeyValue::Bool(y)) => x.cmp(y),
        (KeyValue::Int(_) | KeyValue::Double(_), KeyValue::Int(_) | KeyValue::Double(_)) => {
            as_f64(a).total_cmp(&as_f64(b))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn as_f64(v: &KeyValue) -> f64 {
    match v {
        KeyValue::Int(i) => *i as f64,
        KeyValue::Double(d) => *d,
        _ => 0.0,
    }
}

pub fn compare_keys(a: &[&KeyValue], b: &[&KeyValue]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_values(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_per_signal() {
        let cols = |s, by: Option<&str>, w| -> Vec<String> {
            parse_keys(by, s, w)
                .expect("keys")
                .into_iter()
                .map(|k| k.column)
                .collect()
        };
        assert_eq!(
            cols(Signal::Traces, None, None),
            ["service.name", "name", "kind"]
        );
        assert_eq!(
            cols(Signal::Logs, None, Some(60)),
            ["service.name", "severity_text", "window_start"]
        );
        assert_eq!(
            cols(Signal::Metrics, None, None),
            ["service.name", "metric.name", "attr.*"]
        );
        assert_eq!(
            cols(Signal::Metrics, Some("attr.host"), None),
            ["metric.name", "attr.host"]
        );
    }

    #[test]
    fn unknown_keys_are_usage_errors() {
        let e = parse_keys(Some("kind"), Signal::Logs, None).expect_err("kind is a traces key");
        assert!(
            e.to_string().contains("unknown key \"kind\" for logs"),
            "{e}"
        );
        assert!(parse_keys(Some("attr."), Signal::Traces, None).is_err());
    }

    #[test]
    fn values_round_trip_through_bytes() {
        let mut buf = Vec::new();
        put_opt_str(&mut buf, Some("checkout"));
        put_typed(&mut buf, "42", Some(TYPE_INT));
        put_typed(&mut buf, "42", None);
        put_opt_str(&mut buf, None);
        put_typed(&mut buf, "1.5", Some(TYPE_DOUBLE));
        let v = decode_key(&buf, 5);
        assert_eq!(
            v,
            vec![
                KeyValue::Str("checkout".into()),
                KeyValue::Int(42),
                KeyValue::Str("42".into()),
                KeyValue::Null,
                KeyValue::Double(1.5)
            ]
        );
    }

    #[test]
    fn nulls_sort_last() {
        assert_eq!(
            compare_values(&KeyValue::Null, &KeyValue::Str("a".into())),
            Ordering::Greater
        );
        assert_eq!(
            compare_values(&KeyValue::Int(2), &KeyValue::Double(1.5)),
            Ordering::Greater
        );
    }
}
