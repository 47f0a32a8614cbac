//! Every framing (single protobuf, fileexporter stream, whole-file gzip/zstd,
//! per-message zstd, OTLP/JSON documents and lines in all spellings) yields
//! exactly the columns and counts of decoding the original messages directly.

use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use otlp_analytics::columns::Table;
use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{decode_message, Request, Signal};
use otlp_analytics::input::framing::{FrameReader, Framing};
use otlp_analytics::input::InputSource;
use prost::Message;
use serde_json::Value;

use crate::decode_support::*;
use crate::{json_text, otlp_fixtures, tables_of, variant, SIGNALS};

#[test]
fn rich_fixtures_have_the_hand_counted_stats() {
    use otlp_fixtures::T0;
    let (_, s) = direct(&[variant(Signal::Traces, 0)]);
    assert_eq!((s.resources, s.scopes, s.spans), (2, 3, 4));
    assert_eq!((s.time_min, s.time_max), (Some(T0), Some(T0 + 250_000_001)));
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["checkout"]);

    let (_, s) = direct(&[variant(Signal::Metrics, 0)]);
    assert_eq!((s.resources, s.scopes, s.metrics), (2, 2, 7));
    assert_eq!(s.points, [4, 3, 2, 2, 2]);
    assert_eq!(
        (s.time_min, s.time_max),
        (Some(T0 + 10), Some(T0 + 61_000_000_000))
    );
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["cart"]);

    let (_, s) = direct(&[variant(Signal::Logs, 0)]);
    assert_eq!((s.resources, s.scopes, s.log_records), (1, 1, 9));
    // The record with time 0 counts at its observed time.
    assert_eq!((s.time_min, s.time_max), (Some(T0), Some(T0 + 1_003)));
    assert_eq!(s.services.iter().collect::<Vec<_>>(), ["frontend"]);

    let (_, s) = direct(&[
        variant(Signal::Traces, 0),
        variant(Signal::Traces, 1),
        variant(Signal::Traces, 2),
    ]);
    assert_eq!((s.resources, s.scopes, s.spans), (6, 9, 12));
    assert_eq!(
        s.services.iter().collect::<Vec<_>>(),
        ["checkout", "checkout-1", "checkout-2"]
    );
}

#[test]
fn columns_hold_every_field_of_the_rich_requests() {
    let req = otlp_fixtures::traces_request();
    let t = tables_of(&to_columns(&Request::Traces(req.clone()), 65_536, true));
    assert_eq!(
        otlp_fixtures::spans_from(&t[&Table::Spans]),
        otlp_fixtures::source_spans(&req)
    );

    let req = otlp_fixtures::logs_request();
    let t = tables_of(&to_columns(&Request::Logs(req.clone()), 65_536, true));
    assert_eq!(
        otlp_fixtures::logs_from(&t[&Table::Logs]),
        otlp_fixtures::source_logs(&req)
    );

    let req = otlp_fixtures::metrics_request();
    let t = tables_of(&to_columns(&Request::Metrics(req.clone()), 65_536, true));
    let want = otlp_fixtures::source_metrics(&req);
    assert_eq!(
        otlp_fixtures::number_points_from(&t[&Table::MetricPoints]),
        want.number
    );
    assert_eq!(
        otlp_fixtures::histogram_points_from(&t[&Table::HistogramPoints]),
        want.histogram
    );
    assert_eq!(
        otlp_fixtures::exp_histogram_points_from(&t[&Table::ExpHistogramPoints]),
        want.exp_histogram
    );
    assert_eq!(
        otlp_fixtures::summary_points_from(&t[&Table::SummaryPoints]),
        want.summary
    );
}

/// One way of writing requests to files.
struct Case {
    name: &'static str,
    /// Files and their bytes.
    files: Vec<(String, Vec<u8>)>,
    /// Frames the pipeline delivers over all files.
    frames: u64,
}

