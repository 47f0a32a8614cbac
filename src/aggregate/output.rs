//! Finish: group keys decoded into typed key columns, rows sorted by key
//! (nulls last, then window_start), value columns taken in that order.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};

use super::groups::GroupTable;
use super::keys::{compare_keys, decode_key, KeyKind, KeySpec, KeyValue};
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

/// Assembles the result: key columns (with `attr.*` expanded into one column
/// per attribute key seen), an optional `suffix_column` holding the extra key
/// component, then `values` (in group-id order), all sorted by key.
pub fn finish_batch(
    keys: &[KeySpec],
    groups: &GroupTable,
    suffix_column: Option<&str>,
    values: Vec<(Field, ArrayRef)>,
) -> Result<RecordBatch> {
    let n_parts = keys.len() + usize::from(suffix_column.is_some());
    let mut decoded: Vec<Vec<KeyValue>> = groups
        .keys()
        .iter()
        .map(|k| decode_key(k, n_parts))
        .collect();
    // Enum keys print (and therefore sort) as their OTLP names.
    for (i, spec) in keys.iter().enumerate() {
        let name: fn(i64) -> String = match spec.kind {
            KeyKind::Kind => span_kind_name,
            KeyKind::StatusCode => status_code_name,
            _ => continue,
        };
        for row in &mut decoded {
            if let KeyValue::Int(v) = row[i] {
                row[i] = KeyValue::Str(name(v));
            }
        }
    }

    // Column layout: each key, `attr.*` expanded to the sorted union of attribute keys.
    let mut layout: Vec<(String, ColumnKind, usize, Option<String>)> = Vec::new();
    for (i, spec) in keys.iter().enumerate() {
        if spec.kind == KeyKind::AllAttrs {
            let names: BTreeSet<&str> = decoded
                .iter()
                .filter_map(|row| match &row[i] {
                    KeyValue::Attrs(a) => Some(a.iter().map(|(k, _)| k.as_str())),
                    _ => None,
                })
                .flatten()
                .collect();
            for name in names {
                layout.push((
                    format!("attr.{name}"),
                    ColumnKind::Inferred,
                    i,
                    Some(name.to_owned()),
                ));
            }
        } else {
            layout.push((spec.column.clone(), column_kind(&spec.kind), i, None));
        }
    }
    if let Some(name) = suffix_column {
        layout.push((name.to_owned(), ColumnKind::Inferred, keys.len(), None));
    }
    const NULL: KeyValue = KeyValue::Null;
    let flat: Vec<Vec<&KeyValue>> = decoded
        .iter()
        .map(|row| {
            layout
                .iter()
                .map(|(_, _, i, attr)| match (attr, &row[*i]) {
                    (Some(name), KeyValue::Attrs(a)) => {
                        a.iter().find(|(k, _)| k == name).map_or(&NULL, |(_, v)| v)
                    }
                    (_, v) => v,
                })
                .collect()
        })
        .collect();

    let mut order: Vec<u32> = (0..flat.len() as u32).collect();
    order.sort_by(|&a, &b| compare_keys(&flat[a as usize], &flat[b as usize]));

    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (c, (name, kind, _, _)) in layout.iter().enumerate() {
        let vals: Vec<&KeyValue> = order.iter().map(|&g| flat[g as usize][c]).collect();
        let (dt, array) = key_array(kind, &vals);
        fields.push(Field::new(name, dt, true));
        columns.push(array);
    }
    let indices = UInt32Array::from(order);
    for (field, array) in values {
        let taken = arrow::compute::take(&array, &indices, None)
            .map_err(|e| Error::Aggregate(e.to_string()))?;
        fields.push(field);
        columns.push(taken);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Aggregate(e.to_string()))
}
