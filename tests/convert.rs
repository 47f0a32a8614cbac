//! `convert`: OTLP → Parquet round trips of every field, the official examples,
//! Parquet → Parquet, overwrite protection, atomic files and writer options.

mod otlp_fixtures;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use otlp_analytics::columns::Table;
use otlp_analytics::export::parquet::{write_batches, ParquetOptions, TableWriter};
use otlp_fixtures::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::ParquetMetaData;
use serde_json::Value as Json;

const TABLE_FILES: [&str; 6] = [
    "exp_histogram_points.parquet",
    "histogram_points.parquet",
    "logs.parquet",
    "metric_points.parquet",
    "spans.parquet",
    "summary_points.parquet",
];

fn metadata(path: &Path) -> Arc<ParquetMetaData> {
    let file = File::open(path).expect("open parquet");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("footer")
        .metadata()
        .clone()
}

/// Converts `inputs` into a fresh directory `out` under `tmp` and returns it.
fn convert(tmp: &Path, inputs: &[&Path], extra: &[&str]) -> PathBuf {
    let out = tmp.join("out");
    let mut args = vec!["convert"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", out.to_str().unwrap()]);
    args.extend(extra);
    run_ok(&args);
    out
}

/// The table's file must carry exactly the schema `convert` documents.
fn read_table(dir: &Path, table: Table) -> RecordBatch {
    let batch = read_parquet(&dir.join(format!("{}.parquet", table.file_stem())));
    assert_eq!(
        batch.schema().fields(),
        table.schema().fields(),
        "{} schema",
        table.file_stem()
    );
    batch
}

#[test]
fn every_span_field_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("traces.pb");
    let request = traces_request();
    write_message(&input, &request);
    let out = convert(tmp.path(), &[&input], &[]);
    assert_eq!(
        dir_entries(&out),
        ["spans.parquet"],
        "only tables with rows get a file"
    );
    let batch = read_table(&out, Table::Spans);
    let expected = source_spans(&request);
    let actual = spans_from(&batch);
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(a, e, "span row {i}");
    }
    // The typing convention on a few values, as a SQL user would see them.
    let map = batch.column_by_name("attributes").unwrap();
    let row0 = arrow::array::AsArray::as_map(map.as_ref()).value(0);
    let keys = arrow::array::AsArray::as_string::<i32>(row0.column(0));
    let values = arrow::array::AsArray::as_string::<i32>(row0.column(1));
    let value_of = |k: &str| {
        (0..keys.len())
            .find(|&i| keys.value(i) == k)
            .map(|i| values.value(i))
            .unwrap()
    };
    assert_eq!(value_of("span.int"), "-9007199254740993");
    assert_eq!(value_of("span.bool"), "true");
    assert_eq!(value_of("span.bytes"), "AAEC/v8=");
    assert_eq!(value_of("span.empty"), "");
}

#[test]
fn every_metric_field_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("metrics.pb");
    let request = metrics_request();
    write_message(&input, &request);
    let out = convert(tmp.path(), &[&input], &[]);
    assert_eq!(
        dir_entries(&out),
        [
            "exp_histogram_points.parquet",
            "histogram_points.parquet",
            "metric_points.parquet",
            "summary_points.parquet"
        ]
    );
    let expected = source_metrics(&request);
    let number = read_table(&out, Table::MetricPoints);
    assert_eq!(number_points_from(&number), expected.number);
    assert_eq!(
        histogram_points_from(&read_table(&out, Table::HistogramPoints)),
        expected.histogram
    );
    assert_eq!(
        exp_histogram_points_from(&read_table(&out, Table::ExpHistogramPoints)),
        expected.exp_histogram
    );
    assert_eq!(
        summary_points_from(&read_table(&out, Table::SummaryPoints)),
        expected.summary
    );

    // series_id: the two points of http.server.requests (attributes in another
    // order) are one series; every other gauge/sum series differs.
    let series = col::<UInt64Array>(&number, "series_id");
    let plain = plain_strings(&number);
    let names = col::<StringArray>(&plain, "metric_name");
    let requests: Vec<u64> = (0..number.num_rows())
        .filter(|&i| names.value(i) == "http.server.requests")
        .map(|i| series.value(i))
        .collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0], requests[1]);
    let mut distinct: Vec<u64> = series.values().to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        number.num_rows() - 1,
        "one repeated series, the rest distinct"
    );
}