fn cases(reqs: &[Request]) -> Vec<Case> {
    let n = reqs.len() as u64;
    let protos: Vec<Vec<u8>> = reqs.iter().map(proto_bytes).collect();
    let jsons: Vec<Value> = reqs.iter().map(json_value).collect();
    let stream = length_prefixed(&protos);
    let per_file = |ext: &str, f: &dyn Fn(usize) -> Vec<u8>| -> Vec<(String, Vec<u8>)> {
        (0..reqs.len())
            .map(|i| (format!("{i}.{ext}"), f(i)))
            .collect()
    };
    let map_all = |f: fn(&Value) -> Value| -> Vec<Value> { jsons.iter().map(f).collect() };
    let jsonl = json_lines(&jsons);
    let mut multi_member = gzip(&stream[..stream.len() / 2]);
    multi_member.extend(gzip(&stream[stream.len() / 2..]));
    let crlf: Vec<u8> = {
        let mut out = b"\r\n\n".to_vec();
        for v in &jsons {
            out.extend(json_text(v));
            out.extend(b"\r\n\r\n");
        }
        out
    };
    vec![
        Case {
            name: "single protobuf per file",
            files: per_file("pb", &|i| protos[i].clone()),
            frames: n,
        },
        Case {
            name: "fileexporter stream",
            files: vec![("s.otlp".into(), stream.clone())],
            frames: n,
        },
        Case {
            name: "gzip of the stream",
            files: vec![("s.otlp.gz".into(), gzip(&stream))],
            frames: n,
        },
        Case {
            name: "gzip of the stream in two members",
            files: vec![("s.otlp.gz".into(), multi_member)],
            frames: n,
        },
        Case {
            name: "zstd of the stream",
            files: vec![("s.otlp.zst".into(), zstd(&stream))],
            frames: n,
        },
        Case {
            name: "zstd of a single protobuf",
            files: per_file("pb.zst", &|i| zstd(&protos[i])),
            frames: n,
        },
        Case {
            name: "per-message zstd stream",
            files: vec![("s.otlp".into(), per_message_zstd(&protos))],
            frames: n,
        },
        Case {
            name: "per-message zstd stream of JSON",
            files: vec![(
                "s.otlp".into(),
                per_message_zstd(&jsons.iter().map(json_text).collect::<Vec<_>>()),
            )],
            frames: n,
        },
        Case {
            name: "JSON object per file",
            files: per_file("json", &|i| json_text(&jsons[i])),
            frames: n,
        },
        Case {
            name: "pretty-printed JSON per file",
            files: per_file("json", &|i| pretty(&jsons[i])),
            frames: n,
        },
        Case {
            name: "gzip of pretty-printed JSON",
            files: per_file("json.gz", &|i| gzip(&pretty(&jsons[i]))),
            frames: n,
        },
        Case {
            name: "JSON Lines",
            files: vec![("s.jsonl".into(), jsonl.clone())],
            frames: n,
        },
        Case {
            name: "JSON Lines without a final newline",
            files: vec![("s.jsonl".into(), jsonl[..jsonl.len() - 1].to_vec())],
            frames: n,
        },
        Case {
            name: "JSON Lines with CRLF and blank lines",
            files: vec![("s.jsonl".into(), crlf)],
            frames: n,
        },
        Case {
            name: "zstd of JSON Lines",
            files: vec![("s.jsonl.zst".into(), zstd(&jsonl))],
            frames: n,
        },
        Case {
            name: "snake_case JSON Lines",
            files: vec![("s.jsonl".into(), json_lines(&map_all(snake_case_keys)))],
            frames: n,
        },
        Case {
            name: "JSON Lines with int64 as numbers",
            files: vec![("s.jsonl".into(), json_lines(&map_all(int64_as_numbers)))],
            frames: n,
        },
        Case {
            name: "JSON Lines with enum names",
            files: vec![("s.jsonl".into(), json_lines(&map_all(enums_as_names)))],
            frames: n,
        },
        Case {
            name: "pretty snake_case JSON, int64 numbers, enum names",
            files: per_file("json", &|i| {
                pretty(&snake_case_keys(&int64_as_numbers(&enums_as_names(
                    &jsons[i],
                ))))
            }),
            frames: n,
        },
    ]
}

fn write_case(dir: &Path, case: &Case) -> Vec<PathBuf> {
    let sub = dir.join(case.name.replace([' ', ','], "_"));
    std::fs::create_dir_all(&sub).expect("mkdir");
    case.files
        .iter()
        .map(|(name, bytes)| {
            let path = sub.join(name);
            std::fs::write(&path, bytes).expect("write case");
            path
        })
        .collect()
}

fn inspect_total(paths: &[PathBuf]) -> Value {
    let mut cmd = assert_cmd::Command::cargo_bin("otlp-analytics").expect("binary");
    cmd.arg("inspect").arg("--format").arg("json");
    cmd.args(paths);
    let out = cmd.output().expect("run inspect");
    assert!(
        out.status.success(),
        "inspect {paths:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    v["total"].clone()
}

#[test]
fn every_framing_yields_the_columns_and_counts_of_the_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    for signal in SIGNALS {
        let reqs: Vec<Request> = (0..3).map(|i| variant(signal, i)).collect();
        let (want, want_stats) = direct(&reqs);
        assert!(!want.is_empty());
        for case in cases(&reqs) {
            let what = format!("{signal} / {}", case.name);
            let paths = write_case(dir.path(), &case);
            let sources: Vec<InputSource> = paths.iter().cloned().map(InputSource::File).collect();
            for (threads, batch_rows) in [(1, 65_536), (3, 2)] {
                let got = run_pipeline(&sources, &opts(threads, batch_rows))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(got.frames, case.frames, "{what}: frames");
                assert!(got.skipped.is_empty(), "{what}: {:?}", got.skipped);
                assert!(
                    got.signals.iter().flatten().all(|s| *s == signal),
                    "{what}: {:?}",
                    got.signals
                );
                for (i, p) in paths.iter().enumerate() {
                    let size = std::fs::metadata(p).expect("stat").len();
                    assert_eq!(got.bytes[i], size, "{what}: bytes of {}", p.display());
                }
                assert_eq!(got.stats, want_stats, "{what}: stats");
                assert_tables_eq(&what, &concat(&got.tables), &want);
            }
            // The binary counts the same.
            let total = inspect_total(&paths);
            let size: u64 = paths
                .iter()
                .map(|p| std::fs::metadata(p).expect("stat").len())
                .sum();
            assert_eq!(total["frames"], case.frames, "{what}");
            assert_eq!(total["bytes"], size, "{what}");
            assert_eq!(total["skipped_frames"], 0, "{what}");
            assert_eq!(total["resources"], want_stats.resources, "{what}");
            assert_eq!(total["scopes"], want_stats.scopes, "{what}");
            assert_eq!(total["spans"], want_stats.spans, "{what}");
            assert_eq!(total["metrics"], want_stats.metrics, "{what}");
            assert_eq!(total["data_points"], want_stats.data_points(), "{what}");
            assert_eq!(total["log_records"], want_stats.log_records, "{what}");
            assert_eq!(total["services"], want_stats.services.len(), "{what}");
            assert_eq!(
                total["time_min"],
                want_stats.time_min.expect("time"),
                "{what}"
            );
            assert_eq!(
                total["time_max"],
                want_stats.time_max.expect("time"),
                "{what}"
            );
            let by_type = &total["data_points_by_type"];
            let names = [
                "gauge",
                "sum",
                "histogram",
                "exponential_histogram",
                "summary",
            ];
            for (i, name) in names.iter().enumerate() {
                assert_eq!(by_type[name], want_stats.points[i], "{what}: {name}");
            }
        }
    }
}

