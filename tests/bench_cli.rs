//! `otlp-analytics bench` on the committed sample datasets: the JSON holds
//! every stage with positive numbers, and the CPU and GPU backends agree.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn dataset(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets")
        .join(name)
        .display()
        .to_string()
}

fn bench_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("otlp-analytics")
        .expect("binary")
        .arg("bench")
        .args(args)
        .args(["--iterations", "1", "--json", "--threads", "2"])
        .output()
        .expect("run bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(
        stdout.lines().count(),
        1,
        "exactly one JSON object: {stdout}"
    );
    serde_json::from_str(&stdout).expect("JSON")
}

fn stage<'a>(report: &'a Value, stage: &str, backend: Option<&str>) -> Option<&'a Value> {
    report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == stage && s["backend"].as_str() == backend)
}

/// Every stage present with positive rows, bytes, times and throughputs.
fn check_report(report: &Value, rows: u64) {
    assert_eq!(report["threads"], 2);
    assert_eq!(report["results_equal"], true, "{report}");
    let adapter = report["adapter"].as_str();
    if std::env::var("OTLP_ANALYTICS_REQUIRE_GPU").as_deref() == Ok("1") {
        assert!(
            adapter.is_some(),
            "OTLP_ANALYTICS_REQUIRE_GPU=1 but bench found no adapter"
        );
    }
    let mut expected = vec![
        ("read", None),
        ("decode", None),
        ("aggregate", Some("cpu")),
        ("write", None),
    ];
    if adapter.is_some() {
        expected.push(("aggregate", Some("gpu")));
    } else {
        assert!(stage(report, "aggregate", Some("gpu")).is_none());
    }
    assert_eq!(report["stages"].as_array().unwrap().len(), expected.len());
    for (name, backend) in expected {
        let s = stage(report, name, backend)
            .unwrap_or_else(|| panic!("no stage {name} {backend:?}: {report}"));
        assert_eq!(s["rows"].as_u64(), Some(rows), "{name} rows");
        for field in [
            "bytes",
            "seconds_min",
            "seconds_median",
            "rows_per_s",
            "mb_per_s",
        ] {
            let v = s[field]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}.{field} missing"));
            assert!(v > 0.0, "{name} {backend:?}: {field} = {v}");
        }
        assert!(s["seconds_min"].as_f64() <= s["seconds_median"].as_f64());
    }
}

#[test]
fn bench_traces_reports_every_stage_and_backends_agree() {
    let report = bench_json(&[&dataset("traces.otlp.zst")]);
    check_report(&report, 20_000);
    assert_eq!(report["signal"], "traces");
    let read = stage(&report, "read", None).unwrap();
    let on_disk = std::fs::metadata(dataset("traces.otlp.zst")).unwrap().len();
    assert_eq!(read["bytes"].as_u64(), Some(on_disk));
}

#[test]
fn bench_metrics_and_logs() {
    check_report(
        &bench_json(&[&dataset("metrics.otlp.zst"), "--signal", "metrics"]),
        6_000,
    );
    check_report(
        &bench_json(&[&dataset("logs.jsonl.gz"), "--signal", "logs"]),
        5_000,
    );
}

#[test]
fn bench_table_names_stages_and_wrong_signal_is_exit_2() {
    let out = Command::cargo_bin("otlp-analytics")
        .unwrap()
        .args([
            "bench",
            &dataset("traces.otlp.zst"),
            "--iterations",
            "2",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Only our progress lines are checked: a Vulkan/EGL loader may print its own.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("bench:"), "--quiet: {stderr}");
    let table = String::from_utf8(out.stdout).unwrap();
    for word in [
        "stage",
        "median s",
        "rows/s",
        "MB/s",
        "read",
        "decode",
        "aggregate",
        "write",
        "threads",
    ] {
        assert!(table.contains(word), "{word} missing in\n{table}");
    }
    Command::cargo_bin("otlp-analytics")
        .unwrap()
        .args([
            "bench",
            &dataset("logs.jsonl.gz"),
            "--iterations",
            "1",
            "--quiet",
        ])
        .assert()
        .code(2);
}
