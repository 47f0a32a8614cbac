//! merge(partial(a), partial(b), ...) == aggregate(a ++ b ++ ...) for random
//! splits of generated dumps whose traces and metric series are spread over
//! the splits (frames dealt out at random, so series arrive out of order).

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use proptest::prelude::*;

use super::*;
use crate::aggregate::aggregate_sources;
use crate::aggregate::backend::Backend;
use crate::cli::{GenerateArgs, GenerateCompression, GenerateFormat, SignalArg};
use crate::input::InputSource;
use crate::pipeline::PipelineOptions;

/// A fileexporter stream of `signal`, split into its length-prefixed frames.
fn frames(dir: &Path, signal: SignalArg, seed: u64) -> Vec<Vec<u8>> {
    let out = dir.join(format!("{signal:?}-{seed}.otlp"));
    let args = GenerateArgs {
        signal,
        seed,
        spans: 3_000,
        series: 40,
        points: 12,
        logs: 2_000,
        services: 3,
        cardinality: 3,
        batch: 60,
        format: GenerateFormat::Fileexporter,
        compression: GenerateCompression::None,
        output: out.clone(),
        force: true,
    };
    crate::generate::run(&args).expect("generate");
    let bytes = std::fs::read(&out).expect("read generated");
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        frames.push(bytes[at..at + 4 + len].to_vec());
        at += 4 + len;
    }
    frames
}

/// Deals `frames` into `splits` files by `choice` (frame i goes to split
/// `choice[i] % splits`), each file holding its frames in reverse order.
fn write_splits(dir: &Path, frames: &[Vec<u8>], choice: &[usize], splits: usize) -> Vec<PathBuf> {
    let mut files: Vec<Vec<u8>> = vec![Vec::new(); splits];
    for (i, f) in frames.iter().enumerate().rev() {
        files[choice[i % choice.len()] % splits].extend_from_slice(f);
    }
    files
        .into_iter()
        .enumerate()
        .filter(|(_, f)| !f.is_empty())
        .map(|(i, f)| {
            let p = dir.join(format!("split-{i}.otlp"));
            std::fs::write(&p, f).expect("write split");
            p
        })
        .collect()
}

fn spec(signal: Signal, by: Option<&str>, window: Option<u64>) -> AggregateSpec {
    AggregateSpec {
        signal,
        keys: crate::aggregate::keys::parse_keys(by, signal, window).expect("keys"),
    }
}

fn sources(paths: &[PathBuf]) -> Vec<InputSource> {
    paths.iter().cloned().map(InputSource::File).collect()
}

fn whole(paths: &[PathBuf], spec: &AggregateSpec) -> RecordBatch {
    let opts = PipelineOptions::new(Some(1));
    aggregate_sources(&sources(paths), &opts, spec, Backend::Cpu)
        .expect("aggregate")
        .batch
}

fn partials(paths: &[PathBuf], spec: &AggregateSpec) -> Vec<RecordBatch> {
    let opts = PipelineOptions::new(Some(1));
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            partial_sources_at(&sources(std::slice::from_ref(p)), &opts, spec, i as u64)
                .expect("partial")
        })
        .collect()
}

const WINDOW: u64 = 60_000_000_000;

fn check_signal(signal: SignalArg, by: Option<&str>, choice: &[usize], splits: usize, order: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = frames(dir.path(), signal, 7);
    let paths = write_splits(dir.path(), &frames, choice, splits);
    let spec = spec(signal.into(), by, Some(WINDOW));
    let expected = whole(&paths, &spec);
    let mut states = partials(&paths, &spec);
    // Merge in a shuffled order, some of it pre-combined.
    let by = order as usize % states.len().max(1);
    states.rotate_left(by);
    if states.len() > 2 && signal != SignalArg::Metrics {
        let tail = states.split_off(states.len() / 2);
        states.push(combine(&tail, &spec).expect("combine"));
    }
    let merged = finish(&states, &spec).expect("finish");
    assert_eq!(
        merged, expected,
        "{signal:?} split {choice:?} into {splits}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn traces_partials_merge_to_aggregate(
        choice in proptest::collection::vec(0usize..8, 1..12),
        splits in 1usize..5,
        order in 0u64..8,
    ) {
        check_signal(SignalArg::Traces, None, &choice, splits, order);
    }

    #[test]
    fn logs_partials_merge_to_aggregate(
        choice in proptest::collection::vec(0usize..8, 1..12),
        splits in 1usize..5,
        order in 0u64..8,
    ) {
        check_signal(SignalArg::Logs, Some("service.name,severity_text"), &choice, splits, order);
    }

    #[test]
    fn metric_partials_merge_to_aggregate(
        choice in proptest::collection::vec(0usize..8, 1..12),
        splits in 1usize..5,
        order in 0u64..8,
    ) {
        check_signal(SignalArg::Metrics, None, &choice, splits, order);
    }
}

