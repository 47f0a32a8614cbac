//! `generate` through the library: determinism, exact counts, every format
//! and compression, overwrite protection.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otlp_analytics::cli::{GenerateArgs, GenerateCompression, GenerateFormat, SignalArg};
use otlp_analytics::generate::{self, otlp_json, GenerateError};
use prost::Message;

const SIGNALS: [SignalArg; 3] = [SignalArg::Traces, SignalArg::Metrics, SignalArg::Logs];

fn args(signal: SignalArg, output: &Path) -> GenerateArgs {
    GenerateArgs {
        signal,
        seed: 7,
        spans: 2_345,
        series: 37,
        points: 23,
        logs: 1_999,
        services: 6,
        cardinality: 8,
        batch: 250,
        format: GenerateFormat::Fileexporter,
        compression: GenerateCompression::None,
        output: output.to_path_buf(),
        force: false,
    }
}

fn expected_records(a: &GenerateArgs) -> u64 {
    match a.signal {
        SignalArg::Traces => a.spans,
        SignalArg::Metrics => a.series * a.points,
        SignalArg::Logs => a.logs,
    }
}

fn generate_bytes(a: &GenerateArgs) -> (generate::GenerateSummary, Vec<u8>) {
    let summary = generate::run(a).expect("generate");
    let bytes = fs::read(&a.output).expect("read output");
    assert_eq!(summary.bytes, bytes.len() as u64);
    (summary, bytes)
}

fn split_frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    while !data.is_empty() {
        assert!(data.len() >= 4, "truncated length prefix");
        let len = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
        assert!(data.len() >= 4 + len, "frame runs past the end");
        frames.push(&data[4..4 + len]);
        data = &data[4 + len..];
    }
    frames
}

/// Records in one encoded request of `signal`.
fn count_records(signal: SignalArg, msg: &[u8]) -> u64 {
    match signal {
        SignalArg::Traces => ExportTraceServiceRequest::decode(msg)
            .unwrap()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len() as u64)
            .sum(),
        SignalArg::Metrics => ExportMetricsServiceRequest::decode(msg)
            .unwrap()
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match m.data.as_ref().expect("metric data") {
                Data::Gauge(g) => g.data_points.len() as u64,
                Data::Sum(s) => s.data_points.len() as u64,
                Data::Histogram(h) => h.data_points.len() as u64,
                Data::ExponentialHistogram(h) => h.data_points.len() as u64,
                Data::Summary(s) => s.data_points.len() as u64,
            })
            .sum(),
        SignalArg::Logs => ExportLogsServiceRequest::decode(msg)
            .unwrap()
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len() as u64)
            .sum(),
    }
}

fn leftover_temp_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp-"))
        .collect()
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for signal in SIGNALS {
        for format in [
            GenerateFormat::Proto,
            GenerateFormat::Fileexporter,
            GenerateFormat::Json,
        ] {
            let mut a = args(signal, &dir.path().join("a"));
            a.format = format;
            let mut b = a.clone();
            b.output = dir.path().join("b");
            let mut c = a.clone();
            c.output = dir.path().join("c");
            c.seed = 8;
            let (_, bytes_a) = generate_bytes(&a);
            let (_, bytes_b) = generate_bytes(&b);
            let (_, bytes_c) = generate_bytes(&c);
            assert!(!bytes_a.is_empty());
            assert_eq!(bytes_a, bytes_b, "{signal:?} {format:?} not deterministic");
            assert_ne!(bytes_a, bytes_c, "{signal:?} {format:?} ignores the seed");
            for p in [&a.output, &b.output, &c.output] {
                fs::remove_file(p).unwrap();
            }
        }
    }
    assert!(leftover_temp_files(dir.path()).is_empty());
}

#[test]
fn fileexporter_frames_hold_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    for signal in SIGNALS {
        let a = args(signal, &dir.path().join(format!("{signal:?}.pb")));
        let (summary, bytes) = generate_bytes(&a);
        let frames = split_frames(&bytes);
        let want = expected_records(&a);
        assert_eq!(summary.records, want);
        assert_eq!(summary.frames, frames.len() as u64);
        assert_eq!(frames.len() as u64, want.div_ceil(a.batch));
        let mut total = 0;
        for f in &frames {
            let n = count_records(signal, f);
            assert!(n >= 1 && n <= a.batch);
            total += n;
        }
        assert_eq!(total, want, "{signal:?}");
    }
}

#[test]
fn proto_is_one_message_with_everything() {
    let dir = tempfile::tempdir().unwrap();
    for signal in SIGNALS {
        let mut a = args(signal, &dir.path().join(format!("{signal:?}.pb")));
        a.format = GenerateFormat::Proto;
        let (summary, bytes) = generate_bytes(&a);
        assert_eq!(summary.frames, 1);
        assert_eq!(summary.records, expected_records(&a));
        assert_eq!(count_records(signal, &bytes), expected_records(&a));
        // one resource record per service and frame
        let resources = match signal {
            SignalArg::Traces => ExportTraceServiceRequest::decode(&bytes[..])
                .unwrap()
                .resource_spans
                .len(),
            SignalArg::Metrics => ExportMetricsServiceRequest::decode(&bytes[..])
                .unwrap()
                .resource_metrics
                .len(),
            SignalArg::Logs => ExportLogsServiceRequest::decode(&bytes[..])
                .unwrap()
                .resource_logs
                .len(),
        };
        assert!(resources as u64 >= expected_records(&a).div_ceil(a.batch));
    }
}

