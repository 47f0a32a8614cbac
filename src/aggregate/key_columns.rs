//! The map stage's reading of key columns: each key part of a batch becomes
//! one code per row. Dictionary-encoded strings are encoded and hashed once
//! per distinct dictionary entry, then the codes are gathered over the
//! dictionary indices; plain strings (Utf8, LargeUtf8, Utf8View), ints,
//! windows and attribute lookups are encoded per row, reusing the previous
//! row's code when the value repeats.

use arrow::array::{
    Array, ArrayRef, AsArray, LargeStringArray, MapArray, PrimitiveArray, RecordBatch, StringArray,
    StringViewArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Int32Type, TimestampNanosecondType};

use super::groups::PartDict;
use super::keys::{put_all_attrs, put_int, put_map, put_opt_str, KeyKind, KeySpec};
use crate::error::{Error, Result};

/// A plain string array of any offset width or layout.
#[derive(Clone, Copy)]
pub enum StrCol<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> StrCol<'a> {
    pub fn of(a: &'a dyn Array) -> Option<Self> {
        match a.data_type() {
            DataType::Utf8 => Some(Self::Utf8(a.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Self::Large(a.as_string::<i64>())),
            DataType::Utf8View => Some(Self::View(a.as_string_view())),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Utf8(a) => a.len(),
            Self::Large(a) => a.len(),
            Self::View(a) => a.len(),
        }
    }

    /// The value at `i`; `None` when null.
    #[inline]
    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Self::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Self::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Self::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A string column, plain or dictionary-encoded (any key type).
pub enum TextCol<'a> {
    Plain(StrCol<'a>),
    Dict {
        /// Dictionary index per row (arbitrary but in range where the row is null).
        keys: Vec<usize>,
        nulls: Option<&'a NullBuffer>,
        values: StrCol<'a>,
    },
}

impl<'a> TextCol<'a> {
    pub fn of(a: &'a ArrayRef) -> Option<Self> {
        if let Some(plain) = StrCol::of(a.as_ref()) {
            return Some(Self::Plain(plain));
        }
        let dict = a.as_any_dictionary_opt()?;
        // An empty dictionary has only null rows (`normalized_keys` refuses it).
        let keys = if dict.values().is_empty() {
            Vec::new()
        } else {
            dict.normalized_keys()
        };
        Some(Self::Dict {
            keys,
            nulls: dict.keys().nulls(),
            values: StrCol::of(dict.values().as_ref())?,
        })
    }

    /// The value at `row`; `None` when null.
    #[inline]
    pub fn get(&self, row: usize) -> Option<&'a str> {
        match self {
            Self::Plain(c) => c.get(row),
            Self::Dict {
                keys,
                nulls,
                values,
            } => {
                if nulls.is_some_and(|n| n.is_null(row)) {
                    None
                } else {
                    values.get(*keys.get(row)?)
                }
            }
        }
    }
}

/// A `Map<string, string>` column read through [`TextCol`]s.
pub struct MapCol<'a> {
    offsets: &'a [i32],
    keys: TextCol<'a>,
    values: TextCol<'a>,
}

impl<'a> MapCol<'a> {
    fn of(a: &'a MapArray) -> Option<Self> {
        Some(Self {
            offsets: a.value_offsets(),
            keys: TextCol::of(a.keys())?,
            values: TextCol::of(a.values())?,
        })
    }

    /// Entry indices of row `row`.
    pub fn entries(&self, row: usize) -> std::ops::Range<usize> {
        self.offsets[row] as usize..self.offsets[row + 1] as usize
    }

    pub fn key(&self, entry: usize) -> &'a str {
        self.keys.get(entry).unwrap_or("")
    }

    pub fn value(&self, entry: usize) -> &'a str {
        self.values.get(entry).unwrap_or("")
    }

    /// The value of `key` in row `row`.
    pub fn lookup(&self, row: usize, key: &str) -> Option<&'a str> {
        self.entries(row)
            .find(|&i| self.key(i) == key)
            .map(|i| self.value(i))
    }
}