#[test]
fn every_log_field_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("logs.pb");
    let request = logs_request();
    write_message(&input, &request);
    let out = convert(tmp.path(), &[&input], &[]);
    assert_eq!(dir_entries(&out), ["logs.parquet"]);
    let batch = read_table(&out, Table::Logs);
    assert_eq!(logs_from(&batch), source_logs(&request));
    let body_type = col::<StringArray>(&batch, "body_type");
    let tags: Vec<Option<&str>> = body_type.iter().collect();
    assert_eq!(
        tags,
        [
            None,
            Some("int"),
            Some("double"),
            Some("bool"),
            Some("bytes"),
            Some("array"),
            Some("kvlist"),
            Some("empty"),
            None
        ]
    );
}

#[test]
fn all_signals_in_one_run_with_summary_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, m, l] = write_all_fixtures(tmp.path());
    let out_dir = tmp.path().join("out");
    let out = run_ok(&["convert", p(&t), p(&m), p(&l), "-o", p(&out_dir)]);
    assert_eq!(dir_entries(&out_dir), TABLE_FILES);
    let err = stderr(&out);
    for part in [
        "spans 4 rows",
        "logs 9 rows",
        "metric_points 7 rows",
        "histogram_points 2 rows",
        "exp_histogram_points 2 rows",
        "summary_points 2 rows",
    ] {
        assert!(err.contains(part), "stderr lacks {part:?}: {err}");
    }
}

fn examples_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp-examples");
    assert!(
        dir.is_dir(),
        "official OTLP examples missing at {}",
        dir.display()
    );
    dir
}

#[test]
fn official_examples_convert_with_the_right_counts() {
    let ex = examples_dir();
    let tmp = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = ["trace.json", "metrics.json", "logs.json", "events.json"]
        .iter()
        .map(|f| ex.join(f))
        .collect();
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let out = convert(tmp.path(), &refs, &[]);
    let rows = |t: Table| read_table(&out, t).num_rows();
    assert_eq!(rows(Table::Spans), 1);
    assert_eq!(rows(Table::Logs), 2, "one log record and one event");
    assert_eq!(
        rows(Table::MetricPoints),
        2,
        "a sum point and a gauge point"
    );
    assert_eq!(rows(Table::HistogramPoints), 1);
    assert_eq!(rows(Table::ExpHistogramPoints), 1);
    assert!(
        !out.join("summary_points.parquet").exists(),
        "no summary points, no file"
    );

    let spans = read_table(&out, Table::Spans);
    let span = &spans_from(&spans)[0].1;
    assert_eq!(span.trace_id, hex("5b8efff798038103d269b633813fc60c"));
    assert_eq!(span.span_id, hex("eee19b7ec3c1b174"));
    assert_eq!(span.parent_span_id, hex("eee19b7ec3c1b173"));
    assert_eq!(span.name, "I'm a server span");
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(
        col::<StringArray>(&plain_strings(&spans), "service_name").value(0),
        "my.service"
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn converting_the_parquet_output_gives_identical_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, m, l] = write_all_fixtures(tmp.path());
    let ex = examples_dir();
    let official = [
        ex.join("trace.json"),
        ex.join("metrics.json"),
        ex.join("logs.json"),
    ];
    let out1 = tmp.path().join("out1");
    let mut args = vec!["convert", p(&t), p(&m), p(&l)];
    args.extend(official.iter().map(|x| p(x)));
    args.extend(["-o", p(&out1), "--row-group-size", "3"]);
    run_ok(&args);
    let files: Vec<PathBuf> = dir_entries(&out1).iter().map(|f| out1.join(f)).collect();
    assert_eq!(files.len(), 6);
    let out2 = tmp.path().join("out2");
    let mut args = vec!["convert"];
    args.extend(files.iter().map(|f| p(f)));
    args.extend(["-o", p(&out2)]);
    run_ok(&args);
    assert_eq!(dir_entries(&out2), dir_entries(&out1));
    for table in Table::ALL {
        assert_eq!(
            read_table(&out2, table),
            read_table(&out1, table),
            "{} differs after Parquet → Parquet",
            table.file_stem()
        );
    }
    // A directory of Parquet works as input too.
    let out3 = tmp.path().join("out3");
    run_ok(&["convert", p(&out1), "-o", p(&out3)]);
    for table in Table::ALL {
        assert_eq!(read_table(&out3, table), read_table(&out1, table));
    }
}

