//! OTLP/JSON for logs: `ExportLogsServiceRequest` down to log records.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use serde_json::Value;

use super::common::{any_value, request, resource_group, scope_group};
use super::object::ObjectBuilder;

/// `ExportLogsServiceRequest` (same shape as `LogsData`) as OTLP/JSON.
pub fn logs_to_json(req: &ExportLogsServiceRequest) -> Value {
    request("resourceLogs", &req.resource_logs, resource_logs)
}

fn resource_logs(rl: &ResourceLogs) -> Value {
    resource_group(
        rl.resource.as_ref(),
        "scopeLogs",
        &rl.scope_logs,
        scope_logs,
        &rl.schema_url,
    )
}

fn scope_logs(sl: &ScopeLogs) -> Value {
    scope_group(
        sl.scope.as_ref(),
        "logRecords",
        &sl.log_records,
        log_record,
        &sl.schema_url,
    )
}

/// One `LogRecord`.
pub fn log_record(r: &LogRecord) -> Value {
    let mut o = ObjectBuilder::new();
    o.uint64("timeUnixNano", r.time_unix_nano);
    o.uint64("observedTimeUnixNano", r.observed_time_unix_nano);
    o.int32("severityNumber", r.severity_number as i64);
    o.string("severityText", &r.severity_text);
    o.msg("body", r.body.as_ref(), any_value);
    o.attributes_and_dropped(&r.attributes, r.dropped_attributes_count);
    o.int32("flags", r.flags as i64);
    o.id("traceId", &r.trace_id);
    o.id("spanId", &r.span_id);
    o.string("eventName", &r.event_name);
    o.into()
}
