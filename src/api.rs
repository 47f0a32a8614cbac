//! Library entry points for embedding (the Python package, Spark executors):
//! the CLI's commands on paths, returning Arrow batches or the JSON report,
//! and the partial states that let other processes split the work. Each runs
//! the same code as the CLI, so results and error messages are the CLI's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use crossbeam_channel::{bounded, Receiver};

use crate::aggregate::{self, state, AggregateSpec};
use clap::Parser;

use crate::cli::{AggregateArgs, Cli, Command};
use crate::columns::{Table, TableBatch};
use crate::decode::Signal;
use crate::error::{Error, Result};
use crate::input::{expand_inputs, InputSource};
use crate::pipeline::{self, Event, PipelineOptions};
use crate::validate;

/// Examples per rule `validate` keeps by default (the CLI's `--examples`).
pub const DEFAULT_EXAMPLES: usize = 5;

/// Parses a signal name as `--signal` does.
pub fn parse_signal(s: &str) -> Result<Signal> {
    match s {
        "traces" => Ok(Signal::Traces),
        "metrics" => Ok(Signal::Metrics),
        "logs" => Ok(Signal::Logs),
        other => Err(Error::Usage(format!(
            "invalid signal {other:?}: expected traces, metrics or logs"
        ))),
    }
}

/// Parses a command line as the CLI does, so every flag keeps its CLI default.
fn parse_command(args: Vec<std::ffi::OsString>) -> Result<Command> {
    let mut argv = vec![std::ffi::OsString::from("otlp-analytics")];
    argv.extend(args);
    Cli::try_parse_from(argv)
        .map(|c| c.command)
        .map_err(|e| Error::Usage(e.to_string().trim_end().to_owned()))
}

fn with_paths(mut args: Vec<std::ffi::OsString>, paths: &[PathBuf]) -> Vec<std::ffi::OsString> {
    // After `--`, a path that looks like a flag stays a path.
    args.push("--".into());
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    args
}

/// What `aggregate` groups by: the signal, `--by` and `--window` as the CLI takes them.
#[derive(Debug, Clone)]
pub struct Grouping {
    pub signal: Signal,
    pub by: Option<String>,
    pub window: Option<String>,
}

impl Grouping {
    fn args(&self, paths: &[PathBuf]) -> Result<AggregateArgs> {
        let mut args: Vec<std::ffi::OsString> = vec![
            "aggregate".into(),
            "--quiet".into(),
            "--format".into(),
            "json".into(),
            "--signal".into(),
            self.signal.to_string().into(),
        ];
        if let Some(by) = &self.by {
            args.extend(["--by".into(), by.into()]);
        }
        if let Some(w) = &self.window {
            args.extend(["--window".into(), w.into()]);
        }
        // Paths are required by the parser; the spec alone does not read them.
        let paths = if paths.is_empty() {
            vec![PathBuf::from("-")]
        } else {
            paths.to_vec()
        };
        match parse_command(with_paths(args, &paths))? {
            Command::Aggregate(a) => Ok(a),
            _ => Err(Error::Usage("not an aggregate command".into())),
        }
    }

    pub fn spec(&self) -> Result<AggregateSpec> {
        AggregateSpec::from_args(&self.args(&[])?)
    }
}

/// The inputs as the CLI reads them: directories expanded (recursively, sorted).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    Ok(expand_inputs(paths)?
        .into_iter()
        .map(|s| match s {
            InputSource::File(p) => p,
            InputSource::Stdin => PathBuf::from("-"),
        })
        .collect())
}

/// `aggregate PATHS --signal S [--by] [--window]`: the batch the CLI prints.
pub fn aggregate(paths: &[PathBuf], grouping: &Grouping) -> Result<RecordBatch> {
    Ok(aggregate::aggregate(&grouping.args(paths)?)?.batch)
}

/// `validate PATHS --format json`: the report object.
pub fn validate(paths: &[PathBuf], skew: &str, examples: usize) -> Result<serde_json::Value> {
    let args: Vec<std::ffi::OsString> = vec![
        "validate".into(),
        "--quiet".into(),
        "--format".into(),
        "json".into(),
        "--skew".into(),
        skew.into(),
        "--examples".into(),
        examples.to_string().into(),
    ];
    match parse_command(with_paths(args, paths))? {
        Command::Validate(a) => Ok(validate::validate(&a)?.to_json()),
        _ => Err(Error::Usage("not a validate command".into())),
    }
}

/// The partial aggregation state of `paths` (see `aggregate::state`).
pub fn partial(paths: &[PathBuf], grouping: &Grouping) -> Result<RecordBatch> {
    partial_at(paths, grouping, 0)
}

/// `partial` of inputs that start at position `first_input` among all the
/// inputs (the CLI's order): states of contiguous splits then merge, in any
/// order, with the CLI's order for points of equal timestamps.
pub fn partial_at(paths: &[PathBuf], grouping: &Grouping, first_input: u64) -> Result<RecordBatch> {
    let sources = expand_inputs(paths)?;
    let opts = PipelineOptions::new(None);
    state::partial_sources_at(&sources, &opts, &grouping.spec()?, first_input)
}

/// Merges partial states: finished (the CLI's batch) or as one state table.
pub fn merge(states: &[RecordBatch], grouping: &Grouping, finish: bool) -> Result<RecordBatch> {
    let spec = grouping.spec()?;
    if finish {
        state::finish(states, &spec)
    } else {
        state::combine(states, &spec)
    }
}

/// The span records of `paths` for a split `validate`; `seq_base` orders inputs.
pub fn validate_spans(paths: &[PathBuf], seq_base: u64) -> Result<RecordBatch> {
    let sources = expand_inputs(paths)?;
    validate::state::span_state(&sources, &PipelineOptions::new(None), seq_base)
}

