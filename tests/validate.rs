//! `validate` end to end: the real binary on hand-built OTLP files, one case
//! per rule, with the exact JSON it prints and the exit code it returns.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};

const RULES: [&str; 7] = [
    "duplicate_span_id",
    "end_before_start",
    "invalid_id",
    "orphan_span",
    "multiple_roots",
    "parent_cycle",
    "child_starts_before_parent",
];

const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn tid(n: u8) -> Vec<u8> {
    let mut id = vec![0xa0; 16];
    id[15] = n;
    id
}

fn sid(n: u8) -> Vec<u8> {
    if n == 0 {
        Vec::new()
    } else {
        vec![0, 0, 0, 0, 0, 0, 0xb0, n]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A span from raw ids; starts at T0 + `start_ms`, lasts 10 ms.
fn raw_span(trace: &[u8], span: &[u8], parent: &[u8], name: &str, start_ms: u64) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: span.to_vec(),
        parent_span_id: parent.to_vec(),
        name: name.into(),
        start_time_unix_nano: T0 + start_ms * MS,
        end_time_unix_nano: T0 + (start_ms + 10) * MS,
        ..Default::default()
    }
}

/// Span `span` of trace `trace` with parent `parent` (0: root).
fn span(trace: u8, span: u8, parent: u8, name: &str, start_ms: u64) -> Span {
    raw_span(&tid(trace), &sid(span), &sid(parent), name, start_ms)
}

fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    let attr = KeyValue {
        key: "service.name".into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(service.into())),
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A single protobuf message file.
fn write_proto(dir: &Path, name: &str, req: &ExportTraceServiceRequest) -> PathBuf {
    write(dir, name, &req.encode_to_vec())
}

/// A fileexporter stream: [4-byte big-endian length][message], repeated.
fn write_stream(dir: &Path, name: &str, reqs: &[ExportTraceServiceRequest]) -> PathBuf {
    let mut bytes = Vec::new();
    for r in reqs {
        let m = r.encode_to_vec();
        bytes.extend((m.len() as u32).to_be_bytes());
        bytes.extend(m);
    }
    write(dir, name, &bytes)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", self.stdout, self.stderr))
    }
}

fn validate<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::cargo_bin("otlp-analytics")
        .unwrap()
        .arg("validate")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `validate --format json` on one file.
fn validate_json(path: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json", path.to_str().unwrap()];
    args.extend(extra);
    let run = validate(args);
    (run.code, run.json())
}

fn example(trace: &[u8], span: &[u8], service: &str, name: &str) -> Value {
    json!({"trace_id": hex(trace), "span_id": hex(span), "service": service, "name": name})
}

/// The whole expected report: `found` lists the rules with violations and
/// their examples; every other rule is 0 with no examples.
fn expected(traces: u64, spans: u64, found: &[(&str, u64, Vec<Value>)]) -> Value {
    let mut violations = serde_json::Map::new();
    let mut examples = serde_json::Map::new();
    for rule in RULES {
        let (count, ex) = found
            .iter()
            .find(|f| f.0 == rule)
            .map_or((0, vec![]), |f| (f.1, f.2.clone()));
        violations.insert(rule.into(), json!(count));
        examples.insert(rule.into(), Value::Array(ex));
    }
    json!({"traces_checked": traces, "spans_checked": spans, "violations": violations, "examples": examples})
}

#[test]
fn duplicate_span_id_counts_once_per_id() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 2, 1, "first", 1),
        span(1, 2, 1, "second", 2),
        span(1, 2, 1, "third", 3),
        span(1, 3, 2, "child of 2", 4),
        // The same span id in another trace is no duplicate.
        span(2, 2, 0, "other trace", 0),
    ];
    let path = write_proto(dir.path(), "dup.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![example(&tid(1), &sid(2), "svc", "second")];
    assert_eq!(v, expected(2, 6, &[("duplicate_span_id", 1, ex)]));
}

#[test]
fn end_before_start_counts_each_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = span(1, 2, 1, "backwards", 5);
    bad.end_time_unix_nano = bad.start_time_unix_nano - 1;
    let mut instant = span(1, 3, 1, "instant", 5);
    instant.end_time_unix_nano = instant.start_time_unix_nano;
    let path = write_proto(
        dir.path(),
        "t.pb",
        &request("svc", vec![span(1, 1, 0, "root", 0), bad, instant]),
    );
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![example(&tid(1), &sid(2), "svc", "backwards")];
    assert_eq!(v, expected(1, 3, &[("end_before_start", 1, ex)]));
}

