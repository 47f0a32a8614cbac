//! Shared by the Parquet tests: OTLP requests that use every field, the binary
//! runner, and a reconstruction of OTLP records from the Parquet tables (the
//! inverse of `convert`), so a round trip can be compared record by record.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{
    Array, AsArray, BooleanArray, FixedSizeBinaryArray, Float64Array, Int32Array, Int64Array,
    ListArray, MapArray, RecordBatch, StringArray, StructArray, TimestampNanosecondArray,
    UInt32Array, UInt64Array,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prost::Message;

mod cells;
mod metric_rows;
mod requests;
mod span_log_rows;

pub use cells::*;
// Not every test target reads metric rows back (interop only needs spans).
#[allow(unused_imports)]
pub use metric_rows::*;
pub use requests::*;
#[allow(unused_imports)]
pub use span_log_rows::*;

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_otlp-analytics"))
}

/// Runs the binary with `args`; returns its output (never panics on a non-zero exit).
pub fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("run otlp-analytics")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and asserts exit 0.
pub fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "otlp-analytics {args:?} failed: {}",
        stderr(&out)
    );
    out
}

pub fn write_message(path: &Path, message: &impl Message) {
    std::fs::write(path, message.encode_to_vec()).expect("write fixture");
}

/// Writes the three fixture requests into `dir` and returns their paths (traces, metrics, logs).
pub fn write_all_fixtures(dir: &Path) -> [PathBuf; 3] {
    let paths = [
        dir.join("traces.pb"),
        dir.join("metrics.pb"),
        dir.join("logs.pb"),
    ];
    write_message(&paths[0], &traces_request());
    write_message(&paths[1], &metrics_request());
    write_message(&paths[2], &logs_request());
    paths
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// All rows of a Parquet file as one batch.
pub fn read_parquet(path: &Path) -> RecordBatch {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet footer")
        .build()
        .expect("reader");
    let schema = arrow::array::RecordBatchReader::schema(&reader);
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("read batch")).collect();
    arrow::compute::concat_batches(&schema, &batches).expect("concat")
}

/// Names of the entries of `dir`, sorted (hidden temporaries included).
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
