//! Parquet files out: a streaming per-table writer that never leaves a
//! half-written file under its final name and encodes a row group's columns
//! on every core, plus a one-call helper for small results (`aggregate -o`).

use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use crate::cli::{CompressionArg, ParquetArgs};
use crate::error::{Error, Result};

/// Key of the file-level metadata entry naming the writer and its version.
pub const WRITER_METADATA_KEY: &str = "otlp_analytics.version";

/// How Parquet files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParquetOptions {
    /// Rows per row group (the last one may hold fewer).
    pub row_group_size: usize,
    pub compression: CompressionArg,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        Self {
            row_group_size: 1_048_576,
            compression: CompressionArg::Zstd,
        }
    }
}

impl From<&ParquetArgs> for ParquetOptions {
    fn from(args: &ParquetArgs) -> Self {
        Self {
            row_group_size: args.row_group_size,
            compression: args.compression,
        }
    }
}

impl ParquetOptions {
    /// The Parquet codec for the chosen compression (zstd and gzip at their default levels;
    /// `lz4` is LZ4_RAW, the non-deprecated framing every current reader supports).
    pub fn codec(&self) -> Compression {
        match self.compression {
            CompressionArg::Zstd => Compression::ZSTD(ZstdLevel::default()),
            CompressionArg::Snappy => Compression::SNAPPY,
            CompressionArg::Lz4 => Compression::LZ4_RAW,
            CompressionArg::Gzip => Compression::GZIP(GzipLevel::default()),
            CompressionArg::None => Compression::UNCOMPRESSED,
        }
    }

    /// Writer properties: row groups of `row_group_size` rows, page-level statistics
    /// (min/max per page, so readers can skip pages by time or id).
    pub fn writer_properties(&self) -> WriterProperties {
        WriterProperties::builder()
            .set_max_row_group_row_count(Some(self.row_group_size.max(1)))
            .set_compression(self.codec())
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_key_value_metadata(Some(vec![KeyValue::new(
                WRITER_METADATA_KEY.to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )]))
            .build()
    }
}

/// What a finished file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: PathBuf,
    pub rows: u64,
    pub row_groups: usize,
    pub bytes: u64,
}

/// The error for an existing output without `--force`.
pub fn refuse_overwrite(path: &Path) -> Error {
    Error::Usage(format!(
        "refusing to overwrite existing {} (use --force)",
        path.display()
    ))
}

/// Fails when `path` exists and `force` is not set.
pub fn check_overwrite(path: &Path, force: bool) -> Result<()> {
    if !force && path.symlink_metadata().is_ok() {
        return Err(refuse_overwrite(path));
    }
    Ok(())
}

/// Streams record batches into one Parquet file. Rows go to a temporary file
/// beside the target (`.NAME.tmp-PID-N`), which `finish` renames onto the final
/// name; dropped without `finish` (an error, a panic) the temporary file is
/// removed, so the final name only ever holds a complete file. Columns are
/// encoded in parallel (see [`ColumnEncoder`]); memory stays bounded by one
/// encoded row group plus [`ENCODE_ROWS`] rows waiting to be encoded.
pub struct TableWriter {
    path: PathBuf,
    temp_path: PathBuf,
    force: bool,
    writer: Option<ColumnEncoder<BufWriter<File>>>,
    rows: u64,
}