#[test]
fn invalid_id_counts_each_offending_span_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = tid(1);
    let spans = vec![
        raw_span(&t, &sid(1), &[], "root", 0),
        raw_span(&t, &[7, 7, 7], &sid(1), "short span id", 1),
        raw_span(&t, &[], &sid(1), "empty span id", 1),
        raw_span(&t, &[0; 8], &sid(1), "zero span id", 1),
        // A parent of the wrong length is invalid; this one names the short span, so it is no orphan.
        raw_span(&t, &sid(5), &[7, 7, 7], "short parent id", 2),
        raw_span(&[0; 16], &sid(1), &[], "zero trace id", 0),
        raw_span(&[9; 8], &sid(1), &[], "short trace id", 0),
        raw_span(&[], &sid(1), &[], "empty trace id", 0),
        // Two bad ids on one span still count once.
        raw_span(&[], &[1], &[], "everything wrong", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &["--examples", "4"]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&t, &[7, 7, 7], "svc", "short span id"),
        example(&t, &[], "svc", "empty span id"),
        example(&t, &[0; 8], "svc", "zero span id"),
        example(&t, &sid(5), "svc", "short parent id"),
    ];
    // Spans with an empty trace id are one trace (two roots there).
    let roots = vec![example(&[], &[1], "svc", "everything wrong")];
    assert_eq!(
        v,
        expected(4, 9, &[("invalid_id", 8, ex), ("multiple_roots", 1, roots)])
    );
}

#[test]
fn orphans_are_spans_whose_parent_is_not_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 3, 2, "lost child", 1),
        span(1, 4, 3, "grandchild", 2),
        // Only orphans: no root at all, which is not multiple_roots.
        span(2, 5, 9, "orphan a", 0),
        span(2, 6, 9, "orphan b", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(3), "svc", "lost child"),
        example(&tid(2), &sid(5), "svc", "orphan a"),
        example(&tid(2), &sid(6), "svc", "orphan b"),
    ];
    assert_eq!(v, expected(2, 5, &[("orphan_span", 3, ex)]));
}

#[test]
fn multiple_roots_count_once_per_trace() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root a", 0),
        span(1, 2, 0, "root b", 0),
        span(1, 3, 0, "root c", 0),
        raw_span(&tid(2), &sid(1), &[0; 8], "zero parent root", 0),
        span(2, 2, 0, "empty parent root", 0),
        span(3, 1, 0, "single root", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(2), "svc", "root b"),
        example(&tid(2), &sid(2), "svc", "empty parent root"),
    ];
    assert_eq!(v, expected(3, 6, &[("multiple_roots", 2, ex)]));
}

#[test]
fn parent_cycles_count_once_each_and_are_not_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 2, 3, "loop a", 0),
        span(1, 3, 4, "loop b", 0),
        span(1, 4, 2, "loop c", 0),
        span(1, 5, 4, "below the loop", 0),
        span(1, 6, 6, "own parent", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(2), "svc", "loop a"),
        example(&tid(1), &sid(6), "svc", "own parent"),
    ];
    assert_eq!(v, expected(1, 6, &[("parent_cycle", 2, ex)]));
}

#[test]
fn child_starts_before_parent_honours_skew() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 100),
        span(1, 2, 1, "5ms early", 95),
        span(1, 3, 1, "on time", 100),
        span(1, 4, 3, "20ms early", 80),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let early = example(&tid(1), &sid(2), "svc", "5ms early");
    let very_early = example(&tid(1), &sid(4), "svc", "20ms early");

    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        expected(
            1,
            4,
            &[(
                "child_starts_before_parent",
                2,
                vec![early, very_early.clone()]
            )]
        )
    );
    let (code, v) = validate_json(&path, &["--skew", "5ms"]);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        expected(1, 4, &[("child_starts_before_parent", 1, vec![very_early])])
    );
    let (code, v) = validate_json(&path, &["--skew", "20ms"]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(1, 4, &[]));
}

/// `traces` traces, each a chain 12 deep with 28 more spans hanging off it,
/// spread over frames so that children often come before their parents.
fn deep_traces(traces: u8) -> Vec<ExportTraceServiceRequest> {
    let mut frames: Vec<Vec<Span>> = vec![Vec::new(); 3];
    for t in 1..=traces {
        for i in 1..=40u8 {
            let parent = match i {
                1 => 0,
                2..=12 => i - 1,
                _ => i % 12 + 1,
            };
            let s = span(t, i, parent, &format!("op {i}"), u64::from(i));
            frames[usize::from(i % 3)].push(s);
        }
    }
    frames
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, spans)| request(&format!("svc{i}"), spans))
        .collect()
}

