//! The staged pipeline: results independent of threads and batch size,
//! backpressure with a slow consumer, and errors that surface the same way
//! whatever the parallelism.

mod fixtures;

use std::time::Duration;

use fixtures::*;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use otlp_analytics::aggregate::backend::Backend;
use otlp_analytics::aggregate::keys::parse_keys;
use otlp_analytics::aggregate::{aggregate_sources, AggregateSpec};
use otlp_analytics::decode::Signal;
use otlp_analytics::input::InputSource;
use otlp_analytics::pipeline::{self, Event, PipelineOptions};
use proptest::prelude::*;
use prost::Message;

/// A fileexporter stream of `frames` trace messages with `per_frame` spans each.
fn trace_stream(seed: u64, frames: usize, per_frame: usize) -> Vec<Vec<u8>> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n.max(1)
    };
    (0..frames)
        .map(|f| {
            let spans = (0..per_frame)
                .map(|i| {
                    let mut s = span(
                        1,
                        1,
                        0,
                        &format!("op{}", next(7)),
                        2,
                        T0 + next(600) * SEC,
                        next(1_000_000_000),
                        next(20) == 0,
                    );
                    s.attributes = vec![
                        kv("shard", Any::IntValue(next(3) as i64)),
                        kv("ratio", Any::DoubleValue(next(4) as f64 / 4.0)),
                    ];
                    s.span_id = vec![(i % 250) as u8 + 1; 8];
                    s
                })
                .collect();
            traces(vec![(resource(&format!("svc{}", f % 3), vec![]), spans)]).encode_to_vec()
        })
        .collect()
}

fn aggregate_with(
    file: &std::path::Path,
    threads: usize,
    batch_rows: usize,
    by: Option<&str>,
) -> arrow::array::RecordBatch {
    let mut opts = PipelineOptions::new(Some(threads));
    opts.batch_rows = batch_rows;
    opts.queue_frames = 3;
    let spec = AggregateSpec {
        signal: Signal::Traces,
        keys: parse_keys(by, Signal::Traces, Some(60 * SEC)).expect("keys"),
    };
    aggregate_sources(
        &[InputSource::File(file.to_path_buf())],
        &opts,
        &spec,
        Backend::Cpu,
    )
    .expect("aggregate")
    .batch
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn output_is_independent_of_threads_and_batch_size(
        seed in any::<u64>(),
        frames in 1usize..40,
        per_frame in 1usize..300,
        threads in 1usize..=8,
        batch_rows in 1usize..500,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write_stream(dir.path(), "t.otlp", &trace_stream(seed, frames, per_frame));
        for by in [None, Some("attr.shard,attr.ratio,status_code")] {
            let reference = aggregate_with(&file, 1, 65_536, by);
            let got = aggregate_with(&file, threads, batch_rows, by);
            prop_assert_eq!(reference, got);
        }
    }
}

#[test]
fn slow_consumer_blocks_the_reader_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_stream(dir.path(), "t.otlp", &trace_stream(1, 300, 20));
    let mut opts = PipelineOptions::new(Some(4));
    opts.queue_frames = 2;
    let (mut frames, mut spans) = (0u64, 0u64);
    let report = pipeline::run(
        &[InputSource::File(file)],
        &opts,
        |d| Ok(d.stats.spans),
        |event| {
            if let Event::Frame { mapped, .. } = event {
                std::thread::sleep(Duration::from_micros(500));
                frames += 1;
                spans += mapped;
            }
            Ok(())
        },
    )
    .expect("pipeline");
    assert_eq!((frames, spans), (300, 6000));
    assert_eq!(report.frames, 300);
    assert!(
        report.peak_in_flight <= report.in_flight_bound,
        "{report:?}"
    );
    assert_eq!(report.in_flight_bound, 2 + 4);
    assert!(
        report.peak_in_flight >= 2,
        "the reader should have run ahead up to the bound: {report:?}"
    );
}

/// A stream whose frame 1500 of 2000 holds garbage of the right length.
fn corrupt_stream(dir: &std::path::Path) -> std::path::PathBuf {
    let mut msgs = trace_stream(9, 2000, 5);
    msgs[1500] = vec![0xff; msgs[1500].len()];
    write_stream(dir, "corrupt.otlp", &msgs)
}

#[test]
fn a_corrupt_frame_deep_in_a_stream_reports_the_same_under_parallelism() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = corrupt_stream(dir.path());
    let f = path_str(&file);
    let single = run_fails(&["inspect", f, "--threads", "1"], 2);
    assert!(single.contains("frame 1500 at byte"), "{single}");
    assert!(single.contains("invalid protobuf"), "{single}");
    for threads in ["2", "8"] {
        assert_eq!(run_fails(&["inspect", f, "--threads", threads], 2), single);
        assert_eq!(
            run_fails(
                &["aggregate", f, "--signal", "traces", "--threads", threads],
                2
            ),
            single
        );
    }
}

#[test]
fn skip_invalid_counts_stay_exact_under_parallelism() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = corrupt_stream(dir.path());
    for threads in ["1", "3", "8"] {
        let out = run_ok(&[
            "inspect",
            path_str(&file),
            "--skip-invalid",
            "--format",
            "json",
            "--threads",
            threads,
            "--batch-rows",
            "2",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["total"]["frames"], 1999);
        assert_eq!(v["total"]["skipped_frames"], 1);
        assert_eq!(v["total"]["spans"], 1999 * 5);
    }
}
