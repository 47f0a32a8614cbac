//! `--skip-invalid`: bad frames are warned about, counted and skipped; the
//! frames around them are kept.

use serde_json::json;

use crate::decode_support::length_prefixed;
use crate::fixtures::path_str as s;
use crate::fixtures::{SEC, T0};
use crate::{assert_has, counts, inspect_fails, inspect_json, run, size, trace_frames};

#[test]
fn skip_invalid_keeps_the_frames_around_a_corrupt_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut frames = trace_frames(5);
    // Frame 2: the resource record claims more bytes than the message holds.
    frames[2] = vec![0x0a, 0x7f, 0x0a, 0x00];
    let offset: usize = frames[..2].iter().map(|f| 4 + f.len()).sum();
    let p = dir.path().join("s.otlp");
    std::fs::write(&p, length_prefixed(&frames)).expect("write");
    let bytes = size(&p);

    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 2 at byte {offset}: invalid protobuf: ",
            p.display()
        )),
        "{err}"
    );

    let (v, stderr) = inspect_json(&["--skip-invalid", s(&p)], None);
    assert!(
        stderr.contains(&format!(
            "warning: skipped {}: frame 2 at byte {offset}: invalid protobuf: ",
            p.display()
        )),
        "{stderr}"
    );
    let mut want = counts(4, bytes, 4, 4, 8, 0, [0; 5], 0, 2, (T0, T0 + 4 * SEC + 500));
    want["skipped_frames"] = json!(1);
    assert_has("input", &v["inputs"][0], &want);
    assert_has("total", &v["total"], &want);

    // The table format says so too.
    let r = run(&["inspect", "--skip-invalid", s(&p)], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("frames 4  bytes {bytes}  skipped frames 1")),
        "{}",
        r.stdout
    );
}

#[test]
fn skip_invalid_counts_a_truncated_final_frame_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = trace_frames(3);
    let mut bytes = length_prefixed(&frames);
    let offset = bytes.len();
    bytes.extend_from_slice(&(frames[0].len() as u32).to_be_bytes());
    bytes.extend_from_slice(&frames[0][..frames[0].len() / 2]);
    let p = dir.path().join("s.otlp");
    std::fs::write(&p, &bytes).expect("write");
    let (v, stderr) = inspect_json(&["--skip-invalid", s(&p)], None);
    assert_eq!(stderr.matches("warning: skipped").count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: skipped {}: frame 3 at byte {offset}: truncated frame: length prefix says {} bytes but only {} remain",
            p.display(),
            frames[0].len(),
            frames[0].len() / 2
        )),
        "{stderr}"
    );
    let mut want = counts(
        3,
        bytes.len() as u64,
        3,
        3,
        6,
        0,
        [0; 5],
        0,
        2,
        (T0, T0 + 2 * SEC + 500),
    );
    want["skipped_frames"] = json!(1);
    assert_has("total", &v["total"], &want);
}

#[test]
fn skip_invalid_with_only_bad_frames_reports_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.otlp");
    std::fs::write(&p, [0xff, 0xff, 0xff, 0xf0, 1, 2, 3]).expect("write");
    let (v, stderr) = inspect_json(&["--skip-invalid", s(&p)], None);
    assert!(stderr.contains("warning: skipped"), "{stderr}");
    assert_eq!(v["total"]["skipped_frames"], 1);
    assert_eq!(v["total"]["frames"], 0);
}