fn inspect_total(inputs: &[&Path]) -> Json {
    let mut args = vec!["inspect", "--format", "json"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    let out = run_ok(&args);
    let v: Json = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    v["total"].clone()
}

#[test]
fn inspect_reports_the_same_records_and_times_on_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, m, l] = write_all_fixtures(tmp.path());
    let ex = examples_dir();
    let (tj, mj, lj) = (
        ex.join("trace.json"),
        ex.join("metrics.json"),
        ex.join("logs.json"),
    );
    let otlp: Vec<&Path> = vec![&t, &m, &l, &tj, &mj, &lj];
    let out = convert(tmp.path(), &otlp, &[]);
    let from_otlp = inspect_total(&otlp);
    let from_parquet = inspect_total(&[&out]);
    for key in [
        "spans",
        "data_points",
        "data_points_by_type",
        "log_records",
        "time_min",
        "time_max",
        "services",
    ] {
        assert_eq!(from_parquet[key], from_otlp[key], "inspect {key}");
    }
    assert_eq!(from_otlp["spans"], 5);
    assert_eq!(from_otlp["log_records"], 10);
}

#[test]
fn an_existing_table_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, _, _] = write_all_fixtures(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let existing = out.join("spans.parquet");
    std::fs::write(&existing, b"precious").unwrap();
    let res = run(&["convert", p(&t), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
    let err = stderr(&res);
    assert!(
        err.contains(&format!(
            "refusing to overwrite existing {} (use --force)",
            existing.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    assert_eq!(dir_entries(&out), ["spans.parquet"]);

    // Any table name counts, not only the ones this input fills.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("summary_points.parquet"), b"old").unwrap();
    let res = run(&["convert", p(&t), "-o", p(&other)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("summary_points.parquet"));
    assert_eq!(dir_entries(&other), ["summary_points.parquet"]);
}

#[test]
fn force_replaces_existing_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, _, _] = write_all_fixtures(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("spans.parquet"), b"precious").unwrap();
    std::fs::write(out.join("logs.parquet"), b"stale").unwrap();
    let res = run_ok(&["convert", p(&t), "-o", p(&out), "--force"]);
    assert_eq!(read_table(&out, Table::Spans).num_rows(), 4);
    assert!(
        stderr(&res).contains("logs.parquet is left from an earlier run"),
        "{}",
        stderr(&res)
    );
    assert_eq!(dir_entries(&out), ["logs.parquet", "spans.parquet"]);
}

#[test]
fn a_failed_conversion_leaves_no_files() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, m, _] = write_all_fixtures(tmp.path());
    let bad = tmp.path().join("bad.pb");
    std::fs::write(&bad, [0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]).unwrap();
    let out = tmp.path().join("out");
    // Good traces and metrics are written first, then the bad input aborts the run.
    let res = run(&["convert", p(&t), p(&m), p(&bad), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(stderr(&res).contains("bad.pb"), "{}", stderr(&res));
    assert_eq!(
        dir_entries(&out),
        Vec::<String>::new(),
        "no table and no temporary file"
    );
}

#[test]
fn no_records_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.pb");
    std::fs::write(&empty, b"").unwrap();
    let out = tmp.path().join("out");
    let res = run(&["convert", p(&empty), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("no OTLP data"), "{}", stderr(&res));
    assert_eq!(dir_entries(&out), Vec::<String>::new());
}

fn small_batch(rows: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
    ]));
    let n = Int64Array::from_iter_values(0..rows);
    let s = StringArray::from_iter((0..rows).map(|i| (i % 3 != 0).then(|| format!("v{i}"))));
    RecordBatch::try_new(schema, vec![Arc::new(n), Arc::new(s)]).unwrap()
}

#[test]
fn a_writer_dropped_without_finish_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("t.parquet");
    let batch = small_batch(10);
    let mut writer =
        TableWriter::create(&path, batch.schema(), &ParquetOptions::default(), false).unwrap();
    writer.write(&batch).unwrap();
    assert_eq!(
        dir_entries(tmp.path()).len(),
        1,
        "rows go to a temporary file"
    );
    assert!(!path.exists(), "nothing under the final name before finish");
    drop(writer);
    assert_eq!(dir_entries(tmp.path()), Vec::<String>::new());

    // A batch that does not match the schema fails, and the failed writer cleans up too.
    let mut writer =
        TableWriter::create(&path, batch.schema(), &ParquetOptions::default(), false).unwrap();
    let other = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, false)])),
        vec![Arc::new(StringArray::from(vec!["a"]))],
    )
    .unwrap();
    assert!(writer.write(&other).is_err());
    drop(writer);
    assert_eq!(dir_entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn write_batches_writes_refuses_and_forces() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("agg.parquet");
    let batches = [small_batch(5), small_batch(7)];
    let opts = ParquetOptions::default();
    assert_eq!(
        write_batches(&path, batches[0].schema(), &batches, &opts, false).unwrap(),
        12
    );
    let back = read_parquet(&path);
    let expected = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(back, expected);

    let err = write_batches(&path, batches[0].schema(), &batches[..1], &opts, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to overwrite existing {} (use --force)",
            path.display()
        )
    );
    assert_eq!(
        read_parquet(&path).num_rows(),
        12,
        "refused: the file is untouched"
    );

    assert_eq!(
        write_batches(&path, batches[0].schema(), &batches[..1], &opts, true).unwrap(),
        5
    );
    assert_eq!(read_parquet(&path).num_rows(), 5);
    assert_eq!(dir_entries(tmp.path()), ["agg.parquet"]);

    // A file with no rows is still a valid file with the schema.
    let empty = tmp.path().join("empty.parquet");
    assert_eq!(
        write_batches(&empty, batches[0].schema(), &[], &opts, false).unwrap(),
        0
    );
    assert_eq!(read_parquet(&empty).schema(), batches[0].schema());
}

