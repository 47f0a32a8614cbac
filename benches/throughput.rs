//! Throughput benchmarks (criterion): decode per framing against a plain
//! prost decode of the same bytes, aggregate on the CPU and GPU backends, and
//! Parquet write. Inputs are generated in memory by `otlp_analytics::generate`.
//!
//! Decode runs on the calling thread only (no pipeline, no reader thread), so
//! its MB/s is per core. Every decode benchmark states its throughput in bytes
//! of the equivalent single protobuf request, so all framings (and JSON) are
//! compared with the prost baseline on the same scale.
//!
//! `cargo bench --bench throughput`; a subset: `cargo bench --bench throughput -- decode`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_analytics::aggregate::backend::Backend;
use otlp_analytics::aggregate::gpu::GpuContext;
use otlp_analytics::aggregate::keys::parse_keys;
use otlp_analytics::aggregate::AggregateSpec;
use otlp_analytics::bench::stages;
use otlp_analytics::cli::{GenerateArgs, GenerateCompression, GenerateFormat, SignalArg};
use otlp_analytics::columns::Projection;
use otlp_analytics::columns::TableBatch;
use otlp_analytics::decode::to_columns::{to_columns, to_columns_projected};
use otlp_analytics::decode::{decode_frame, decode_message, unwrap_frame, DecodeOptions, Signal};
use otlp_analytics::input::framing::FrameReader;
use otlp_analytics::pipeline::PipelineOptions;
use prost::Message;

// The binary's allocator, so the numbers match what the CLI does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Spans per decode input (~4.4 MB of protobuf).
const DECODE_SPANS: u64 = 20_000;
/// Rows per aggregate / write input.
const AGGREGATE_SPANS: u64 = 200_000;
const METRIC_SERIES: u64 = 2_000;
const METRIC_POINTS: u64 = 50;
const BATCH_ROWS: usize = 65_536;

fn args(
    signal: SignalArg,
    format: GenerateFormat,
    compression: GenerateCompression,
) -> GenerateArgs {
    GenerateArgs {
        signal,
        seed: 42,
        spans: DECODE_SPANS,
        series: METRIC_SERIES,
        points: METRIC_POINTS,
        logs: 10_000,
        services: 8,
        cardinality: 10,
        batch: 1_000,
        format,
        compression,
        output: PathBuf::from("-"),
        force: false,
    }
}

fn generate(a: &GenerateArgs) -> Vec<u8> {
    otlp_analytics::generate::write_to(a, Vec::new())
        .expect("generate")
        .1
}

/// The fileexporter's per-message compression: each frame's payload zstd-compressed.
fn zstd_frames(fileexporter: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = fileexporter;
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("prefix")) as usize;
        let packed = zstd::encode_all(&rest[4..4 + len], 3).expect("zstd");
        out.extend_from_slice(&(packed.len() as u32).to_be_bytes());
        out.extend_from_slice(&packed);
        rest = &rest[4 + len..];
    }
    out
}

/// Frames → (per-frame zstd removed) → columns by the one-pass decoders
/// (what the CLI runs), on this thread. `projection` None takes counts only
/// (`inspect`). Returns the records seen (so nothing is optimized away).
fn decode_all(reader: impl BufRead, projection: Option<Projection>) -> u64 {
    let frames = FrameReader::new(reader).unwrap_or_else(|_| panic!("framing"));
    let opts = DecodeOptions {
        forced: None,
        only_signal: None,
        projection,
        batch_rows: BATCH_ROWS,
    };
    let mut records = 0;
    for frame in frames {
        let data = unwrap_frame(frame.unwrap_or_else(|_| panic!("frame")).data).expect("unwrap");
        let decoded = decode_frame(&data, &opts).expect("decode");
        records += decoded.stats.spans + decoded.tables.len() as u64;
    }
    records
}

