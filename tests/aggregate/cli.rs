//! The command line around the aggregation: output formats, usage errors and
//! backend selection.

use opentelemetry_proto::tonic::logs::v1::LogRecord;

use crate::fixtures::*;
use crate::red_fixture;

#[test]
fn table_and_csv_formats_print_rfc3339_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let req = logs(
        "api",
        vec![LogRecord {
            time_unix_nano: T0,
            severity_text: "INFO".into(),
            ..Default::default()
        }],
    );
    let file = write_proto(dir.path(), "l.pb", &req);
    let csv = run_ok(&[
        "aggregate",
        path_str(&file),
        "--signal",
        "logs",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "service.name,severity_text,log_count,first_time,last_time\napi,INFO,1,2026-01-01T00:00:00.000000000Z,2026-01-01T00:00:00.000000000Z\n"
    );
    let table = run_ok(&["aggregate", path_str(&file), "--signal", "logs"]);
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("service.name  severity_text  log_count")),
        "{table}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let err = run_fails(
        &[
            "aggregate",
            path_str(&file),
            "--signal",
            "traces",
            "--by",
            "severity_text",
        ],
        2,
    );
    assert!(
        err.contains("unknown key \"severity_text\" for traces"),
        "{err}"
    );
    let err = run_fails(
        &[
            "aggregate",
            path_str(&file),
            "--signal",
            "traces",
            "--window",
            "5 fortnights",
        ],
        2,
    );
    assert!(err.contains("invalid duration"), "{err}");
    let err = run_fails(&["aggregate", path_str(&file), "--signal", "logs"], 2);
    assert!(
        err.contains("no OTLP data in") && err.contains("no logs found"),
        "{err}"
    );
}

#[test]
fn backend_gpu_without_an_adapter_exits_2_and_auto_falls_back_to_cpu() {
    // Point the Vulkan loader at no driver: wgpu then finds no adapter.
    let no_gpu = |args: &[&str]| {
        bin()
            .args(args)
            .env("VK_ICD_FILENAMES", "/nonexistent.json")
            .env("WGPU_BACKEND", "vulkan")
            .output()
            .expect("run")
    };
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/traces.otlp.zst");
    let out = no_gpu(&[
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--backend",
        "gpu",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--backend gpu: no GPU adapter found"), "{err}");
    assert!(out.stdout.is_empty());
    let out = no_gpu(&[
        "aggregate",
        path_str(&input),
        "--signal",
        "traces",
        "--backend",
        "auto",
        "--verbose",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("backend: cpu"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        run_ok(&[
            "aggregate",
            path_str(&input),
            "--signal",
            "traces",
            "--backend",
            "cpu"
        ])
    );
}
