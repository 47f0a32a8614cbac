//! OTLP/JSON for traces: `ExportTraceServiceRequest` down to spans, their
//! events, links and status.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::Value;

use super::common::{request, resource_group, scope_group};
use super::object::ObjectBuilder;

/// `ExportTraceServiceRequest` (same shape as `TracesData`) as OTLP/JSON.
pub fn traces_to_json(req: &ExportTraceServiceRequest) -> Value {
    request("resourceSpans", &req.resource_spans, resource_spans)
}

fn resource_spans(rs: &ResourceSpans) -> Value {
    resource_group(
        rs.resource.as_ref(),
        "scopeSpans",
        &rs.scope_spans,
        scope_spans,
        &rs.schema_url,
    )
}

fn scope_spans(ss: &ScopeSpans) -> Value {
    scope_group(
        ss.scope.as_ref(),
        "spans",
        &ss.spans,
        span_json,
        &ss.schema_url,
    )
}

/// One `Span`.
pub fn span_json(s: &Span) -> Value {
    let mut o = ObjectBuilder::new();
    o.id("traceId", &s.trace_id);
    o.id("spanId", &s.span_id);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id);
    o.int32("flags", s.flags as i64);
    o.string("name", &s.name);
    o.int32("kind", s.kind as i64);
    o.uint64("startTimeUnixNano", s.start_time_unix_nano);
    o.uint64("endTimeUnixNano", s.end_time_unix_nano);
    o.attributes_and_dropped(&s.attributes, s.dropped_attributes_count);
    o.list("events", &s.events, event);
    o.int32("droppedEventsCount", s.dropped_events_count as i64);
    o.list("links", &s.links, link);
    o.int32("droppedLinksCount", s.dropped_links_count as i64);
    o.msg("status", s.status.as_ref(), status);
    o.into()
}

fn event(e: &span::Event) -> Value {
    let mut o = ObjectBuilder::new();
    o.uint64("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.attributes_and_dropped(&e.attributes, e.dropped_attributes_count);
    o.into()
}

fn link(l: &span::Link) -> Value {
    let mut o = ObjectBuilder::new();
    o.id("traceId", &l.trace_id);
    o.id("spanId", &l.span_id);
    o.string("traceState", &l.trace_state);
    o.attributes_and_dropped(&l.attributes, l.dropped_attributes_count);
    o.int32("flags", l.flags as i64);
    o.into()
}

fn status(s: &Status) -> Value {
    let mut o = ObjectBuilder::new();
    o.string("message", &s.message);
    o.int32("code", s.code as i64);
    o.into()
}
