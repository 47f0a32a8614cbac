//! Finish: group keys decoded into typed key columns, rows sorted by key
//! (nulls last, then window_start), value columns taken in that order; in
//! parallel over columns, allocation-light in the number of groups.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use rayon::prelude::*;

use super::groups::GroupTable;
use super::keys::{compare_values, KeyKind, KeySpec, KeyValue};
use crate::columns::common::timestamp_type;
use crate::error::{Error, Result};

pub fn span_kind_name(k: i64) -> String {
    match k {
        0 => "SPAN_KIND_UNSPECIFIED".into(),
        1 => "SPAN_KIND_INTERNAL".into(),
        2 => "SPAN_KIND_SERVER".into(),
        3 => "SPAN_KIND_CLIENT".into(),
        4 => "SPAN_KIND_PRODUCER".into(),
        5 => "SPAN_KIND_CONSUMER".into(),
        other => other.to_string(),
    }
}

pub fn status_code_name(c: i64) -> String {
    match c {
        0 => "STATUS_CODE_UNSET".into(),
        1 => "STATUS_CODE_OK".into(),
        2 => "STATUS_CODE_ERROR".into(),
        other => other.to_string(),
    }
}

/// How an output key column is typed.
#[derive(Clone)]
enum ColumnKind {
    Inferred,
    Int32,
    Timestamp,
}

fn render(v: &KeyValue) -> Option<String> {
    match v {
        KeyValue::Null | KeyValue::Attrs(_) => None,
        KeyValue::Str(s) => Some(s.clone()),
        KeyValue::Int(i) => Some(i.to_string()),
        KeyValue::Double(d) => Some(d.to_string()),
        KeyValue::Bool(b) => Some(b.to_string()),
    }
}

fn int_of(v: &KeyValue) -> Option<i64> {
    match v {
        KeyValue::Int(i) => Some(*i),
        _ => None,
    }
}

/// Builds one key column; inferred columns keep a single JSON type when all values share it.
fn key_array(kind: &ColumnKind, values: &[&KeyValue]) -> (DataType, ArrayRef) {
    match kind {
        ColumnKind::Int32 => {
            let a: Int32Array = values.iter().map(|v| int_of(v).map(|i| i as i32)).collect();
            (DataType::Int32, Arc::new(a))
        }
        ColumnKind::Timestamp => {
            let a: TimestampNanosecondArray = values.iter().map(|v| int_of(v)).collect();
            (timestamp_type(), Arc::new(a.with_timezone("UTC")))
        }
        ColumnKind::Inferred => {
            let present: Vec<&KeyValue> = values
                .iter()
                .copied()
                .filter(|v| **v != KeyValue::Null)
                .collect();
            let all =
                |f: fn(&KeyValue) -> bool| !present.is_empty() && present.iter().all(|v| f(v));
            if all(|v| matches!(v, KeyValue::Int(_))) {
                let a: Int64Array = values.iter().map(|v| int_of(v)).collect();
                (DataType::Int64, Arc::new(a))
            } else if all(|v| matches!(v, KeyValue::Int(_) | KeyValue::Double(_))) {
                let a: Float64Array = values
                    .iter()
                    .map(|v| match v {
                        KeyValue::Int(i) => Some(*i as f64),
                        KeyValue::Double(d) => Some(*d),
                        _ => None,
                    })
                    .collect();
                (DataType::Float64, Arc::new(a))
            } else if all(|v| matches!(v, KeyValue::Bool(_))) {
                let a: BooleanArray = values
                    .iter()
                    .map(|v| match v {
                        KeyValue::Bool(b) => Some(*b),
                        _ => None,
                    })
                    .collect();
                (DataType::Boolean, Arc::new(a))
            } else {
                let a: StringArray = values.iter().map(|v| render(v)).collect();
                (DataType::Utf8, Arc::new(a))
            }
        }
    }
}

fn column_kind(kind: &KeyKind) -> ColumnKind {
    match kind {
        KeyKind::SeverityNumber => ColumnKind::Int32,
        KeyKind::Window(_) => ColumnKind::Timestamp,
        _ => ColumnKind::Inferred,
    }
}

/// One output key column: its name, type, the key part it reads and, for an
/// expanded `attr.*`, the attribute it takes from that part.
struct LayoutColumn {
    name: String,
    kind: ColumnKind,
    part: usize,
    attr: Option<String>,
}

/// Dense ranks of `values` in output order (equal values share a rank), so
/// groups sort by comparing small integers.
fn ranks(values: &[&KeyValue]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..values.len() as u32).collect();
    idx.sort_by(|&a, &b| compare_values(values[a as usize], values[b as usize]));
    let mut rank = vec![0u32; values.len()];
    let mut r = 0u32;
    for (i, w) in idx.iter().enumerate() {
        if i > 0 && compare_values(values[idx[i - 1] as usize], values[*w as usize]).is_ne() {
            r += 1;
        }
        rank[*w as usize] = r;
    }
    rank
}

