//! CPU and GPU backends agree on every signal: integer columns exactly,
//! floats bit for bit — on small fixtures and on a generated batch
//! of over a million rows with many groups and one very hot group.

mod common;
mod fixtures;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use common::Rng;
use fixtures::*;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Gauge, Histogram, HistogramDataPoint,
    NumberDataPoint, Sum,
};
use otlp_analytics::aggregate::backend::Backend;
use otlp_analytics::aggregate::keys::parse_keys;
use otlp_analytics::aggregate::{aggregate_sources, AggregateSpec};
use otlp_analytics::decode::Signal;
use otlp_analytics::input::InputSource;
use otlp_analytics::pipeline::PipelineOptions;
use prost::Message;

/// Floats must be bit-identical: both backends sum exactly (the GPU in
/// fixed-point limbs) and move min / max / last values as bits.
fn close(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_columns_match(name: &str, cpu: &ArrayRef, gpu: &ArrayRef) {
    assert_eq!(cpu.data_type(), gpu.data_type(), "{name}: types differ");
    match cpu.data_type() {
        DataType::Float64 => {
            let (c, g) = (
                cpu.as_primitive::<Float64Type>(),
                gpu.as_primitive::<Float64Type>(),
            );
            for i in 0..c.len() {
                assert_eq!(c.is_null(i), g.is_null(i), "{name}[{i}] nullness");
                if c.is_valid(i) {
                    assert!(
                        close(c.value(i), g.value(i)),
                        "{name}[{i}]: cpu {} gpu {}",
                        c.value(i),
                        g.value(i)
                    );
                }
            }
        }
        DataType::List(f) if f.data_type() == &DataType::Float64 => {
            let (c, g) = (cpu.as_list::<i32>(), gpu.as_list::<i32>());
            for i in 0..c.len() {
                assert_columns_match(&format!("{name}[{i}]"), &c.value(i), &g.value(i));
            }
        }
        _ => assert_eq!(cpu.to_data(), gpu.to_data(), "{name}: values differ"),
    }
}

fn assert_batches_match(cpu: &RecordBatch, gpu: &RecordBatch) {
    assert_eq!(cpu.schema(), gpu.schema());
    assert_eq!(cpu.num_rows(), gpu.num_rows());
    for (i, field) in cpu.schema().fields().iter().enumerate() {
        assert_columns_match(field.name(), cpu.column(i), gpu.column(i));
    }
}

/// Aggregates `file` on both backends and checks they agree; returns the CPU batch.
fn both(
    test: &str,
    file: &std::path::Path,
    signal: Signal,
    by: Option<&str>,
    window: Option<u64>,
) -> Option<RecordBatch> {
    let ctx = common::gpu_or_skip(test)?;
    let spec = AggregateSpec {
        signal,
        keys: parse_keys(by, signal, window).expect("keys"),
    };
    let sources = vec![InputSource::File(file.to_path_buf())];
    let opts = PipelineOptions::new(Some(2));
    let cpu = aggregate_sources(&sources, &opts, &spec, Backend::Cpu).expect("cpu aggregate");
    let gpu = aggregate_sources(&sources, &opts, &spec, Backend::Gpu(ctx)).expect("gpu aggregate");
    assert_batches_match(&cpu.batch, &gpu.batch);
    eprintln!(
        "{test}: {} rows agree on cpu and {}",
        cpu.batch.num_rows(),
        ctx.adapter_name()
    );
    Some(cpu.batch)
}

/// ~1.2M spans over ~2000 groups; one group ("hot") holds about 60 % of them.
fn big_traces(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rng = Rng::new(7);
    let mut msgs = Vec::new();
    for frame in 0..120u64 {
        let mut spans = Vec::with_capacity(10_000);
        for i in 0..10_000u64 {
            let hot = rng.below(10) < 6;
            let name = if hot {
                "hot".to_owned()
            } else {
                format!("op-{}", rng.below(2000))
            };
            let dur = (rng.unit_f64() * 12.0).exp() as u64 * 1000 + rng.below(1000);
            let mut s = span(
                1,
                1,
                0,
                &name,
                2,
                T0 + frame * SEC + i,
                dur,
                rng.below(50) == 0,
            );
            s.attributes = vec![kv("tenant", Any::IntValue(rng.below(3) as i64))];
            spans.push(s);
        }
        let service = format!("svc-{}", frame % 3);
        msgs.push(traces(vec![(resource(&service, vec![]), spans)]).encode_to_vec());
    }
    write_stream(dir, "big-traces.otlp", &msgs)
}

#[test]
fn traces_parity_on_a_million_spans_with_a_hot_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = big_traces(dir.path());
    let Some(batch) = both("traces_parity_big", &file, Signal::Traces, None, None) else {
        return;
    };
    let total: u64 = batch
        .column_by_name("span_count")
        .expect("span_count")
        .as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .iter()
        .sum();
    assert_eq!(total, 1_200_000);
    both(
        "traces_parity_big_attr_window",
        &file,
        Signal::Traces,
        Some("attr.tenant,status_code"),
        Some(30 * SEC),
    );
}