/// An attribute map with its companion map of value types.
pub type AttrMaps<'a> = (MapCol<'a>, MapCol<'a>);

/// How a string key treats null and empty values (as `encode_row` always has).
#[derive(Clone, Copy)]
enum NullMode {
    /// Null groups as null (`service.name`).
    Null,
    /// Null reads as the empty string (required columns).
    Empty,
    /// Null and empty both group as null (`severity_text`).
    EmptyIsNull,
}

fn put_text(buf: &mut Vec<u8>, s: Option<&str>, mode: NullMode) {
    buf.clear();
    let s = match mode {
        NullMode::Null => s,
        NullMode::Empty => Some(s.unwrap_or("")),
        NullMode::EmptyIsNull => s.filter(|s| !s.is_empty()),
    };
    put_opt_str(buf, s);
}

/// The arrays one batch's keys are read from, downcast once per batch.
pub struct KeyColumns<'a> {
    rows: usize,
    service_name: Option<TextCol<'a>>,
    resource: Option<AttrMaps<'a>>,
    attrs: Option<AttrMaps<'a>>,
    scope_name: Option<TextCol<'a>>,
    name: Option<TextCol<'a>>,
    int_key: Option<&'a PrimitiveArray<Int32Type>>,
    status: Option<&'a PrimitiveArray<Int32Type>>,
    severity_text: Option<TextCol<'a>>,
    time: Option<&'a PrimitiveArray<TimestampNanosecondType>>,
    fallback_time: Option<&'a PrimitiveArray<TimestampNanosecondType>>,
}

fn text_col<'a>(b: &'a RecordBatch, name: &str) -> Option<TextCol<'a>> {
    b.column_by_name(name).and_then(TextCol::of)
}

fn map_pair<'a>(b: &'a RecordBatch, values: &str, types: &str) -> Option<AttrMaps<'a>> {
    let map = |name: &str| MapCol::of(b.column_by_name(name)?.as_map_opt()?);
    Some((map(values)?, map(types)?))
}

