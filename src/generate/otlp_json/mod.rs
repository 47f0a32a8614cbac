//! OTLP/JSON encoder: export requests → `serde_json::Value`, following the
//! OTLP specification's JSON mapping (as the Collector's fileexporter and
//! `otlpjsonfile` use it):
//!
//! - lowerCamelCase keys; trace and span ids as lowercase hex (not base64);
//! - 64-bit integers (`fixed64`, `sfixed64`, `int64`, `uint64`) as decimal
//!   strings, 32-bit integers as numbers; enums as integers;
//! - `bytes` in `AnyValue` as standard base64 (with padding);
//! - non-finite doubles as `"NaN"`, `"Infinity"`, `"-Infinity"`;
//! - fields at their default value are omitted, as protobuf JSON does, while
//!   fields with presence (set sub-messages, `oneof` members and `optional`
//!   doubles) are written even when they hold a default value. The top-level
//!   `resourceSpans` / `resourceMetrics` / `resourceLogs` array is always
//!   written.
//!
//! Every field of every message in the trace, metrics and logs protos is
//! covered, so the output round-trips through a conforming OTLP/JSON decoder.
//!
//! Layout: [`object`] holds the JSON object builder and the scalar encodings
//! (hex, base64, doubles), [`common`] the messages all signals share, and
//! [`traces`], [`metrics`] and [`logs`] one signal each.

mod common;
mod logs;
mod metrics;
mod object;
mod traces;

pub use common::{any_value, key_value};
pub use logs::{log_record, logs_to_json};
pub use metrics::{metric_json, metrics_to_json};
pub use object::{base64, hex};
pub use traces::{span_json, traces_to_json};

#[cfg(test)]
mod tests;
