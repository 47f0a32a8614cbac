//! The `spans` table: schema and a builder with typed appends.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int32Builder, RecordBatch, StringBuilder, UInt32Builder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::attributes::AttributeMapBuilder;
use super::common::{
    finish_list_of_struct, id_fields, list_of_struct, timestamp_builder, timestamp_type, ts,
    IdBuilder, ListOffsets, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{
    attribute_fields, context_fields, ContextBuilder, ResourceContext, ScopeContext,
};
use super::dict::{dict_type, StrDictBuilder};
use super::value::AnyRef;

pub const TRACE_ID: &str = "trace_id";
pub const SPAN_ID: &str = "span_id";
pub const PARENT_SPAN_ID: &str = "parent_span_id";
pub const NAME: &str = "name";
pub const KIND: &str = "kind";
pub const START: &str = "start_time_unix_nano";
pub const END: &str = "end_time_unix_nano";
pub const STATUS_CODE: &str = "status_code";

fn event_fields() -> Vec<Field> {
    let mut f = vec![
        Field::new("time_unix_nano", timestamp_type(), false),
        Field::new("name", DataType::Utf8, false),
    ];
    f.extend(attribute_fields(""));
    f.push(Field::new(
        "dropped_attributes_count",
        DataType::UInt32,
        false,
    ));
    f
}

fn link_fields() -> Vec<Field> {
    let mut f = Vec::new();
    f.extend(id_fields(TRACE_ID, TRACE_ID_LEN));
    f.extend(id_fields(SPAN_ID, SPAN_ID_LEN));
    f.push(Field::new("trace_state", DataType::Utf8, false));
    f.extend(attribute_fields(""));
    f.push(Field::new(
        "dropped_attributes_count",
        DataType::UInt32,
        false,
    ));
    f.push(Field::new("flags", DataType::UInt32, false));
    f
}

pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let mut f = context_fields();
            f.extend(id_fields(TRACE_ID, TRACE_ID_LEN));
            f.extend(id_fields(SPAN_ID, SPAN_ID_LEN));
            f.extend(id_fields(PARENT_SPAN_ID, SPAN_ID_LEN));
            f.push(Field::new("trace_state", DataType::Utf8, false));
            f.push(Field::new("flags", DataType::UInt32, false));
            f.push(Field::new(NAME, dict_type(), false));
            f.push(Field::new(KIND, DataType::Int32, false));
            f.push(Field::new(START, timestamp_type(), false));
            f.push(Field::new(END, timestamp_type(), false));
            f.extend(attribute_fields(""));
            f.push(Field::new(
                "dropped_attributes_count",
                DataType::UInt32,
                false,
            ));
            f.push(Field::new("events", list_of_struct(event_fields()), false));
            f.push(Field::new("dropped_events_count", DataType::UInt32, false));
            f.push(Field::new("links", list_of_struct(link_fields()), false));
            f.push(Field::new("dropped_links_count", DataType::UInt32, false));
            f.push(Field::new(STATUS_CODE, DataType::Int32, false));
            f.push(Field::new("status_message", DataType::Utf8, false));
            Arc::new(Schema::new(f))
        })
        .clone()
}

/// The scalar fields of a span, borrowed from the frame (zero when absent).
#[derive(Debug, Clone, Default)]
pub struct SpanFields<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub parent_span_id: &'a [u8],
    pub trace_state: &'a str,
    pub flags: u32,
    pub name: &'a str,
    pub kind: i32,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub dropped_attributes_count: u32,
    pub dropped_events_count: u32,
    pub dropped_links_count: u32,
    pub status_code: i32,
    pub status_message: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct EventFields<'a> {
    pub time_unix_nano: u64,
    pub name: &'a str,
    pub dropped_attributes_count: u32,
}

#[derive(Debug, Clone, Default)]
pub struct LinkFields<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub trace_state: &'a str,
    pub dropped_attributes_count: u32,
    pub flags: u32,
}

