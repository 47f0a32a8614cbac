//! Spans and log records as rows: flattened from the OTLP requests (source
//! side) and reconstructed from the `spans` and `logs` tables.

use super::cells::{
    attrs, context, i32_at, id, string, struct_attrs, struct_col, struct_id, struct_list, time,
    u32_at,
};
use super::*;

/// A status of code UNSET without a message is the same as no status.
fn norm_span(mut s: Span) -> Span {
    s.status = s.status.filter(|st| st.code != 0 || !st.message.is_empty());
    s
}

pub fn source_spans(req: &ExportTraceServiceRequest) -> Vec<(Context, Span)> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push((
                    context(&rs.resource, &rs.schema_url, &ss.scope, &ss.schema_url),
                    norm_span(s.clone()),
                ));
            }
        }
    }
    out
}

pub fn source_logs(req: &ExportLogsServiceRequest) -> Vec<(Context, LogRecord)> {
    let mut out = Vec::new();
    for rl in &req.resource_logs {
        for sl in &rl.scope_logs {
            for l in &sl.log_records {
                out.push((
                    context(&rl.resource, &rl.schema_url, &sl.scope, &sl.schema_url),
                    l.clone(),
                ));
            }
        }
    }
    out
}

// Reconstruction (Parquet side).

pub fn spans_from(batch: &RecordBatch) -> Vec<(Context, Span)> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let events = struct_list(batch, "events", row);
            let events = (0..events.len())
                .map(|i| span::Event {
                    time_unix_nano: struct_col::<TimestampNanosecondArray>(
                        &events,
                        "time_unix_nano",
                    )
                    .value(i) as u64,
                    name: struct_col::<StringArray>(&events, "name").value(i).into(),
                    attributes: struct_attrs(&events, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &events,
                        "dropped_attributes_count",
                    )
                    .value(i),
                })
                .collect();
            let links = struct_list(batch, "links", row);
            let links = (0..links.len())
                .map(|i| span::Link {
                    trace_id: struct_id(&links, "trace_id", i),
                    span_id: struct_id(&links, "span_id", i),
                    trace_state: struct_col::<StringArray>(&links, "trace_state")
                        .value(i)
                        .into(),
                    attributes: struct_attrs(&links, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &links,
                        "dropped_attributes_count",
                    )
                    .value(i),
                    flags: struct_col::<UInt32Array>(&links, "flags").value(i),
                })
                .collect();
            let status = Status {
                message: string(batch, "status_message", row),
                code: i32_at(batch, "status_code", row),
            };
            let span = Span {
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                trace_state: string(batch, "trace_state", row),
                parent_span_id: id(batch, "parent_span_id", row),
                flags: u32_at(batch, "flags", row),
                name: string(batch, "name", row),
                kind: i32_at(batch, "kind", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                end_time_unix_nano: time(batch, "end_time_unix_nano", row),
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                events,
                dropped_events_count: u32_at(batch, "dropped_events_count", row),
                links,
                dropped_links_count: u32_at(batch, "dropped_links_count", row),
                status: Some(status),
            };
            (context_at(batch, row), norm_span(span))
        })
        .collect()
}

pub fn logs_from(batch: &RecordBatch) -> Vec<(Context, LogRecord)> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let body = col::<StringArray>(batch, "body");
            let body_type = col::<StringArray>(batch, "body_type");
            let body = body.is_valid(row).then(|| {
                typed_value(
                    body.value(row),
                    body_type.is_valid(row).then(|| body_type.value(row)),
                )
            });
            let log = LogRecord {
                time_unix_nano: time(batch, "time_unix_nano", row),
                observed_time_unix_nano: time(batch, "observed_time_unix_nano", row),
                severity_number: i32_at(batch, "severity_number", row),
                severity_text: string(batch, "severity_text", row),
                body,
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                flags: u32_at(batch, "flags", row),
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                event_name: string(batch, "event_name", row),
            };
            (context_at(batch, row), log)
        })
        .collect()
}
