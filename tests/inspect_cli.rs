//! `inspect` through the real binary: exact totals of the official examples,
//! stdin, every kind of bad input with its message and exit code 2,
//! `--skip-invalid`, `--signal`, the table format and a closed stdout.

mod decode_support;
mod fixtures;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use decode_support::{gzip, length_prefixed, per_message_zstd, zstd};
use fixtures::{kv, resource, span, traces, SEC, T0};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Gauge, NumberDataPoint,
};
use prost::Message;
use serde_json::{json, Value};

/// The official opentelemetry-proto examples (README, LICENSE and protobuf
/// text files included), vendored under tests/data.
fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples")
}

fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("otlp-analytics").expect("binary built")
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = bin();
    cmd.args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let out = cmd.output().expect("run binary");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// `inspect --format json ARGS...`, asserting success.
fn inspect_json(args: &[&str], stdin: Option<Vec<u8>>) -> (Value, String) {
    let mut all = vec!["inspect", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all, stdin);
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("inspect prints one JSON object");
    (v, r.stderr)
}

/// `inspect ARGS...` that must fail with exit 2 and print nothing on stdout;
/// returns stderr.
fn inspect_fails(args: &[&str], stdin: Option<Vec<u8>>) -> String {
    let mut all = vec!["inspect", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all, stdin);
    assert_eq!(r.code, Some(2), "{args:?}: stderr {}", r.stderr);
    assert_eq!(r.stdout, "", "{args:?}: nothing on stdout");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stderr
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).expect("stat").len()
}

/// The counts every T object must hold, in the documented shape.
#[allow(clippy::too_many_arguments)]
fn counts(
    frames: u64,
    bytes: u64,
    resources: u64,
    scopes: u64,
    spans: u64,
    metrics: u64,
    by_type: [u64; 5],
    log_records: u64,
    services: u64,
    time: (u64, u64),
) -> Value {
    json!({
        "frames": frames,
        "bytes": bytes,
        "skipped_frames": 0,
        "resources": resources,
        "scopes": scopes,
        "spans": spans,
        "metrics": metrics,
        "data_points": by_type.iter().sum::<u64>(),
        "data_points_by_type": {
            "gauge": by_type[0],
            "sum": by_type[1],
            "histogram": by_type[2],
            "exponential_histogram": by_type[3],
            "summary": by_type[4],
        },
        "log_records": log_records,
        "services": services,
        "time_min": time.0,
        "time_max": time.1,
    })
}

/// Asserts every key of `want` has that value in `got` (extra keys allowed).
fn assert_has(what: &str, got: &Value, want: &Value) {
    for (k, v) in want.as_object().expect("object") {
        assert_eq!(&got[k], v, "{what}: {k} in {got}");
    }
}

const SPAN_START: u64 = 1_544_712_660_000_000_000;
const SPAN_END: u64 = 1_544_712_661_000_000_000;
const POINT_TIME: u64 = 1_544_712_660_300_000_000;

#[test]
fn examples_directory_has_the_exact_totals() {
    let dir = examples_dir();
    let f = |name: &str| dir.join(name);
    let dir_arg = format!("{}/", dir.display());
    let (v, stderr) = inspect_json(&[&dir_arg], None);

    // README, LICENSE, SOURCE and the protobuf text files are skipped with a warning.
    for skipped in [
        "LICENSE",
        "README.md",
        "SOURCE.md",
        "metrics.protobuf-text",
        "trace.protobuf-text",
    ] {
        let line = format!(
            "warning: skipping {}: plain text, not OTLP data",
            dir.join(skipped).display()
        );
        // The walk joins names to the directory as given (with its trailing slash).
        let line_slash = format!("warning: skipping {dir_arg}{skipped}: plain text, not OTLP data");
        assert!(
            stderr.contains(&line) || stderr.contains(&line_slash),
            "{skipped}: {stderr}"
        );
    }

    let inputs = v["inputs"].as_array().expect("inputs array");
    let names: Vec<&str> = inputs
        .iter()
        .map(|i| i["path"].as_str().expect("path"))
        .map(|p| p.rsplit('/').next().expect("file name"))
        .collect();
    assert_eq!(
        names,
        [
            "events.json",
            "logs.json",
            "metrics.json",
            "metrics.protobuf-bin",
            "trace.json",
            "trace.protobuf-bin"
        ]
    );
    for i in inputs {
        let p = Path::new(i["path"].as_str().expect("path"));
        assert!(p.starts_with(&dir), "{}", p.display());
    }

    let point = (POINT_TIME, POINT_TIME);
    let span = (SPAN_START, SPAN_END);
    let want = [
        counts(1, size(&f("events.json")), 1, 1, 0, 0, [0; 5], 1, 1, point),
        counts(1, size(&f("logs.json")), 1, 1, 0, 0, [0; 5], 1, 1, point),
        counts(
            1,
            size(&f("metrics.json")),
            1,
            1,
            0,
            4,
            [1, 1, 1, 1, 0],
            0,
            1,
            point,
        ),
        counts(
            1,
            size(&f("metrics.protobuf-bin")),
            1,
            1,
            0,
            3,
            [1, 1, 1, 0, 0],
            0,
            1,
            point,
        ),
        counts(1, size(&f("trace.json")), 1, 1, 1, 0, [0; 5], 0, 1, span),
        counts(
            1,
            size(&f("trace.protobuf-bin")),
            1,
            1,
            1,
            0,
            [0; 5],
            0,
            1,
            span,
        ),
    ];
    for (got, want) in inputs.iter().zip(&want) {
        assert_has(got["path"].as_str().expect("path"), got, want);
    }
    // The files as committed upstream.
    assert_eq!(
        inputs
            .iter()
            .map(|i| i["bytes"].as_u64().expect("bytes"))
            .collect::<Vec<_>>(),
        [2130, 2718, 4134, 449, 1229, 214]
    );
    let total_bytes: u64 = want
        .iter()
        .map(|w| w["bytes"].as_u64().expect("bytes"))
        .sum();
    assert_eq!(total_bytes, 10_874);
    assert_has(
        "total",
        &v["total"],
        &counts(
            6,
            total_bytes,
            6,
            6,
            2,
            7,
            [2, 2, 2, 1, 0],
            2,
            1,
            (SPAN_START, SPAN_END),
        ),
    );
}