#[test]
fn clean_deep_trees_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_stream(dir.path(), "deep.otlp", &deep_traces(5));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(5, 200, &[]));
    let run = validate([path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("checked 5 traces, 200 spans: ok\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_trace_split_over_two_files_is_checked_whole() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = <[ExportTraceServiceRequest; 3]>::try_from(deep_traces(2)).unwrap();
    let first = write_stream(dir.path(), "1.otlp", &[a, b]);
    let second = write_proto(dir.path(), "2.pb", &c);
    let run = validate([
        "--format",
        "json",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(2, 80, &[]));
    // A directory is read whole too.
    let (code, v) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(2, 80, &[]));
    // Read alone, the second file's spans lose the parents that live in the
    // first: it holds spans i = 3, 6, ..., 39 and each of their parents
    // (i - 1, or i % 12 + 1) is not a multiple of 3, so all 13 are orphans.
    let (code, v) = validate_json(&second, &["--examples", "0"]);
    assert_eq!(code, 1);
    assert_eq!(v["violations"]["orphan_span"], 2 * 13);
    assert_eq!(v["violations"]["multiple_roots"], 0);
    assert_eq!(v["traces_checked"], 2);
    assert_eq!(v["examples"]["orphan_span"], json!([]));
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut frames = Vec::new();
    for f in 0..6u8 {
        // Broken on purpose: every trace is split over frames, many spans are orphans.
        let spans = (0..50u8)
            .map(|i| {
                let parent = (u16::from(i) * 7 % 60) as u8;
                span(
                    i % 13,
                    f * 40 + i % 40,
                    parent,
                    &format!("op {f}/{i}"),
                    u64::from(i),
                )
            })
            .collect();
        frames.push(request(&format!("svc{f}"), spans));
    }
    let path = write_stream(dir.path(), "messy.otlp", &frames);
    let outputs: Vec<String> = ["1", "2", "7"]
        .iter()
        .map(|threads| {
            validate([
                "--format",
                "json",
                "--threads",
                threads,
                path.to_str().unwrap(),
            ])
            .stdout
        })
        .collect();
    assert!(outputs[0].contains("orphan_span"));
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn examples_are_limited_and_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let spans = (1..=10u8)
        .rev()
        .map(|t| span(t, 2, 1, &format!("orphan {t}"), 0))
        .collect();
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &["--examples", "2"]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(10), &sid(2), "svc", "orphan 10"),
        example(&tid(9), &sid(2), "svc", "orphan 9"),
    ];
    assert_eq!(v, expected(10, 10, &[("orphan_span", 10, ex)]));
}

fn official_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples/trace.json")
}

#[test]
fn official_example_has_one_orphan() {
    // Its single span names parent eee19b7ec3c1b173, which the file does not hold.
    let (code, v) = validate_json(&official_trace(), &[]);
    assert_eq!(code, 1);
    let ex = json!({
        "trace_id": "5b8efff798038103d269b633813fc60c",
        "span_id": "eee19b7ec3c1b174",
        "service": "my.service",
        "name": "I'm a server span",
    });
    assert_eq!(v, expected(1, 1, &[("orphan_span", 1, vec![ex])]));

    let run = validate([official_trace()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("checked 1 trace, 1 span: 1 violation\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "orphan_span:\n  trace 5b8efff798038103d269b633813fc60c  span eee19b7ec3c1b174  service my.service  name \"I'm a server span\"\n"
    ));
}

#[test]
fn parquet_from_convert_validates_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pq");
    let converted = Command::cargo_bin("otlp-analytics")
        .unwrap()
        .args([
            "convert",
            official_trace().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let (code, v) = validate_json(&out.join("spans.parquet"), &[]);
    assert_eq!(code, 1);
    assert_eq!(v, validate_json(&official_trace(), &[]).1);
}

#[test]
fn stdin_is_an_input() {
    let bytes = request(
        "svc",
        vec![span(1, 1, 0, "root", 0), span(1, 2, 1, "child", 1)],
    )
    .encode_to_vec();
    let out = Command::cargo_bin("otlp-analytics")
        .unwrap()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, expected(1, 2, &[]));
}

fn metrics_request() -> ExportMetricsServiceRequest {
    let point = NumberDataPoint {
        time_unix_nano: T0,
        value: Some(number_data_point::Value::AsDouble(1.5)),
        ..Default::default()
    };
    let metric = Metric {
        name: "queue.depth".into(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: vec![point],
        })),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![metric],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn metrics_inputs_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = write(dir.path(), "m.pb", &metrics_request().encode_to_vec());
    let traces = write_proto(
        dir.path(),
        "t.pb",
        &request("svc", vec![span(1, 1, 0, "root", 0)]),
    );
    let run = validate([
        "--format",
        "json",
        metrics.to_str().unwrap(),
        traces.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(1, 1, &[]));
    assert!(
        run.stderr.contains(&format!(
            "warning: validate: ignoring {} (metrics)",
            metrics.display()
        )),
        "{}",
        run.stderr
    );

    // Nothing but metrics: no spans to check.
    let run = validate([metrics.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no OTLP data in"), "{}", run.stderr);
}

#[test]
fn bad_input_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = request("svc", vec![span(1, 1, 0, "root", 0)]).encode_to_vec();
    // A stream whose second frame's length runs past the end of the file.
    let mut bytes = (good.len() as u32).to_be_bytes().to_vec();
    bytes.extend(&good);
    bytes.extend(1000u32.to_be_bytes());
    bytes.extend([1, 2, 3]);
    let bad = write(dir.path(), "truncated.otlp", &bytes);
    let run = validate([bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("truncated.otlp"), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    // With --skip-invalid the good frame is still checked.
    let run = validate(["--format", "json", "--skip-invalid", bad.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(1, 1, &[]));

    let missing = dir.path().join("missing.pb");
    let run = validate([missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.pb"), "{}", run.stderr);

    let empty = write(dir.path(), "empty.pb", &[]);
    let run = validate([empty.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no OTLP data in"), "{}", run.stderr);
}

#[test]
fn bad_skew_is_a_usage_error() {
    let run = validate(["--skew", "5 parsecs", official_trace().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--skew"), "{}", run.stderr);
}
