//! OTLP/JSON log records → the `logs` table.

use std::borrow::Cow;

use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use serde::de::MapAccess;

use crate::columns::logs::LogFields;

use super::common::{attributes, Any, AnyValue};
use super::scalar::Id;
use super::{is, obj_items, skip, Ctx, Fields, Sink};

/// The `logRecords` list of a scope group: each record is appended as it
/// closes (its resource and scope columns follow when the resource closes).
pub(super) fn records<'de, A: MapAccess<'de>>(ctx: &mut Ctx, map: &mut A) -> Result<(), A::Error> {
    let mut items = obj_items(Log::default, |ctx: &mut Ctx, log: Log<'de>| {
        ctx.out.stats.log_records += 1;
        let time = ctx.time("time_unix_nano", log.time)?;
        let observed = ctx.time("observed_time_unix_nano", log.observed)?;
        ctx.out
            .stats
            .see_time(if time != 0 { time } else { observed });
        if let (true, Sink::Logs(b)) = (ctx.projection.is_some(), &mut ctx.sink) {
            b.end_record_pending(&LogFields {
                time_unix_nano: time,
                observed_time_unix_nano: observed,
                severity_number: log.severity_number,
                severity_text: &log.severity_text,
                body: log.body.as_ref().map(Any::to_ref),
                dropped_attributes_count: log.dropped,
                flags: log.flags,
                trace_id: log.trace_id.bytes(),
                span_id: log.span_id.bytes(),
                event_name: &log.event_name,
            });
        }
        Ok(())
    });
    ctx.list(map, "logRecords", &mut items)?;
    Ok(())
}

#[derive(Default)]
struct Log<'de> {
    time: u64,
    observed: u64,
    severity_number: i32,
    severity_text: Cow<'de, str>,
    body: Option<Any<'de>>,
    dropped: u32,
    flags: u32,
    trace_id: Id,
    span_id: Id,
    event_name: Cow<'de, str>,
}

fn severity(s: &str) -> Option<i32> {
    SeverityNumber::from_str_name(s).map(|n| n as i32)
}

impl<'de> Fields<'de> for Log<'de> {
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
            k if is(k, "observedTimeUnixNano", "observed_time_unix_nano") => {
                self.observed = ctx.u64(map, "observedTimeUnixNano")?
            }
            k if is(k, "severityNumber", "severity_number") => {
                self.severity_number = ctx.enumeration(map, "severityNumber", severity)?
            }
            k if is(k, "severityText", "severity_text") => {
                self.severity_text = ctx.string(map, "severityText")?
            }
            "body" => {
                let mut v = AnyValue::default();
                if ctx.object(map, "body", &mut v)? {
                    self.body = Some(v.value());
                }
            }
            "attributes" if ctx.projection.is_some_and(|p| p.attributes) => {
                attributes(ctx, map, "attributes", |ctx, k, v| {
                    if let Sink::Logs(b) = &mut ctx.sink {
                        b.attribute(k, v);
                    }
                })?
            }
            k if is(k, "droppedAttributesCount", "dropped_attributes_count") => {
                self.dropped = ctx.u32(map, "droppedAttributesCount")?
            }
            "flags" => self.flags = ctx.u32(map, "flags")?,
            k if is(k, "traceId", "trace_id") => self.trace_id = ctx.id(map, "traceId")?,
            k if is(k, "spanId", "span_id") => self.span_id = ctx.id(map, "spanId")?,
            k if is(k, "eventName", "event_name") => {
                self.event_name = ctx.string(map, "eventName")?
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}
