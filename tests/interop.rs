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

#[test]
fn pyarrow_and_duckdb_read_the_converted_tables() {
    let python = match python() {
        Ok(p) => p,
        Err(why) if std::env::var("OTLP_ANALYTICS_REQUIRE_PYTHON").as_deref() == Ok("1") => {
            panic!("OTLP_ANALYTICS_REQUIRE_PYTHON=1 but {why}")
        }
        Err(why) => {
            eprintln!("skipping interop test: {why} (set OTLP_ANALYTICS_PYTHON to a Python with pyarrow and duckdb)");
            return;
        }
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