#[test]
fn content_does_not_depend_on_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    let span_ids = |batch: u64| {
        let mut a = args(SignalArg::Traces, &dir.path().join(format!("b{batch}")));
        a.batch = batch;
        a.format = GenerateFormat::Proto;
        let (_, bytes) = generate_bytes(&a);
        let req = ExportTraceServiceRequest::decode(&bytes[..]).unwrap();
        let mut spans: Vec<_> = req
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .map(|s| s.encode_to_vec())
            .collect();
        spans.sort();
        spans
    };
    assert_eq!(span_ids(13), span_ids(5000));
}

#[test]
fn compressed_outputs_decompress_to_the_plain_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for signal in SIGNALS {
        for format in [GenerateFormat::Fileexporter, GenerateFormat::Json] {
            let mut plain = args(signal, &dir.path().join("plain"));
            plain.format = format;
            let (_, plain_bytes) = generate_bytes(&plain);

            let mut gz = plain.clone();
            gz.output = dir.path().join("out.gz");
            gz.compression = GenerateCompression::Gzip;
            let (gz_summary, gz_bytes) = generate_bytes(&gz);
            assert_eq!(&gz_bytes[..2], &[0x1f, 0x8b]);
            assert_eq!(gz_summary.records, expected_records(&plain));
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&gz_bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, plain_bytes, "{signal:?} {format:?} gzip");

            let mut zs = plain.clone();
            zs.output = dir.path().join("out.zst");
            zs.compression = GenerateCompression::Zstd;
            let (_, zs_bytes) = generate_bytes(&zs);
            assert_eq!(&zs_bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
            assert_eq!(zstd::decode_all(&zs_bytes[..]).unwrap(), plain_bytes);
            assert!(zs_bytes.len() < plain_bytes.len());

            let (_, again) = generate_bytes(&GenerateArgs {
                force: true,
                ..zs.clone()
            });
            assert_eq!(again, zs_bytes, "compressed output is deterministic");
            for p in [&plain.output, &gz.output, &zs.output] {
                fs::remove_file(p).unwrap();
            }
        }
    }
}

#[test]
fn json_lines_parse_with_the_top_level_key() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, key) in [
        (SignalArg::Traces, "resourceSpans"),
        (SignalArg::Metrics, "resourceMetrics"),
        (SignalArg::Logs, "resourceLogs"),
    ] {
        let mut a = args(signal, &dir.path().join(format!("{key}.jsonl")));
        a.format = GenerateFormat::Json;
        let (summary, bytes) = generate_bytes(&a);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, summary.frames);
        assert_eq!(lines.len() as u64, expected_records(&a).div_ceil(a.batch));
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let obj = v.as_object().unwrap();
            assert_eq!(obj.len(), 1);
            assert!(!obj[key].as_array().unwrap().is_empty());
        }

        // each line is exactly the JSON encoding of the matching fileexporter frame
        let mut fe = a.clone();
        fe.format = GenerateFormat::Fileexporter;
        fe.output = dir.path().join(format!("{key}.pb"));
        let (_, pb) = generate_bytes(&fe);
        for (line, frame) in lines.iter().zip(split_frames(&pb)) {
            let want = match signal {
                SignalArg::Traces => {
                    otlp_json::traces_to_json(&ExportTraceServiceRequest::decode(frame).unwrap())
                }
                SignalArg::Metrics => {
                    otlp_json::metrics_to_json(&ExportMetricsServiceRequest::decode(frame).unwrap())
                }
                SignalArg::Logs => {
                    otlp_json::logs_to_json(&ExportLogsServiceRequest::decode(frame).unwrap())
                }
            };
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(line).unwrap(),
                want
            );
        }
    }
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("existing.pb");
    fs::write(&path, b"keep me").unwrap();
    let a = args(SignalArg::Logs, &path);
    let err = generate::run(&a).unwrap_err();
    assert!(matches!(err, GenerateError::Exists { .. }));
    let msg = err.to_string();
    assert!(msg.contains("existing.pb"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), b"keep me");

    let forced = GenerateArgs { force: true, ..a };
    let summary = generate::run(&forced).unwrap();
    assert_eq!(summary.records, forced.logs);
    assert_eq!(fs::metadata(&path).unwrap().len(), summary.bytes);
    assert!(leftover_temp_files(dir.path()).is_empty());
}

#[test]
fn unwritable_output_names_the_path_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("out.pb");
    let err = generate::run(&args(SignalArg::Traces, &path)).unwrap_err();
    assert!(matches!(err, GenerateError::Io { .. }));
    assert!(err.to_string().contains("out.pb"), "{err}");
    assert!(!path.exists());
    assert!(leftover_temp_files(dir.path()).is_empty());
}

#[test]
fn write_to_memory_matches_file_output() {
    let dir = tempfile::tempdir().unwrap();
    let a = args(SignalArg::Metrics, &dir.path().join("m.pb"));
    let (_, file_bytes) = generate_bytes(&a);
    let (summary, mem) = generate::write_to(&a, Vec::new()).unwrap();
    assert_eq!(mem, file_bytes);
    assert_eq!(summary.bytes, mem.len() as u64);
}
