//! Parquet written by `convert` as input: each slice of a row group is one unit
//! of work (so one large row group still uses every core), read back into the
//! same column batches the OTLP decoders produce, only the columns asked for.

use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::arrow::ProjectionMask;

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

/// The table a Parquet file holds and its row groups cut into slices.
pub fn describe(path: &Path) -> Result<(Table, Vec<Slice>), FrameProblem> {
    let file = File::open(path).map_err(problem)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(problem)?;
    let table = Table::from_schema(builder.schema()).ok_or_else(|| {
        problem("schema matches none of the tables written by `convert` (spans, logs, *_points)")
    })?;
    let mut slices = Vec::new();
    for (row_group, meta) in builder.metadata().row_groups().iter().enumerate() {
        let rows = usize::try_from(meta.num_rows()).unwrap_or(0);
        for start in (0..rows).step_by(SLICE_ROWS) {
            slices.push(Slice {
                row_group,
                start,
                len: SLICE_ROWS.min(rows - start),
            });
        }
    }
    Ok((table, slices))
}

/// Reads one slice as batches of at most `batch_rows` rows, only the columns
/// the projection and the column list keep (DuckDB-style column pruning).
pub fn read_slice(
    path: &Path,
    table: Table,
    slice: Slice,
    opts: &PipelineOptions,
) -> Result<Vec<TableBatch>, FrameProblem> {
    let file = File::open(path).map_err(problem)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(problem)?;
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
    let selection = RowSelection::from(vec![
        RowSelector::skip(slice.start),
        RowSelector::select(slice.len),
    ]);
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep.iter().copied());
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
            let batch = b.map_err(problem)?;
            let batch =
                arrow::array::RecordBatch::try_new(schema.clone(), batch.columns().to_vec())
                    .map_err(problem)?;
            Ok(TableBatch { table, batch })
        })
        .collect()
}
