//! `convert --time-unit us`: every timestamp column (nested ones included) is
//! Timestamp(µs, UTC) with the sub-microsecond digits dropped, and `aggregate`
//! reads such Parquet with the same results as nanosecond Parquet.

mod fixtures;

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType, TimestampNanosecondType};
use fixtures::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, TimeUnit as PqTimeUnit};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
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

fn convert(out: &Path, unit: &str, inputs: &[PathBuf]) {
    let mut args = vec!["convert", "-o", path_str(out), "--time-unit", unit];
    args.extend(inputs.iter().map(|p| path_str(p)));
    run_ok(&args);
}

/// Every timestamp value in `a` (recursing into lists and structs), as i64 in its own unit.
fn timestamps(a: &ArrayRef, unit: TimeUnit, out: &mut Vec<i64>) {
    match a.data_type() {
        DataType::Timestamp(u, tz) => {
            assert_eq!(*u, unit, "timestamp unit");
            assert_eq!(tz.as_deref(), Some("UTC"));
            match unit {
                TimeUnit::Nanosecond => out.extend(
                    a.as_primitive::<TimestampNanosecondType>()
                        .iter()
                        .map(|v| v.unwrap_or(-1)),
                ),
                _ => out.extend(
                    a.as_primitive::<TimestampMicrosecondType>()
                        .iter()
                        .map(|v| v.unwrap_or(-1)),
                ),
            }
        }
        DataType::List(_) => timestamps(a.as_list::<i32>().values(), unit, out),
        DataType::Struct(_) => {
            for c in a.as_struct().columns() {
                timestamps(c, unit, out);
            }
        }
        _ => {}
    }
}

#[test]
fn us_tables_hold_microsecond_timestamps_everywhere_with_sub_microsecond_digits_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = ["traces.otlp.zst", "metrics.otlp.zst", "logs.jsonl.gz"]
        .map(|f| repo(&format!("datasets/{f}")))
        .to_vec();
    let (ns_dir, us_dir) = (dir.path().join("ns"), dir.path().join("us"));
    convert(&ns_dir, "ns", &inputs);
    convert(&us_dir, "us", &inputs);
    let mut nested_seen = 0;
    let mut sub_us_seen = 0;
    for table in [
        "spans",
        "logs",
        "metric_points",
        "histogram_points",
        "exp_histogram_points",
        "summary_points",
    ] {
        let file = format!("{table}.parquet");
        let (ns, us) = (
            read_parquet(&ns_dir.join(&file)),
            read_parquet(&us_dir.join(&file)),
        );
        assert_eq!(ns.num_rows(), us.num_rows(), "{table} rows");
        assert!(ns.num_rows() > 0, "{table} has rows");
        for (i, field) in ns.schema().fields().iter().enumerate() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            timestamps(ns.column(i), TimeUnit::Nanosecond, &mut a);
            timestamps(us.column(i), TimeUnit::Microsecond, &mut b);
            assert_eq!(a.len(), b.len(), "{table}.{}", field.name());
            if !a.is_empty() && !matches!(field.data_type(), DataType::Timestamp(..)) {
                nested_seen += 1;
            }
            sub_us_seen += a.iter().filter(|&&v| v % 1000 != 0).count();
            let floored: Vec<i64> = a.iter().map(|v| v.div_euclid(1000)).collect();
            assert_eq!(floored, b, "{table}.{} = ns / 1000", field.name());
        }
        // Parquet's own logical type, as Spark and Trino see it.
        let pq = File::open(us_dir.join(&file)).expect("open");
        let meta = ParquetRecordBatchReaderBuilder::try_new(pq).expect("footer");
        let schema = meta.parquet_schema();
        let mut micros = 0;
        for c in schema.columns() {
            if let Some(LogicalType::Timestamp(t)) = c.logical_type_ref() {
                assert!(matches!(t.unit, PqTimeUnit::MICROS), "{table}.{}", c.path());
                assert!(t.is_adjusted_to_u_t_c);
                micros += 1;
            }
        }
        assert!(micros >= 1, "{table}: TIMESTAMP(MICROS) columns");
    }
    assert!(nested_seen > 0, "some nested timestamp column was compared");
    assert!(
        sub_us_seen > 0,
        "the datasets have sub-microsecond digits to drop"
    );
}

#[test]
fn aggregate_reads_us_parquet_like_ns_parquet() {
    // The official examples' times are whole microseconds, so nothing is dropped.
    let examples = ["trace.json", "metrics.json", "logs.json"]
        .map(|f| repo(&format!("tests/data/otlp-examples/{f}")))
        .to_vec();
    let dir = tempfile::tempdir().expect("tempdir");
    let (ns_dir, us_dir) = (dir.path().join("ns"), dir.path().join("us"));
    convert(&ns_dir, "ns", &examples);
    convert(&us_dir, "us", &examples);
    for (signal, tables, extra) in [
        ("traces", vec!["spans"], vec!["--window", "1s"]),
        (
            "metrics",
            vec!["metric_points", "histogram_points", "exp_histogram_points"],
            vec![],
        ),
        ("logs", vec!["logs"], vec![]),
    ] {
        let aggregate = |d: &Path| {
            let files: Vec<PathBuf> = tables
                .iter()
                .map(|t| d.join(format!("{t}.parquet")))
                .filter(|p| p.exists())
                .collect();
            assert!(!files.is_empty(), "{signal} tables in {}", d.display());
            let mut args = vec!["aggregate", "--signal", signal, "--format", "json"];
            args.extend(files.iter().map(|p| path_str(p)));
            args.extend_from_slice(&extra);
            json_rows(&run_ok(&args))
        };
        let (ns, us) = (aggregate(&ns_dir), aggregate(&us_dir));
        assert!(!ns.is_empty(), "{signal}: rows");
        assert_eq!(ns, us, "{signal}: aggregate of ns and us Parquet");
    }
}

#[test]
fn bad_time_unit_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = repo("datasets/logs.jsonl.gz");
    let err = run_fails(
        &[
            "convert",
            "-o",
            path_str(dir.path()),
            "--time-unit",
            "ms",
            path_str(&input),
        ],
        2,
    );
    assert!(err.contains("--time-unit"), "{err}");
}
