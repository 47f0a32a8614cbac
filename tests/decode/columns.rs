//! Column readers: one Arrow column (or cell) as plain Rust values.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt32Type, UInt64Type,
};

pub fn column<'a>(b: &'a RecordBatch, name: &str) -> &'a dyn Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_ref()
}

/// A string column's values, plain or dictionary-encoded.
pub fn strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let plain = arrow::compute::cast(column(b, name), &arrow::datatypes::DataType::Utf8)
        .unwrap_or_else(|e| panic!("{name} is no string column: {e}"));
    plain
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect()
}

pub fn str_at(b: &RecordBatch, name: &str, row: usize) -> String {
    strs(b, name)[row]
        .clone()
        .unwrap_or_else(|| panic!("{name}[{row}] is null"))
}

pub fn times(b: &RecordBatch, name: &str) -> Vec<i64> {
    column(b, name)
        .as_primitive::<TimestampNanosecondType>()
        .values()
        .to_vec()
}

pub fn i32s(b: &RecordBatch, name: &str) -> Vec<i32> {
    column(b, name)
        .as_primitive::<Int32Type>()
        .values()
        .to_vec()
}

pub fn u32s(b: &RecordBatch, name: &str) -> Vec<u32> {
    column(b, name)
        .as_primitive::<UInt32Type>()
        .values()
        .to_vec()
}

pub fn u64s(b: &RecordBatch, name: &str) -> Vec<u64> {
    column(b, name)
        .as_primitive::<UInt64Type>()
        .values()
        .to_vec()
}

pub fn f64_opts(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    column(b, name)
        .as_primitive::<Float64Type>()
        .iter()
        .collect()
}

pub fn i64_opts(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    column(b, name).as_primitive::<Int64Type>().iter().collect()
}

pub fn bools(b: &RecordBatch, name: &str) -> Vec<bool> {
    column(b, name)
        .as_boolean()
        .iter()
        .map(|v| v.expect("non-null bool"))
        .collect()
}

pub fn hex_id(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let ids = column(b, name).as_fixed_size_binary();
    ids.is_valid(row)
        .then(|| ids.value(row).iter().map(|x| format!("{x:02x}")).collect())
}

/// A `Map<Utf8, Utf8>` cell as (key, value) pairs in order.
pub fn map_at(b: &RecordBatch, name: &str, row: usize) -> Vec<(String, String)> {
    let entries = column(b, name).as_map().value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| (keys.value(i).to_owned(), values.value(i).to_owned()))
        .collect()
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn list_u64(b: &RecordBatch, name: &str, row: usize) -> Vec<u64> {
    let list = column(b, name).as_list::<i32>().value(row);
    list.as_primitive::<UInt64Type>().values().to_vec()
}

pub fn list_f64(b: &RecordBatch, name: &str, row: usize) -> Vec<f64> {
    let list = column(b, name).as_list::<i32>().value(row);
    list.as_primitive::<Float64Type>().values().to_vec()
}
