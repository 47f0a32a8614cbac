//! Parquet written by `convert` as input: each slice of a row group is one unit
//! of work (so one large row group still uses every core), read back into the
//! same column batches the OTLP decoders produce, only the columns asked for.
//! Files other tools wrote from such tables (DuckDB, pyarrow, Spark) are
//! recognized by column names; columns stored in another encoding of the same
//! values (plain vs dictionary strings, LargeUtf8 / Utf8View, binary ids,
//! µs timestamps) are cast to the canonical types.

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::arrow::ProjectionMask;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Schema};

use crate::columns::{Table, TableBatch};
use crate::error::FrameProblem;
use crate::pipeline::PipelineOptions;

fn problem(e: impl std::fmt::Display) -> FrameProblem {
    FrameProblem::InvalidParquet(e.to_string())
}

/// Rows per unit of work within a row group.
pub const SLICE_ROWS: usize = 131_072;

/// A part of one row group: rows `start..start + len` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub row_group: usize,
    pub start: usize,
    pub len: usize,
}

/// A Parquet input whose footer has been read once, shared by all its slices.
#[derive(Debug, Clone)]
pub struct ParquetInput {
    pub path: PathBuf,
    pub table: Table,
    metadata: ArrowReaderMetadata,
}

/// Reads the footer: the table the file holds and its row groups cut into slices.
pub fn describe(path: &Path) -> Result<(ParquetInput, Vec<Slice>), FrameProblem> {
    let file = File::open(path).map_err(problem)?;
    let metadata =
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::default()).map_err(problem)?;
    // `convert --time-unit us` files: the same table with microsecond timestamps.
    let ns = crate::export::time_unit::schema_with_unit(
        metadata.schema(),
        crate::export::time_unit::TimeUnitArg::Ns,
    );
    let table = recognize(&ns).ok_or_else(|| {
        problem("schema matches none of the tables written by `convert` (spans, logs, *_points)")
    })?;
    let mut slices = Vec::new();
    for (row_group, meta) in metadata.metadata().row_groups().iter().enumerate() {
        let rows = usize::try_from(meta.num_rows()).unwrap_or(0);
        for start in (0..rows).step_by(SLICE_ROWS) {
            slices.push(Slice {
                row_group,
                start,
                len: SLICE_ROWS.min(rows - start),
            });
        }
    }
    let input = ParquetInput {
        path: path.to_path_buf(),
        table,
        metadata,
    };
    Ok((input, slices))
}

fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_string(v),
        _ => false,
    }
}

/// Whether a column stored as `actual` reads as the canonical type `canonical`.
fn reads_as(actual: &DataType, canonical: &DataType) -> bool {
    actual == canonical
        || (is_string(actual) && is_string(canonical))
        || arrow::compute::can_cast_types(actual, canonical)
}

/// The table a file holds: its exact schema, else (another writer) the table
/// whose every column it has by name in a readable type; the largest such
/// table wins, so a table whose columns are a subset of another's is not
/// mistaken for it.
pub fn recognize(schema: &Schema) -> Option<Table> {
    Table::from_schema(schema).or_else(|| {
        Table::ALL
            .into_iter()
            .filter(|t| {
                t.schema().fields().iter().all(|f| {
                    schema
                        .field_with_name(f.name())
                        .is_ok_and(|a| reads_as(a.data_type(), f.data_type()))
                })
            })
            .max_by_key(|t| t.schema().fields().len())
    })
}

/// `batch`'s columns named by `schema`, cast where the file stores another type.
fn canonical_batch(
    batch: &RecordBatch,
    schema: &std::sync::Arc<Schema>,
) -> Result<RecordBatch, FrameProblem> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let col = batch
                .column_by_name(f.name())
                .ok_or_else(|| problem(format!("column {} is missing", f.name())))?;
            if col.data_type() == f.data_type() {
                return Ok(col.clone());
            }
            arrow::compute::cast(col, f.data_type()).map_err(|e| {
                problem(format!(
                    "column {}: cannot read {} as {}: {e}",
                    f.name(),
                    col.data_type(),
                    f.data_type()
                ))
            })
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(problem)
}

/// Reads one slice as batches of at most `batch_rows` rows, only the columns
/// the projection and the column list keep (DuckDB-style column pruning).
pub fn read_slice(
    input: &ParquetInput,
    slice: Slice,
    opts: &PipelineOptions,
) -> Result<Vec<TableBatch>, FrameProblem> {
    let table = input.table;
    let file = File::open(&input.path).map_err(problem)?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, input.metadata.clone());
    let canonical = table.schema();
    let wanted = |name: &str| {
        opts.projection.keeps(name)
            && opts
                .columns
                .as_ref()
                .is_none_or(|c| c.iter().any(|w| w == name))
    };
    let keep: Vec<usize> = (0..canonical.fields().len())
        .filter(|&i| wanted(canonical.field(i).name()))
        .collect();
    // The file's own positions of those columns (other writers may order them differently).
    let file_schema = input.metadata.schema();
    let roots = keep
        .iter()
        .map(|&i| {
            file_schema
                .index_of(canonical.field(i).name())
                .map_err(problem)
        })
        .collect::<Result<Vec<usize>, _>>()?;
    let selection = RowSelection::from(vec![
        RowSelector::skip(slice.start),
        RowSelector::select(slice.len),
    ]);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    // Re-attach the canonical (projected) schema: Parquet may drop field metadata.
    let schema = std::sync::Arc::new(canonical.project(&keep).map_err(problem)?);
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![slice.row_group])
        .with_row_selection(selection)
        .with_batch_size(opts.batch_rows.max(1))
        .build()
        .map_err(problem)?;
    reader
        .map(|b| {
            // Other writers' types and `--time-unit us` timestamps become ours.
            let batch = canonical_batch(&b.map_err(problem)?, &schema)?;
            Ok(TableBatch { table, batch })
        })
        .collect()
}