#[test]
fn table_format_prints_a_totals_block() {
    let dir = examples_dir();
    let r = run(&["inspect", s(&dir)], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = &r.stdout;
    let total_at = out.find("\nTOTAL\n").expect("TOTAL line");
    let total = &out[total_at..];
    assert!(
        total.contains("frames 6  bytes 10874  skipped frames 0"),
        "{total}"
    );
    assert!(
        total.contains("resources 6  scopes 6  services 1"),
        "{total}"
    );
    assert!(
        total.contains("spans 2  log records 2  metrics 7  data points 7"),
        "{total}"
    );
    assert!(
        total.contains("points by type: gauge 2, sum 2, histogram 2, exponential_histogram 1"),
        "{total}"
    );
    assert!(total.contains("time range 2018-12-13T14:51:00"), "{total}");
    assert!(total.contains("service names: my.service"), "{total}");
    // One block per input before the total.
    assert!(out.contains(&format!("{}\n", dir.join("trace.json").display())));
}

// ---- stdin ----------------------------------------------------------------------

fn trace_frames(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let spans = vec![
                span(1, 1, 0, "root", 2, T0 + i * SEC, 500, false),
                span(1, 2, 1, "child", 3, T0 + i * SEC + 10, 100, true),
            ];
            traces(vec![(resource(&format!("svc{}", i % 2), vec![]), spans)]).encode_to_vec()
        })
        .collect()
}

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

// ---- several signals, --signal ------------------------------------------------------

fn gauge_request(points: u64) -> Vec<u8> {
    let dps = (0..points)
        .map(|i| NumberDataPoint {
            time_unix_nano: T0 + i * SEC,
            value: Some(number_data_point::Value::AsDouble(i as f64)),
            ..Default::default()
        })
        .collect();
    fixtures::metrics(
        "metrics-svc",
        vec![fixtures::metric(
            "temp",
            Data::Gauge(Gauge { data_points: dps }),
        )],
    )
    .encode_to_vec()
}

/// Log records with only a severity text and an attribute: nothing in them
/// tells logs apart from the other signals on the wire.
fn ambiguous_logs() -> Vec<u8> {
    let record = |t: &str| LogRecord {
        severity_text: t.into(),
        attributes: vec![kv("k", Any::StringValue("v".into()))],
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("log-svc", vec![]),
            scope_logs: vec![ScopeLogs {
                log_records: vec![record("INFO"), record("WARN"), record("ERROR")],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn inputs_of_different_signals_are_all_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("a-traces.otlp");
    let m = dir.path().join("b-metrics.pb.zst");
    let l = dir.path().join("c-logs.json");
    std::fs::write(&t, length_prefixed(&trace_frames(2))).expect("write");
    std::fs::write(&m, zstd(&gauge_request(5))).expect("write");
    std::fs::copy(examples_dir().join("logs.json"), &l).expect("copy");
    let (v, _) = inspect_json(&[s(dir.path())], None);
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 3);
    assert_eq!(inputs[0]["spans"], 4);
    assert_eq!(inputs[1]["data_points_by_type"]["gauge"], 5);
    assert_eq!(inputs[1]["metrics"], 1);
    assert_eq!(inputs[2]["log_records"], 1);
    let total = &v["total"];
    assert_eq!(total["frames"], 4);
    assert_eq!(total["spans"], 4);
    assert_eq!(total["data_points"], 5);
    assert_eq!(total["log_records"], 1);
    // svc0, svc1, metrics-svc, my.service
    assert_eq!(total["services"], 4);
    assert_eq!(total["time_min"], POINT_TIME);
    assert_eq!(total["time_max"], T0 + 4 * SEC);
}

#[test]
fn signal_flag_overrides_sniffing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("logs.pb");
    let stream = dir.path().join("logs.otlp");
    std::fs::write(&one, ambiguous_logs()).expect("write");
    std::fs::write(
        &stream,
        length_prefixed(&[ambiguous_logs(), ambiguous_logs()]),
    )
    .expect("write");
    for (p, frames) in [(&one, 1), (&stream, 2)] {
        let (v, _) = inspect_json(&["--signal", "logs", s(p)], None);
        let total = &v["total"];
        assert_eq!(total["frames"], frames);
        assert_eq!(total["log_records"], 3 * frames);
        assert_eq!(total["spans"], 0);
        assert_eq!(total["metrics"], 0);
        assert_eq!(total["services"], 1);
        assert_eq!(total["service_names"], json!(["log-svc"]));
    }
}

#[test]
fn signal_flag_contradicting_json_is_an_error() {
    let logs = examples_dir().join("logs.json");
    let err = inspect_fails(&["--signal", "traces", s(&logs)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: --signal traces given, but this frame holds logs",
            logs.display()
        )),
        "{err}"
    );
}

