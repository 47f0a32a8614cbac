//! The resource and scope context every row carries, and reading single cells
//! of the Parquet tables back into OTLP values (ids, attributes, typed values).

use super::*;

/// The resource and scope a row belongs to, as `convert` keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub resource: Resource,
    pub resource_schema_url: String,
    pub scope: InstrumentationScope,
    pub scope_schema_url: String,
}

pub(super) fn context(
    resource: &Option<Resource>,
    rurl: &str,
    scope: &Option<InstrumentationScope>,
    surl: &str,
) -> Context {
    Context {
        // An absent resource or scope has the same columns as an empty one.
        resource: resource.clone().unwrap_or_default(),
        resource_schema_url: rurl.into(),
        scope: scope.clone().unwrap_or_default(),
        scope_schema_url: surl.into(),
    }
}

// Reconstruction (Parquet side).

/// The batch with dictionary-encoded string columns cast to plain Utf8, so
/// cells read the same whatever the encoding.
pub fn plain_strings(batch: &RecordBatch) -> RecordBatch {
    use arrow::datatypes::{DataType, Field, Schema};
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if let DataType::Dictionary(_, v) = f.data_type() {
            columns.push(arrow::compute::cast(c, v).expect("dictionary to its value type"));
            fields.push(Field::new(f.name(), (**v).clone(), f.is_nullable()));
        } else {
            columns.push(c.clone());
            fields.push(f.as_ref().clone());
        }
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns).expect("same columns")
}

pub fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    let c = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has type {}", c.data_type()))
}

pub(super) fn struct_col<'a, T: 'static>(s: &'a StructArray, name: &str) -> &'a T {
    let c = s
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no field {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("field {name} has type {}", c.data_type()))
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 {text:?}"),
        }
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (value(c) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter().copied());
    }
    out
}

/// OTLP/JSON value (as `convert` renders nested values) back to an AnyValue.
fn json_any_value(v: &serde_json::Value) -> AnyValue {
    let obj = v.as_object().expect("AnyValue JSON is an object");
    let Some((k, x)) = obj.iter().next() else {
        return AnyValue { value: None };
    };
    let value = match k.as_str() {
        "stringValue" => Value::StringValue(x.as_str().unwrap().into()),
        "boolValue" => Value::BoolValue(x.as_bool().unwrap()),
        "intValue" => Value::IntValue(
            x.as_str()
                .map_or_else(|| x.as_i64().unwrap(), |s| s.parse().unwrap()),
        ),
        "doubleValue" => Value::DoubleValue(
            x.as_str()
                .map_or_else(|| x.as_f64().unwrap(), |s| s.parse().unwrap()),
        ),
        "bytesValue" => Value::BytesValue(base64_decode(x.as_str().unwrap())),
        "arrayValue" => Value::ArrayValue(ArrayValue {
            values: json_values(&x["values"]),
        }),
        "kvlistValue" => Value::KvlistValue(KeyValueList {
            values: json_key_values(&x["values"]),
        }),
        other => panic!("unknown AnyValue key {other}"),
    };
    AnyValue { value: Some(value) }
}

fn json_values(v: &serde_json::Value) -> Vec<AnyValue> {
    v.as_array()
        .map(|a| a.iter().map(json_any_value).collect())
        .unwrap_or_default()
}

