//! Parquet input in every encoding a writer may choose gives the same
//! aggregates: dictionary-encoded strings, plain strings, LargeUtf8 /
//! Utf8View, a mix across files, reordered columns and binary ids (as other
//! tools write them); and `convert` writes the same bytes at any thread count.

mod fixtures;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use fixtures::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

fn datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets")
}

fn read_batches(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).expect("open parquet");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// Rewrites `batches` (rows `rows` of their concatenation) with each column
/// `retype` names cast to its new type, columns in reverse order when `reverse`.
fn rewrite(
    batches: &[RecordBatch],
    rows: std::ops::Range<usize>,
    retype: &dyn Fn(&Field) -> Option<DataType>,
    reverse: bool,
    out: &Path,
) {
    let all = arrow::compute::concat_batches(&batches[0].schema(), batches).expect("concat");
    let all = all.slice(rows.start, rows.end - rows.start);
    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in all.schema().fields().iter().zip(all.columns()) {
        match retype(f) {
            Some(t) => {
                columns.push(arrow::compute::cast(c, &t).expect("cast"));
                fields.push(Field::new(f.name(), t, f.is_nullable()));
            }
            None => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    if reverse {
        fields.reverse();
        columns.reverse();
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
    let mut w =
        ArrowWriter::try_new(File::create(out).expect("create"), schema, None).expect("writer");
    // Small batches and row groups: many dictionary pages per file.
    for start in (0..batch.num_rows()).step_by(1000) {
        w.write(&batch.slice(start, 1000.min(batch.num_rows() - start)))
            .expect("write");
    }
    w.close().expect("close");
}

const STRING_KEYS: [&str; 5] = [
    "service_name",
    "scope_name",
    "name",
    "metric_name",
    "severity_text",
];

fn dict(f: &Field) -> Option<DataType> {
    STRING_KEYS
        .contains(&f.name().as_str())
        .then(|| DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)))
}

fn plain(f: &Field) -> Option<DataType> {
    STRING_KEYS
        .contains(&f.name().as_str())
        .then_some(DataType::Utf8)
}

fn other_strings(f: &Field) -> Option<DataType> {
    match f.name().as_str() {
        "service_name" | "severity_text" | "metric_name" => Some(DataType::LargeUtf8),
        "name" | "scope_name" => Some(DataType::Utf8View),
        _ => None,
    }
}

/// What a writer without Arrow's types stores: ids as variable-length binary.
fn foreign(f: &Field) -> Option<DataType> {
    match f.data_type() {
        DataType::FixedSizeBinary(_) => Some(DataType::Binary),
        _ => other_strings(f),
    }
}

fn aggregate(signal: &str, files: &[PathBuf], extra: &[&str]) -> String {
    let mut args = vec!["aggregate", "--signal", signal, "--format", "json"];
    args.extend(files.iter().map(|p| path_str(p)));
    args.extend_from_slice(extra);
    run_ok(&args)
}

#[test]
fn dictionary_plain_mixed_and_foreign_encodings_aggregate_identically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pq = dir.path().join("pq");
    let inputs =
        ["traces.otlp.zst", "metrics.otlp.zst", "logs.jsonl.gz"].map(|f| datasets().join(f));
    let mut args = vec!["convert", "-o", path_str(&pq)];
    args.extend(inputs.iter().map(|p| path_str(p)));
    run_ok(&args);
    let cases: [(&str, &str, &[&[&str]]); 3] = [
        (
            "traces",
            "spans.parquet",
            &[
                &[],
                &[
                    "--by",
                    "service.name,scope.name,name,kind,status_code,attr.http.route",
                    "--window",
                    "10s",
                ],
                &["--by", "name", "--window", "10ms"],
            ],
        ),
        (
            "metrics",
            "metric_points.parquet",
            &[&[], &["--by", "service.name,scope.name"]],
        ),
        (
            "logs",
            "logs.parquet",
            &[
                &[],
                &["--by", "severity_text,scope.name,resource.host.name"],
            ],
        ),
    ];
    for (signal, table, key_sets) in cases {
        let source = pq.join(table);
        let batches = read_batches(&source);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let half = rows / 2;
        let variant = |name: &str, range, retype: &dyn Fn(&Field) -> Option<DataType>, reverse| {
            let path = dir.path().join(format!("{signal}-{name}.parquet"));
            rewrite(&batches, range, retype, reverse, &path);
            path
        };
        let dict_all = variant("dict", 0..rows, &dict, false);
        let plain_all = variant("plain", 0..rows, &plain, false);
        let mixed = vec![
            variant("dict-head", 0..half, &dict, false),
            variant("plain-tail", half..rows, &plain, false),
        ];
        let other = variant("other", 0..rows, &other_strings, false);
        let foreign_all = variant("foreign", 0..rows, &foreign, true);
        for extra in key_sets {
            let expected = aggregate(signal, std::slice::from_ref(&source), extra);
            assert!(
                expected.lines().count() > 3,
                "{signal} {extra:?}: too few groups"
            );
            // Metrics' OTLP also holds the histogram tables, which are left out here.
            if let Some(otlp) = match signal {
                "traces" => Some(&inputs[0]),
                "logs" => Some(&inputs[2]),
                _ => None,
            } {
                let original = aggregate(signal, std::slice::from_ref(otlp), extra);
                assert_eq!(
                    original, expected,
                    "{signal} {extra:?}: OTLP vs converted Parquet"
                );
            }
            for (name, files) in [
                ("dictionary", vec![dict_all.clone()]),
                ("plain", vec![plain_all.clone()]),
                ("mixed", mixed.clone()),
                ("large/view strings", vec![other.clone()]),
                ("reordered, binary ids", vec![foreign_all.clone()]),
            ] {
                assert_eq!(
                    aggregate(signal, &files, extra),
                    expected,
                    "{signal} {extra:?}: {name} input differs"
                );
            }
        }
    }
}

#[test]
fn convert_writes_the_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs =
        ["traces.otlp.zst", "metrics.otlp.zst", "logs.jsonl.gz"].map(|f| datasets().join(f));
    let mut outputs = Vec::new();
    for threads in ["1", "2", "8"] {
        let out = dir.path().join(format!("t{threads}"));
        // Small row groups: many parallel encode passes and row group cuts inside batches.
        let mut args = vec![
            "convert",
            "-o",
            path_str(&out),
            "--threads",
            threads,
            "--row-group-size",
            "7000",
        ];
        args.extend(inputs.iter().map(|p| path_str(p)));
        run_ok(&args);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .expect("read dir")
            .map(|e| {
                let p = e.expect("entry").path();
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("read"))
            })
            .collect();
        files.sort();
        outputs.push(files);
    }
    let names: Vec<&str> = outputs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"spans.parquet") && names.contains(&"logs.parquet"),
        "{names:?}"
    );
    let spans = read_batches(&dir.path().join("t2").join("spans.parquet"));
    assert_eq!(
        spans.iter().map(RecordBatch::num_rows).sum::<usize>(),
        20_000
    );
    assert_eq!(outputs[0], outputs[1], "--threads 1 vs 2");
    assert_eq!(outputs[0], outputs[2], "--threads 1 vs 8");
}
