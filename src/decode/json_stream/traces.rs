//! OTLP/JSON spans (with events, links and status) → the `spans` table.

use std::borrow::Cow;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde::de::MapAccess;

use crate::columns::spans::{EventFields, LinkFields, SpanFields};

use super::common::attributes;
use super::scalar::Id;
use super::{is, obj_items, skip, Ctx, Fields, Sink};

/// The `spans` list of a scope group: each span is appended as it closes
/// (its resource and scope columns follow when the resource closes).
pub(super) fn records<'de, A: MapAccess<'de>>(ctx: &mut Ctx, map: &mut A) -> Result<(), A::Error> {
    let mut items = obj_items(Span::default, |ctx: &mut Ctx, span: Span<'de>| {
        ctx.out.stats.spans += 1;
        let start = ctx.time("start_time_unix_nano", span.start)?;
        let end = ctx.time("end_time_unix_nano", span.end)?;
        ctx.out.stats.see_time(start);
        ctx.out.stats.see_time(end);
        if let (true, Sink::Traces(b)) = (ctx.projection.is_some(), &mut ctx.sink) {
            b.end_span_pending(&SpanFields {
                trace_id: span.trace_id.bytes(),
                span_id: span.span_id.bytes(),
                parent_span_id: span.parent_span_id.bytes(),
                trace_state: &span.trace_state,
                flags: span.flags,
                name: &span.name,
                kind: span.kind,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                dropped_attributes_count: span.dropped_attributes_count,
                dropped_events_count: span.dropped_events_count,
                dropped_links_count: span.dropped_links_count,
                status_code: span.status_code,
                status_message: &span.status_message,
            });
        }
        Ok(())
    });
    ctx.list(map, "spans", &mut items)?;
    Ok(())
}

#[derive(Default)]
struct Span<'de> {
    trace_id: Id,
    span_id: Id,
    parent_span_id: Id,
    trace_state: Cow<'de, str>,
    flags: u32,
    name: Cow<'de, str>,
    kind: i32,
    start: u64,
    end: u64,
    dropped_attributes_count: u32,
    dropped_events_count: u32,
    dropped_links_count: u32,
    status_code: i32,
    status_message: Cow<'de, str>,
}

fn span_kind(s: &str) -> Option<i32> {
    SpanKind::from_str_name(s).map(|k| k as i32)
}

fn status_code(s: &str) -> Option<i32> {
    StatusCode::from_str_name(s).map(|c| c as i32)
}

/// Whether the span builder wants this part (attributes, or nested events and links).
fn keeps(ctx: &Ctx, nested: bool) -> bool {
    ctx.projection
        .is_some_and(|p| if nested { p.nested } else { p.attributes })
}

