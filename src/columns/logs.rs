//! The `logs` table: schema and a builder with typed appends.

use std::sync::{Arc, OnceLock};

use super::attributes::AttributeMapBuilder;
use super::common::{
    id_fields, timestamp_builder, timestamp_type, ts, IdBuilder, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{
    attribute_fields, context_fields, ContextBuilder, ResourceContext, ScopeContext,
};
use super::dict::{dict_type, StrDictBuilder};
use super::value::AnyRef;
use arrow::array::{
    ArrayRef, Int32Builder, RecordBatch, StringBuilder, TimestampNanosecondBuilder, UInt32Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

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
            f.push(Field::new(SEVERITY_TEXT, dict_type(), false));
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

/// The scalar fields of a log record, borrowed from the frame.
#[derive(Debug, Clone, Default)]
pub struct LogFields<'a> {
    pub time_unix_nano: u64,
    pub observed_time_unix_nano: u64,
    pub severity_number: i32,
    pub severity_text: &'a str,
    /// None: no body field at all.
    pub body: Option<AnyRef<'a>>,
    pub dropped_attributes_count: u32,
    pub flags: u32,
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub event_name: &'a str,
}

pub struct LogBuilder {
    rows: usize,
    projection: super::Projection,
    context: ContextBuilder,
    time: TimestampNanosecondBuilder,
    observed_time: TimestampNanosecondBuilder,
    severity_number: Int32Builder,
    severity_text: StrDictBuilder,
    body: StringBuilder,
    body_type: StringBuilder,
    attributes: AttributeMapBuilder,
    dropped_attributes: UInt32Builder,
    flags: UInt32Builder,
    trace_id: IdBuilder,
    span_id: IdBuilder,
    event_name: StringBuilder,
    scratch: String,
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
            severity_text: StrDictBuilder::default(),
            body: StringBuilder::new(),
            body_type: StringBuilder::new(),
            attributes: AttributeMapBuilder::default(),
            dropped_attributes: UInt32Builder::new(),
            flags: UInt32Builder::new(),
            trace_id: IdBuilder::new(TRACE_ID_LEN),
            span_id: IdBuilder::new(SPAN_ID_LEN),
            event_name: StringBuilder::new(),
            scratch: String::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether record attributes are kept (parsers may skip them otherwise).
    pub fn keeps_attributes(&self) -> bool {
        self.projection.attributes
    }

    /// One attribute of the record being parsed (only when kept).
    pub fn attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.attributes.push(key, value);
    }

    /// Closes the record row: its attributes were appended before.
    pub fn end_record(
        &mut self,
        resource: &ResourceContext,
        scope: &ScopeContext,
        log: &LogFields<'_>,
    ) {
        self.end_record_pending(log);
        self.context.append(resource, scope);
    }

    /// Resource and scope columns of the last `n` rows closed with
    /// `end_record_pending` (OTLP/JSON may give them after the records).
    pub fn append_context(&mut self, resource: &ResourceContext, scope: &ScopeContext, n: usize) {
        self.context.append_n(resource, scope, n);
    }

    /// Closes a record row without its resource and scope columns, which
    /// `append_context` adds later.
    pub fn end_record_pending(&mut self, log: &LogFields<'_>) {
        self.rows += 1;
        self.time.append_value(ts(log.time_unix_nano));
        self.observed_time
            .append_value(ts(log.observed_time_unix_nano));
        self.severity_number.append_value(log.severity_number);
        self.severity_text.append_value(log.severity_text);
        match &log.body {
            // An absent body is null in both columns; a present one is text plus its type tag.
            None => {
                self.body.append_null();
                self.body_type.append_null();
            }
            Some(b) => {
                self.body.append_value(b.render(&mut self.scratch));
                self.body_type.append_option(b.type_tag());
            }
        }
        self.attributes.finish_row();
        self.dropped_attributes
            .append_value(log.dropped_attributes_count);
        self.flags.append_value(log.flags);
        self.trace_id.append(log.trace_id);
        self.span_id.append(log.span_id);
        self.event_name.append_value(log.event_name);
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols: Vec<ArrayRef> = self.context.finish();
        cols.push(Arc::new(self.time.finish()));
        cols.push(Arc::new(self.observed_time.finish()));
        cols.push(Arc::new(self.severity_number.finish()));
        cols.push(self.severity_text.finish());
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
