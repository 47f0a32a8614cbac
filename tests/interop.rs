//! Other engines read what `convert` writes: tests/interop.py checks the
//! tables with pyarrow and DuckDB (types, row counts, a sum, the typing
//! convention). Needs a Python with both installed: `OTLP_ANALYTICS_PYTHON`
//! names the interpreter (default `python3`); without one the test is
//! skipped, unless `OTLP_ANALYTICS_REQUIRE_PYTHON=1`, where it fails.

mod otlp_fixtures;

use std::path::Path;
use std::process::Command;

use otlp_fixtures::*;

/// The interpreter to use, or why there is none.
fn python() -> Result<String, String> {
    let python = std::env::var("OTLP_ANALYTICS_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    match Command::new(&python)
        .args(["-c", "import pyarrow, duckdb"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{python} cannot import pyarrow and duckdb: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => Err(format!("cannot run {python}: {e}")),
    }
}

/// The interpreter, or None when the test is to be skipped.
fn python_or_skip() -> Option<String> {
    match python() {
        Ok(p) => Some(p),
        Err(why) if std::env::var("OTLP_ANALYTICS_REQUIRE_PYTHON").as_deref() == Ok("1") => {
            panic!("OTLP_ANALYTICS_REQUIRE_PYTHON=1 but {why}")
        }
        Err(why) => {
            eprintln!("skipping interop test: {why} (set OTLP_ANALYTICS_PYTHON to a Python with pyarrow and duckdb)");
            None
        }
    }
}

#[test]
fn pyarrow_and_duckdb_read_the_converted_tables() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let [t, m, l] = write_all_fixtures(tmp.path());
    let duration_sum: u64 = source_spans(&traces_request())
        .iter()
        .map(|(_, s)| s.end_time_unix_nano - s.start_time_unix_nano)
        .sum();
    // Every codec, so each is known to be readable by other engines.
    let mut dirs = Vec::new();
    for codec in ["zstd", "snappy", "lz4", "gzip", "none"] {
        let out = tmp.path().join(codec);
        run_ok(&[
            "convert",
            p(&t),
            p(&m),
            p(&l),
            "-o",
            p(&out),
            "--compression",
            codec,
            "--row-group-size",
            "3",
        ]);
        dirs.push(out);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script);
    for (table, rows) in [
        ("spans", 4),
        ("logs", 9),
        ("metric_points", 7),
        ("histogram_points", 2),
        ("exp_histogram_points", 2),
        ("summary_points", 2),
    ] {
        cmd.args(["--expect-rows", &format!("{table}={rows}")]);
    }
    cmd.args(["--span-duration-sum-ns", &duration_sum.to_string()]);
    cmd.args([
        "--int-attribute",
        "span.int=-9007199254740993",
        "--int-attribute",
        "span.int_max=9223372036854775807",
    ]);
    cmd.args(&dirs);
    let out = cmd.output().expect("run interop.py");
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "interop.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// DuckDB's `COPY ... (FORMAT parquet)` of our converted tables: no embedded
/// Arrow schema, its own encodings and types. `aggregate` on its files must
/// give exactly what it gives on ours, for every signal.
#[test]
fn aggregate_on_duckdb_written_parquet_equals_ours() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    let theirs = tmp.path().join("duckdb");
    std::fs::create_dir_all(&theirs).unwrap();
    let mut files = Vec::new();
    for (signal, size) in [
        ("traces", "--spans=30000"),
        ("metrics", "--series=300"),
        ("logs", "--logs=20000"),
    ] {
        let file = tmp.path().join(format!("{signal}.otlp"));
        run_ok(&[
            "generate",
            "--signal",
            signal,
            size,
            "--seed",
            "4",
            "-o",
            p(&file),
        ]);
        files.push(file);
    }
    let mut convert = vec!["convert"];
    convert.extend(files.iter().map(|f| p(f)));
    convert.extend(["-o", p(&ours)]);
    run_ok(&convert);
    let copy = r#"
import duckdb, os, sys
src, dst = sys.argv[1], sys.argv[2]
con = duckdb.connect()
for name in sorted(os.listdir(src)):
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}/{name}')) TO '{dst}/{name}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 4096)")
"#;
    let out = Command::new(&python)
        .args(["-c", copy, p(&ours), p(&theirs)])
        .output()
        .expect("run duckdb");
    assert!(
        out.status.success(),
        "duckdb COPY failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (signal, extra) in [
        ("traces", vec!["--by", "service.name,name,status_code"]),
        ("traces", vec!["--window", "1m"]),
        ("metrics", vec![]),
        (
            "metrics",
            vec!["--by", "service.name,attr.http.route", "--window", "30s"],
        ),
        ("logs", vec![]),
    ] {
        let aggregate = |dir: &Path| {
            let mut args = vec!["aggregate", p(dir), "--signal", signal, "--format", "json"];
            args.extend(&extra);
            String::from_utf8(run_ok(&args).stdout).expect("utf-8 output")
        };
        let (a, b) = (aggregate(&ours), aggregate(&theirs));
        assert!(a.len() > 100, "{signal} {extra:?}: {a}");
        assert_eq!(
            a, b,
            "{signal} {extra:?}: DuckDB's Parquet aggregates differently"
        );
    }
}
