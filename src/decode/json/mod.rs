//! OTLP/JSON decoding: a hand-written conversion from `serde_json::Value` trees into the
//! opentelemetry-proto (prost) request messages, following the OTLP/JSON encoding rules
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>).
//!
//! Hand-written because opentelemetry-proto is built without `with-serde`, and because the
//! wire format is looser than serde derives: keys may be lowerCamelCase or snake_case,
//! 64-bit integers may be strings or numbers, enums may be numbers or names, ids are hex.
//! Unknown keys are ignored, `null` means absent, and errors carry the path of the
//! offending field (e.g. `resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano`).
//!
//! Layout: [`object`] reads fields by path, [`scalars`] converts leaf
//! values, [`common`] the messages all signals share, and [`traces`],
//! [`metrics`] and [`logs`] one signal each.

mod common;
mod logs;
mod metrics;
mod object;
pub(crate) mod scalars;
#[cfg(test)]
mod tests;
mod traces;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde_json::Value;

use object::{lookup, JsonObject, ROOT};

/// Why a JSON document could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all; the text is serde_json's, including line and column.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// Valid JSON, but a field has the wrong type or an unparsable value.
    #[error("{path}: {message}")]
    Field { path: String, message: String },
    #[error(
        "unknown signal: expected a top-level resourceSpans, resourceMetrics or resourceLogs key"
    )]
    UnknownSignal,
}

type Result<T> = std::result::Result<T, JsonError>;

/// The telemetry signal carried by an OTLP/JSON request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonSignal {
    Traces,
    Metrics,
    Logs,
}

/// Which signal a JSON request holds, from its top-level key (camelCase or snake_case).
pub fn sniff_signal(value: &Value) -> std::result::Result<JsonSignal, JsonError> {
    let Value::Object(map) = value else {
        return Err(JsonError::UnknownSignal);
    };
    [
        ("resourceSpans", JsonSignal::Traces),
        ("resourceMetrics", JsonSignal::Metrics),
        ("resourceLogs", JsonSignal::Logs),
    ]
    .into_iter()
    .find(|(key, _)| lookup(map, key).is_some())
    .map(|(_, signal)| signal)
    .ok_or(JsonError::UnknownSignal)
}

/// Parses bytes as JSON (serde_json's default nesting limit guards against stack overflow).
pub fn parse(bytes: &[u8]) -> std::result::Result<Value, JsonError> {
    serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))
}

/// Converts an OTLP/JSON traces request; without a `resourceSpans` key it is empty.
pub fn traces_from_value(v: &Value) -> std::result::Result<ExportTraceServiceRequest, JsonError> {
    let root = JsonObject::new(v, &ROOT)?;
    Ok(ExportTraceServiceRequest {
        resource_spans: root.msgs("resourceSpans", traces::resource_spans)?,
    })
}

/// Converts an OTLP/JSON metrics request; without a `resourceMetrics` key it is empty.
pub fn metrics_from_value(
    v: &Value,
) -> std::result::Result<ExportMetricsServiceRequest, JsonError> {
    let root = JsonObject::new(v, &ROOT)?;
    Ok(ExportMetricsServiceRequest {
        resource_metrics: root.msgs("resourceMetrics", metrics::resource_metrics)?,
    })
}

/// Converts an OTLP/JSON logs request; without a `resourceLogs` key it is empty.
pub fn logs_from_value(v: &Value) -> std::result::Result<ExportLogsServiceRequest, JsonError> {
    let root = JsonObject::new(v, &ROOT)?;
    Ok(ExportLogsServiceRequest {
        resource_logs: root.msgs("resourceLogs", logs::resource_logs)?,
    })
}
