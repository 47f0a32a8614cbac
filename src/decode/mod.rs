//! Decoders: one per encoding, both feeding the same column builders
//! (`columns`): protobuf through `wire`, a one-pass parser over the frame's
//! bytes, OTLP/JSON through `json_stream`, serde visitors over its text.
//! `decode_message` + `to_columns` (prost messages, from protobuf or from a
//! JSON value tree, then columns) is the previous path, kept as the
//! reference for tests and benchmarks.

pub mod json;
pub mod json_stream;
pub mod proto;
pub mod split;
pub mod to_columns;
pub mod wire;

use std::fmt;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::cli::SignalArg;
use crate::columns::Projection;
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

/// Whether the bytes could be JSON text: an object or array after optional whitespace.
fn looks_like_json(data: &[u8]) -> bool {
    matches!(
        data.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn is_json(data: &[u8]) -> bool {
    looks_like_json(data) && !wire::is_well_formed_request(data)
}

/// How to decode a frame.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Decode as this signal instead of sniffing.
    pub forced: Option<Signal>,
    /// Build columns only for this signal (others are counted).
    pub only_signal: Option<Signal>,
    /// Columns to build; None: counts only (`inspect`).
    pub projection: Option<Projection>,
    pub batch_rows: usize,
}

/// Decodes one (already unwrapped) message into columns and counts.
///
/// JSON or protobuf is told by structure: bytes that are a well-formed
/// export request on the wire are protobuf even when they start like JSON
/// (a first resource record of 123 bytes starts with `\n{`); if such bytes
/// fail as protobuf but parse as JSON, they are JSON.
///
/// A request of at least `split::SPLIT_MIN_BYTES` is decoded on every
/// thread of the current rayon pool (see `split` and `json_stream::split`).
pub fn decode_frame(data: &[u8], opts: &DecodeOptions) -> Result<DecodedFrame, FrameProblem> {
    decode_frame_split(data, opts, split::SPLIT_MIN_BYTES)
}

/// `decode_frame`, splitting requests of at least `split_min_bytes` across
/// the current rayon pool (tests use small ones).
pub fn decode_frame_split(
    data: &[u8],
    opts: &DecodeOptions,
    split_min_bytes: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let protobuf = |data: &[u8]| decode_protobuf(data, opts, split_min_bytes);
    let json = |data: &[u8]| decode_json(data, opts, split_min_bytes);
    if looks_like_json(data) {
        if !wire::is_well_formed_request(data) {
            return json(data);
        }
        return protobuf(data).or_else(|e| json(data).map_err(|_| e));
    }
    protobuf(data)
}

fn projection_for(signal: Signal, opts: &DecodeOptions) -> Option<Projection> {
    opts.projection
        .filter(|_| opts.only_signal.is_none_or(|s| s == signal))
}

fn decode_protobuf(
    data: &[u8],
    opts: &DecodeOptions,
    split_min_bytes: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let sniffed = opts
        .forced
        .map_or_else(|| proto::sniff_signal(data), proto::Sniffed::Signal);
    match sniffed {
        proto::Sniffed::Signal(s) => split::protobuf(
            data,
            s,
            projection_for(s, opts),
            opts.batch_rows,
            split_min_bytes,
        ),
        // Records that fit no signal are reported, never dropped as empty.
        proto::Sniffed::Unknown => Err(FrameProblem::UnknownSignal),
        // No record to sniff: valid only if it is an (empty) export request at all.
        proto::Sniffed::Empty => {
            wire::decode(data, Signal::Traces, None, 1).map(|_| DecodedFrame::default())
        }
    }
}

/// OTLP/JSON through the streaming parser.
fn decode_json(
    data: &[u8],
    opts: &DecodeOptions,
    split_min_bytes: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let params = json_stream::Params {
        forced: opts.forced,
        wanted: opts.projection,
        only_signal: opts.only_signal,
        batch_rows: opts.batch_rows.max(1),
    };
    json_stream::decode_split(data, params, split_min_bytes)
}

/// OTLP/JSON through the previous path (JSON value tree → prost messages →
/// columns), kept as the reference for tests and benchmarks.
pub fn decode_json_reference(
    data: &[u8],
    opts: &DecodeOptions,
) -> Result<DecodedFrame, FrameProblem> {
    let Some(request) = decode_message_json(data, opts.forced)? else {
        return Ok(DecodedFrame::default());
    };
    check_times(&request)?;
    Ok(to_columns::to_columns_projected(
        &request,
        opts.batch_rows,
        projection_for(request.signal(), opts),
    ))
}

/// Every time field of a request must fit a Timestamp(ns): below 2^63.
pub fn check_times(request: &Request) -> Result<(), FrameProblem> {
    let t = wire::check_time;
    match request {
        Request::Traces(r) => {
            for span in r
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
            {
                t("start_time_unix_nano", span.start_time_unix_nano)?;
                t("end_time_unix_nano", span.end_time_unix_nano)?;
                for e in &span.events {
                    t("events.time_unix_nano", e.time_unix_nano)?;
                }
            }
        }
        Request::Logs(r) => {
            for log in r
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .flat_map(|s| &s.log_records)
            {
                t("time_unix_nano", log.time_unix_nano)?;
                t("observed_time_unix_nano", log.observed_time_unix_nano)?;
            }
        }
        Request::Metrics(r) => {
            use opentelemetry_proto::tonic::metrics::v1::metric::Data;
            let metrics = r
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics);
            for data in metrics.filter_map(|m| m.data.as_ref()) {
                let mut times: Vec<(u64, u64, Vec<u64>)> = Vec::new();
                match data {
                    Data::Gauge(g) => times.extend(g.data_points.iter().map(|p| {
                        (
                            p.start_time_unix_nano,
                            p.time_unix_nano,
                            p.exemplars.iter().map(|e| e.time_unix_nano).collect(),
                        )
                    })),
                    Data::Sum(g) => times.extend(g.data_points.iter().map(|p| {
                        (
                            p.start_time_unix_nano,
                            p.time_unix_nano,
                            p.exemplars.iter().map(|e| e.time_unix_nano).collect(),
                        )
                    })),
                    Data::Histogram(g) => times.extend(g.data_points.iter().map(|p| {
                        (
                            p.start_time_unix_nano,
                            p.time_unix_nano,
                            p.exemplars.iter().map(|e| e.time_unix_nano).collect(),
                        )
                    })),
                    Data::ExponentialHistogram(g) => times.extend(g.data_points.iter().map(|p| {
                        (
                            p.start_time_unix_nano,
                            p.time_unix_nano,
                            p.exemplars.iter().map(|e| e.time_unix_nano).collect(),
                        )
                    })),
                    Data::Summary(g) => times.extend(
                        g.data_points
                            .iter()
                            .map(|p| (p.start_time_unix_nano, p.time_unix_nano, Vec::new())),
                    ),
                }
                for (start, time, exemplars) in times {
                    t("start_time_unix_nano", start)?;
                    t("time_unix_nano", time)?;
                    for e in exemplars {
                        t("exemplars.time_unix_nano", e)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Decodes one (already unwrapped) message. `forced` overrides sniffing.
/// Returns None for a message with no records and no signal to tell (an empty request).
pub fn decode_message(
    data: &[u8],
    forced: Option<Signal>,
) -> Result<Option<Request>, FrameProblem> {
    if is_json(data) {
        return decode_message_json(data, forced);
    }
    decode_message_protobuf(data, forced)
}

/// The JSON half of `decode_message`. An object without a signal key is an
/// empty request (OTLP receivers ignore unknown fields): None, or an empty
/// request of the forced signal.
fn decode_message_json(
    data: &[u8],
    forced: Option<Signal>,
) -> Result<Option<Request>, FrameProblem> {
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
        (None, Err(_)) if value.is_object() => return Ok(None),
        (None, Err(_)) => {
            return Err(FrameProblem::InvalidJson(
                "an export request must be a JSON object".into(),
            ))
        }
    };
    if !value.is_object() {
        return Err(FrameProblem::InvalidJson(
            "an export request must be a JSON object".into(),
        ));
    }
    let invalid = |e: json::JsonError| FrameProblem::InvalidJson(e.to_string());
    Ok(Some(match signal {
        Signal::Traces => Request::Traces(json::traces_from_value(&value).map_err(invalid)?),
        Signal::Metrics => Request::Metrics(json::metrics_from_value(&value).map_err(invalid)?),
        Signal::Logs => Request::Logs(json::logs_from_value(&value).map_err(invalid)?),
    }))
}

fn decode_message_protobuf(
    data: &[u8],
    forced: Option<Signal>,
) -> Result<Option<Request>, FrameProblem> {
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
