//! CSV output (RFC 4180 quoting, exact values, RFC 3339 timestamps): rows
//! are formatted in blocks on a rayon pool, straight into byte
//! buffers without a string per cell, and written in order a few blocks at
//! a time, so a result of millions of groups streams out on every core.

use std::io::{self, Write};

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, TimestampNanosecondType};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use rayon::prelude::*;

use crate::export::format::write_rfc3339_nanos;

/// Rows formatted per task.
const BLOCK_ROWS: usize = 16_384;
/// Blocks formatted per thread before they are written (bounds memory).
const BLOCKS_PER_THREAD: usize = 4;

/// How one column's cells are written.
enum Cells<'a> {
    Time(&'a PrimitiveArray<TimestampNanosecondType>),
    Text(&'a StringArray),
    /// Numbers and booleans: never quoted.
    Plain(ArrayFormatter<'a>),
    /// Anything else (lists, ...): formatted, then quoted when it needs it.
    Quoted(ArrayFormatter<'a>),
}

impl<'a> Cells<'a> {
    fn of(col: &'a ArrayRef, options: &'a FormatOptions<'a>) -> io::Result<Self> {
        let formatter = || ArrayFormatter::try_new(col.as_ref(), options).map_err(io::Error::other);
        Ok(match col.data_type() {
            DataType::Timestamp(..) => match col.as_primitive_opt::<TimestampNanosecondType>() {
                Some(ts) => Cells::Time(ts),
                None => Cells::Quoted(formatter()?),
            },
            DataType::Utf8 => Cells::Text(col.as_string::<i32>()),
            t if t.is_numeric() || *t == DataType::Boolean => Cells::Plain(formatter()?),
            _ => Cells::Quoted(formatter()?),
        })
    }

    fn write(&self, row: usize, out: &mut Vec<u8>, scratch: &mut String) -> io::Result<()> {
        match self {
            Cells::Time(ts) if ts.is_valid(row) => write_rfc3339_nanos(out, ts.value(row)),
            Cells::Time(_) => {}
            Cells::Text(s) if s.is_valid(row) => put_field(out, s.value(row)),
            Cells::Text(_) => {}
            Cells::Plain(f) => write!(out, "{}", f.value(row))?,
            Cells::Quoted(f) => {
                use std::fmt::Write as _;
                scratch.clear();
                write!(scratch, "{}", f.value(row)).map_err(io::Error::other)?;
                put_field(out, scratch);
            }
        }
        Ok(())
    }
}

/// A field, quoted (with doubled quotes) when it holds a separator, quote or line break.
fn put_field(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for part in s.split_inclusive('"') {
        out.extend_from_slice(part.as_bytes());
        if part.ends_with('"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Rows `rows` of `batch` as CSV lines.
fn format_block(batch: &RecordBatch, rows: std::ops::Range<usize>) -> io::Result<Vec<u8>> {
    let options = FormatOptions::default().with_null("");
    let cells = batch
        .columns()
        .iter()
        .map(|c| Cells::of(c, &options))
        .collect::<io::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows.len() * 16 * cells.len());
    let mut scratch = String::new();
    for row in rows {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            c.write(row, &mut out, &mut scratch)?;
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// Writes `batch` as CSV with a header line, formatting on `pool`.
pub fn write_csv(
    batch: &RecordBatch,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut header = Vec::new();
    for (i, f) in batch.schema_ref().fields().iter().enumerate() {
        if i > 0 {
            header.push(b',');
        }
        put_field(&mut header, f.name());
    }
    header.push(b'\n');
    out.write_all(&header)?;
    let rows = batch.num_rows();
    let blocks: Vec<_> = (0..rows)
        .step_by(BLOCK_ROWS)
        .map(|start| start..(start + BLOCK_ROWS).min(rows))
        .collect();
    let window = pool.current_num_threads().max(1) * BLOCKS_PER_THREAD;
    for group in blocks.chunks(window) {
        let texts = pool.install(|| {
            group
                .par_iter()
                .map(|r| format_block(batch, r.clone()))
                .collect::<io::Result<Vec<_>>>()
        })?;
        texts.iter().try_for_each(|t| out.write_all(t))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, ListArray, TimestampNanosecondArray, UInt64Array};
    use arrow::datatypes::UInt64Type;

    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut out = Vec::new();
        for s in ["plain", "a,b", "say \"hi\"", "two\nlines", "", "\"", "cr\r"] {
            put_field(&mut out, s);
            out.push(b'|');
        }
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"||\"\"\"\"|\"cr\r\"|"
        );
    }

    #[test]
    fn every_cell_kind_across_blocks() {
        let rows = BLOCK_ROWS * 2 + 3;
        let names: StringArray = (0..rows)
            .map(|i| {
                (i % 5 != 0).then(|| {
                    if i % 7 == 0 {
                        format!("x,{i}")
                    } else {
                        format!("n{i}")
                    }
                })
            })
            .collect();
        let times: TimestampNanosecondArray = (0..rows)
            .map(|i| (i % 4 != 0).then_some(1_544_712_660_300_000_000 + i as i64))
            .collect();
        let counts: UInt64Array = (0..rows as u64).map(Some).collect();
        let ratio: Float64Array = (0..rows).map(|i| Some((i as f64 + 0.5) / 4.0)).collect();
        let buckets = ListArray::from_iter_primitive::<UInt64Type, _, _>(
            (0..rows as u64).map(|i| Some(vec![Some(i), Some(1)])),
        );
        let batch = RecordBatch::try_from_iter([
            ("name", Arc::new(names) as ArrayRef),
            ("window_start", Arc::new(times) as ArrayRef),
            ("count", Arc::new(counts) as ArrayRef),
            ("ratio", Arc::new(ratio) as ArrayRef),
            ("buckets", Arc::new(buckets) as ArrayRef),
        ])
        .expect("batch");
        let mut out = Vec::new();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("pool");
        write_csv(&batch, &pool, &mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows + 1);
        assert_eq!(lines[0], "name,window_start,count,ratio,buckets");
        assert_eq!(lines[1], ",,0,0.125,\"[0, 1]\"");
        assert_eq!(
            lines[2],
            "n1,2018-12-13T14:51:00.300000001Z,1,0.375,\"[1, 1]\""
        );
        // A quoted name in the second block.
        let i = (BLOCK_ROWS..)
            .find(|i| i % 7 == 0 && i % 5 != 0 && i % 4 != 0)
            .expect("exists");
        assert_eq!(
            lines[i + 1],
            format!("\"x,{i}\",2018-12-13T14:51:00.300{i:06}Z,{i},4096.875,\"[{i}, 1]\"")
        );
        let last = rows - 1; // a null name, a time
        assert_eq!(
            lines[rows],
            format!(",2018-12-13T14:51:00.300{last:06}Z,{last},8192.625,\"[{last}, 1]\"")
        );
    }
}
