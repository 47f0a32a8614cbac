//! `convert`: raw records to Parquet, one file per table that has rows.
//! Batches are written as the pipeline delivers them (in input order), so
//! memory stays bounded and the row order of every file is deterministic;
//! their columns are encoded on the same worker pool that decodes frames.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;

use crate::cli::ConvertArgs;
use crate::columns::{Table, TableBatch};
use crate::error::{Error, Result};
use crate::export::parquet::{check_overwrite, ParquetOptions, TableWriter, WrittenFile};
use crate::export::time_unit::{cast_to, schema_with_unit, TimeUnitArg};
use crate::input::{expand_inputs_with, InputSource};
use crate::pipeline::{self, Event, PipelineOptions};

/// What `convert` wrote.
#[derive(Debug, Clone, Default)]
pub struct ConvertSummary {
    /// The files written, in `Table::ALL` order (tables without rows have none).
    pub files: Vec<(Table, WrittenFile)>,
    pub inputs: usize,
    pub frames: u64,
    pub skipped_frames: u64,
}

impl ConvertSummary {
    /// Rows written to `table` (0 when it got no file).
    pub fn rows(&self, table: Table) -> u64 {
        self.files
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, f)| f.rows)
    }

    pub fn total_rows(&self) -> u64 {
        self.files.iter().map(|(_, f)| f.rows).sum()
    }

    /// One line for stderr: rows per table and where they went.
    pub fn line(&self, dir: &Path) -> String {
        let tables: Vec<String> = self
            .files
            .iter()
            .map(|(t, f)| format!("{} {} rows", t.file_stem(), f.rows))
            .collect();
        let tables = if tables.is_empty() {
            "no rows".to_owned()
        } else {
            tables.join(", ")
        };
        let skipped = if self.skipped_frames > 0 {
            format!(", {} bad frames skipped", self.skipped_frames)
        } else {
            String::new()
        };
        format!(
            "convert: {} inputs, {} frames{skipped} → {}: {tables}",
            self.inputs,
            self.frames,
            dir.display()
        )
    }
}

/// The Parquet file of `table` under `dir`.
pub fn table_path(dir: &Path, table: Table) -> PathBuf {
    dir.join(format!("{}.parquet", table.file_stem()))
}

pub fn convert(args: &ConvertArgs) -> Result<ConvertSummary> {
    if args.parquet.row_group_size == 0 {
        return Err(Error::Usage("--row-group-size must be at least 1".into()));
    }
    let dir = &args.output;
    // All six names, not only the tables this input will fill: a stale table
    // from an earlier run would otherwise sit beside the new ones unnoticed.
    for table in Table::ALL {
        check_overwrite(&table_path(dir, table), args.force)?;
    }
    let sources = expand_inputs_with(&args.input.inputs, args.input.walk())?;
    std::fs::create_dir_all(dir).map_err(|e| Error::Output {
        path: dir.clone(),
        message: format!("cannot create directory: {e}"),
    })?;
    let mut opts = PipelineOptions::from_args(&args.input);
    opts.forced_signal = args.signal.map(Into::into);

    let mut files = TableFiles::new(dir, ParquetOptions::from(&args.parquet), args.force);
    files.time_unit = args.time_unit;
    let mut summary = ConvertSummary {
        inputs: sources.len(),
        ..ConvertSummary::default()
    };
    let mut seen_records = false;
    let mut frames_per_input = vec![0u64; sources.len()];
    let pool = opts.thread_pool()?;
    let report = pipeline::run_in(
        &pool,
        &sources,
        &opts,
        |_| Ok(()),
        |event| {
            match event {
                Event::Frame { input, decoded, .. } => {
                    summary.frames += 1;
                    frames_per_input[input] += 1;
                    let s = &decoded.stats;
                    seen_records |= s.resources + s.spans + s.data_points() + s.log_records > 0;
                    pool.install(|| decoded.tables.iter().try_for_each(|tb| files.write(tb)))?;
                }
                Event::Skipped { input, .. } => {
                    summary.skipped_frames += 1;
                    frames_per_input[input] += 1;
                }
                Event::InputEnd { input, .. } => {
                    if frames_per_input[input] == 0 {
                        eprintln!("warning: {}: empty input", sources[input].display());
                    }
                }
            }
            Ok(())
        },
    )?;
    if !seen_records && summary.skipped_frames == 0 {
        let names: Vec<String> = sources.iter().map(InputSource::display).collect();
        return Err(Error::NoData(names.join(", ")));
    }
    summary.files = pool.install(|| files.finish())?;
    if args.force {
        warn_stale_tables(dir, &summary);
    }
    if args.input.verbose {
        pipeline::report_verbose(&report);
    }
    eprintln!("{}", summary.line(dir));
    Ok(summary)
}

/// One lazily created writer per table: a table's file exists only once it has rows.
struct TableFiles<'a> {
    dir: &'a Path,
    options: ParquetOptions,
    force: bool,
    time_unit: TimeUnitArg,
    writers: BTreeMap<Table, (SchemaRef, TableWriter)>,
}

impl<'a> TableFiles<'a> {
    fn new(dir: &'a Path, options: ParquetOptions, force: bool) -> Self {
        Self {
            dir,
            options,
            force,
            time_unit: TimeUnitArg::Ns,
            writers: BTreeMap::new(),
        }
    }

    fn write(&mut self, tb: &TableBatch) -> Result<()> {
        if tb.batch.num_rows() == 0 {
            return Ok(());
        }
        let (schema, writer) = match self.writers.entry(tb.table) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let path = table_path(self.dir, tb.table);
                let schema = schema_with_unit(&tb.table.schema(), self.time_unit);
                let writer = TableWriter::create(&path, schema.clone(), &self.options, self.force)?;
                e.insert((schema, writer))
            }
        };
        let batch = cast_to(&tb.batch, schema).map_err(|message| Error::Output {
            path: writer.path().to_owned(),
            message,
        })?;
        writer.write(&batch)
    }

    /// Finishes every file in table order; on a failure the unfinished rest is
    /// dropped, which removes their temporary files.
    fn finish(self) -> Result<Vec<(Table, WrittenFile)>> {
        self.writers
            .into_iter()
            .map(|(table, (_, w))| Ok((table, w.finish()?)))
            .collect()
    }
}

/// With `--force`, tables this run did not write may remain from an earlier run: say so.
fn warn_stale_tables(dir: &Path, summary: &ConvertSummary) {
    for table in Table::ALL {
        let path = table_path(dir, table);
        if summary.rows(table) == 0 && path.exists() {
            eprintln!(
                "warning: {} is left from an earlier run (this run wrote no {} rows)",
                path.display(),
                table.file_stem()
            );
        }
    }
}