/// Checks the traces of span states (each trace whole among them).
pub fn validate_check(states: &[RecordBatch], skew: &str, examples: usize) -> Result<RecordBatch> {
    let skew = crate::export::format::parse_duration(skew)
        .map_err(|e| Error::Usage(format!("--skew: {e}")))?;
    validate::state::check_spans(states, skew, examples)
}

/// Merges findings into the report object `validate --format json` prints.
pub fn validate_finish(states: &[RecordBatch], examples: usize) -> Result<serde_json::Value> {
    Ok(validate::state::finish_findings(states, examples)?.to_json())
}

/// Which batches `read` yields.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Only inputs of this signal (others are read, then ignored).
    pub signal: Option<Signal>,
    /// Only this table (`spans`, `metric_points`, ...).
    pub table: Option<String>,
    /// Only these columns, in this order (a table without one of them is an error).
    pub columns: Option<Vec<String>>,
}

/// Schema metadata on every batch `read` yields: the table it belongs to.
pub const META_TABLE: &str = "otlp_analytics.table";

/// Batches of the columns `convert` writes, in input order, decoded on worker
/// threads while the caller consumes them (at most a few batches ahead).
pub struct BatchStream {
    rx: Receiver<Result<RecordBatch>>,
    worker: Option<std::thread::JoinHandle<()>>,
    temp: Option<PathBuf>,
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.rx.recv().ok()?;
        Some(item.map_err(|e| match &self.temp {
            Some(t) => rename_input(e, t),
            None => e,
        }))
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        // Closing the channel makes the worker's next send fail, which stops the pipeline.
        let (_, rx) = bounded(0);
        drop(std::mem::replace(&mut self.rx, rx));
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        if let Some(t) = self.temp.take() {
            let _ = std::fs::remove_file(t);
        }
    }
}

/// Errors about a temporary file name the bytes they came from.
fn rename_input(e: Error, temp: &Path) -> Error {
    const NAME: &str = "<bytes>";
    let temp = temp.display().to_string();
    match e {
        Error::Frame {
            mut location,
            problem,
        } if location.path == temp => {
            location.path = NAME.to_owned();
            Error::Frame { location, problem }
        }
        Error::Io { path, source } if path == temp => Error::Io {
            path: NAME.to_owned(),
            source,
        },
        Error::NoData(s) => Error::NoData(s.replace(&temp, NAME)),
        other => other,
    }
}

fn table_named(name: &str) -> Result<Table> {
    Table::ALL
        .into_iter()
        .find(|t| t.file_stem() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Table::ALL.iter().map(|t| t.file_stem()).collect();
            Error::Usage(format!(
                "unknown table {name:?}: expected one of {}",
                names.join(", ")
            ))
        })
}

fn shape(tb: &TableBatch, opts: &ReadOptions) -> Result<RecordBatch> {
    let mut meta = tb.batch.schema().metadata().clone();
    meta.insert(META_TABLE.to_owned(), tb.table.file_stem().to_owned());
    let batch = match &opts.columns {
        None => tb.batch.clone(),
        Some(cols) => {
            let schema = tb.batch.schema();
            let idx = cols
                .iter()
                .map(|c| {
                    schema.index_of(c).map_err(|_| {
                        Error::Usage(format!(
                            "table {} has no column {c:?}",
                            tb.table.file_stem()
                        ))
                    })
                })
                .collect::<Result<Vec<usize>>>()?;
            tb.batch
                .project(&idx)
                .map_err(|e| Error::Aggregate(e.to_string()))?
        }
    };
    let schema = Schema::new_with_metadata(batch.schema().fields().clone(), meta);
    batch
        .with_schema(schema.into())
        .map_err(|e| Error::Aggregate(e.to_string()))
}

/// Streams the `convert` columns of `paths` (files or directories).
pub fn read(paths: &[PathBuf], opts: ReadOptions) -> Result<BatchStream> {
    read_sources(expand_inputs(paths)?, opts, None)
}

/// `read` over the bytes of one dump (any framing or compression the CLI takes).
pub fn read_bytes(data: &[u8], opts: ReadOptions) -> Result<BatchStream> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp =
        std::env::temp_dir().join(format!(".otlp-analytics-bytes-{}-{n}", std::process::id()));
    std::fs::write(&temp, data).map_err(|e| Error::io(temp.display(), e))?;
    let sources = vec![InputSource::File(temp.clone())];
    read_sources(sources, opts, Some(temp))
}

fn read_sources(
    sources: Vec<InputSource>,
    opts: ReadOptions,
    temp: Option<PathBuf>,
) -> Result<BatchStream> {
    let only = opts.table.as_deref().map(table_named).transpose()?;
    let mut popts = PipelineOptions::new(None);
    popts.only_signal = opts.signal;
    let (tx, rx) = bounded::<Result<RecordBatch>>(4);
    let worker = std::thread::spawn(move || {
        let result = pipeline::run(
            &sources,
            &popts,
            |_| Ok(()),
            |event| {
                if let Event::Frame { decoded, .. } = event {
                    for tb in decoded.tables.iter().filter(|t| t.batch.num_rows() > 0) {
                        if only.is_some_and(|t| t != tb.table) {
                            continue;
                        }
                        tx.send(shape(tb, &opts))
                            .map_err(|_| Error::Usage("reader closed".into()))?;
                    }
                }
                Ok(())
            },
        );
        if let Err(e) = result {
            let _ = tx.send(Err(e));
        }
    });
    Ok(BatchStream {
        rx,
        worker: Some(worker),
        temp,
    })
}
