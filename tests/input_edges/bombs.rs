//! zstd bombs: a 262 KB fileexporter file of 8 per-frame-zstd frames, each
//! expanding to 1 GiB of zeros, between valid frames. Default: exit 2 naming
//! file, frame and the limit. `--skip-invalid`: the 8 bombs are skipped and
//! counted, every valid span is read, and memory stays under 300 MB.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{
    length_prefixed, padded_trace_frame, run_measured, trace_frame, zstd, Cmd, COMMANDS, THREADS,
};

const RSS_BOUND: u64 = 300 << 20;

/// A zstd frame of `blocks` RLE blocks of 128 KiB zeros and no declared size:
/// 4 bytes per block expand to 128 KiB, so 8192 blocks (32 KiB) make 1 GiB.
fn zero_bomb(blocks: u32) -> Vec<u8> {
    // Magic; frame header descriptor 0 (size not declared); window 2^17 = 128 KiB.
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
    for i in 0..blocks {
        // Block header (3 bytes LE): last-block flag, type 1 = RLE, size 128 KiB; then the byte.
        let header = u32::from(i + 1 == blocks) | (1 << 1) | ((128 * 1024) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(0);
    }
    out
}

/// Valid frames 0, 2, …, 16 (9 traces of 2 spans) around bombs at frames 1, 3, …, 15.
/// Returns the file and the byte offset of frame 1.
fn bomb_file(dir: &Path) -> (PathBuf, u64) {
    let bomb = zero_bomb(8192);
    let mut frames = Vec::new();
    for i in 0..8u8 {
        frames.push(zstd(&trace_frame(i)));
        frames.push(bomb.clone());
    }
    frames.push(zstd(&trace_frame(8)));
    let first_bomb = 4 + frames[0].len() as u64;
    let bytes = length_prefixed(&frames);
    assert!(
        (262_000..275_000).contains(&bytes.len()),
        "the issue's 262 KB file: {}",
        bytes.len()
    );
    let path = dir.join("bombs.otlp");
    std::fs::write(&path, bytes).expect("write");
    (path, first_bomb)
}

#[test]
fn a_bomb_is_a_bad_frame_naming_file_frame_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, offset) = bomb_file(dir.path());
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&file], threads, &[], out.path()));
            assert_eq!(r.code, 2, "{cmd:?} --threads {threads}: {}", r.stderr);
            let want = format!(
                "error: {}: frame 1 at byte {offset}: frame exceeds --max-frame-bytes (256 MiB) once decompressed",
                file.display()
            );
            assert!(
                r.stderr.contains(&want),
                "{cmd:?} --threads {threads}: {}",
                r.stderr
            );
            assert!(r.stdout.is_empty(), "{cmd:?}: {}", r.stdout);
            assert!(
                r.max_rss_bytes < RSS_BOUND,
                "{cmd:?} --threads {threads}: peak RSS {} MB",
                r.max_rss_bytes >> 20
            );
        }
    }
}

#[test]
fn skip_invalid_skips_the_bombs_keeps_every_valid_span_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, _) = bomb_file(dir.path());
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&file], threads, &["--skip-invalid"], out.path()));
            let what = format!("{cmd:?} --threads {threads}");
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            assert_eq!(
                cmd.spans_read(&r, out.path()),
                18,
                "{what}: nothing valid dropped"
            );
            let skipped: Vec<&str> = r
                .stderr
                .lines()
                .filter(|l| {
                    l.starts_with("warning: skipped")
                        && l.contains("exceeds --max-frame-bytes (256 MiB)")
                })
                .collect();
            assert_eq!(skipped.len(), 8, "{what}: {}", r.stderr);
            for (k, line) in skipped.iter().enumerate() {
                assert!(
                    line.contains(&format!(": frame {} at byte", 2 * k + 1)),
                    "{what}: {line}"
                );
            }
            if let Cmd::Inspect = cmd {
                let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
                assert_eq!(v["total"]["frames"], 9, "{what}");
                assert_eq!(v["total"]["skipped_frames"], 8, "{what}");
            }
            assert!(
                r.max_rss_bytes < RSS_BOUND,
                "{what}: peak RSS {} MB",
                r.max_rss_bytes >> 20
            );
        }
    }
}

