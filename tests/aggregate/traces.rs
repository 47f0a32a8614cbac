//! Traces: RED columns, time windows, status and attribute keys.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::{agg, red_fixture, SERVER};

#[test]
fn traces_red_columns_are_exact_on_small_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let rows = agg(dir.path(), &file, "traces", &[]);
    assert_eq!(rows.len(), 3);
    // Sorted by service.name, name, kind.
    assert_eq!(
        rows[0],
        json!({"service.name": "cart", "name": "GET /cart", "kind": "SPAN_KIND_SERVER", "span_count": 1, "error_count": 0,
               "duration_sum_ns": 2_000_000, "duration_min_ns": 2_000_000, "duration_max_ns": 2_000_000,
               "duration_p50_ns": 2_000_000, "duration_p90_ns": 2_000_000, "duration_p99_ns": 2_000_000})
    );
    // Nearest rank over 10..=100 ms: p50 = 5th = 50 ms, p90 = 9th = 90 ms, p99 = 10th = 100 ms.
    assert_eq!(
        rows[1],
        json!({"service.name": "checkout", "name": "POST /checkout", "kind": "SPAN_KIND_SERVER", "span_count": 10,
               "error_count": 2, "duration_sum_ns": 550_000_000u64, "duration_min_ns": 10_000_000, "duration_max_ns": 100_000_000,
               "duration_p50_ns": 50_000_000, "duration_p90_ns": 90_000_000, "duration_p99_ns": 100_000_000})
    );
    assert_eq!(rows[2]["name"], "SELECT");
    assert_eq!(rows[2]["kind"], "SPAN_KIND_CLIENT");
}

#[test]
fn traces_windows_and_status_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = red_fixture(dir.path());
    let rows = agg(
        dir.path(),
        &file,
        "traces",
        &["--by", "service.name,status_code", "--window", "1m"],
    );
    let summary: Vec<(String, String, i64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["service.name"].as_str().unwrap_or("").to_owned(),
                r["status_code"].as_str().unwrap_or("").to_owned(),
                r["window_start"].as_i64().unwrap_or(-1),
                r["span_count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let (w0, w1) = (T0 as i64, (T0 + 60 * SEC) as i64);
    assert_eq!(
        summary,
        vec![
            ("cart".into(), "STATUS_CODE_UNSET".into(), w1, 1),
            ("checkout".into(), "STATUS_CODE_ERROR".into(), w0, 2),
            ("checkout".into(), "STATUS_CODE_UNSET".into(), w0, 8),
            ("checkout".into(), "STATUS_CODE_UNSET".into(), w1, 1),
        ]
    );
}

#[test]
fn attribute_keys_keep_types_and_missing_is_null_last() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = span(1, 1, 0, "a", SERVER, T0, 100, false);
    a.attributes = vec![kv(
        "http.status_code",
        opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(200),
    )];
    let mut b = span(1, 2, 0, "b", SERVER, T0, 300, false);
    b.attributes = vec![kv(
        "http.status_code",
        opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(500),
    )];
    let c = span(1, 3, 0, "c", SERVER, T0, 500, false);
    let req = traces(vec![(
        resource("svc", vec![kv("host.name", s("h1"))]),
        vec![a, b, c],
    )]);
    let file = write_proto(dir.path(), "attrs.pb", &req);
    let rows = agg(
        dir.path(),
        &file,
        "traces",
        &[
            "--by",
            "attr.http.status_code,resource.host.name,scope.name",
        ],
    );
    let keys: Vec<(Value, Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["attr.http.status_code"].clone(),
                r["resource.host.name"].clone(),
                r["scope.name"].clone(),
                r["span_count"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            (json!(200), json!("h1"), json!("lib.a"), json!(1)),
            (json!(500), json!("h1"), json!("lib.a"), json!(1)),
            (Value::Null, json!("h1"), json!("lib.a"), json!(1)),
        ]
    );
}
