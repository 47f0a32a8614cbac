//! Logs: counts, first and last times with the observed-time fallback, null severity.

use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::{json, Value};

use crate::agg;
use crate::fixtures::*;

#[test]
fn logs_count_first_last_with_observed_fallback_and_null_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = |t: u64, observed: u64, text: &str, n: i32| LogRecord {
        time_unix_nano: t,
        observed_time_unix_nano: observed,
        severity_text: text.into(),
        severity_number: n,
        ..Default::default()
    };
    let req = logs(
        "api",
        vec![
            rec(T0 + 5, T0 + 6, "INFO", 9),
            rec(0, T0 + 1, "INFO", 9),
            rec(T0 + 9, T0 + 9, "", 0),
            rec(T0 + 3, 0, "ERROR", 17),
        ],
    );
    let file = write_proto(dir.path(), "l.pb", &req);
    let rows = agg(dir.path(), &file, "logs", &[]);
    assert_eq!(
        rows,
        vec![
            json!({"service.name": "api", "severity_text": "ERROR", "log_count": 1, "first_time": T0 + 3, "last_time": T0 + 3}),
            json!({"service.name": "api", "severity_text": "INFO", "log_count": 2, "first_time": T0 + 1, "last_time": T0 + 5}),
            json!({"service.name": "api", "severity_text": null, "log_count": 1, "first_time": T0 + 9, "last_time": T0 + 9}),
        ]
    );
    let rows = agg(dir.path(), &file, "logs", &["--by", "severity_number"]);
    let nums: Vec<Value> = rows.iter().map(|r| r["severity_number"].clone()).collect();
    assert_eq!(nums, vec![json!(0), json!(9), json!(17)]);
}
