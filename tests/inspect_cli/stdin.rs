//! `-` reads stdin: fileexporter streams, compressed streams and JSON, next to files.

use crate::decode_support::{examples_dir, gzip, length_prefixed, per_message_zstd, zstd};
use crate::fixtures::path_str as s;
use crate::fixtures::{SEC, T0};
use crate::{assert_has, counts, inspect_json, trace_frames, SPAN_END, SPAN_START};

#[test]
fn stdin_takes_a_fileexporter_stream() {
    let stream = length_prefixed(&trace_frames(3));
    let len = stream.len() as u64;
    let (v, _) = inspect_json(&["-"], Some(stream));
    let input = &v["inputs"][0];
    assert_eq!(input["path"], "<stdin>");
    let want = counts(3, len, 3, 3, 6, 0, [0; 5], 0, 2, (T0, T0 + 2 * SEC + 500));
    assert_has("stdin", input, &want);
    assert_has("total", &v["total"], &want);
}

#[test]
fn stdin_takes_compressed_streams_and_json() {
    let stream = length_prefixed(&trace_frames(2));
    for (what, bytes) in [
        ("gzip", gzip(&stream)),
        ("zstd", zstd(&stream)),
        ("per-message zstd", per_message_zstd(&trace_frames(2))),
    ] {
        let len = bytes.len() as u64;
        let (v, _) = inspect_json(&["-"], Some(bytes));
        assert_has(
            what,
            &v["total"],
            &counts(2, len, 2, 2, 4, 0, [0; 5], 0, 2, (T0, T0 + SEC + 500)),
        );
    }
    let json = std::fs::read(examples_dir().join("trace.json")).expect("example");
    let len = json.len() as u64;
    let (v, _) = inspect_json(&["-"], Some(json));
    assert_has(
        "trace.json on stdin",
        &v["total"],
        &counts(1, len, 1, 1, 1, 0, [0; 5], 0, 1, (SPAN_START, SPAN_END)),
    );
    // stdin mixed with files.
    let logs = examples_dir().join("logs.json");
    let (v, _) = inspect_json(&[s(&logs), "-"], Some(length_prefixed(&trace_frames(1))));
    assert_eq!(v["inputs"][1]["path"], "<stdin>");
    assert_eq!(v["total"]["spans"], 2);
    assert_eq!(v["total"]["log_records"], 1);
    assert_eq!(v["total"]["frames"], 2);
}
