//! Parquet files out: a streaming per-table writer that never leaves a
//! half-written file under its final name, plus a one-call helper for small
//! results (`aggregate -o`).

use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

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
/// removed, so the final name only ever holds a complete file. Memory stays
/// bounded by one encoded row group, which `ArrowWriter` flushes as it fills.
pub struct TableWriter {
    path: PathBuf,
    temp_path: PathBuf,
    force: bool,
    writer: Option<ArrowWriter<BufWriter<File>>>,
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
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema,
            Some(opts.writer_properties()),
        )
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
        let row_groups = writer.flushed_row_groups().len();
        let buffered = writer
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
