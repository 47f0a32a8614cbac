//! The pipeline's byte budget: bytes of frames between the reader and the
//! ordered consumer stay within `queue_bytes` (plus what workers learn only by
//! decompressing), a frame larger than the whole budget goes alone, and
//! nothing is lost while the reader waits.

use std::path::Path;
use std::time::Duration;

use otlp_analytics::input::InputSource;
use otlp_analytics::pipeline::{self, Event, PipelineOptions, PipelineReport};

use crate::{length_prefixed, padded_trace_frame, zstd};

const FRAME_PAD: usize = 50_000;

/// Runs the pipeline with a slow consumer (so the queue fills) and many
/// frames allowed, so only the byte budget holds the reader back.
fn run(file: &Path, threads: usize, queue_bytes: u64) -> (PipelineReport, u64) {
    let mut opts = PipelineOptions::new(Some(threads));
    opts.queue_frames = 1000;
    opts.queue_bytes = queue_bytes;
    let mut spans = 0;
    let report = pipeline::run(
        &[InputSource::File(file.to_path_buf())],
        &opts,
        |d| Ok(d.stats.spans),
        |event| {
            if let Event::Frame { mapped, .. } = event {
                std::thread::sleep(Duration::from_millis(2));
                spans += mapped;
            }
            Ok(())
        },
    )
    .expect("pipeline");
    (report, spans)
}

fn frames(n: u8) -> Vec<Vec<u8>> {
    (0..n).map(|i| padded_trace_frame(i, FRAME_PAD)).collect()
}

#[test]
fn plain_frames_in_flight_stay_within_the_byte_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain.otlp");
    let msgs = frames(40);
    let largest = msgs.iter().map(Vec::len).max().expect("frames") as u64;
    std::fs::write(&file, length_prefixed(&msgs)).expect("write");
    for threads in [1, 2, 8] {
        let budget = 4 * largest;
        let (report, spans) = run(&file, threads, budget);
        assert_eq!(spans, 80, "--threads {threads}: nothing lost");
        assert!(report.peak_bytes_in_flight <= budget, "{report:?}");
        // The budget, not the frame count, is what held the reader back.
        assert!(report.peak_bytes_in_flight >= 3 * largest, "{report:?}");
        assert!(report.peak_in_flight <= 4 + 1, "{report:?}");
    }
}

#[test]
fn a_frame_larger_than_the_whole_budget_goes_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain.otlp");
    let msgs = frames(10);
    let largest = msgs.iter().map(Vec::len).max().expect("frames") as u64;
    std::fs::write(&file, length_prefixed(&msgs)).expect("write");
    let (report, spans) = run(&file, 2, 1000);
    assert_eq!(spans, 20);
    assert!(report.peak_bytes_in_flight <= largest, "{report:?}");
}

#[test]
fn zstd_frames_count_their_decompressed_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msgs = frames(30);
    let largest = msgs.iter().map(Vec::len).max().expect("frames") as u64;
    // Declared sizes (one-shot API): the reader reserves them before queuing.
    let declared: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| zstd::bulk::compress(m, 3).expect("zstd"))
        .collect();
    let file = dir.path().join("declared.otlp");
    std::fs::write(&file, length_prefixed(&declared)).expect("write");
    let budget = 4 * largest;
    for threads in [1, 2, 8] {
        let (report, spans) = run(&file, threads, budget);
        assert_eq!(spans, 60);
        assert!(report.peak_bytes_in_flight <= budget, "{report:?}");
        assert!(report.peak_bytes_in_flight >= 3 * largest, "{report:?}");
    }
    // No declared size: the reader reserves the first pass (4 MiB) for each.
    let streamed: Vec<Vec<u8>> = msgs.iter().map(|m| zstd(m)).collect();
    let file = dir.path().join("streamed.otlp");
    std::fs::write(&file, length_prefixed(&streamed)).expect("write");
    let compressed = streamed.iter().map(Vec::len).max().expect("frames") as u64;
    let budget = 3 * ((4 << 20) + compressed);
    for threads in [1, 2, 8] {
        let (report, spans) = run(&file, threads, budget);
        assert_eq!(spans, 60);
        assert!(
            report.peak_bytes_in_flight <= budget,
            "--threads {threads}: {report:?}"
        );
        assert!(report.peak_bytes_in_flight >= 2 * (4 << 20), "{report:?}");
    }
}

#[test]
fn frames_larger_than_foreseen_are_charged_when_decompressed() {
    // 5 MiB each, no declared size: 4 MiB reserved up front, the rest charged by the worker.
    let dir = tempfile::tempdir().expect("tempdir");
    let msgs: Vec<Vec<u8>> = (0..4)
        .map(|i| zstd(&padded_trace_frame(i, 5 << 20)))
        .collect();
    let file = dir.path().join("large.otlp");
    std::fs::write(&file, length_prefixed(&msgs)).expect("write");
    for threads in [1, 2] {
        let (report, spans) = run(&file, threads, 1);
        assert_eq!(spans, 8, "nothing lost");
        assert!(report.peak_bytes_in_flight > 5 << 20, "{report:?}");
    }
}