/// ~1.1M metric points: cumulative counters with resets, gauges, delta sums and histograms.
fn big_metrics(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rng = Rng::new(11);
    let mut msgs = Vec::new();
    let mut counters = vec![0.0f64; 5000];
    for frame in 0..50u64 {
        let t = T0 + frame * 10 * SEC;
        let mut sums = Vec::new();
        let mut gauges = Vec::new();
        for (series, c) in counters.iter_mut().enumerate() {
            *c = if rng.below(100) == 0 {
                rng.unit_f64()
            } else {
                *c + rng.unit_f64() * 10.0
            };
            let attrs = vec![
                kv("series", Any::IntValue(series as i64)),
                kv("hot", Any::BoolValue(series < 3000)),
            ];
            sums.push(NumberDataPoint {
                start_time_unix_nano: T0 - SEC,
                time_unix_nano: t,
                value: Some(number_data_point::Value::AsDouble(*c)),
                attributes: attrs.clone(),
                ..Default::default()
            });
            gauges.push(NumberDataPoint {
                time_unix_nano: t,
                value: Some(number_data_point::Value::AsDouble(
                    rng.unit_f64() * 100.0 - 50.0,
                )),
                attributes: attrs,
                ..Default::default()
            });
        }
        let deltas: Vec<NumberDataPoint> = (0..12_000)
            .map(|i| NumberDataPoint {
                start_time_unix_nano: t - SEC,
                time_unix_nano: t,
                value: Some(number_data_point::Value::AsInt(rng.below(1000) as i64)),
                attributes: vec![kv("shard", Any::IntValue(i % 7))],
                ..Default::default()
            })
            .collect();
        let hist: Vec<HistogramDataPoint> = (0..200)
            .map(|i| HistogramDataPoint {
                start_time_unix_nano: t - SEC,
                time_unix_nano: t,
                count: 6,
                sum: Some(rng.unit_f64() * 100.0),
                bucket_counts: vec![1, 2, 3],
                explicit_bounds: vec![1.0, 10.0],
                attributes: vec![kv("route", s(&format!("/r{}", i % 9)))],
                ..Default::default()
            })
            .collect();
        let req = metrics(
            &format!("svc-{}", frame % 2),
            vec![
                metric(
                    "requests",
                    Data::Sum(Sum {
                        data_points: sums,
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                        is_monotonic: true,
                    }),
                ),
                metric(
                    "temperature",
                    Data::Gauge(Gauge {
                        data_points: gauges,
                    }),
                ),
                metric(
                    "bytes",
                    Data::Sum(Sum {
                        data_points: deltas,
                        aggregation_temporality: AggregationTemporality::Delta as i32,
                        is_monotonic: true,
                    }),
                ),
                metric(
                    "latency",
                    Data::Histogram(Histogram {
                        data_points: hist,
                        aggregation_temporality: AggregationTemporality::Delta as i32,
                    }),
                ),
            ],
        );
        msgs.push(req.encode_to_vec());
    }
    write_stream(dir, "big-metrics.otlp", &msgs)
}

#[test]
fn metrics_parity_on_a_million_points() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = big_metrics(dir.path());
    let Some(batch) = both("metrics_parity_big", &file, Signal::Metrics, None, None) else {
        return;
    };
    let points: u64 = batch
        .column_by_name("point_count")
        .expect("point_count")
        .as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .iter()
        .sum();
    assert_eq!(points, 50 * (5000 * 2 + 12_000 + 200));
    both(
        "metrics_parity_hot",
        &file,
        Signal::Metrics,
        Some("attr.hot"),
        Some(60 * SEC),
    );
}

#[test]
fn logs_parity_and_small_fixtures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(3);
    let records: Vec<LogRecord> = (0..50_000)
        .map(|i| LogRecord {
            time_unix_nano: if i % 10 == 0 {
                0
            } else {
                T0 + rng.below(3600) * SEC
            },
            observed_time_unix_nano: T0 + rng.below(3600) * SEC,
            severity_text: ["INFO", "WARN", "ERROR", ""][rng.below(4) as usize].into(),
            ..Default::default()
        })
        .collect();
    let file = write_proto(dir.path(), "logs.pb", &logs("api", records));
    both("logs_parity", &file, Signal::Logs, None, Some(60 * SEC));
    let examples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples");
    both(
        "parity_example_trace",
        &examples.join("trace.json"),
        Signal::Traces,
        None,
        None,
    );
    both(
        "parity_example_metrics",
        &examples.join("metrics.json"),
        Signal::Metrics,
        None,
        None,
    );
    both(
        "parity_example_logs",
        &examples.join("logs.json"),
        Signal::Logs,
        None,
        None,
    );
}
