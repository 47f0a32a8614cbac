//! Bad frames exit 2 with the frame, its byte offset and the problem: random
//! bytes, truncated frames, huge length prefixes, bad JSON, mixed signals.

use std::process::Command;

use serde_json::{json, Value};

use crate::decode_support::{examples_dir, length_prefixed};
use crate::fixtures::path_str as s;
use crate::{gauge_request, inspect_fails, trace_frames};

/// Deterministic noise.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn random_bytes_are_rejected_with_the_frame_and_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not 0x0a, '{' or whitespace first: read as a length-prefixed stream whose
    // first prefix promises far more than the file holds.
    let mut bytes = noise(7, 300);
    bytes[0] = 0xb7;
    let p = dir.path().join("noise.bin");
    std::fs::write(&p, &bytes).expect("write");
    let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: truncated frame: length prefix says {len} bytes but only 296 remain",
            p.display()
        )),
        "{err}"
    );

    // Starting like a protobuf export request: an invalid protobuf.
    let mut bytes = noise(11, 300);
    bytes[0] = 0x0a;
    std::fs::write(&p, &bytes).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: invalid protobuf: ",
            p.display()
        )),
        "{err}"
    );

    // Printable garbage given explicitly (not found by a directory walk).
    std::fs::write(&p, b"hello, this is not OTLP at all\n").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!("error: {}: frame 0 at byte 0: ", p.display())),
        "{err}"
    );
}

#[test]
fn truncated_frame_names_the_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = trace_frames(1);
    let mut bytes = length_prefixed(&frames);
    bytes.extend_from_slice(&500u32.to_be_bytes());
    bytes.extend_from_slice(&[0x0a; 20]);
    let p = dir.path().join("t.otlp");
    std::fs::write(&p, &bytes).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte {}: truncated frame: length prefix says 500 bytes but only 20 remain",
            p.display(),
            4 + frames[0].len()
        )),
        "{err}"
    );
    // A prefix cut short.
    let mut bytes = length_prefixed(&frames);
    bytes.extend_from_slice(&[0, 0]);
    std::fs::write(&p, &bytes).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte {}: truncated length prefix: 2 of 4 bytes",
            p.display(),
            4 + frames[0].len()
        )),
        "{err}"
    );
}

#[test]
fn huge_length_prefix_is_reported_without_allocating() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = trace_frames(2);
    let mut bytes = length_prefixed(&frames);
    let offset = bytes.len();
    bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xf0, 1, 2, 3]);
    let p = dir.path().join("huge.otlp");
    std::fs::write(&p, &bytes).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 2 at byte {offset}: truncated frame: length prefix says 4294967280 bytes but only 3 remain",
            p.display()
        )),
        "{err}"
    );
    // As the very first frame too.
    std::fs::write(&p, [0xff, 0xff, 0xff, 0xf0, 9]).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: truncated frame: length prefix says 4294967280 bytes but only 1 remain",
            p.display()
        )),
        "{err}"
    );

    // Under a 2 GiB address-space limit a 4 GiB buffer cannot even be reserved:
    // the same message proves the prefix was never trusted for an allocation.
    #[cfg(target_os = "linux")]
    {
        let out = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 2097152 && exec "$0" "$@""#)
            .arg(env!("CARGO_BIN_EXE_otlp-analytics"))
            .args(["inspect", "--threads", "2", "--format", "json", s(&p)])
            .output()
            .expect("run under ulimit");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("length prefix says 4294967280 bytes but only 1 remain"),
            "{err}"
        );
    }
}

#[test]
fn json_with_a_wrong_type_names_the_json_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(examples_dir().join("trace.json")).expect("example");
    let bad = text.replace(
        "\"startTimeUnixNano\": \"1544712660000000000\"",
        "\"startTimeUnixNano\": true",
    );
    assert_ne!(bad, text);
    let p = dir.path().join("bad.json");
    std::fs::write(&p, &bad).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: invalid JSON: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an unsigned 64-bit integer, got true",
            p.display()
        )),
        "{err}"
    );

    // In JSON Lines: the second line is frame 1 at the first line's length.
    let good = serde_json::to_string(&serde_json::from_str::<Value>(&text).expect("json"))
        .expect("compact");
    let mut wrong: Value = serde_json::from_str(&text).expect("json");
    wrong["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["kind"] = json!([2]);
    let lines = format!("{good}\n{wrong}\n");
    std::fs::write(&p, &lines).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte {}: invalid JSON: resourceSpans[0].scopeSpans[0].spans[0].kind: expected an enum name or number, got an array",
            p.display(),
            good.len() + 1
        )),
        "{err}"
    );
}

#[test]
fn invalid_json_syntax_names_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("syntax.json");
    std::fs::write(&p, b"{\"resourceSpans\": [}\n").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    let prefix = format!("error: {}: frame 0 at byte 0: invalid JSON: ", p.display());
    assert!(err.contains(&prefix), "{err}");
    assert!(err.contains("line 1 column 20"), "{err}");
    // The problem is said once, not as "invalid JSON: invalid JSON: ...".
    assert!(!err.contains("invalid JSON: invalid JSON"), "{err}");

    // A pretty-printed document cut short.
    let text = std::fs::read_to_string(examples_dir().join("metrics.json")).expect("example");
    std::fs::write(&p, &text[..text.len() / 2]).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(err.contains(&prefix), "{err}");
    assert!(err.contains("EOF"), "{err}");

    // Valid JSON without any signal key is an empty request, not a bad frame:
    // the file holds no records at all.
    std::fs::write(&p, b"{\"resource\": {}}\n").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!("no OTLP data in {}", p.display())),
        "{err}"
    );

    // JSON that is not an object is a bad frame.
    std::fs::write(&p, b"{}\n[1, 2]\n").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte 3: invalid JSON: an export request must be a JSON object",
            p.display()
        )),
        "{err}"
    );
}

#[test]
fn mixed_signals_in_one_stream_fail_at_the_second_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = trace_frames(1).remove(0);
    let p = dir.path().join("mixed.otlp");
    std::fs::write(&p, length_prefixed(&[t.clone(), gauge_request(2)])).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte {}: mixed signals: this frame holds metrics, earlier frames of the stream hold traces",
            p.display(),
            4 + t.len()
        )),
        "{err}"
    );
    // Also in JSON Lines.
    let trace_json = std::fs::read_to_string(examples_dir().join("trace.json")).expect("example");
    let logs_json = std::fs::read_to_string(examples_dir().join("logs.json")).expect("example");
    let compact = |t: &str| serde_json::from_str::<Value>(t).expect("json").to_string();
    let first = compact(&trace_json);
    std::fs::write(&p, format!("{first}\n{}\n", compact(&logs_json))).expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 1 at byte {}: mixed signals: this frame holds logs, earlier frames of the stream hold traces",
            p.display(),
            first.len() + 1
        )),
        "{err}"
    );
}
