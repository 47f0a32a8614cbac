//! otlp-analytics: batch analytics for OpenTelemetry dumps. Data flows
//! input (bytes, framing) → decode (columns) → aggregate / convert / validate → export.

pub mod aggregate;
pub mod cli;
pub mod decode;
pub mod generate;
