//! `--format table`, the output for people: aligned columns, durations with
//! units, floats to four significant digits, RFC 3339 times, all-null
//! columns left out, and metrics as one compact table per metric type.

use std::io::{self, Write};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::export::human;

/// Metric types in the order their tables print (others follow as they occur).
const METRIC_TYPES: [&str; 5] = [
    "gauge",
    "sum",
    "histogram",
    "exponential_histogram",
    "summary",
];

/// One printable column: its header, its cells, and whether it aligns right.
struct TextColumn {
    header: String,
    cells: Vec<String>,
    numeric: bool,
}

/// Writes `batch` for people; a metrics result (it has `metric.type`) prints
/// one table per metric type under a heading.
pub fn write_table(batch: &RecordBatch, out: &mut dyn Write) -> io::Result<()> {
    match batch.column_by_name("metric.type") {
        Some(types) if batch.num_rows() > 0 => write_metric_tables(batch, types, out),
        _ => {
            let columns = text_columns(batch, |_| true)?;
            write_aligned(&columns, batch.num_rows(), out)
        }
    }
}

fn write_metric_tables(
    batch: &RecordBatch,
    types: &ArrayRef,
    out: &mut dyn Write,
) -> io::Result<()> {
    let names = string_cells(types)?;
    let mut order: Vec<&str> = METRIC_TYPES.to_vec();
    for name in &names {
        if !order.contains(&name.as_str()) {
            order.push(name);
        }
    }
    let mut first = true;
    for kind in order {
        let rows: Vec<u32> = (0..names.len() as u32)
            .filter(|&r| names[r as usize] == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let part = arrow::compute::take_record_batch(batch, &UInt32Array::from(rows))
            .map_err(io::Error::other)?;
        if !first {
            writeln!(out)?;
        }
        first = false;
        let noun = if part.num_rows() == 1 { "row" } else { "rows" };
        writeln!(out, "{kind} ({} {noun})", part.num_rows())?;
        let columns = text_columns(&part, |name| name != "metric.type")?;
        write_aligned(&columns, part.num_rows(), out)?;
    }
    Ok(())
}

/// The batch's printable columns, in order: those `keep` accepts, bucket
/// lists shown as one bucket count, all-null columns left out (unless the
/// batch has no rows, where the header is all there is to show).
fn text_columns(batch: &RecordBatch, keep: impl Fn(&str) -> bool) -> io::Result<Vec<TextColumn>> {
    let schema = batch.schema();
    let mut columns = Vec::new();
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if !keep(name) || (batch.num_rows() > 0 && array.null_count() == array.len()) {
            continue;
        }
        let column = match name {
            // Offsets and bounds mean nothing without the bucket lists; the
            // exponential count covers both signs in the positive list's place.
            "explicit_bounds"
            | "positive_offset"
            | "negative_offset"
            | "negative_bucket_counts" => continue,
            "bucket_counts" => bucket_column(&[array])?,
            "positive_bucket_counts" => {
                let negative = batch.column_by_name("negative_bucket_counts");
                bucket_column(
                    &[Some(array), negative]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>(),
                )?
            }
            _ => text_column(name, array)?,
        };
        columns.push(column);
    }
    Ok(columns)
}

/// `buckets`: how many buckets the row's lists hold together.
fn bucket_column(lists: &[&ArrayRef]) -> io::Result<TextColumn> {
    let len = lists.first().map_or(0, |l| l.len());
    let mut cells = Vec::with_capacity(len);
    for row in 0..len {
        let mut total = None;
        for list in lists {
            let list = list
                .as_list_opt::<i32>()
                .ok_or_else(|| io::Error::other("bucket column is not a list"))?;
            if list.is_valid(row) {
                total = Some(total.unwrap_or(0) + list.value_length(row));
            }
        }
        cells.push(total.map_or_else(String::new, |n| n.to_string()));
    }
    Ok(TextColumn {
        header: "buckets".into(),
        cells,
        numeric: true,
    })
}

/// Value columns have plain names; key columns (`service.name`, `attr.*`, …)
/// contain a dot and print exactly, since rounding could merge distinct keys.
fn is_value_column(name: &str) -> bool {
    !name.contains('.')
}

fn text_column(name: &str, array: &ArrayRef) -> io::Result<TextColumn> {
    let value = is_value_column(name);
    let cells = |f: &dyn Fn(usize) -> String| -> Vec<String> {
        (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    String::new()
                } else {
                    f(i)
                }
            })
            .collect()
    };
    let duration_header = name.strip_suffix("_ns").filter(|_| value);
    let (header, cells, numeric) = match (array.data_type(), duration_header) {
        (DataType::UInt64, Some(header)) => {
            let a = array.as_primitive::<UInt64Type>();
            let cells = cells(&|i| human::duration(i128::from(a.value(i))));
            (header.to_owned(), cells, true)
        }
        (DataType::Int64, Some(header)) => {
            let a = array.as_primitive::<Int64Type>();
            let cells = cells(&|i| human::duration(i128::from(a.value(i))));
            (header.to_owned(), cells, true)
        }
        (DataType::Float64, _) if value => {
            let a = array.as_primitive::<Float64Type>();
            (name.to_owned(), cells(&|i| human::float(a.value(i))), true)
        }
        (DataType::Timestamp(..), _) => {
            let a = array
                .as_primitive_opt::<TimestampNanosecondType>()
                .ok_or_else(|| {
                    io::Error::other(format!("column {name}: timestamps are not in nanoseconds"))
                })?;
            let digits = human::time_digits(a.iter().flatten());
            (
                name.to_owned(),
                cells(&|i| human::time(a.value(i), digits)),
                false,
            )
        }
        (DataType::Utf8, _) => {
            let a = array.as_string::<i32>();
            (name.to_owned(), cells(&|i| human::text(a.value(i))), false)
        }
        (dt, _) => {
            let numeric = dt.is_numeric();
            let options = FormatOptions::default().with_null("");
            let f = ArrayFormatter::try_new(array.as_ref(), &options).map_err(io::Error::other)?;
            (name.to_owned(), cells(&|i| f.value(i).to_string()), numeric)
        }
    };
    Ok(TextColumn {
        header,
        cells,
        numeric,
    })
}

fn string_cells(array: &ArrayRef) -> io::Result<Vec<String>> {
    let options = FormatOptions::default().with_null("");
    let f = ArrayFormatter::try_new(array.as_ref(), &options).map_err(io::Error::other)?;
    Ok((0..array.len()).map(|i| f.value(i).to_string()).collect())
}

/// Header, dashes, rows; two spaces between columns; numbers align right.
fn write_aligned(columns: &[TextColumn], rows: usize, out: &mut dyn Write) -> io::Result<()> {
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| {
            c.cells
                .iter()
                .map(|s| s.chars().count())
                .chain([c.header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cell: &dyn Fn(&TextColumn) -> &str| -> String {
        let parts: Vec<String> = columns
            .iter()
            .zip(&widths)
            .map(|(c, &w)| {
                if c.numeric {
                    format!("{:>w$}", cell(c))
                } else {
                    format!("{:<w$}", cell(c))
                }
            })
            .collect();
        parts.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(&|c| c.header.as_str()))?;
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    writeln!(out, "{}", dashes.join("  "))?;
    for row in 0..rows {
        writeln!(out, "{}", line(&|c| c.cells[row].as_str()))?;
    }
    Ok(())
}