impl<'de> Fields<'de> for Span<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            k if is(k, "traceId", "trace_id") => self.trace_id = ctx.id(map, "traceId")?,
            k if is(k, "spanId", "span_id") => self.span_id = ctx.id(map, "spanId")?,
            k if is(k, "parentSpanId", "parent_span_id") => {
                self.parent_span_id = ctx.id(map, "parentSpanId")?
            }
            k if is(k, "traceState", "trace_state") => {
                self.trace_state = ctx.string(map, "traceState")?
            }
            "flags" => self.flags = ctx.u32(map, "flags")?,
            "name" => self.name = ctx.string(map, "name")?,
            "kind" => self.kind = ctx.enumeration(map, "kind", span_kind)?,
            k if is(k, "startTimeUnixNano", "start_time_unix_nano") => {
                self.start = ctx.u64(map, "startTimeUnixNano")?
            }
            k if is(k, "endTimeUnixNano", "end_time_unix_nano") => {
                self.end = ctx.u64(map, "endTimeUnixNano")?
            }
            "attributes" if keeps(ctx, false) => {
                attributes(ctx, map, "attributes", |ctx, k, v| {
                    if let Sink::Traces(b) = &mut ctx.sink {
                        b.attribute(k, v);
                    }
                })?
            }
            k if is(k, "droppedAttributesCount", "dropped_attributes_count") => {
                self.dropped_attributes_count = ctx.u32(map, "droppedAttributesCount")?
            }
            "events" => {
                let keep = keeps(ctx, true);
                let mut items = obj_items(
                    move || Event {
                        keep,
                        ..Event::default()
                    },
                    |ctx: &mut Ctx, e: Event<'de>| {
                        let time = ctx.time("events.time_unix_nano", e.time)?;
                        if let (true, Sink::Traces(b)) = (keep, &mut ctx.sink) {
                            b.end_event(&EventFields {
                                time_unix_nano: time,
                                name: &e.name,
                                dropped_attributes_count: e.dropped,
                            });
                        }
                        Ok(())
                    },
                );
                ctx.list(map, "events", &mut items)?;
            }
            k if is(k, "droppedEventsCount", "dropped_events_count") => {
                self.dropped_events_count = ctx.u32(map, "droppedEventsCount")?
            }
            "links" if keeps(ctx, true) => {
                let mut items = obj_items(Link::default, |ctx: &mut Ctx, l: Link<'de>| {
                    if let Sink::Traces(b) = &mut ctx.sink {
                        b.end_link(&LinkFields {
                            trace_id: l.trace_id.bytes(),
                            span_id: l.span_id.bytes(),
                            trace_state: &l.trace_state,
                            dropped_attributes_count: l.dropped,
                            flags: l.flags,
                        });
                    }
                    Ok(())
                });
                ctx.list(map, "links", &mut items)?;
            }
            k if is(k, "droppedLinksCount", "dropped_links_count") => {
                self.dropped_links_count = ctx.u32(map, "droppedLinksCount")?
            }
            "status" => {
                let mut st = Status::default();
                if ctx.object(map, "status", &mut st)? {
                    self.status_code = st.code;
                    self.status_message = st.message;
                }
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Event<'de> {
    keep: bool,
    time: u64,
    name: Cow<'de, str>,
    dropped: u32,
}

impl<'de> Fields<'de> for Event<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            k if is(k, "timeUnixNano", "time_unix_nano") => {
                self.time = ctx.u64(map, "timeUnixNano")?
            }
            "name" => self.name = ctx.string(map, "name")?,
            "attributes" if self.keep => attributes(ctx, map, "attributes", |ctx, k, v| {
                if let Sink::Traces(b) = &mut ctx.sink {
                    b.event_attribute(k, v);
                }
            })?,
            k if is(k, "droppedAttributesCount", "dropped_attributes_count") => {
                self.dropped = ctx.u32(map, "droppedAttributesCount")?
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Link<'de> {
    trace_id: Id,
    span_id: Id,
    trace_state: Cow<'de, str>,
    dropped: u32,
    flags: u32,
}

impl<'de> Fields<'de> for Link<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            k if is(k, "traceId", "trace_id") => self.trace_id = ctx.id(map, "traceId")?,
            k if is(k, "spanId", "span_id") => self.span_id = ctx.id(map, "spanId")?,
            k if is(k, "traceState", "trace_state") => {
                self.trace_state = ctx.string(map, "traceState")?
            }
            "attributes" => attributes(ctx, map, "attributes", |ctx, k, v| {
                if let Sink::Traces(b) = &mut ctx.sink {
                    b.link_attribute(k, v);
                }
            })?,
            k if is(k, "droppedAttributesCount", "dropped_attributes_count") => {
                self.dropped = ctx.u32(map, "droppedAttributesCount")?
            }
            "flags" => self.flags = ctx.u32(map, "flags")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Status<'de> {
    message: Cow<'de, str>,
    code: i32,
}

impl<'de> Fields<'de> for Status<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "message" => self.message = ctx.string(map, "message")?,
            "code" => self.code = ctx.enumeration(map, "code", status_code)?,
            _ => skip(map)?,
        }
        Ok(())
    }
}
