//! Differential tests of the protobuf wire parser: random export requests of
//! all three signals, encoded by prost and re-encoded the ways other encoders
//! may (any field order, unknown fields, unpacked lists, overlong varints),
//! decode to exactly the columns and counts of the reference path (prost
//! messages → the same column builders). Mutated frames never panic, and
//! whatever prost accepts the wire parser reads identically. `json` does the
//! same for the streaming OTLP/JSON parser.

#[path = "../decode_support/mod.rs"]
mod decode_support;
mod json;
mod rewrite;
mod split;
mod strategies;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_analytics::columns::Projection;
use otlp_analytics::decode::to_columns::to_columns_projected;
use otlp_analytics::decode::{
    check_times, decode_frame, decode_message, DecodeOptions, DecodedFrame, Request, Signal,
};
use otlp_analytics::error::FrameProblem;
use proptest::prelude::*;
use prost::Message;

use rewrite::{rewrite, TestRng, M};

fn proto_bytes(req: &Request) -> Vec<u8> {
    match req {
        Request::Traces(r) => r.encode_to_vec(),
        Request::Metrics(r) => r.encode_to_vec(),
        Request::Logs(r) => r.encode_to_vec(),
    }
}

fn root(signal: Signal) -> M {
    match signal {
        Signal::Traces => M::TracesReq,
        Signal::Metrics => M::MetricsReq,
        Signal::Logs => M::LogsReq,
    }
}

fn opts(
    signal: Option<Signal>,
    projection: Option<Projection>,
    batch_rows: usize,
) -> DecodeOptions {
    DecodeOptions {
        forced: signal,
        only_signal: None,
        projection,
        batch_rows,
    }
}

/// Panics with the first difference between two decoded frames.
fn assert_same(what: &str, got: &DecodedFrame, want: &DecodedFrame) {
    assert_eq!(got.signal, want.signal, "{what}: signal");
    assert_eq!(got.stats, want.stats, "{what}: counts");
    assert_eq!(
        got.tables.len(),
        want.tables.len(),
        "{what}: number of batches"
    );
    for (i, (g, w)) in got.tables.iter().zip(&want.tables).enumerate() {
        assert_eq!(g.table, w.table, "{what}: table of batch {i}");
        assert_eq!(
            g.batch.schema(),
            w.batch.schema(),
            "{what}: schema of batch {i}"
        );
        for (c, field) in w.batch.schema().fields().iter().enumerate() {
            assert_eq!(
                g.batch.column(c).to_data(),
                w.batch.column(c).to_data(),
                "{what}: batch {i} column {}",
                field.name()
            );
        }
    }
}

const PROJECTIONS: [Option<Projection>; 3] = [Some(Projection::ALL), Some(Projection::LEAN), None];

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn wire_columns_equal_the_reference(
        req in strategies::request(),
        seed in any::<u64>(),
        batch_rows in 1usize..5,
    ) {
        let signal = req.signal();
        let bytes = proto_bytes(&req);
        let rewritten = rewrite(&bytes, root(signal), &mut TestRng::new(seed));
        // The reference is what prost reads (a -0.0 default, say, is not on the
        // wire), and the rewrite is the same message to prost.
        let reference = decode_message(&bytes, Some(signal)).expect("prost").expect("request");
        let reread = decode_message(&rewritten, Some(signal)).expect("prost reads the rewrite");
        prop_assert_eq!(reread.as_ref().map(proto_bytes), Some(proto_bytes(&reference)));
        for projection in PROJECTIONS {
            let want = to_columns_projected(&reference, batch_rows, projection);
            for (name, b) in [("prost bytes", &bytes), ("rewritten", &rewritten)] {
                let got = decode_frame(b, &opts(Some(signal), projection, batch_rows))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_same(&format!("{name}, {projection:?}"), &got, &want);
            }
        }
    }
}

