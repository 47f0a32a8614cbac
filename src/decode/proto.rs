//! Protobuf side: telling the signal of an export request from its wire types,
//! without decoding it.

use super::Signal;

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

/// A minimal protobuf field walker over one message's bytes.
struct Fields<'a> {
    buf: &'a [u8],
}

enum FieldValue<'a> {
    Len(&'a [u8]),
    Other,
}

fn read_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

impl<'a> Iterator for Fields<'a> {
    type Item = (u32, u8, FieldValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let key = read_varint(&mut self.buf)?;
        let (field, wire) = ((key >> 3) as u32, (key & 7) as u8);
        let value = match wire {
            VARINT => {
                read_varint(&mut self.buf)?;
                FieldValue::Other
            }
            I64 => {
                self.buf = self.buf.get(8..)?;
                FieldValue::Other
            }
            LEN => {
                let len = usize::try_from(read_varint(&mut self.buf)?).ok()?;
                let (v, rest) = (self.buf.get(..len)?, self.buf.get(len..)?);
                self.buf = rest;
                FieldValue::Len(v)
            }
            I32 => {
                self.buf = self.buf.get(4..)?;
                FieldValue::Other
            }
            _ => return None,
        };
        Some((field, wire, value))
    }
}

fn len_fields(buf: &[u8], wanted: u32) -> impl Iterator<Item = &[u8]> {
    Fields { buf }.filter_map(move |(f, _, v)| match v {
        FieldValue::Len(b) if f == wanted => Some(b),
        _ => None,
    })
}

/// What the wire types say about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Signal(Signal),
    /// No record at all: an empty request of any signal.
    Empty,
    /// Records whose fields fit no signal for certain.
    Unknown,
}

/// Guesses the signal from the first record that tells: spans carry fixed64
/// times at fields 7/8 and a varint kind at 6; log records a fixed64 time at
/// 1/11, a varint severity at 2 or fixed32 flags at 8; metrics a data message
/// at 5/7/9/10/11.
pub fn sniff_signal(message: &[u8]) -> Sniffed {
    let mut any_record = false;
    for resource in len_fields(message, 1) {
        for scope in len_fields(resource, 2) {
            for record in len_fields(scope, 2) {
                any_record = true;
                if let Some(signal) = classify_record(record) {
                    return Sniffed::Signal(signal);
                }
            }
        }
    }
    if any_record {
        Sniffed::Unknown
    } else {
        Sniffed::Empty
    }
}

fn classify_record(record: &[u8]) -> Option<Signal> {
    let mut metric_data = false;
    let mut span_ids = 0;
    for (field, wire, _) in (Fields { buf: record }) {
        match (field, wire) {
            (7 | 8, I64) | (6, VARINT) => return Some(Signal::Traces),
            (1 | 11, I64) | (2, VARINT) | (8, I32) => return Some(Signal::Logs),
            (5 | 7 | 9 | 10 | 11, LEN) => metric_data = true,
            (1 | 2, LEN) => span_ids += 1,
            _ => {}
        }
    }
    if span_ids == 2 && !metric_data {
        Some(Signal::Traces)
    } else if metric_data || span_ids > 0 {
        Some(Signal::Metrics)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use prost::Message;

    fn example(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/data/otlp-examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).expect("official example present")
    }

    #[test]
    fn official_binary_examples_sniff_correctly() {
        assert_eq!(
            sniff_signal(&example("trace.protobuf-bin")),
            Sniffed::Signal(Signal::Traces)
        );
        assert_eq!(
            sniff_signal(&example("metrics.protobuf-bin")),
            Sniffed::Signal(Signal::Metrics)
        );
    }

    #[test]
    fn logs_and_empty_requests() {
        let req = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        time_unix_nano: 5,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        assert_eq!(
            sniff_signal(&req.encode_to_vec()),
            Sniffed::Signal(Signal::Logs)
        );
        assert_eq!(
            sniff_signal(&ExportMetricsServiceRequest::default().encode_to_vec()),
            Sniffed::Empty
        );
        assert_eq!(sniff_signal(b"\xff\xff\xff"), Sniffed::Empty);
    }
}