impl TableWriter {
    /// Starts a file at `path`; refuses when it exists unless `force`.
    pub fn create(
        path: &Path,
        schema: SchemaRef,
        opts: &ParquetOptions,
        force: bool,
    ) -> Result<Self> {
        check_overwrite(path, force)?;
        let temp_path = temp_path_for(path)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(|e| {
                output_error(path, format!("cannot create {}: {e}", temp_path.display()))
            })?;
        let mut this = Self {
            path: path.to_owned(),
            temp_path,
            force,
            writer: None,
            rows: 0,
        };
        // From here on Drop removes the temporary file, also when ArrowWriter rejects the schema.
        let writer = ColumnEncoder::try_new(BufWriter::with_capacity(1 << 20, file), schema, opts)
            .map_err(|e| output_error(path, format!("cannot start Parquet file: {e}")))?;
        this.writer = Some(writer);
        Ok(this)
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends a batch (its schema must be the writer's).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| output_error(&self.path, "writer already finished".into()))?;
        writer
            .write(batch)
            .map_err(|e| output_error(&self.path, format!("cannot write Parquet: {e}")))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Writes the footer, syncs the file and renames it onto its final name.
    pub fn finish(mut self) -> Result<WrittenFile> {
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| output_error(&self.path, "writer already finished".into()))?;
        let path = self.path.clone();
        let fail =
            |what: &str, e: &dyn std::fmt::Display| output_error(&path, format!("{what}: {e}"));
        writer
            .flush()
            .map_err(|e| fail("cannot write Parquet", &e))?;
        let row_groups = writer.file.flushed_row_groups().len();
        let buffered = writer
            .file
            .into_inner()
            .map_err(|e| fail("cannot finish Parquet file", &e))?;
        let file = buffered
            .into_inner()
            .map_err(|e| fail("cannot write", e.error()))?;
        // Data must be on disk before the rename makes it visible under the final name.
        file.sync_all().map_err(|e| fail("cannot sync", &e))?;
        let bytes = file.metadata().map_err(|e| fail("cannot stat", &e))?.len();
        drop(file);
        // Checked again: another process may have created the file while we wrote.
        check_overwrite(&self.path, self.force)?;
        std::fs::rename(&self.temp_path, &self.path).map_err(|e| {
            fail(
                &format!("cannot rename {} onto it", self.temp_path.display()),
                &e,
            )
        })?;
        // Renamed: nothing left for Drop to clean up.
        self.temp_path = PathBuf::new();
        Ok(WrittenFile {
            path: self.path.clone(),
            rows: self.rows,
            row_groups,
            bytes,
        })
    }
}

impl Drop for TableWriter {
    fn drop(&mut self) {
        // Close the file handle before removing the file (required on Windows).
        self.writer.take();
        if !self.temp_path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// Rows collected before their columns are encoded in one parallel pass: enough
/// work per column to outweigh the fork-join, small enough to bound memory.
pub const ENCODE_ROWS: usize = 65_536;

/// `ArrowWriter`'s output, with a row group's columns encoded on separate rayon
/// tasks. Every column writer receives exactly the slices `ArrowWriter` would
/// give it, in the same order, and chunks are appended in column order, so the
/// bytes are `ArrowWriter`'s whatever the thread count.
pub struct ColumnEncoder<W: std::io::Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    row_group_size: usize,
    /// For each top-level field, the number of Parquet leaf columns it has.
    leaves_per_field: Vec<usize>,
    /// Column writers of the row group in progress, per top-level field.
    columns: Option<Vec<Vec<ArrowColumnWriter>>>,
    /// Rows of the row group in progress (encoded or pending).
    group_rows: usize,
    /// Batches of the row group in progress not yet encoded.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
}

impl<W: std::io::Write + Send> ColumnEncoder<W> {
    pub fn try_new(
        out: W,
        schema: SchemaRef,
        opts: &ParquetOptions,
    ) -> std::result::Result<Self, ParquetError> {
        // ArrowWriter sets up the file exactly as it would write it itself
        // (Parquet schema, embedded Arrow schema, properties), then hands over.
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(opts.writer_properties()))?;
        let (file, factory) = writer.into_serialized_writer()?;
        let descr = file.schema_descr();
        let mut leaves_per_field = vec![0usize; schema.fields().len()];
        for leaf in 0..descr.num_columns() {
            if let Some(n) = leaves_per_field.get_mut(descr.get_column_root_idx(leaf)) {
                *n += 1;
            }
        }
        Ok(Self {
            file,
            factory,
            schema,
            row_group_size: opts.row_group_size.max(1),
            leaves_per_field,
            columns: None,
            group_rows: 0,
            pending: Vec::new(),
            pending_rows: 0,
        })
    }