impl<'a> KeyColumns<'a> {
    /// `time_column` is the row time used for windows; `fallback_time` replaces a zero time (logs).
    pub fn new(
        keys: &'a [KeySpec],
        batch: &'a RecordBatch,
        time_column: &str,
        fallback_time: Option<&str>,
    ) -> Result<Self> {
        let int_col = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<Int32Type>())
        };
        let ts_col = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
        };
        let uses = |f: fn(&KeyKind) -> bool| keys.iter().any(|k| f(&k.kind));
        // Attribute maps are only wrapped (their dictionaries normalized) when a key reads them.
        let cols = KeyColumns {
            rows: batch.num_rows(),
            service_name: text_col(batch, "service_name"),
            resource: if uses(|k| matches!(k, KeyKind::Resource(_))) {
                map_pair(batch, "resource_attributes", "resource_attribute_types")
            } else {
                None
            },
            attrs: if uses(|k| matches!(k, KeyKind::Attr(_) | KeyKind::AllAttrs)) {
                map_pair(batch, "attributes", "attribute_types")
            } else {
                None
            },
            scope_name: text_col(batch, "scope_name"),
            name: text_col(batch, "name").or_else(|| text_col(batch, "metric_name")),
            int_key: int_col("kind").or_else(|| int_col("severity_number")),
            status: int_col("status_code"),
            severity_text: text_col(batch, "severity_text"),
            time: ts_col(time_column),
            fallback_time: fallback_time.and_then(ts_col),
        };
        for k in keys {
            let ok = match &k.kind {
                KeyKind::ServiceName => cols.service_name.is_some(),
                KeyKind::Resource(_) => cols.resource.is_some(),
                KeyKind::Attr(_) | KeyKind::AllAttrs => cols.attrs.is_some(),
                KeyKind::ScopeName => cols.scope_name.is_some(),
                KeyKind::Name | KeyKind::MetricName => cols.name.is_some(),
                KeyKind::Kind | KeyKind::SeverityNumber => cols.int_key.is_some(),
                KeyKind::StatusCode => cols.status.is_some(),
                KeyKind::SeverityText => cols.severity_text.is_some(),
                KeyKind::Window(_) => cols.time.is_some(),
            };
            if !ok {
                return Err(Error::Aggregate(format!(
                    "input batch lacks the {} column needed by the group keys",
                    k.column
                )));
            }
        }
        Ok(cols)
    }

    /// The row's time for windows (ns).
    pub fn row_time(&self, row: usize) -> u64 {
        let t = self.time.map_or(0, |t| t.value(row) as u64);
        match self.fallback_time {
            Some(f) if t == 0 => f.value(row) as u64,
            _ => t,
        }
    }

    /// Appends one code per row for key `k` (interned in `dict`) to `out`.
    pub fn part_codes(&self, k: &KeySpec, dict: &mut PartDict, out: &mut Vec<u32>) {
        let rows = self.rows;
        out.reserve(rows);
        let ints = |col: Option<&PrimitiveArray<Int32Type>>, dict: &mut PartDict, out: &mut _| {
            int_codes(rows, |r| col.map(|c| i64::from(c.value(r))), dict, out);
        };
        match &k.kind {
            KeyKind::ServiceName => {
                text_codes(rows, self.service_name.as_ref(), NullMode::Null, dict, out)
            }
            KeyKind::ScopeName => {
                text_codes(rows, self.scope_name.as_ref(), NullMode::Empty, dict, out)
            }
            KeyKind::Name | KeyKind::MetricName => {
                text_codes(rows, self.name.as_ref(), NullMode::Empty, dict, out);
            }
            KeyKind::SeverityText => {
                text_codes(
                    rows,
                    self.severity_text.as_ref(),
                    NullMode::EmptyIsNull,
                    dict,
                    out,
                );
            }
            KeyKind::Kind | KeyKind::SeverityNumber => ints(self.int_key, dict, out),
            KeyKind::StatusCode => ints(self.status, dict, out),
            KeyKind::Window(w) => {
                let w = (*w).max(1);
                int_codes(
                    rows,
                    |r| {
                        let t = self.row_time(r);
                        Some((t - t % w) as i64)
                    },
                    dict,
                    out,
                );
            }
            KeyKind::Resource(key) => {
                bytes_codes(
                    rows,
                    |r, buf| put_map(buf, self.resource.as_ref(), r, key),
                    dict,
                    out,
                );
            }
            KeyKind::Attr(key) => {
                bytes_codes(
                    rows,
                    |r, buf| put_map(buf, self.attrs.as_ref(), r, key),
                    dict,
                    out,
                );
            }
            KeyKind::AllAttrs => {
                bytes_codes(
                    rows,
                    |r, buf| put_all_attrs(buf, self.attrs.as_ref(), r),
                    dict,
                    out,
                );
            }
        }
    }
}

