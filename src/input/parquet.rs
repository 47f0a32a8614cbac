//! Parquet written by `convert` as input: each row group is one unit of work,
//! read back into the same column batches the OTLP decoders produce.

use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::columns::{Table, TableBatch};
use crate::error::FrameProblem;
use crate::pipeline::PipelineOptions;

fn problem(e: impl std::fmt::Display) -> FrameProblem {
    FrameProblem::InvalidParquet(e.to_string())
}

/// The table a Parquet file holds and its number of row groups.
pub fn describe(path: &Path) -> Result<(Table, usize), FrameProblem> {
    let file = File::open(path).map_err(problem)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(problem)?;
    let table = Table::from_schema(builder.schema()).ok_or_else(|| {
        problem("schema matches none of the tables written by `convert` (spans, logs, *_points)")
    })?;
    Ok((table, builder.metadata().num_row_groups()))
}

/// Reads one row group as batches of at most `batch_rows` rows, only the
/// columns the projection keeps (DuckDB-style column pruning).
pub fn read_row_group(path: &Path, table: Table, row_group: usize, opts: &PipelineOptions) -> Result<Vec<TableBatch>, FrameProblem> {
    let file = File::open(path).map_err(problem)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(problem)?;
    let canonical = table.schema();
    let keep: Vec<usize> =
        (0..canonical.fields().len()).filter(|&i| opts.projection.keeps(canonical.field(i).name())).collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep.iter().copied());
    // Re-attach the canonical (projected) schema: Parquet may drop field metadata.
    let schema = std::sync::Arc::new(canonical.project(&keep).map_err(problem)?);
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![row_group])
        .with_batch_size(opts.batch_rows.max(1))
        .build()
        .map_err(problem)?;
    reader
        .map(|b| {
            let batch = b.map_err(problem)?;
            let batch = arrow::array::RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(problem)?;
            Ok(TableBatch { table, batch })
        })
        .collect()
}
