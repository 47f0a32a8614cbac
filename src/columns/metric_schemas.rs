//! Schemas of the four metric point tables: `metric_points` (gauge and sum),
//! `histogram_points`, `exp_histogram_points`, `summary_points`, all starting
//! with the same point header.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::common::{
    id_fields, list_of_struct, list_type, timestamp_type, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{attribute_fields, context_fields};

pub const METRIC_NAME: &str = "metric_name";
pub const SERIES_ID: &str = "series_id";
pub const START: &str = "start_time_unix_nano";
pub const TIME: &str = "time_unix_nano";

pub(super) fn exemplar_fields() -> Vec<Field> {
    let mut f: Vec<Field> = attribute_fields("filtered_").into();
    f.push(Field::new("time_unix_nano", timestamp_type(), false));
    f.push(Field::new("as_double", DataType::Float64, true));
    f.push(Field::new("as_int", DataType::Int64, true));
    f.extend(id_fields("span_id", SPAN_ID_LEN));
    f.extend(id_fields("trace_id", TRACE_ID_LEN));
    f
}

fn header_fields() -> Vec<Field> {
    let mut f = context_fields();
    f.push(Field::new(METRIC_NAME, super::dict::dict_type(), false));
    f.push(Field::new("metric_description", DataType::Utf8, false));
    f.push(Field::new("metric_unit", DataType::Utf8, false));
    f.push(Field::new(SERIES_ID, DataType::UInt64, false));
    f.push(Field::new(START, timestamp_type(), false));
    f.push(Field::new(TIME, timestamp_type(), false));
    f.extend(attribute_fields(""));
    f.push(Field::new("flags", DataType::UInt32, false));
    f.push(Field::new(
        "exemplars",
        list_of_struct(exemplar_fields()),
        false,
    ));
    f
}

fn schema_with(cell: &'static OnceLock<SchemaRef>, tail: fn() -> Vec<Field>) -> SchemaRef {
    cell.get_or_init(|| {
        let mut f = header_fields();
        f.extend(tail());
        Arc::new(Schema::new(f))
    })
    .clone()
}

pub fn number_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    schema_with(&S, || {
        vec![
            Field::new("metric_type", DataType::Utf8, false),
            Field::new("aggregation_temporality", DataType::Int32, false),
            Field::new("is_monotonic", DataType::Boolean, false),
            Field::new("as_double", DataType::Float64, true),
            Field::new("as_int", DataType::Int64, true),
        ]
    })
}

/// Temporality, count, sum, min and max: the head of both histogram tables.
fn histogram_stats_fields() -> Vec<Field> {
    vec![
        Field::new("aggregation_temporality", DataType::Int32, false),
        Field::new("count", DataType::UInt64, false),
        Field::new("sum", DataType::Float64, true),
        Field::new("min", DataType::Float64, true),
        Field::new("max", DataType::Float64, true),
    ]
}

pub fn histogram_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    schema_with(&S, || {
        let mut f = histogram_stats_fields();
        f.push(Field::new(
            "bucket_counts",
            list_type(DataType::UInt64),
            false,
        ));
        f.push(Field::new(
            "explicit_bounds",
            list_type(DataType::Float64),
            false,
        ));
        f
    })
}

pub fn exp_histogram_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    schema_with(&S, || {
        let mut f = histogram_stats_fields();
        f.extend([
            Field::new("scale", DataType::Int32, false),
            Field::new("zero_count", DataType::UInt64, false),
            Field::new("zero_threshold", DataType::Float64, false),
            Field::new("positive_offset", DataType::Int32, false),
            Field::new("positive_bucket_counts", list_type(DataType::UInt64), false),
            Field::new("negative_offset", DataType::Int32, false),
            Field::new("negative_bucket_counts", list_type(DataType::UInt64), false),
        ]);
        f
    })
}

pub fn summary_fields() -> Vec<Field> {
    vec![
        Field::new("quantile", DataType::Float64, false),
        Field::new("value", DataType::Float64, false),
    ]
}

pub fn summary_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    schema_with(&S, || {
        vec![
            Field::new("count", DataType::UInt64, false),
            Field::new("sum", DataType::Float64, false),
            Field::new("quantile_values", list_of_struct(summary_fields()), false),
        ]
    })
}