/// Codes of a string column. A dictionary's entries are encoded and interned
/// on first use only (one hash per distinct value), then reused by index.
fn text_codes(
    rows: usize,
    col: Option<&TextCol>,
    mode: NullMode,
    dict: &mut PartDict,
    out: &mut Vec<u32>,
) {
    let mut buf = Vec::with_capacity(32);
    match col {
        Some(TextCol::Dict {
            keys,
            nulls,
            values,
        }) if values.len() <= rows.max(1024) * 4 => {
            let mut value_codes = vec![u32::MAX; values.len()];
            let mut null_code = u32::MAX;
            for row in 0..rows {
                // Null rows (and every row of an empty dictionary) share one code.
                let k = match nulls {
                    Some(n) if n.is_null(row) => None,
                    _ => keys.get(row).copied(),
                };
                let code = match k {
                    Some(k) => &mut value_codes[k],
                    None => &mut null_code,
                };
                if *code == u32::MAX {
                    put_text(&mut buf, k.and_then(|k| values.get(k)), mode);
                    *code = dict.intern(&buf);
                }
                out.push(*code);
            }
        }
        Some(col) => {
            // Plain strings (or a dictionary far larger than the batch): per row, reusing runs.
            let mut last: Option<(Option<&str>, u32)> = None;
            for row in 0..rows {
                let s = col.get(row);
                let code = match last {
                    Some((prev, code)) if prev == s => code,
                    _ => {
                        put_text(&mut buf, s, mode);
                        dict.intern(&buf)
                    }
                };
                last = Some((s, code));
                out.push(code);
            }
        }
        None => {
            put_opt_str(&mut buf, None);
            let code = dict.intern(&buf);
            out.extend(std::iter::repeat_n(code, rows));
        }
    }
}

/// Codes of an integer key (enum, window start): runs reuse the previous code.
fn int_codes(
    rows: usize,
    value: impl Fn(usize) -> Option<i64>,
    dict: &mut PartDict,
    out: &mut Vec<u32>,
) {
    let mut buf = Vec::with_capacity(9);
    let mut last: Option<(Option<i64>, u32)> = None;
    for row in 0..rows {
        let v = value(row);
        let code = match last {
            Some((prev, code)) if prev == v => code,
            _ => {
                buf.clear();
                put_int(&mut buf, v);
                dict.intern(&buf)
            }
        };
        last = Some((v, code));
        out.push(code);
    }
}

/// Codes of a key encoded per row by `encode` (attribute lookups).
fn bytes_codes(
    rows: usize,
    encode: impl Fn(usize, &mut Vec<u8>),
    dict: &mut PartDict,
    out: &mut Vec<u32>,
) {
    let (mut buf, mut prev) = (Vec::with_capacity(64), Vec::with_capacity(64));
    let mut last = u32::MAX;
    for row in 0..rows {
        buf.clear();
        encode(row, &mut buf);
        if last == u32::MAX || buf != prev {
            last = dict.intern(&buf);
            std::mem::swap(&mut buf, &mut prev);
        }
        out.push(last);
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{MapBuilder, StringBuilder};

    use super::*;
    use crate::aggregate::keys::{decode_part, KeyValue};
    use crate::columns::attributes::TYPE_INT;

    fn map(rows: &[&[(&str, &str)]]) -> MapArray {
        let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        for row in rows {
            for (k, v) in *row {
                b.keys().append_value(k);
                b.values().append_value(v);
            }
            b.append(true).expect("same lengths");
        }
        b.finish()
    }

    /// All attributes render alike whatever the order of either map, and a
    /// type found at another position than its value still applies.
    #[test]
    fn all_attributes_render_alike_in_any_order() {
        let values = map(&[
            &[("a", "x"), ("b", "7"), ("c", "y")],
            &[("c", "y"), ("b", "7"), ("a", "x")],
            &[("b", "7"), ("a", "x"), ("c", "y"), ("a", "x")],
        ]);
        let types = map(&[&[("b", TYPE_INT)], &[("b", TYPE_INT)], &[("b", TYPE_INT)]]);
        let maps = (
            MapCol::of(&values).expect("string map"),
            MapCol::of(&types).expect("string map"),
        );
        let render = |row| {
            let mut buf = Vec::new();
            put_all_attrs(&mut buf, Some(&maps), row);
            buf
        };
        let first = render(0);
        assert_eq!(render(1), first);
        assert_eq!(render(2), first);
        let KeyValue::Attrs(attrs) = decode_part(&first) else {
            panic!("not an attribute list: {first:?}");
        };
        let keys: Vec<_> = attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(attrs[1].1, KeyValue::Int(7));
    }
}
