//! Decoders: one per encoding (protobuf via prost, OTLP/JSON by hand), both
//! producing the same OTLP messages, which `to_columns` turns into Arrow batches.

pub mod json;
pub mod proto;
pub mod to_columns;

use std::fmt;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::cli::SignalArg;
use crate::error::FrameProblem;

pub use to_columns::{DecodedFrame, FrameStats, PointType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        })
    }
}

impl From<SignalArg> for Signal {
    fn from(s: SignalArg) -> Self {
        match s {
            SignalArg::Traces => Signal::Traces,
            SignalArg::Metrics => Signal::Metrics,
            SignalArg::Logs => Signal::Logs,
        }
    }
}

/// A decoded export request of any signal.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

/// Removes the fileexporter's per-message zstd compression, when present,
/// up to the default frame limit (the pipeline applies `--max-frame-bytes`).
pub fn unwrap_frame(data: Vec<u8>) -> Result<Vec<u8>, FrameProblem> {
    crate::input::zstd_frame::unzstd_frame(data, crate::input::limits::DEFAULT_MAX_FRAME_BYTES)
}

fn is_json(data: &[u8]) -> bool {
    data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Decodes one (already unwrapped) message. `forced` overrides sniffing.
/// Returns None for a message with no records and no signal to tell (an empty request).
pub fn decode_message(
    data: &[u8],
    forced: Option<Signal>,
) -> Result<Option<Request>, FrameProblem> {
    if is_json(data) {
        // FrameProblem::InvalidJson says "invalid JSON: " itself: a syntax error's text must not repeat it.
        let value = json::parse(data).map_err(|e| match e {
            json::JsonError::Syntax(m) => FrameProblem::InvalidJson(m),
            e => FrameProblem::InvalidJson(e.to_string()),
        })?;
        // The top-level key names the signal; a different --signal would read nothing.
        let signal = match (forced, json::sniff_signal(&value).map(Signal::from)) {
            (Some(f), Ok(found)) if f != found => {
                return Err(FrameProblem::SignalMismatch { forced: f, found })
            }
            (Some(f), _) => f,
            (None, Ok(s)) => s,
            (None, Err(_)) => return Err(FrameProblem::UnknownSignal),
        };
        let invalid = |e: json::JsonError| FrameProblem::InvalidJson(e.to_string());
        return Ok(Some(match signal {
            Signal::Traces => Request::Traces(json::traces_from_value(&value).map_err(invalid)?),
            Signal::Metrics => Request::Metrics(json::metrics_from_value(&value).map_err(invalid)?),
            Signal::Logs => Request::Logs(json::logs_from_value(&value).map_err(invalid)?),
        }));
    }
    let sniffed = forced.map_or_else(|| proto::sniff_signal(data), proto::Sniffed::Signal);
    let signal = match sniffed {
        proto::Sniffed::Signal(s) => s,
        // Records that fit no signal are reported, never dropped as empty.
        proto::Sniffed::Unknown => return Err(FrameProblem::UnknownSignal),
        proto::Sniffed::Empty => {
            // No record to sniff: valid only if it is an (empty) export request at all.
            return ExportTraceServiceRequest::decode(data)
                .map(|_| None)
                .map_err(|e| FrameProblem::InvalidProtobuf(e.to_string()));
        }
    };
    let invalid = |e: prost::DecodeError| FrameProblem::InvalidProtobuf(e.to_string());
    Ok(Some(match signal {
        Signal::Traces => {
            Request::Traces(ExportTraceServiceRequest::decode(data).map_err(invalid)?)
        }
        Signal::Metrics => {
            Request::Metrics(ExportMetricsServiceRequest::decode(data).map_err(invalid)?)
        }
        Signal::Logs => Request::Logs(ExportLogsServiceRequest::decode(data).map_err(invalid)?),
    }))
}

impl From<json::JsonSignal> for Signal {
    fn from(s: json::JsonSignal) -> Self {
        match s {
            json::JsonSignal::Traces => Signal::Traces,
            json::JsonSignal::Metrics => Signal::Metrics,
            json::JsonSignal::Logs => Signal::Logs,
        }
    }
}

impl Request {
    pub fn signal(&self) -> Signal {
        match self {
            Request::Traces(_) => Signal::Traces,
            Request::Metrics(_) => Signal::Metrics,
            Request::Logs(_) => Signal::Logs,
        }
    }
}