    /// Buffers `batch`, cut at row group boundaries; encodes and flushes as they fill.
    pub fn write(&mut self, batch: &RecordBatch) -> std::result::Result<(), ParquetError> {
        let types = |s: &arrow::datatypes::Schema| -> Vec<arrow::datatypes::DataType> {
            s.fields().iter().map(|f| f.data_type().clone()).collect()
        };
        if types(&batch.schema()) != types(&self.schema) {
            return Err(ParquetError::General(
                "record batch schema does not match the file's".into(),
            ));
        }
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            let room = self.row_group_size - self.group_rows;
            let take = room.min(rest.num_rows());
            self.pending.push(rest.slice(0, take));
            self.pending_rows += take;
            self.group_rows += take;
            rest = rest.slice(take, rest.num_rows() - take);
            if self.group_rows >= self.row_group_size {
                self.flush()?;
            } else if self.pending_rows >= ENCODE_ROWS {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Encodes the pending batches: one rayon task per top-level column.
    fn encode_pending(&mut self) -> std::result::Result<(), ParquetError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let columns = match &mut self.columns {
            Some(c) => c,
            slot => {
                let index = self.file.flushed_row_groups().len();
                let mut flat = self.factory.create_column_writers(index)?.into_iter();
                let per_field = self
                    .leaves_per_field
                    .iter()
                    .map(|&n| flat.by_ref().take(n).collect())
                    .collect();
                slot.insert(per_field)
            }
        };
        let pending = std::mem::take(&mut self.pending);
        let fields = self.schema.fields();
        columns
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(i, writers)| {
                for batch in &pending {
                    let leaves = compute_leaves(&fields[i], batch.column(i))?;
                    for (w, leaf) in writers.iter_mut().zip(&leaves) {
                        w.write(leaf)?;
                    }
                }
                Ok::<_, ParquetError>(())
            })?;
        self.pending_rows = 0;
        Ok(())
    }

    /// Encodes what is pending and writes the row group in progress (if any).
    pub fn flush(&mut self) -> std::result::Result<(), ParquetError> {
        self.encode_pending()?;
        let Some(columns) = self.columns.take() else {
            return Ok(());
        };
        // Closing compresses the last page of every column: parallel too.
        let chunks: Vec<ArrowColumnChunk> = columns
            .into_par_iter()
            .flatten()
            .map(ArrowColumnWriter::close)
            .collect::<std::result::Result<_, _>>()?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.group_rows = 0;
        Ok(())
    }
}

/// Writes `batches` to one file at `path` (for small results such as `aggregate -o`);
/// returns the number of rows written.
pub fn write_batches(
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
    opts: &ParquetOptions,
    force: bool,
) -> Result<u64> {
    let mut writer = TableWriter::create(path, schema, opts, force)?;
    for batch in batches {
        writer.write(batch)?;
    }
    Ok(writer.finish()?.rows)
}

fn output_error(path: &Path, message: String) -> Error {
    Error::Output {
        path: path.to_owned(),
        message,
    }
}

/// A hidden name beside `path`, unique within this process and across processes.
fn temp_path_for(path: &Path) -> Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| output_error(path, "not a file name".into()))?
        .to_string_lossy()
        .into_owned();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Ok(path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batches() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
            Field::new(
                "d",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                false,
            ),
        ]));
        let batch = |start: i64, len: i64| {
            let n: Vec<i64> = (start..start + len).collect();
            let s: StringArray = n
                .iter()
                .map(|i| (i % 7 != 0).then(|| format!("v{}", i * 31 % 1000)))
                .collect();
            let d = arrow::compute::cast(
                &(Arc::new(StringArray::from_iter_values(
                    n.iter().map(|i| format!("svc-{}", i % 5)),
                )) as ArrayRef),
                schema.field(2).data_type(),
            )
            .expect("cast");
            RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(Int64Array::from(n)), Arc::new(s), d],
            )
            .expect("batch")
        };
        // Batch sizes that straddle row groups and the encode threshold.
        let sizes = [10, 70_000, 3, 130_000, 65_536, 1];
        let mut at = 0;
        let list = sizes
            .iter()
            .map(|&len| {
                let b = batch(at, len);
                at += len;
                b
            })
            .collect();
        (schema, list)
    }

    #[test]
    fn parallel_encoding_writes_arrow_writers_bytes_at_any_thread_count() {
        let (schema, list) = batches();
        let opts = ParquetOptions {
            row_group_size: 100_000,
            ..ParquetOptions::default()
        };
        let mut reference = Vec::new();
        let mut w = ArrowWriter::try_new(
            &mut reference,
            schema.clone(),
            Some(opts.writer_properties()),
        )
        .expect("writer");
        list.iter().for_each(|b| w.write(b).expect("write"));
        w.close().expect("close");
        for threads in [1, 2, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let mut out = Vec::new();
            pool.install(|| {
                let mut e =
                    ColumnEncoder::try_new(&mut out, schema.clone(), &opts).expect("encoder");
                list.iter().for_each(|b| e.write(b).expect("write"));
                e.flush().expect("flush");
                assert_eq!(e.file.flushed_row_groups().len(), 3);
                e.file.close().expect("close");
            });
            assert_eq!(out, reference, "{threads} threads");
        }
    }
}