#[test]
fn json_in_every_spelling_decodes_to_the_identical_message() {
    for signal in SIGNALS {
        let req = variant(signal, 1);
        let json = json_value(&req);
        let spellings = [
            ("compact", json_text(&json)),
            ("pretty", pretty(&json)),
            ("snake_case", json_text(&snake_case_keys(&json))),
            ("int64 numbers", json_text(&int64_as_numbers(&json))),
            ("enum names", json_text(&enums_as_names(&json))),
            (
                "all at once",
                pretty(&snake_case_keys(&int64_as_numbers(&enums_as_names(&json)))),
            ),
        ];
        for (what, bytes) in spellings {
            let got = decode_message(&bytes, None)
                .unwrap_or_else(|e| panic!("{signal} {what}: {e}"))
                .expect("request");
            assert_eq!(got, req, "{signal} {what}");
        }
        // And the protobuf bytes of the same request.
        let got = decode_message(&proto_bytes(&req), None)
            .expect("proto")
            .expect("request");
        assert_eq!(got, req, "{signal} protobuf");
    }
}

#[test]
fn framing_is_chosen_from_content_not_extension() {
    let req = variant(Signal::Traces, 0);
    let proto = proto_bytes(&req);
    let json = json_value(&req);
    let cases: [(&str, Vec<u8>, Framing, usize); 5] = [
        ("single", proto.clone(), Framing::SingleProto, 1),
        (
            "stream",
            length_prefixed(&[proto.clone(), proto.clone()]),
            Framing::LengthPrefixed,
            2,
        ),
        ("document", pretty(&json), Framing::JsonDocument, 1),
        (
            "lines",
            json_lines(&[json.clone(), json.clone(), json]),
            Framing::JsonLines,
            3,
        ),
        ("empty", b"  \n\t\n".to_vec(), Framing::Empty, 0),
    ];
    for (what, bytes, framing, frames) in cases {
        let reader = FrameReader::new(bytes.as_slice()).expect("framing");
        assert_eq!(reader.framing(), framing, "{what}");
        let got: Vec<_> = reader.collect();
        assert_eq!(got.len(), frames, "{what}");
        assert!(got.iter().all(Result::is_ok), "{what}");
    }
    // Frames carry their index and byte offset.
    let stream = length_prefixed(&[proto.clone(), vec![], proto.clone()]);
    let frames: Vec<_> = FrameReader::new(stream.as_slice())
        .expect("framing")
        .map(|f| f.expect("frame"))
        .collect();
    let offsets: Vec<(u64, u64, usize)> = frames
        .iter()
        .map(|f| (f.index, f.offset, f.data.len()))
        .collect();
    let len = proto.len();
    assert_eq!(
        offsets,
        [
            (0, 0, len),
            (1, 4 + len as u64, 0),
            (2, 8 + len as u64, len)
        ]
    );
}

#[test]
fn empty_requests_in_a_stream_are_frames_without_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let req = variant(Signal::Logs, 0);
    let stream = length_prefixed(&[
        ExportLogsServiceRequest::default().encode_to_vec(),
        proto_bytes(&req),
        Vec::new(),
    ]);
    let path = dir.path().join("s.otlp");
    std::fs::write(&path, &stream).expect("write");
    let got = run_file(&path, &opts(2, 100)).expect("pipeline");
    assert_eq!(got.frames, 3);
    let (want, want_stats) = direct(&[req]);
    assert_eq!(got.stats, want_stats);
    assert_tables_eq("empty frames", &concat(&got.tables), &want);
}