/// Assembles the result: key columns (with `attr.*` expanded into one column
/// per attribute key seen), an optional `suffix_column` holding the extra key
/// component, then `values` (in group-id order), all sorted by key. Each
/// part's distinct values are decoded and ranked once; groups sort by rank
/// tuples (stable, parallel) and every column is built on its own task.
pub fn finish_batch(
    keys: &[KeySpec],
    groups: &GroupTable,
    suffix_column: Option<&str>,
    values: Vec<(Field, ArrayRef)>,
) -> Result<RecordBatch> {
    let n_parts = keys.len() + usize::from(suffix_column.is_some());
    let n_groups = groups.len();
    if n_groups > 0 && groups.n_parts() != n_parts {
        return Err(Error::Aggregate(format!(
            "group keys have {} parts, expected {n_parts}",
            groups.n_parts()
        )));
    }
    let mut decoded: Vec<Vec<KeyValue>> = (0..n_parts)
        .into_par_iter()
        .map(|p| {
            if n_groups == 0 {
                Vec::new()
            } else {
                groups.part(p).decode_all()
            }
        })
        .collect();
    // Enum keys print (and therefore sort) as their OTLP names.
    for (i, spec) in keys.iter().enumerate() {
        let name: fn(i64) -> String = match spec.kind {
            KeyKind::Kind => span_kind_name,
            KeyKind::StatusCode => status_code_name,
            _ => continue,
        };
        for v in &mut decoded[i] {
            if let KeyValue::Int(n) = *v {
                *v = KeyValue::Str(name(n));
            }
        }
    }

    // Column layout: each key, `attr.*` expanded to the sorted union of attribute keys.
    let mut layout: Vec<LayoutColumn> = Vec::new();
    for (i, spec) in keys.iter().enumerate() {
        if spec.kind == KeyKind::AllAttrs {
            let names: BTreeSet<&str> = decoded[i]
                .iter()
                .filter_map(|v| match v {
                    KeyValue::Attrs(a) => Some(a.iter().map(|(k, _)| k.as_str())),
                    _ => None,
                })
                .flatten()
                .collect();
            for name in names {
                layout.push(LayoutColumn {
                    name: format!("attr.{name}"),
                    kind: ColumnKind::Inferred,
                    part: i,
                    attr: Some(name.to_owned()),
                });
            }
        } else {
            layout.push(LayoutColumn {
                name: spec.column.clone(),
                kind: column_kind(&spec.kind),
                part: i,
                attr: None,
            });
        }
    }
    if let Some(name) = suffix_column {
        layout.push(LayoutColumn {
            name: name.to_owned(),
            kind: ColumnKind::Inferred,
            part: keys.len(),
            attr: None,
        });
    }
    const NULL: KeyValue = KeyValue::Null;
    // Per layout column, the value of each code of its part, and its rank.
    let per_code: Vec<Vec<&KeyValue>> = layout
        .par_iter()
        .map(|c| {
            decoded[c.part]
                .iter()
                .map(|v| match (&c.attr, v) {
                    (Some(name), KeyValue::Attrs(a)) => {
                        a.iter().find(|(k, _)| k == name).map_or(&NULL, |(_, v)| v)
                    }
                    (_, v) => v,
                })
                .collect()
        })
        .collect();
    let rank: Vec<Vec<u32>> = per_code.par_iter().map(|v| ranks(v)).collect();
    let sort_key = |g: u32| {
        let codes = groups.codes(g as usize);
        layout
            .iter()
            .zip(&rank)
            .map(move |(c, r)| r[codes[c.part] as usize])
    };
    let mut order: Vec<u32> = (0..n_groups as u32).collect();
    // Stable: groups with equal keys keep their first-seen order.
    order.par_sort_by(|&a, &b| sort_key(a).cmp(sort_key(b)));

    let key_columns: Vec<(Field, ArrayRef)> = layout
        .par_iter()
        .zip(&per_code)
        .map(|(c, vals)| {
            let column: Vec<&KeyValue> = order
                .iter()
                .map(|&g| vals[groups.codes(g as usize)[c.part] as usize])
                .collect();
            let (dt, array) = key_array(&c.kind, &column);
            (Field::new(&c.name, dt, true), array)
        })
        .collect();
    let indices = UInt32Array::from(order);
    let value_columns: Vec<(Field, ArrayRef)> = values
        .into_par_iter()
        .map(|(field, array)| {
            arrow::compute::take(&array, &indices, None)
                .map(|taken| (field, taken))
                .map_err(|e| Error::Aggregate(e.to_string()))
        })
        .collect::<Result<_>>()?;
    let (fields, columns): (Vec<Field>, Vec<ArrayRef>) =
        key_columns.into_iter().chain(value_columns).unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Aggregate(e.to_string()))
}
