//! Per-signal Arrow schemas and builders. The in-memory column layout is the
//! Parquet layout written by `convert`, so Parquet input needs no second path.

pub mod attributes;
pub mod common;
pub mod context;
pub mod logs;
pub mod metrics;
pub mod series;
pub mod spans;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

/// The tables a decoded frame can fill, named as their Parquet files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Spans,
    Logs,
    MetricPoints,
    HistogramPoints,
    ExpHistogramPoints,
    SummaryPoints,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Spans,
        Table::Logs,
        Table::MetricPoints,
        Table::HistogramPoints,
        Table::ExpHistogramPoints,
        Table::SummaryPoints,
    ];

    pub fn file_stem(self) -> &'static str {
        match self {
            Table::Spans => "spans",
            Table::Logs => "logs",
            Table::MetricPoints => "metric_points",
            Table::HistogramPoints => "histogram_points",
            Table::ExpHistogramPoints => "exp_histogram_points",
            Table::SummaryPoints => "summary_points",
        }
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Spans => spans::schema(),
            Table::Logs => logs::schema(),
            Table::MetricPoints => metrics::number_schema(),
            Table::HistogramPoints => metrics::histogram_schema(),
            Table::ExpHistogramPoints => metrics::exp_histogram_schema(),
            Table::SummaryPoints => metrics::summary_schema(),
        }
    }

    /// Recognizes a table by its schema (for Parquet input).
    pub fn from_schema(schema: &arrow::datatypes::Schema) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.schema().fields() == schema.fields())
    }
}

/// One batch of rows of one table.
#[derive(Debug, Clone)]
pub struct TableBatch {
    pub table: Table,
    pub batch: RecordBatch,
}
