//! Bad input through the library: mixed signals, corrupt and truncated frames,
//! damaged compression; each reported with its frame, or skipped on request.

use otlp_analytics::decode::{unwrap_frame, Request, Signal};
use otlp_analytics::error::FrameProblem;

use crate::decode_support::*;
use crate::variant;

#[test]
fn mixed_signals_in_one_stream_are_a_bad_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = proto_bytes(&variant(Signal::Traces, 0));
    let m = proto_bytes(&variant(Signal::Metrics, 0));
    let path = dir.path().join("mixed.otlp");
    std::fs::write(&path, length_prefixed(&[t.clone(), m, t.clone()])).expect("write");
    let err = run_file(&path, &opts(2, 65_536)).expect_err("mixed");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: frame 1 at byte {}: mixed signals: this frame holds metrics, earlier frames of the stream hold traces",
            path.display(),
            4 + t.len()
        )
    );
    let mut o = opts(2, 65_536);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 2);
    assert_eq!(got.skipped.len(), 1);
    assert_eq!(got.skipped[0].0, 1);
    assert_eq!(got.stats.spans, 8);
    assert_eq!(got.stats.metrics, 0);
}

#[test]
fn a_corrupt_frame_is_skipped_and_its_neighbours_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reqs: Vec<Request> = (0..4).map(|i| variant(Signal::Traces, i)).collect();
    let mut msgs: Vec<Vec<u8>> = reqs.iter().map(proto_bytes).collect();
    // Frame 2: a LEN field whose length runs past the message.
    msgs.insert(2, vec![0x0a, 0x7f, 0x01, 0x02]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, length_prefixed(&msgs)).expect("write");
    let offset2: u64 = msgs[..2].iter().map(|m| 4 + m.len() as u64).sum();

    let err = run_file(&path, &opts(2, 65_536)).expect_err("corrupt");
    let text = err.to_string();
    let prefix = format!(
        "{}: frame 2 at byte {offset2}: invalid protobuf",
        path.display()
    );
    assert!(text.starts_with(&prefix), "{text}");

    let mut o = opts(2, 3);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 4);
    assert_eq!(got.skipped.len(), 1);
    assert_eq!((got.skipped[0].0, got.skipped[0].1), (2, offset2));
    let (want, want_stats) = direct(&reqs);
    assert_eq!(got.stats, want_stats);
    assert_tables_eq("around a corrupt frame", &concat(&got.tables), &want);
}

#[test]
fn a_truncated_final_frame_is_one_bad_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reqs: Vec<Request> = (0..2).map(|i| variant(Signal::Metrics, i)).collect();
    let mut bytes = length_prefixed(&reqs.iter().map(proto_bytes).collect::<Vec<_>>());
    let good_len = bytes.len() as u64;
    let last = proto_bytes(&reqs[0]);
    bytes.extend_from_slice(&(last.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&last[..10]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, &bytes).expect("write");

    let err = run_file(&path, &opts(2, 65_536)).expect_err("truncated");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: frame 2 at byte {good_len}: truncated frame: length prefix says {} bytes but only 10 remain",
            path.display(),
            last.len()
        )
    );
    let mut o = opts(2, 65_536);
    o.skip_invalid = true;
    let got = run_file(&path, &o).expect("skip");
    assert_eq!(got.frames, 2);
    assert_eq!(got.skipped.len(), 1);
    let (_, want_stats) = direct(&reqs);
    assert_eq!(got.stats, want_stats);
}

#[test]
fn damaged_compression_is_reported_not_panicked() {
    let req = variant(Signal::Logs, 0);
    let stream = length_prefixed(&[proto_bytes(&req), proto_bytes(&req)]);
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, mut bytes) in [("gzip", gzip(&stream)), ("zstd", zstd(&stream))] {
        let n = bytes.len();
        bytes.truncate(n / 2);
        let path = dir.path().join(what);
        std::fs::write(&path, &bytes).expect("write");
        let err = run_file(&path, &opts(1, 65_536)).expect_err(what);
        assert!(
            err.to_string()
                .starts_with(&format!("{}: frame ", path.display())),
            "{what}: {err}"
        );
    }
    // A per-message zstd frame that is not valid zstd after its magic.
    let mut frame = zstd(&proto_bytes(&req));
    let n = frame.len();
    frame.truncate(n - 3);
    assert!(matches!(
        unwrap_frame(frame),
        Err(FrameProblem::Decompress(_))
    ));
}
