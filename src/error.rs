//! The library's error type. Messages name the file, frame and byte offset,
//! so a user can find the bad bytes; `main` maps every variant to exit code 2.

use std::fmt;
use std::path::PathBuf;

use crate::decode::Signal;

/// What was wrong with one frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameProblem {
    #[error("truncated frame: length prefix says {expected} bytes but only {available} remain")]
    Truncated { expected: u64, available: u64 },
    #[error("truncated length prefix: {available} of 4 bytes")]
    TruncatedPrefix { available: u64 },
    #[error("invalid protobuf: {0}")]
    InvalidProtobuf(String),
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("unknown signal: cannot tell traces, metrics or logs apart (use --signal)")]
    UnknownSignal,
    #[error(
        "mixed signals: this frame holds {found}, earlier frames of the stream hold {expected}"
    )]
    MixedSignals { expected: Signal, found: Signal },
    #[error("cannot read: {0}")]
    Read(String),
    #[error("--signal {forced} given, but this frame holds {found}")]
    SignalMismatch { forced: Signal, found: Signal },
    #[error("decompression failed: {0}")]
    Decompress(String),
    #[error("invalid Parquet: {0}")]
    InvalidParquet(String),
    /// Past `--max-frame-bytes`: reading or decompressing stopped at the limit.
    #[error("frame exceeds --max-frame-bytes ({}) once decompressed; stopped reading it at the limit", crate::input::limits::ByteSize(*limit))]
    TooLarge { limit: u64 },
    /// Times are Timestamp(ns) (i64) in columns, Parquet and DuckDB: nothing may wrap.
    #[error("{field} {value} is past 2^63-1 ns (year 2262)")]
    TimeOutOfRange { field: &'static str, value: u64 },
}

/// Where a frame sits in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameLocation {
    pub path: String,
    pub frame: u64,
    pub offset: u64,
}

impl fmt::Display for FrameLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: frame {} at byte {}",
            self.path, self.frame, self.offset
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{location}: {problem}")]
    Frame {
        location: FrameLocation,
        problem: FrameProblem,
    },
    #[error("no OTLP data in {0}")]
    NoData(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Gpu(String),
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{0}")]
    Aggregate(String),
    #[error(transparent)]
    Generate(#[from] crate::generate::GenerateError),
}

impl Error {
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// True when the error is a closed stdout (`| head`), which ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        let source = match self {
            Error::Io { source, .. } => source,
            Error::Generate(crate::generate::GenerateError::Io { source, .. }) => source,
            _ => return false,
        };
        source.kind() == std::io::ErrorKind::BrokenPipe
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
