//! OTLP/JSON → trace messages: resource and scope spans, spans with their
//! events, links and status.

use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use super::common::{resource_group, scope_group};
use super::object::JsonObject;
use super::Result;

pub(super) fn resource_spans(o: JsonObject<'_, '_>) -> Result<ResourceSpans> {
    resource_group(
        o,
        "scopeSpans",
        scope_spans,
        |resource, scope_spans, schema_url| ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        },
    )
}

fn scope_spans(o: JsonObject<'_, '_>) -> Result<ScopeSpans> {
    scope_group(o, "spans", span, |scope, spans, schema_url| ScopeSpans {
        scope,
        spans,
        schema_url,
    })
}

fn span(o: JsonObject<'_, '_>) -> Result<Span> {
    Ok(Span {
        trace_id: o.id("traceId")?,
        span_id: o.id("spanId")?,
        trace_state: o.str("traceState")?,
        parent_span_id: o.id("parentSpanId")?,
        flags: o.u32("flags")?,
        name: o.str("name")?,
        kind: o.enumeration("kind", |s| SpanKind::from_str_name(s).map(|k| k as i32))?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        end_time_unix_nano: o.u64("endTimeUnixNano")?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
        events: o.msgs("events", |e| {
            Ok(Event {
                time_unix_nano: e.u64("timeUnixNano")?,
                name: e.str("name")?,
                attributes: e.attributes()?,
                dropped_attributes_count: e.u32("droppedAttributesCount")?,
            })
        })?,
        dropped_events_count: o.u32("droppedEventsCount")?,
        links: o.msgs("links", |l| {
            Ok(Link {
                trace_id: l.id("traceId")?,
                span_id: l.id("spanId")?,
                trace_state: l.str("traceState")?,
                attributes: l.attributes()?,
                dropped_attributes_count: l.u32("droppedAttributesCount")?,
                flags: l.u32("flags")?,
            })
        })?,
        dropped_links_count: o.u32("droppedLinksCount")?,
        status: o.msg("status", |s| {
            Ok(Status {
                message: s.str("message")?,
                code: s.enumeration("code", |n| StatusCode::from_str_name(n).map(|c| c as i32))?,
            })
        })?,
    })
}
