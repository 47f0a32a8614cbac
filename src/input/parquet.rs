//! Parquet written by `convert` as input: each slice of a row group is one unit
//! of work (so one large row group still uses every core), read back into the
//! same column batches the OTLP decoders produce, only the columns asked for.

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
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
    let table = Table::from_schema(&ns).ok_or_else(|| {
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
            // Microsecond timestamps (`--time-unit us`) become nanoseconds again.
            let batch = crate::export::time_unit::cast_to(&batch, &schema).map_err(problem)?;
            Ok(TableBatch { table, batch })
        })
        .collect()
}
