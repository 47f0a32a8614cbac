//! Per-signal Arrow schemas and builders. The in-memory column layout is the
//! Parquet layout written by `convert`, so Parquet input needs no second path.

pub mod attributes;
pub mod common;
pub mod context;
pub mod dict;
pub mod logs;
pub mod metric_header;
pub mod metric_schemas;
pub mod metrics;
pub mod series;
pub mod spans;
pub mod value;

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

    /// Recognizes a table by its schema (for Parquet input). A string column
    /// may be plain Utf8 or dictionary-encoded either way (Parquet input casts it).
    pub fn from_schema(schema: &arrow::datatypes::Schema) -> Option<Table> {
        Table::ALL.into_iter().find(|t| {
            let ours = t.schema();
            ours.fields().len() == schema.fields().len()
                && ours.fields().iter().zip(schema.fields()).all(|(a, b)| {
                    a.name() == b.name()
                        && a.is_nullable() == b.is_nullable()
                        && (a.data_type() == b.data_type()
                            || (is_string_type(a.data_type()) && is_string_type(b.data_type())))
                })
        })
    }
}

fn is_string_type(t: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType;
    match t {
        DataType::Utf8 => true,
        DataType::Dictionary(_, v) => **v == DataType::Utf8,
        _ => false,
    }
}

/// Which costly columns to fill. Columns left out keep their type but hold empty
/// maps / lists, so a batch still matches its table schema; Parquet input drops
/// them instead. Aggregation and validation only ask for what they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection {
    pub resource_attributes: bool,
    pub scope_attributes: bool,
    /// Record (span / point / log) attributes.
    pub attributes: bool,
    /// Events, links, exemplars, summary quantiles.
    pub nested: bool,
}

impl Projection {
    pub const ALL: Projection = Projection {
        resource_attributes: true,
        scope_attributes: true,
        attributes: true,
        nested: true,
    };
    pub const LEAN: Projection = Projection {
        resource_attributes: false,
        scope_attributes: false,
        attributes: false,
        nested: false,
    };

    /// Whether a top-level column of any table is kept.
    pub fn keeps(&self, column: &str) -> bool {
        match column {
            "resource_attributes" | "resource_attribute_types" => self.resource_attributes,
            "scope_attributes" | "scope_attribute_types" => self.scope_attributes,
            "attributes" | "attribute_types" => self.attributes,
            "events" | "links" | "exemplars" | "quantile_values" => self.nested,
            _ => true,
        }
    }
}

/// One batch of rows of one table.
#[derive(Debug, Clone)]
pub struct TableBatch {
    pub table: Table,
    pub batch: RecordBatch,
}