#[test]
fn row_group_size_sets_the_row_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, _, l] = write_all_fixtures(tmp.path());
    let out = convert(tmp.path(), &[&l], &["--row-group-size", "2"]);
    let md = metadata(&out.join("logs.parquet"));
    let sizes: Vec<i64> = md.row_groups().iter().map(|rg| rg.num_rows()).collect();
    assert_eq!(sizes, [2, 2, 2, 2, 1], "9 logs in row groups of 2");
    assert_eq!(read_table(&out, Table::Logs).num_rows(), 9);

    let res = run(&[
        "convert",
        p(&l),
        "-o",
        p(&tmp.path().join("zero")),
        "--row-group-size",
        "0",
    ]);
    assert_eq!(res.status.code(), Some(2));
}

type CodecCheck = fn(Compression) -> bool;

#[test]
fn compression_and_statistics_are_recorded_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let [t, _, _] = write_all_fixtures(tmp.path());
    let cases: [(&str, CodecCheck); 5] = [
        ("snappy", |c| c == Compression::SNAPPY),
        ("zstd", |c| matches!(c, Compression::ZSTD(_))),
        ("gzip", |c| matches!(c, Compression::GZIP(_))),
        ("lz4", |c| c == Compression::LZ4_RAW),
        ("none", |c| c == Compression::UNCOMPRESSED),
    ];
    for (name, is_expected) in cases {
        let out = tmp.path().join(name);
        run_ok(&["convert", p(&t), "-o", p(&out), "--compression", name]);
        let md = metadata(&out.join("spans.parquet"));
        for column in md.row_group(0).columns() {
            assert!(
                is_expected(column.compression()),
                "{name}: {} is {:?}",
                column.column_path(),
                column.compression()
            );
        }
        assert_eq!(
            read_table(&out, Table::Spans).num_rows(),
            4,
            "{name} reads back"
        );
    }
    // Default: zstd, with chunk and page statistics (column index) on the time columns.
    let out = convert(tmp.path(), &[&t], &[]);
    let md = metadata(&out.join("spans.parquet"));
    let rg = md.row_group(0);
    let start = rg
        .columns()
        .iter()
        .position(|c| c.column_path().string() == "start_time_unix_nano")
        .unwrap();
    assert!(matches!(
        rg.column(start).compression(),
        Compression::ZSTD(_)
    ));
    assert!(rg
        .column(start)
        .statistics()
        .is_some_and(|s| s.min_bytes_opt().is_some()));
    assert!(
        rg.column(start).column_index_offset().is_some(),
        "page-level statistics (column index) written"
    );
    assert!(
        rg.column(start).offset_index_offset().is_some(),
        "offset index written"
    );
    let kv = md
        .file_metadata()
        .key_value_metadata()
        .expect("key-value metadata");
    assert!(kv.iter().any(|e| e.key == "otlp_analytics.version"));
}