/// A valid frame of 1.5 MiB once decompressed: within the default limit, over
/// `--max-frame-bytes 1MiB`, fine again when the limit is raised.
#[test]
fn max_frame_bytes_sets_the_limit_for_every_framing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = padded_trace_frame(0, 3 << 19);
    let small = trace_frame(1);
    let cases: Vec<(&str, Vec<u8>, u64, u64, bool)> = vec![
        // name, bytes, frame of the big message, its offset, does the stream go on after it
        (
            "per-frame-zstd.otlp",
            length_prefixed(&[zstd(&small), zstd(&big), zstd(&small)]),
            1,
            4 + zstd(&small).len() as u64,
            true,
        ),
        (
            "declared-size.otlp",
            length_prefixed(&[zstd::bulk::compress(&big, 3).expect("zstd"), zstd(&small)]),
            0,
            0,
            true,
        ),
        (
            "plain.otlp",
            length_prefixed(&[small.clone(), big.clone(), small.clone()]),
            1,
            4 + small.len() as u64,
            true,
        ),
        ("single.pb.gz", gzip(&big), 0, 0, false),
        ("single.pb.zst", zstd(&big), 0, 0, false),
    ];
    for (name, bytes, frame, offset, goes_on) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let spans_after = if goes_on {
            2 * (1 + u64::from(frame == 1))
        } else {
            0
        };
        for cmd in [Cmd::Inspect, Cmd::Convert] {
            let out = tempfile::tempdir().expect("tempdir");
            let r =
                run_measured(&cmd.args(&[&path], 2, &["--max-frame-bytes", "1MiB"], out.path()));
            assert_eq!(r.code, 2, "{name} {cmd:?}: {}", r.stderr);
            let want = format!(
                "{}: frame {frame} at byte {offset}: frame exceeds --max-frame-bytes (1 MiB) once decompressed",
                path.display()
            );
            assert!(r.stderr.contains(&want), "{name} {cmd:?}: {}", r.stderr);

            if goes_on {
                let out = tempfile::tempdir().expect("tempdir");
                let args = cmd.args(
                    &[&path],
                    2,
                    &["--max-frame-bytes", "1MiB", "--skip-invalid"],
                    out.path(),
                );
                let r = run_measured(&args);
                assert_eq!(r.code, 0, "{name} {cmd:?}: {}", r.stderr);
                assert_eq!(
                    cmd.spans_read(&r, out.path()),
                    spans_after,
                    "{name} {cmd:?}"
                );
            }

            let out = tempfile::tempdir().expect("tempdir");
            let r =
                run_measured(&cmd.args(&[&path], 2, &["--max-frame-bytes", "2MiB"], out.path()));
            assert_eq!(r.code, 0, "{name} {cmd:?}: {}", r.stderr);
            let all = 2 + if goes_on { spans_after } else { 0 };
            assert_eq!(cmd.spans_read(&r, out.path()), all, "{name} {cmd:?}");
        }
    }
}

#[test]
fn an_overlong_json_line_is_skipped_to_the_next_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = |svc: &str, pad: usize| {
        format!(
            "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":\"{svc}\"}}}}]}},\"scopeSpans\":[{{\"spans\":[{{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\",\"name\":\"{}\",\"startTimeUnixNano\":\"1767225600000000000\",\"endTimeUnixNano\":\"1767225600000000500\"}}]}}]}}]}}\n",
            "n".repeat(pad)
        )
    };
    let text = [line("a", 1), line("b", 5000), line("c", 1)].concat();
    let path = dir.path().join("lines.jsonl");
    std::fs::write(&path, text).expect("write");
    let out = tempfile::tempdir().expect("tempdir");
    let r = run_measured(&Cmd::Inspect.args(
        &[&path],
        2,
        &["--max-frame-bytes", "4KiB", "--skip-invalid"],
        out.path(),
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(": frame 1 at byte "), "{}", r.stderr);
    assert!(
        r.stderr.contains("exceeds --max-frame-bytes (4 KiB)"),
        "{}",
        r.stderr
    );
    assert_eq!(Cmd::Inspect.spans_read(&r, out.path()), 2);
}

#[test]
fn max_frame_bytes_must_be_a_size() {
    let r = run_measured(&["inspect", "--max-frame-bytes", "lots", "x"].map(String::from));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--max-frame-bytes"), "{}", r.stderr);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}
