//! `ExportTraceServiceRequest` on the wire → the `spans` table.

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::spans::{EventFields, LinkFields, SpanBuilder, SpanFields};
use crate::columns::{Projection, Table, TableBatch};
use crate::decode::DecodedFrame;

use super::common::{attribute, walk, RecordVisitor, RenderContext};
use super::{check_time, Msg, Result};

struct Spans<'o> {
    builder: SpanBuilder,
    build: bool,
    batch_rows: usize,
    out: &'o mut DecodedFrame,
}

pub(super) fn decode(
    root: Msg<'_>,
    projection: Option<Projection>,
    batch_rows: usize,
    out: &mut DecodedFrame,
) -> Result<()> {
    let p = projection.unwrap_or(Projection::LEAN);
    let render = RenderContext {
        resource: projection.is_some() && p.resource_attributes,
        scope: projection.is_some() && p.scope_attributes,
    };
    let mut stats = std::mem::take(&mut out.stats);
    let mut v = Spans {
        builder: SpanBuilder::new(p),
        build: projection.is_some(),
        batch_rows,
        out,
    };
    walk(
        root,
        ["ResourceSpans", "ScopeSpans", "Span"],
        render,
        &mut stats,
        &mut v,
    )?;
    stats.merge(&v.out.stats);
    v.out.stats = stats;
    if !v.builder.is_empty() {
        let batch = v.builder.finish();
        v.out.tables.push(TableBatch {
            table: Table::Spans,
            batch,
        });
    }
    Ok(())
}

impl<'a> RecordVisitor<'a> for Spans<'_> {
    fn record(&mut self, r: &ResourceContext, s: &ScopeContext, m: Msg<'a>) -> Result<()> {
        let b = &mut self.builder;
        let keep_attributes = self.build && b.keeps_attributes();
        let keep_nested = self.build && b.keeps_nested();
        let mut span = SpanFields::default();
        let mut f = m.fields();
        while let Some(fld) = f.next()? {
            match fld.num {
                1 => span.trace_id = fld.bytes("Span.trace_id")?,
                2 => span.span_id = fld.bytes("Span.span_id")?,
                3 => span.trace_state = fld.str("Span.trace_state")?,
                4 => span.parent_span_id = fld.bytes("Span.parent_span_id")?,
                5 => span.name = fld.str("Span.name")?,
                6 => span.kind = fld.i32("Span.kind")?,
                7 => span.start_time_unix_nano = fld.fixed64("Span.start_time_unix_nano")?,
                8 => span.end_time_unix_nano = fld.fixed64("Span.end_time_unix_nano")?,
                9 => {
                    let m = fld.msg("Span.attributes")?;
                    if keep_attributes {
                        let (k, v) = attribute(m)?;
                        b.attribute(k, &v);
                    }
                }
                10 => span.dropped_attributes_count = fld.u32("Span.dropped_attributes_count")?,
                11 => event(fld.msg("Span.events")?, keep_nested.then_some(&mut *b))?,
                12 => span.dropped_events_count = fld.u32("Span.dropped_events_count")?,
                13 => {
                    let m = fld.msg("Span.links")?;
                    if keep_nested {
                        link(m, b)?;
                    }
                }
                14 => span.dropped_links_count = fld.u32("Span.dropped_links_count")?,
                15 => status(fld.msg("Span.status")?, &mut span)?,
                16 => span.flags = fld.fixed32("Span.flags")?,
                _ => {}
            }
        }
        let stats = &mut self.out.stats;
        stats.spans += 1;
        let start = check_time("start_time_unix_nano", span.start_time_unix_nano)?;
        let end = check_time("end_time_unix_nano", span.end_time_unix_nano)?;
        stats.see_time(start);
        stats.see_time(end);
        if self.build {
            b.end_span(r, s, &span);
            if b.len() >= self.batch_rows {
                let batch = b.finish();
                self.out.tables.push(TableBatch {
                    table: Table::Spans,
                    batch,
                });
            }
        }
        Ok(())
    }
}

/// An event: appended when `b` is given; its time is checked either way.
fn event(m: Msg<'_>, mut b: Option<&mut SpanBuilder>) -> Result<()> {
    let mut e = EventFields::default();
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match (fld.num, b.as_deref_mut()) {
            (1, _) => e.time_unix_nano = fld.fixed64("Event.time_unix_nano")?,
            (2, Some(_)) => e.name = fld.str("Event.name")?,
            (3, Some(b)) => {
                let (k, v) = attribute(fld.msg("Event.attributes")?)?;
                b.event_attribute(k, &v);
            }
            (4, Some(_)) => {
                e.dropped_attributes_count = fld.u32("Event.dropped_attributes_count")?
            }
            _ => {}
        }
    }
    check_time("events.time_unix_nano", e.time_unix_nano)?;
    if let Some(b) = b {
        b.end_event(&e);
    }
    Ok(())
}

fn link(m: Msg<'_>, b: &mut SpanBuilder) -> Result<()> {
    let mut l = LinkFields::default();
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => l.trace_id = fld.bytes("Link.trace_id")?,
            2 => l.span_id = fld.bytes("Link.span_id")?,
            3 => l.trace_state = fld.str("Link.trace_state")?,
            4 => {
                let (k, v) = attribute(fld.msg("Link.attributes")?)?;
                b.link_attribute(k, &v);
            }
            5 => l.dropped_attributes_count = fld.u32("Link.dropped_attributes_count")?,
            6 => l.flags = fld.fixed32("Link.flags")?,
            _ => {}
        }
    }
    b.end_link(&l);
    Ok(())
}

/// A `Status`, merged into the span (a repeated status message merges, as in prost).
fn status<'a>(m: Msg<'a>, span: &mut SpanFields<'a>) -> Result<()> {
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            2 => span.status_message = fld.str("Status.message")?,
            3 => span.status_code = fld.i32("Status.code")?,
            _ => {}
        }
    }
    Ok(())
}
