//! OTLP/JSON → log messages: resource and scope logs, log records.

use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};

use super::common::{any_value, resource_group, scope_group};
use super::object::JsonObject;
use super::Result;

pub(super) fn resource_logs(o: JsonObject<'_, '_>) -> Result<ResourceLogs> {
    resource_group(
        o,
        "scopeLogs",
        scope_logs,
        |resource, scope_logs, schema_url| ResourceLogs {
            resource,
            scope_logs,
            schema_url,
        },
    )
}

fn scope_logs(o: JsonObject<'_, '_>) -> Result<ScopeLogs> {
    scope_group(
        o,
        "logRecords",
        log_record,
        |scope, log_records, schema_url| ScopeLogs {
            scope,
            log_records,
            schema_url,
        },
    )
}

fn log_record(o: JsonObject<'_, '_>) -> Result<LogRecord> {
    Ok(LogRecord {
        time_unix_nano: o.u64("timeUnixNano")?,
        observed_time_unix_nano: o.u64("observedTimeUnixNano")?,
        severity_number: o.enumeration("severityNumber", |s| {
            SeverityNumber::from_str_name(s).map(|n| n as i32)
        })?,
        severity_text: o.str("severityText")?,
        body: o.msg("body", any_value)?,
        attributes: o.attributes()?,
        dropped_attributes_count: o.u32("droppedAttributesCount")?,
        flags: o.u32("flags")?,
        trace_id: o.id("traceId")?,
        span_id: o.id("spanId")?,
        event_name: o.str("eventName")?,
    })
}