/// One gauge point of series `q` at `time` (OTLP/JSON).
fn gauge_point(q: &str, time: u64, value: f64) -> String {
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"cart"}}}}]}},"scopeMetrics":[{{"metrics":[{{"name":"queue.depth","gauge":{{"dataPoints":[{{"attributes":[{{"key":"q","value":{{"stringValue":"{q}"}}}}],"timeUnixNano":"{time}","asDouble":{value}}}]}}}}]}}]}}]}}"#
    )
}

/// Grouped by service, two series' last points share a time in two files:
/// `value_last` is the later input's (2.0), as in the CLI, whatever order the
/// states merge in, because each state knows its input position.
#[test]
fn metric_ties_across_splits_keep_the_input_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<PathBuf> = [("a", 1.0), ("b", 2.0)]
        .iter()
        .enumerate()
        .map(|(i, (q, v))| {
            let p = dir.path().join(format!("{i}.json"));
            let lines = [gauge_point(q, 500, 9.0), gauge_point(q, 1_000, *v)];
            std::fs::write(&p, lines.join("\n")).expect("write");
            p
        })
        .collect();
    let spec = spec(Signal::Metrics, Some("service.name"), None);
    let expected = whole(&paths, &spec);
    let last = |b: &RecordBatch| {
        let col = b.column_by_name("value_last").expect("value_last");
        col.as_any()
            .downcast_ref::<arrow::array::Float64Array>()
            .expect("f64")
            .value(0)
    };
    assert_eq!(expected.num_rows(), 1);
    assert_eq!(last(&expected), 2.0);
    let mut states = partials(&paths, &spec);
    states.reverse();
    assert_eq!(finish(&states, &spec).expect("finish"), expected);
    // Without their positions, states merge in the order given.
    let opts = PipelineOptions::new(Some(1));
    let unplaced: Vec<RecordBatch> = paths
        .iter()
        .rev()
        .map(|p| partial_sources(&sources(std::slice::from_ref(p)), &opts, &spec).expect("partial"))
        .collect();
    assert_eq!(last(&finish(&unplaced, &spec).expect("finish")), 1.0);
}

/// Spark's path for metrics: points sharded by group, each shard combined into
/// finished groups, the groups concatenated and finished.
#[test]
fn metric_points_sharded_then_combined_equal_aggregate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = frames(dir.path(), SignalArg::Metrics, 3);
    let paths = write_splits(dir.path(), &frames, &[0, 2, 1, 2, 0, 1, 1], 3);
    for window in [None, Some(WINDOW)] {
        let spec = spec(Signal::Metrics, None, window);
        let expected = whole(&paths, &spec);
        let states = partials(&paths, &spec);
        let shards = 4;
        let mut groups = Vec::new();
        for shard in 0..shards {
            let parts: Vec<RecordBatch> = states
                .iter()
                .map(|s| select_shard(s, shard, shards).expect("shard"))
                .collect();
            let combined = combine(&parts, &spec).expect("combine");
            assert_eq!(state_kind(&combined), Some(StateKind::MetricGroups));
            groups.push(combined);
        }
        groups.reverse();
        assert_eq!(finish(&groups, &spec).expect("finish"), expected);
        if window.is_some() {
            // One point per series and window here: groups never overlap.
            continue;
        }
        // Unsharded group states overlap: refused, not silently wrong.
        let a = combine(&states[..1], &spec).expect("combine");
        let b = combine(&states[1..], &spec).expect("combine");
        let err = finish(&[a, b], &spec).unwrap_err().to_string();
        assert!(err.contains("two merged states"), "{err}");
    }
}

#[test]
fn states_of_other_keys_or_signals_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = frames(dir.path(), SignalArg::Logs, 1);
    let paths = write_splits(dir.path(), &frames, &[0], 1);
    let logs = spec(Signal::Logs, None, None);
    let state = partials(&paths, &logs);
    let other_keys = spec(Signal::Logs, Some("service.name"), None);
    let err = finish(&state, &other_keys).unwrap_err().to_string();
    assert!(
        err.contains("grouped by [service.name,severity_text]"),
        "{err}"
    );
    let traces = spec(Signal::Traces, None, None);
    let err = finish(&state, &traces).unwrap_err().to_string();
    assert!(
        err.contains("a logs state cannot merge into a traces aggregation"),
        "{err}"
    );
    // Inputs without the signal: an empty state, and the CLI's error at the end.
    let none = partials(&paths, &traces);
    assert_eq!(none[0].num_rows(), 0);
    let err = finish(&none, &traces).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("no OTLP data in {} (no traces found)", paths[0].display())
    );
}