#[test]
fn an_unsniffable_frame_is_not_silently_dropped() {
    // Without --signal: the three records are counted as logs, or inspect
    // fails naming the frame; it must not report success with them missing.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("logs.otlp");
    let texts_only = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    LogRecord {
                        severity_text: "INFO".into(),
                        ..Default::default()
                    };
                    3
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec();
    let frames = [texts_only.clone(), texts_only];
    std::fs::write(&p, length_prefixed(&frames)).expect("write");
    let r = run(&["inspect", "--format", "json", s(&p)], None);
    match r.code {
        Some(0) => {
            let v: Value = serde_json::from_str(&r.stdout).expect("json");
            assert_eq!(v["total"]["log_records"], 6, "records lost: {v}");
        }
        Some(2) => assert!(
            r.stderr
                .contains(&format!("{}: frame 0 at byte 0: ", p.display())),
            "{}",
            r.stderr
        ),
        other => panic!("exit {other:?}: {}", r.stderr),
    }
}

// ---- bad inputs -----------------------------------------------------------------------

#[test]
fn empty_file_warns_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("empty.otlp");
    std::fs::write(&p, b"").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!("warning: {}: empty input", p.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("error: no OTLP data in {}", p.display())),
        "{err}"
    );
    // An empty stdin alike.
    let err = inspect_fails(&["-"], Some(Vec::new()));
    assert!(err.contains("error: no OTLP data in <stdin>"), "{err}");
}

#[test]
fn an_empty_file_next_to_data_is_only_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("a-empty.otlp");
    let data = dir.path().join("b-data.otlp");
    std::fs::write(&empty, b"").expect("write");
    std::fs::write(&data, length_prefixed(&trace_frames(1))).expect("write");
    let (v, stderr) = inspect_json(&[s(dir.path())], None);
    assert!(
        stderr.contains(&format!("warning: {}: empty input", empty.display())),
        "{stderr}"
    );
    assert_eq!(v["inputs"][0]["frames"], 0);
    assert_eq!(v["inputs"][0]["bytes"], 0);
    assert_eq!(v["total"]["spans"], 2);
}

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

    // Valid JSON without any signal key.
    std::fs::write(&p, b"{\"resource\": {}}\n").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!(
            "error: {}: frame 0 at byte 0: unknown signal",
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

#[test]
fn unreadable_paths_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("does-not-exist.otlp");
    let err = inspect_fails(&[s(&missing)], None);
    assert!(
        err.contains(&format!("error: {}: ", missing.display())),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");

    // A file without read permission (root reads everything: skipped there).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.otlp");
        std::fs::write(&locked, length_prefixed(&trace_frames(1))).expect("write");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::File::open(&locked).is_err() {
            let err = inspect_fails(&[s(&locked)], None);
            assert!(
                err.contains(&format!("error: {}: ", locked.display())),
                "{err}"
            );
            assert!(err.contains("Permission denied"), "{err}");
        }
    }
}

#[test]
fn a_directory_without_otlp_files_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("notes");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(sub.join("README.txt"), b"just some notes\n").expect("write");
    std::fs::create_dir(sub.join("nested")).expect("mkdir");
    let err = inspect_fails(&[s(&sub)], None);
    assert!(err.contains("warning: skipping"), "{err}");
    assert!(
        err.contains("README.txt: plain text, not OTLP data"),
        "{err}"
    );
    assert!(
        err.contains(&format!("error: no OTLP data in {}", sub.display())),
        "{err}"
    );
    // A directory with nothing at all.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = inspect_fails(&[s(&empty)], None);
    assert!(
        err.contains(&format!("error: no OTLP data in {}", empty.display())),
        "{err}"
    );
}

// ---- --skip-invalid ------------------------------------------------------------------------

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

// ---- closed stdout ---------------------------------------------------------------------

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