fn json_key_values(v: &serde_json::Value) -> Vec<KeyValue> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| KeyValue {
                    key: kv["key"].as_str().unwrap().into(),
                    value: kv.get("value").map(json_any_value),
                    ..Default::default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A value column entry and its type tag back to the OTLP value.
pub fn typed_value(text: &str, tag: Option<&str>) -> AnyValue {
    let value = match tag {
        None => Value::StringValue(text.into()),
        Some("bool") => Value::BoolValue(text.parse().unwrap()),
        Some("int") => Value::IntValue(text.parse().unwrap()),
        Some("double") => Value::DoubleValue(text.parse().unwrap()),
        Some("bytes") => Value::BytesValue(base64_decode(text)),
        Some("array") => Value::ArrayValue(ArrayValue {
            values: json_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("kvlist") => Value::KvlistValue(KeyValueList {
            values: json_key_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("empty") => return AnyValue { value: None },
        Some(other) => panic!("unknown type tag {other}"),
    };
    AnyValue { value: Some(value) }
}

fn map_entries(map: &MapArray, row: usize) -> Vec<(String, Option<String>)> {
    let entries = map.value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| {
            (
                keys.value(i).to_owned(),
                values.is_valid(i).then(|| values.value(i).to_owned()),
            )
        })
        .collect()
}

/// An attribute map and its `*_types` sibling back to key-values.
pub fn attributes_at(values: &MapArray, types: &MapArray, row: usize) -> Vec<KeyValue> {
    let tags: HashMap<String, String> = map_entries(types, row)
        .into_iter()
        .map(|(k, v)| (k, v.expect("type tag")))
        .collect();
    map_entries(values, row)
        .into_iter()
        .map(|(key, value)| {
            let tag = tags.get(&key).map(String::as_str);
            let value = typed_value(value.as_deref().expect("attribute value"), tag);
            KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            }
        })
        .collect()
}

pub(super) fn attrs(batch: &RecordBatch, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(
        col::<MapArray>(batch, name),
        col::<MapArray>(batch, types),
        row,
    )
}

/// An id back to bytes: the fixed-width column, else its `_raw` sibling, else empty.
fn id_at(fixed: &FixedSizeBinaryArray, raw: &arrow::array::BinaryArray, row: usize) -> Vec<u8> {
    assert!(
        !(fixed.is_valid(row) && raw.is_valid(row)),
        "an id is in both its fixed and raw column"
    );
    if fixed.is_valid(row) {
        fixed.value(row).to_vec()
    } else if raw.is_valid(row) {
        raw.value(row).to_vec()
    } else {
        vec![]
    }
}

pub(super) fn id(batch: &RecordBatch, name: &str, row: usize) -> Vec<u8> {
    id_at(col(batch, name), col(batch, &format!("{name}_raw")), row)
}

pub(super) fn struct_id(s: &StructArray, name: &str, row: usize) -> Vec<u8> {
    id_at(
        struct_col(s, name),
        struct_col(s, &format!("{name}_raw")),
        row,
    )
}

pub(super) fn struct_attrs(s: &StructArray, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(struct_col(s, name), struct_col(s, types), row)
}

pub(super) fn time(batch: &RecordBatch, name: &str, row: usize) -> u64 {
    col::<TimestampNanosecondArray>(batch, name).value(row) as u64
}

pub(super) fn string(batch: &RecordBatch, name: &str, row: usize) -> String {
    col::<StringArray>(batch, name).value(row).to_owned()
}

pub(super) fn u32_at(batch: &RecordBatch, name: &str, row: usize) -> u32 {
    col::<UInt32Array>(batch, name).value(row)
}

pub(super) fn i32_at(batch: &RecordBatch, name: &str, row: usize) -> i32 {
    col::<Int32Array>(batch, name).value(row)
}

pub(super) fn opt_f64(batch: &RecordBatch, name: &str, row: usize) -> Option<f64> {
    let c = col::<Float64Array>(batch, name);
    c.is_valid(row).then(|| c.value(row))
}

pub(super) fn u64_list(batch: &RecordBatch, name: &str, row: usize) -> Vec<u64> {
    let l = col::<ListArray>(batch, name).value(row);
    l.as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .to_vec()
}

/// The items of a `List<Struct>` cell.
pub(super) fn struct_list(batch: &RecordBatch, name: &str, row: usize) -> StructArray {
    col::<ListArray>(batch, name).value(row).as_struct().clone()
}

pub fn context_at(batch: &RecordBatch, row: usize) -> Context {
    let resource = Resource {
        attributes: attrs(
            batch,
            "resource_attributes",
            "resource_attribute_types",
            row,
        ),
        dropped_attributes_count: u32_at(batch, "resource_dropped_attributes_count", row),
        ..Default::default()
    };
    // service_name mirrors the string attribute service.name.
    let service = col::<StringArray>(batch, "service_name");
    let expected = resource
        .attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        });
    assert_eq!(
        service.is_valid(row).then(|| service.value(row).to_owned()),
        expected,
        "service_name of row {row}"
    );
    Context {
        resource,
        resource_schema_url: string(batch, "resource_schema_url", row),
        scope: InstrumentationScope {
            name: string(batch, "scope_name", row),
            version: string(batch, "scope_version", row),
            attributes: attrs(batch, "scope_attributes", "scope_attribute_types", row),
            dropped_attributes_count: u32_at(batch, "scope_dropped_attributes_count", row),
        },
        scope_schema_url: string(batch, "scope_schema_url", row),
    }
}
