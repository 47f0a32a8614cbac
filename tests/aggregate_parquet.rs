//! `aggregate` reads Parquet from `convert` with the same results as the OTLP
//! it came from, and `aggregate -o` writes the result table as Parquet.

mod fixtures;

use std::fs::File;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimeUnit, UInt64Type};
use fixtures::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn datasets() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets")
}

fn read_parquet(path: &Path) -> RecordBatch {
    let file = File::open(path).expect("open parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat")
}

#[test]
fn aggregate_on_converted_parquet_equals_aggregate_on_otlp_for_every_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pq");
    let inputs =
        ["traces.otlp.zst", "metrics.otlp.zst", "logs.jsonl.gz"].map(|f| datasets().join(f));
    let mut args = vec!["convert", "-o", path_str(&out), "--row-group-size", "3000"];
    args.extend(inputs.iter().map(|p| path_str(p)));
    run_ok(&args);
    for (signal, input, tables, extra) in [
        (
            "traces",
            &inputs[0],
            vec!["spans.parquet"],
            vec![
                "--by",
                "service.name,name,kind,status_code,attr.http.route",
                "--window",
                "10s",
            ],
        ),
        (
            "metrics",
            &inputs[1],
            vec![
                "metric_points.parquet",
                "histogram_points.parquet",
                "exp_histogram_points.parquet",
                "summary_points.parquet",
            ],
            vec![],
        ),
        (
            "logs",
            &inputs[2],
            vec!["logs.parquet"],
            vec!["--by", "service.name,severity_number,resource.host.name"],
        ),
    ] {
        let mut otlp = vec![
            "aggregate",
            path_str(input),
            "--signal",
            signal,
            "--format",
            "json",
        ];
        otlp.extend_from_slice(&extra);
        let from_otlp = run_ok(&otlp);
        let parquet: Vec<std::path::PathBuf> = tables.iter().map(|t| out.join(t)).collect();
        let mut pq = vec!["aggregate", "--signal", signal, "--format", "json"];
        pq.extend(parquet.iter().map(|p| path_str(p)));
        pq.extend_from_slice(&extra);
        let from_parquet = run_ok(&pq);
        assert!(
            from_otlp.lines().count() > 3,
            "{signal}: too few groups to compare:\n{from_otlp}"
        );
        assert_eq!(
            from_otlp, from_parquet,
            "{signal}: OTLP and Parquet aggregates differ"
        );
    }
}

#[test]
fn aggregate_writes_its_result_as_parquet_with_the_documented_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("red.parquet");
    let input = datasets().join("traces.otlp.zst");
    let args = [
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--window",
        "1m",
        "-o",
        path_str(&out),
    ];
    assert_eq!(run_ok(&args), "", "nothing on stdout with -o");
    let batch = read_parquet(&out);
    let schema = batch.schema();
    let ty = |name: &str| {
        schema
            .field_with_name(name)
            .expect(name)
            .data_type()
            .clone()
    };
    assert_eq!(ty("service.name"), DataType::Utf8);
    assert_eq!(ty("kind"), DataType::Utf8);
    assert_eq!(
        ty("window_start"),
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    for col in [
        "span_count",
        "error_count",
        "duration_sum_ns",
        "duration_min_ns",
        "duration_max_ns",
        "duration_p50_ns",
        "duration_p90_ns",
        "duration_p99_ns",
    ] {
        assert_eq!(ty(col), DataType::UInt64, "{col}");
    }
    let spans: u64 = batch
        .column_by_name("span_count")
        .expect("span_count")
        .as_primitive::<UInt64Type>()
        .values()
        .iter()
        .sum();
    assert_eq!(spans, 20_000);
    // The same rows as the JSON output.
    let json = json_rows(&run_ok(&[
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--window",
        "1m",
        "--format",
        "json",
    ]));
    assert_eq!(json.len(), batch.num_rows());

    // An existing output is refused before any work, and kept.
    let before = std::fs::read(&out).expect("read");
    let err = run_fails(&args, 2);
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(&out).expect("read"), before);
    let mut forced = args.to_vec();
    forced.push("--force");
    run_ok(&forced);
}