/// The previous decoder: OTLP message (prost, or a JSON value tree) → columns.
fn decode_all_previous(reader: impl BufRead, projection: Option<Projection>) -> u64 {
    let frames = FrameReader::new(reader).unwrap_or_else(|_| panic!("framing"));
    let mut records = 0;
    for frame in frames {
        let data = unwrap_frame(frame.unwrap_or_else(|_| panic!("frame")).data).expect("unwrap");
        let request = decode_message(&data, None)
            .expect("decode")
            .expect("records");
        let decoded = to_columns_projected(&request, BATCH_ROWS, projection);
        records += decoded.stats.spans + decoded.tables.len() as u64;
    }
    records
}

fn decode_benches(c: &mut Criterion) {
    let proto = generate(&args(
        SignalArg::Traces,
        GenerateFormat::Proto,
        GenerateCompression::None,
    ));
    let fileexporter = generate(&args(
        SignalArg::Traces,
        GenerateFormat::Fileexporter,
        GenerateCompression::None,
    ));
    let per_frame_zstd = zstd_frames(&fileexporter);
    let gzip = generate(&args(
        SignalArg::Traces,
        GenerateFormat::Fileexporter,
        GenerateCompression::Gzip,
    ));
    let json_lines = generate(&args(
        SignalArg::Traces,
        GenerateFormat::Json,
        GenerateCompression::None,
    ));

    let mut g = c.benchmark_group("decode");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Bytes(proto.len() as u64));

    g.bench_function("prost_baseline/single_request", |b| {
        b.iter(|| {
            ExportTraceServiceRequest::decode(proto.as_slice())
                .expect("prost")
                .resource_spans
                .len()
        })
    });
    g.bench_function("prost_baseline/fileexporter_frames", |b| {
        b.iter(|| {
            FrameReader::new(fileexporter.as_slice())
                .unwrap_or_else(|_| panic!("framing"))
                .map(|f| {
                    let data = f.unwrap_or_else(|_| panic!("frame")).data;
                    ExportTraceServiceRequest::decode(data.as_slice())
                        .expect("prost")
                        .resource_spans
                        .len()
                })
                .sum::<usize>()
        })
    });
    let inputs: [(&str, &[u8]); 4] = [
        ("single_request", &proto),
        ("fileexporter", &fileexporter),
        ("fileexporter_zstd_frames", &per_frame_zstd),
        ("json_lines", &json_lines),
    ];
    for (name, bytes) in inputs {
        g.bench_with_input(BenchmarkId::new("columns", name), bytes, |b, bytes| {
            b.iter(|| decode_all(bytes, Some(Projection::ALL)))
        });
        g.bench_with_input(
            BenchmarkId::new("previous_columns", name),
            bytes,
            |b, bytes| b.iter(|| decode_all_previous(bytes, Some(Projection::ALL))),
        );
    }
    g.bench_with_input(
        BenchmarkId::new("columns", "fileexporter_gzip"),
        &gzip,
        |b, bytes| {
            b.iter(|| {
                decode_all(
                    BufReader::new(flate2::bufread::MultiGzDecoder::new(bytes.as_slice())),
                    Some(Projection::ALL),
                )
            })
        },
    );
    // What `aggregate` decodes for the default trace keys: no attribute maps, events or links.
    let lean = AggregateSpec {
        signal: Signal::Traces,
        keys: parse_keys(None, Signal::Traces, None).expect("keys"),
    }
    .projection();
    for (name, bytes) in [("fileexporter", &fileexporter), ("json_lines", &json_lines)] {
        g.bench_with_input(BenchmarkId::new("columns_lean", name), bytes, |b, bytes| {
            b.iter(|| decode_all(bytes.as_slice(), Some(lean)))
        });
        g.bench_with_input(
            BenchmarkId::new("previous_columns_lean", name),
            bytes,
            |b, bytes| b.iter(|| decode_all_previous(bytes.as_slice(), Some(lean))),
        );
        g.bench_with_input(BenchmarkId::new("counts_only", name), bytes, |b, bytes| {
            b.iter(|| decode_all(bytes.as_slice(), None))
        });
        g.bench_with_input(
            BenchmarkId::new("previous_counts_only", name),
            bytes,
            |b, bytes| b.iter(|| decode_all_previous(bytes.as_slice(), None)),
        );
    }
    g.finish();
    json_benches(c, &json_lines, lean);

    eprintln!(
        "decode inputs ({DECODE_SPANS} spans): protobuf {} B, fileexporter {} B, per-frame zstd {} B, gzip {} B, JSON Lines {} B",
        proto.len(),
        fileexporter.len(),
        per_frame_zstd.len(),
        gzip.len(),
        json_lines.len()
    );
}