/// Applies one random mutation: flip, overwrite, insert, delete or truncate.
fn mutate(bytes: &mut Vec<u8>, rng: &mut TestRng) {
    if bytes.is_empty() {
        bytes.push(rng.next() as u8);
        return;
    }
    let at = rng.range(0, bytes.len() as u64) as usize;
    match rng.range(0, 5) {
        0 => bytes[at] ^= 1 << rng.range(0, 8),
        1 => bytes[at] = rng.next() as u8,
        2 => {
            for _ in 0..rng.range(1, 4) {
                bytes.insert(at, rng.next() as u8);
            }
        }
        3 => {
            let end = (at + rng.range(1, 8) as usize).min(bytes.len());
            bytes.drain(at..end);
        }
        _ => bytes.truncate(at),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Mutated frames never panic; every failure is a frame problem with an
    /// offset; whatever prost reads (times in range), the wire parser reads the same.
    #[test]
    fn mutated_frames_decode_like_prost_or_report_a_problem(
        req in strategies::request(),
        seed in any::<u64>(),
        mutations in 1usize..4,
    ) {
        let signal = req.signal();
        let mut rng = TestRng::new(seed);
        let mut bytes = rewrite(&proto_bytes(&req), root(signal), &mut rng);
        for _ in 0..mutations {
            mutate(&mut bytes, &mut rng);
        }
        let got = decode_frame(&bytes, &opts(Some(signal), Some(Projection::ALL), 3));
        if let Err(FrameProblem::InvalidProtobuf(m)) = &got {
            prop_assert!(m.contains(" at byte "), "{}", m);
        }
        // Bytes that start like JSON and fail as protobuf are read as JSON, which prost does not do.
        let reference = decode_message(&bytes, Some(signal));
        if let Ok(Some(r)) = reference {
            if check_times(&r).is_ok() && !matches!(bytes.first(), Some(b'{' | b'[')) {
                let got = got.unwrap_or_else(|e| panic!("prost read it, the wire parser: {e}"));
                assert_same("mutated", &got, &to_columns_projected(&r, 3, Some(Projection::ALL)));
            }
        }
        // Sniffing never panics either.
        let _ = decode_frame(&bytes, &opts(None, None, 3));
    }
}

#[test]
fn nesting_too_deep_is_a_bad_frame() {
    use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue};
    let mut v = AnyValue {
        value: Some(Value::StringValue("x".into())),
    };
    for _ in 0..200 {
        v = AnyValue {
            value: Some(Value::ArrayValue(ArrayValue { values: vec![v] })),
        };
    }
    let mut req = ExportTraceServiceRequest::default();
    req.resource_spans.push(Default::default());
    let rs = &mut req.resource_spans[0];
    rs.scope_spans.push(Default::default());
    rs.scope_spans[0]
        .spans
        .push(opentelemetry_proto::tonic::trace::v1::Span {
            attributes: vec![opentelemetry_proto::tonic::common::v1::KeyValue {
                key: "deep".into(),
                value: Some(v),
                ..Default::default()
            }],
            ..Default::default()
        });
    let bytes = req.encode_to_vec();
    let err = decode_frame(
        &bytes,
        &opts(Some(Signal::Traces), Some(Projection::ALL), 8),
    )
    .expect_err("too deep");
    assert!(
        err.to_string()
            .starts_with("invalid protobuf: messages nested too deep at byte "),
        "{err}"
    );
    // Skipped by a projection that does not read attributes: not looked into.
    decode_frame(
        &bytes,
        &opts(Some(Signal::Traces), Some(Projection::LEAN), 8),
    )
    .expect("lean");
}

#[test]
fn malformed_wire_data_names_the_problem_and_offset() {
    let span_frame = |span: &[u8]| {
        // ResourceSpans{ ScopeSpans{ Span } } around `span`.
        let wrap = |field: u8, inner: &[u8]| {
            let mut v = vec![(field << 3) | 2, inner.len() as u8];
            v.extend_from_slice(inner);
            v
        };
        wrap(1, &wrap(2, &wrap(2, span)))
    };
    let cases: [(&[u8], &str); 5] = [
        // kind (field 6, varint) cut off after a continuation byte.
        (&[0x30, 0x80], "truncated varint at byte 7"),
        // name (field 5) says 9 bytes, 1 follows.
        (
            &[0x2a, 0x09, b'a'],
            "length 9 runs past the end of its message (1 bytes left) at byte 7",
        ),
        // start time (field 7) as a varint instead of fixed64.
        (
            &[0x38, 0x01],
            "Span.start_time_unix_nano: varint value where a 64-bit value is expected at byte 6",
        ),
        // wire type 7 does not exist.
        (&[0x3f], "invalid wire type 7 at byte 7"),
        // name not UTF-8.
        (&[0x2a, 0x01, 0xff], "Span.name: invalid UTF-8 at byte 8"),
    ];
    for (span, want) in cases {
        let err = decode_frame(
            &span_frame(span),
            &opts(Some(Signal::Traces), Some(Projection::ALL), 8),
        )
        .expect_err(want);
        assert_eq!(err, FrameProblem::InvalidProtobuf(want.into()), "{span:?}");
    }
}