struct EventsBuilder {
    offsets: ListOffsets,
    time: arrow::array::TimestampNanosecondBuilder,
    name: StringBuilder,
    attributes: AttributeMapBuilder,
    dropped: UInt32Builder,
}

struct LinksBuilder {
    offsets: ListOffsets,
    trace_id: IdBuilder,
    span_id: IdBuilder,
    trace_state: StringBuilder,
    attributes: AttributeMapBuilder,
    dropped: UInt32Builder,
    flags: UInt32Builder,
}

pub struct SpanBuilder {
    rows: usize,
    projection: super::Projection,
    context: ContextBuilder,
    trace_id: IdBuilder,
    span_id: IdBuilder,
    parent_span_id: IdBuilder,
    trace_state: StringBuilder,
    flags: UInt32Builder,
    name: StrDictBuilder,
    kind: Int32Builder,
    start: arrow::array::TimestampNanosecondBuilder,
    end: arrow::array::TimestampNanosecondBuilder,
    attributes: AttributeMapBuilder,
    dropped_attributes: UInt32Builder,
    events: EventsBuilder,
    dropped_events: UInt32Builder,
    links: LinksBuilder,
    dropped_links: UInt32Builder,
    status_code: Int32Builder,
    status_message: StringBuilder,
}

impl Default for SpanBuilder {
    fn default() -> Self {
        Self::new(super::Projection::ALL)
    }
}

impl SpanBuilder {
    pub fn new(projection: super::Projection) -> Self {
        Self {
            rows: 0,
            projection,
            context: ContextBuilder::new(projection),
            trace_id: IdBuilder::new(TRACE_ID_LEN),
            span_id: IdBuilder::new(SPAN_ID_LEN),
            parent_span_id: IdBuilder::new(SPAN_ID_LEN),
            trace_state: StringBuilder::new(),
            flags: UInt32Builder::new(),
            name: StrDictBuilder::default(),
            kind: Int32Builder::new(),
            start: timestamp_builder(),
            end: timestamp_builder(),
            attributes: AttributeMapBuilder::default(),
            dropped_attributes: UInt32Builder::new(),
            events: EventsBuilder {
                offsets: ListOffsets::default(),
                time: timestamp_builder(),
                name: StringBuilder::new(),
                attributes: AttributeMapBuilder::default(),
                dropped: UInt32Builder::new(),
            },
            dropped_events: UInt32Builder::new(),
            links: LinksBuilder {
                offsets: ListOffsets::default(),
                trace_id: IdBuilder::new(TRACE_ID_LEN),
                span_id: IdBuilder::new(SPAN_ID_LEN),
                trace_state: StringBuilder::new(),
                attributes: AttributeMapBuilder::default(),
                dropped: UInt32Builder::new(),
                flags: UInt32Builder::new(),
            },
            dropped_links: UInt32Builder::new(),
            status_code: Int32Builder::new(),
            status_message: StringBuilder::new(),
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

    /// Whether events and links are kept.
    pub fn keeps_nested(&self) -> bool {
        self.projection.nested
    }

    /// One attribute of the span being parsed (only when kept).
    pub fn attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.attributes.push(key, value);
    }

    /// One attribute of the event being parsed.
    pub fn event_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.events.attributes.push(key, value);
    }

    /// Closes an event of the span being parsed (its attributes come first).
    pub fn end_event(&mut self, e: &EventFields<'_>) {
        let ev = &mut self.events;
        ev.offsets.push_items(1);
        ev.time.append_value(ts(e.time_unix_nano));
        ev.name.append_value(e.name);
        ev.attributes.finish_row();
        ev.dropped.append_value(e.dropped_attributes_count);
    }