/// OTLP/JSON lines per MB of JSON text: the streaming parser against the
/// previous tree decoder (JSON value → prost → columns), and a serde_json
/// pass that only checks and skips the text (the floor for any serde_json
/// based parser).
fn json_benches(c: &mut Criterion, json_lines: &[u8], lean: Projection) {
    let mut g = c.benchmark_group("decode_json_text");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(json_lines.len() as u64));
    g.bench_function("serde_json_skip_only", |b| {
        b.iter(|| {
            json_lines
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok() as u64)
                .sum::<u64>()
        })
    });
    for (name, projection) in [
        ("columns", Some(Projection::ALL)),
        ("columns_lean", Some(lean)),
        ("counts_only", None),
    ] {
        g.bench_function(BenchmarkId::new("streaming", name), |b| {
            b.iter(|| decode_all(json_lines, projection))
        });
        g.bench_function(BenchmarkId::new("previous", name), |b| {
            b.iter(|| decode_all_previous(json_lines, projection))
        });
    }
    g.finish();
}

/// Decoded column batches of a generated dataset, per frame.
fn decoded(signal: SignalArg, spans: u64) -> Vec<Vec<TableBatch>> {
    let mut a = args(
        signal,
        GenerateFormat::Fileexporter,
        GenerateCompression::None,
    );
    a.spans = spans;
    let bytes = generate(&a);
    FrameReader::new(bytes.as_slice())
        .unwrap_or_else(|_| panic!("framing"))
        .map(|f| {
            let data = f.unwrap_or_else(|_| panic!("frame")).data;
            let request = decode_message(&data, None)
                .expect("decode")
                .expect("records");
            to_columns(&request, BATCH_ROWS, true).tables
        })
        .collect()
}

fn rows(frames: &[Vec<TableBatch>]) -> u64 {
    frames
        .iter()
        .flatten()
        .map(|t| t.batch.num_rows() as u64)
        .sum()
}

fn aggregate_benches(c: &mut Criterion) {
    let pool = PipelineOptions::new(None)
        .thread_pool()
        .expect("thread pool");
    let gpu = GpuContext::shared().ok();
    match gpu {
        Some(ctx) => eprintln!(
            "GPU adapter: {} (software: {})",
            ctx.adapter_name(),
            ctx.is_software()
        ),
        None => eprintln!("no GPU adapter: aggregate/gpu benchmarks skipped"),
    }
    let mut g = c.benchmark_group("aggregate");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (signal, arg) in [
        (Signal::Traces, SignalArg::Traces),
        (Signal::Metrics, SignalArg::Metrics),
    ] {
        let frames = decoded(arg, AGGREGATE_SPANS);
        let spec = AggregateSpec {
            signal,
            keys: parse_keys(None, signal, None).expect("keys"),
        };
        g.throughput(Throughput::Elements(rows(&frames)));
        let mut backends = vec![("cpu", Backend::Cpu)];
        backends.extend(gpu.map(|ctx| ("gpu", Backend::Gpu(ctx))));
        for (name, backend) in backends {
            g.bench_function(BenchmarkId::new(name, signal.to_string()), |b| {
                b.iter(|| {
                    stages::aggregate(&pool, &frames, &spec, backend)
                        .expect("aggregate")
                        .num_rows()
                })
            });
        }
    }
    g.finish();
}

fn write_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("write");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for arg in [SignalArg::Traces, SignalArg::Metrics] {
        let frames = decoded(arg, AGGREGATE_SPANS / 4);
        g.throughput(Throughput::Elements(rows(&frames)));
        let name = Signal::from(arg).to_string();
        g.bench_function(BenchmarkId::new("parquet_zstd", name), |b| {
            b.iter(|| stages::write_parquet(&frames, dir.path()).expect("write"))
        });
    }
    g.finish();
}

criterion_group!(benches, decode_benches, aggregate_benches, write_benches);
criterion_main!(benches);
