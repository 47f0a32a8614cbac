//! Command-line definitions (clap derive) and nothing else: every command's
//! flags live here, the work lives in the module of its stage.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::limits::parse_byte_size;
use crate::input::WalkOptions;

#[derive(Debug, Parser)]
#[command(
    name = "otlp-analytics",
    version,
    about = "Batch analytics for OpenTelemetry (OTLP) dumps: inspect, aggregate, convert to Parquet, validate traces"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count what is in OTLP inputs: frames, resources, spans, points, logs, time range.
    Inspect(InspectArgs),
    /// Group-by aggregation of spans (RED), metric points or log records.
    Aggregate(AggregateArgs),
    /// Write raw records to Parquet tables (spans, logs, metric points by type).
    Convert(ConvertArgs),
    /// Check trace integrity: duplicate ids, orphans, cycles, roots, timing.
    Validate(ValidateArgs),
    /// Write a deterministic synthetic OTLP dataset.
    Generate(GenerateArgs),
    /// Time each stage (read, decode, aggregate, write) on CPU and GPU backends.
    Bench(BenchArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignalArg {
    Traces,
    Metrics,
    Logs,
}

/// Flags shared by every command that reads OTLP inputs.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Files, directories (read recursively, sorted) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Skip bad frames (counted and reported on stderr) instead of aborting.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Rows per column batch handed from decode to the later stages.
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub batch_rows: usize,
    /// Frames the reader may queue ahead of the decoders (backpressure bound).
    #[arg(long, value_name = "N", default_value_t = 64, hide = true)]
    pub queue_frames: usize,
    /// Largest frame accepted once decompressed (e.g. 256MiB, 1GiB); a larger
    /// one is a bad frame and is not decompressed past the limit.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_byte_size)]
    pub max_frame_bytes: u64,
    /// Bytes of frames the reader may queue ahead of the consumer (memory bound).
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_byte_size, hide = true)]
    pub queue_bytes: u64,
    /// Enter symlinked directories found inside directory inputs (loops are detected and skipped).
    #[arg(long, short = 'L')]
    pub follow: bool,
    /// Print per-stage timings, peak queue depth and the backend that ran.
    #[arg(long, short)]
    pub verbose: bool,
    /// Hide progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

impl InputArgs {
    /// How directory inputs are walked.
    pub fn walk(&self) -> WalkOptions {
        WalkOptions {
            follow: self.follow,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Treat every input as this signal instead of sniffing it.
    #[arg(long, value_enum)]
    pub signal: Option<SignalArg>,
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Auto,
    Cpu,
    Gpu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct AggregateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum)]
    pub signal: SignalArg,
    /// Group keys, comma separated: service.name, resource.KEY, attr.KEY, scope.name,
    /// name, kind, status_code (traces), metric.name (metrics), severity_number, severity_text (logs).
    #[arg(long, value_name = "KEYS")]
    pub by: Option<String>,
    /// Time window, e.g. 30s, 1m, 1h: adds a window_start column.
    #[arg(long, value_name = "DUR")]
    pub window: Option<String>,
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Write the result as Parquet to this file.
    #[arg(short = 'o', long = "output", value_name = "OUT.parquet")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Zstd,
    Snappy,
    Lz4,
    Gzip,
    None,
}

#[derive(Debug, Clone, Args)]
pub struct ParquetArgs {
    /// Rows per Parquet row group.
    #[arg(long, value_name = "N", default_value_t = 1_048_576)]
    pub row_group_size: usize,
    #[arg(long, value_enum, default_value_t = CompressionArg::Zstd)]
    pub compression: CompressionArg,
}

#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Treat every input as this signal instead of sniffing it.
    #[arg(long, value_enum)]
    pub signal: Option<SignalArg>,
    /// Output directory (created when missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
    /// Overwrite existing tables in DIR.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub parquet: ParquetArgs,
    /// Unit of every timestamp column: ns (exact) or us (what Spark, Trino and
    /// BigQuery read as timestamps; sub-microsecond digits dropped).
    #[arg(long, value_enum, default_value_t = crate::export::time_unit::TimeUnitArg::Ns)]
    pub time_unit: crate::export::time_unit::TimeUnitArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
    /// Examples to show per rule.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub examples: usize,
    /// Clock-skew tolerance for child_starts_before_parent, e.g. 5ms, 1s.
    #[arg(long, value_name = "DUR", default_value = "0s")]
    pub skew: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    Proto,
    Fileexporter,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateCompression {
    None,
    Gzip,
    Zstd,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    #[arg(long, value_enum)]
    pub signal: SignalArg,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Spans to generate (traces).
    #[arg(long, default_value_t = 10_000)]
    pub spans: u64,
    /// Distinct metric series (metrics).
    #[arg(long, default_value_t = 100)]
    pub series: u64,
    /// Points per series (metrics).
    #[arg(long, default_value_t = 60)]
    pub points: u64,
    /// Log records (logs).
    #[arg(long, default_value_t = 10_000)]
    pub logs: u64,
    /// Number of services.
    #[arg(long, default_value_t = 5)]
    pub services: u32,
    /// Distinct values per generated attribute (cardinality).
    #[arg(long, default_value_t = 10)]
    pub cardinality: u32,
    /// Records per exported message (frame).
    #[arg(long, default_value_t = 1_000)]
    pub batch: u64,
    #[arg(long, value_enum, default_value_t = GenerateFormat::Fileexporter)]
    pub format: GenerateFormat,
    /// Whole-file compression.
    #[arg(long, value_enum, default_value_t = GenerateCompression::None)]
    pub compression: GenerateCompression,
    /// Output file (`-` for stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value_t = SignalArg::Traces)]
    pub signal: SignalArg,
    #[arg(long, default_value_t = 3)]
    pub iterations: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}