    /// One attribute of the link being parsed.
    pub fn link_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.links.attributes.push(key, value);
    }

    /// Closes a link of the span being parsed (its attributes come first).
    pub fn end_link(&mut self, l: &LinkFields<'_>) {
        let ln = &mut self.links;
        ln.offsets.push_items(1);
        ln.trace_id.append(l.trace_id);
        ln.span_id.append(l.span_id);
        ln.trace_state.append_value(l.trace_state);
        ln.attributes.finish_row();
        ln.dropped.append_value(l.dropped_attributes_count);
        ln.flags.append_value(l.flags);
    }

    /// Closes the span row: its attributes, events and links were appended before.
    pub fn end_span(
        &mut self,
        resource: &ResourceContext,
        scope: &ScopeContext,
        span: &SpanFields<'_>,
    ) {
        self.end_span_pending(span);
        self.context.append(resource, scope);
    }

    /// Resource and scope columns of the last `n` rows closed with
    /// `end_span_pending` (OTLP/JSON may give them after the spans).
    pub fn append_context(&mut self, resource: &ResourceContext, scope: &ScopeContext, n: usize) {
        self.context.append_n(resource, scope, n);
    }

    /// Closes a span row without its resource and scope columns, which
    /// `append_context` adds later; rows are finished only when all have them.
    pub fn end_span_pending(&mut self, span: &SpanFields<'_>) {
        self.rows += 1;
        self.trace_id.append(span.trace_id);
        self.span_id.append(span.span_id);
        self.parent_span_id.append(span.parent_span_id);
        self.trace_state.append_value(span.trace_state);
        self.flags.append_value(span.flags);
        self.name.append_value(span.name);
        self.kind.append_value(span.kind);
        self.start.append_value(ts(span.start_time_unix_nano));
        self.end.append_value(ts(span.end_time_unix_nano));
        self.attributes.finish_row();
        self.dropped_attributes
            .append_value(span.dropped_attributes_count);
        self.events.offsets.close_row();
        self.dropped_events.append_value(span.dropped_events_count);
        self.links.offsets.close_row();
        self.dropped_links.append_value(span.dropped_links_count);
        self.status_code.append_value(span.status_code);
        self.status_message.append_value(span.status_message);
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols: Vec<ArrayRef> = self.context.finish();
        cols.extend(self.trace_id.finish());
        cols.extend(self.span_id.finish());
        cols.extend(self.parent_span_id.finish());
        cols.push(Arc::new(self.trace_state.finish()));
        cols.push(Arc::new(self.flags.finish()));
        cols.push(self.name.finish());
        cols.push(Arc::new(self.kind.finish()));
        cols.push(Arc::new(self.start.finish()));
        cols.push(Arc::new(self.end.finish()));
        cols.extend(self.attributes.finish());
        cols.push(Arc::new(self.dropped_attributes.finish()));

        let ev = &mut self.events;
        let mut children: Vec<ArrayRef> =
            vec![Arc::new(ev.time.finish()), Arc::new(ev.name.finish())];
        children.extend(ev.attributes.finish());
        children.push(Arc::new(ev.dropped.finish()));
        cols.push(finish_list_of_struct(
            event_fields(),
            children,
            ev.offsets.finish(),
        ));
        cols.push(Arc::new(self.dropped_events.finish()));

        let ln = &mut self.links;
        let mut children: Vec<ArrayRef> = Vec::new();
        children.extend(ln.trace_id.finish());
        children.extend(ln.span_id.finish());
        children.push(Arc::new(ln.trace_state.finish()));
        children.extend(ln.attributes.finish());
        children.push(Arc::new(ln.dropped.finish()));
        children.push(Arc::new(ln.flags.finish()));
        cols.push(finish_list_of_struct(
            link_fields(),
            children,
            ln.offsets.finish(),
        ));
        cols.push(Arc::new(self.dropped_links.finish()));
        cols.push(Arc::new(self.status_code.finish()));
        cols.push(Arc::new(self.status_message.finish()));
        // Every column is appended once per row above, so lengths and types match the schema.
        RecordBatch::try_new(schema(), cols).expect("span columns match the span schema")
    }
}
