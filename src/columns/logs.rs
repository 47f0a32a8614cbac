//! The `logs` table: schema and a builder with typed appends.

use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, Int32Builder, RecordBatch, StringBuilder, TimestampNanosecondBuilder, UInt32Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::attributes::{any_value_text, AttributeMapBuilder};
use super::common::{
    id_fields, timestamp_builder, timestamp_type, ts, IdBuilder, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{
    attribute_fields, context_fields, ContextBuilder, ResourceContext, ScopeContext,
};

pub const TIME: &str = "time_unix_nano";
pub const OBSERVED_TIME: &str = "observed_time_unix_nano";
pub const SEVERITY_NUMBER: &str = "severity_number";
pub const SEVERITY_TEXT: &str = "severity_text";

pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let mut f = context_fields();
            f.push(Field::new(TIME, timestamp_type(), false));
            f.push(Field::new(OBSERVED_TIME, timestamp_type(), false));
            f.push(Field::new(SEVERITY_NUMBER, DataType::Int32, false));
            f.push(Field::new(SEVERITY_TEXT, DataType::Utf8, false));
            f.push(Field::new("body", DataType::Utf8, true));
            f.push(Field::new("body_type", DataType::Utf8, true));
            f.extend(attribute_fields(""));
            f.push(Field::new(
                "dropped_attributes_count",
                DataType::UInt32,
                false,
            ));
            f.push(Field::new("flags", DataType::UInt32, false));
            f.extend(id_fields("trace_id", TRACE_ID_LEN));
            f.extend(id_fields("span_id", SPAN_ID_LEN));
            f.push(Field::new("event_name", DataType::Utf8, false));
            Arc::new(Schema::new(f))
        })
        .clone()
}

pub struct LogBuilder {
    rows: usize,
    projection: super::Projection,
    context: ContextBuilder,
    time: TimestampNanosecondBuilder,
    observed_time: TimestampNanosecondBuilder,
    severity_number: Int32Builder,
    severity_text: StringBuilder,
    body: StringBuilder,
    body_type: StringBuilder,
    attributes: AttributeMapBuilder,
    dropped_attributes: UInt32Builder,
    flags: UInt32Builder,
    trace_id: IdBuilder,
    span_id: IdBuilder,
    event_name: StringBuilder,
}

impl Default for LogBuilder {
    fn default() -> Self {
        Self::new(super::Projection::ALL)
    }
}

impl LogBuilder {
    pub fn new(projection: super::Projection) -> Self {
        Self {
            rows: 0,
            projection,
            context: ContextBuilder::new(projection),
            time: timestamp_builder(),
            observed_time: timestamp_builder(),
            severity_number: Int32Builder::new(),
            severity_text: StringBuilder::new(),
            body: StringBuilder::new(),
            body_type: StringBuilder::new(),
            attributes: AttributeMapBuilder::default(),
            dropped_attributes: UInt32Builder::new(),
            flags: UInt32Builder::new(),
            trace_id: IdBuilder::new(TRACE_ID_LEN),
            span_id: IdBuilder::new(SPAN_ID_LEN),
            event_name: StringBuilder::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn append(&mut self, resource: &ResourceContext, scope: &ScopeContext, log: &LogRecord) {
        self.rows += 1;
        self.context.append(resource, scope);
        self.time.append_value(ts(log.time_unix_nano));
        self.observed_time
            .append_value(ts(log.observed_time_unix_nano));
        self.severity_number.append_value(log.severity_number);
        self.severity_text.append_value(&log.severity_text);
        match &log.body {
            // An absent body is null in both columns; a present one is text plus its type tag.
            None => {
                self.body.append_null();
                self.body_type.append_null();
            }
            Some(b) => {
                let (text, tag) = any_value_text(Some(b));
                self.body.append_value(text);
                self.body_type.append_option(tag);
            }
        }
        self.attributes
            .append_key_values(if self.projection.attributes {
                &log.attributes
            } else {
                &[]
            });
        self.dropped_attributes
            .append_value(log.dropped_attributes_count);
        self.flags.append_value(log.flags);
        self.trace_id.append(&log.trace_id);
        self.span_id.append(&log.span_id);
        self.event_name.append_value(&log.event_name);
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols: Vec<ArrayRef> = self.context.finish();
        cols.push(Arc::new(self.time.finish()));
        cols.push(Arc::new(self.observed_time.finish()));
        cols.push(Arc::new(self.severity_number.finish()));
        cols.push(Arc::new(self.severity_text.finish()));
        cols.push(Arc::new(self.body.finish()));
        cols.push(Arc::new(self.body_type.finish()));
        cols.extend(self.attributes.finish());
        cols.push(Arc::new(self.dropped_attributes.finish()));
        cols.push(Arc::new(self.flags.finish()));
        cols.extend(self.trace_id.finish());
        cols.extend(self.span_id.finish());
        cols.push(Arc::new(self.event_name.finish()));
        // Every column is appended once per row, so lengths and types match the schema.
        RecordBatch::try_new(schema(), cols).expect("log columns match the log schema")
    }
}
