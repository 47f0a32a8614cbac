//! A reader that closes stdout early (`| head`) ends the run quietly.

use std::io::Read;
use std::process::{Command, Stdio};

use prost::Message;

use crate::decode_support::length_prefixed;
use crate::fixtures::path_str as s;
use crate::fixtures::{resource, span, traces, T0};

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 20 000 distinct span names: about 5 MB of JSON Lines, far beyond a pipe buffer.
    let frames: Vec<Vec<u8>> = (0..20u64)
        .map(|f| {
            let spans = (0..1000u64)
                .map(|i| {
                    span(
                        1,
                        (i % 250) as u8 + 1,
                        0,
                        &format!("operation-{f}-{i}"),
                        2,
                        T0 + i,
                        1000,
                        false,
                    )
                })
                .collect();
            traces(vec![(resource("svc", vec![]), spans)]).encode_to_vec()
        })
        .collect();
    let p = dir.path().join("many.otlp");
    std::fs::write(&p, length_prefixed(&frames)).expect("write");

    let mut child = Command::new(env!("CARGO_BIN_EXE_otlp-analytics"))
        .args([
            "aggregate",
            "--signal",
            "traces",
            "--backend",
            "cpu",
            "--format",
            "json",
            s(&p),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = [0u8; 4096];
    stdout.read_exact(&mut head).expect("first bytes of output");
    assert!(head.starts_with(b"{"), "{}", String::from_utf8_lossy(&head));
    drop(stdout); // `| head` exits
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
