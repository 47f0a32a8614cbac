//! Printing result batches: the table for people (`export::table`), CSV
//! (`export::csv`), and JSON Lines whose keys are the column
//! names and whose timestamps are integer ns.

use std::io::{self, Write};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value};

use crate::cli::TableFormat;

/// Prints `batch`; CSV rows are formatted on `pool`.
pub fn write_batch(
    batch: &RecordBatch,
    format: TableFormat,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        TableFormat::Table => crate::export::table::write_table(batch, out),
        TableFormat::Csv => crate::export::csv::write_csv(batch, pool, out),
        TableFormat::Json => write_json_lines(batch, out),
    }
}

/// A cell as JSON, keeping numbers numbers and timestamps integer nanoseconds.
fn json_value(col: &dyn Array, row: usize) -> Value {
    if col.is_null(row) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => Value::from(col.as_string::<i32>().value(row)),
        DataType::Boolean => Value::from(col.as_boolean().value(row)),
        DataType::Int32 => Value::from(col.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => Value::from(col.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => Value::from(col.as_primitive::<UInt64Type>().value(row)),
        DataType::Timestamp(..) => {
            Value::from(col.as_primitive::<TimestampNanosecondType>().value(row))
        }
        DataType::Float64 => {
            let v = col.as_primitive::<Float64Type>().value(row);
            // JSON has no NaN or infinities: those print as strings.
            serde_json::Number::from_f64(v)
                .map_or_else(|| Value::from(v.to_string()), Value::Number)
        }
        DataType::List(_) => {
            let items = col.as_list::<i32>().value(row);
            Value::Array(
                (0..items.len())
                    .map(|i| json_value(items.as_ref(), i))
                    .collect(),
            )
        }
        _ => {
            let options = FormatOptions::default();
            ArrayFormatter::try_new(col, &options)
                .map_or(Value::Null, |f| Value::from(f.value(row).to_string()))
        }
    }
}

fn write_json_lines(batch: &RecordBatch, out: &mut dyn Write) -> io::Result<()> {
    let schema = batch.schema();
    for row in 0..batch.num_rows() {
        let obj: Map<String, Value> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, c)| (f.name().clone(), json_value(c.as_ref(), row)))
            .collect();
        writeln!(out, "{}", Value::Object(obj))?;
    }
    Ok(())
}
