//! One large OTLP/JSON request on one line (the Collector writes a whole
//! export request per line): every reading command keeps its memory near
//! the size of that line. Choosing between JSON Lines and a pretty-printed
//! document once built the first line as a `serde_json::Value` tree, 15×
//! its size.

use serde_json::Value;

use crate::{run_measured, Cmd, COMMANDS};

const SPANS: u64 = 100_000;

#[test]
fn one_large_json_request_is_read_in_memory_near_its_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("one-request.json");
    let generated = run_measured(&[
        "generate".into(),
        "--signal".into(),
        "traces".into(),
        "--spans".into(),
        SPANS.to_string(),
        "--batch".into(),
        SPANS.to_string(),
        "--format".into(),
        "json".into(),
        "-o".into(),
        file.display().to_string(),
    ]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let size = std::fs::metadata(&file).expect("generated").len();
    assert!(size > 40 << 20, "one line of {size} bytes");
    // The line, its columns and the binary itself; the Value tree alone was 15×.
    let bound = 4 * size + (96 << 20);
    for cmd in COMMANDS {
        for threads in [1, 2] {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&file], threads, &[], out.path()));
            let spans = match cmd {
                // Generated traces can have findings (exit 1); every span is still checked.
                Cmd::Validate => {
                    assert!(r.code <= 1, "validate --threads {threads}: {}", r.stderr);
                    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON object");
                    v["spans_checked"].as_u64().expect("spans_checked")
                }
                _ => {
                    assert_eq!(r.code, 0, "{cmd:?} --threads {threads}: {}", r.stderr);
                    cmd.spans_read(&r, out.path())
                }
            };
            assert_eq!(spans, SPANS, "{cmd:?} --threads {threads}");
            assert!(
                r.max_rss_bytes < bound,
                "{cmd:?} --threads {threads}: peak RSS {} MB for a {} MB request (bound {} MB)",
                r.max_rss_bytes >> 20,
                size >> 20,
                bound >> 20
            );
        }
    }
}
