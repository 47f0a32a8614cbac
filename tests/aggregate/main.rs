//! `aggregate` on hand-built inputs with hand-computed expected rows, run through the real binary.

#[path = "../fixtures/mod.rs"]
mod fixtures;

mod cli;
mod logs;
mod metric_distributions;
mod metric_numbers;
mod metric_streaming;
mod quantiles;
mod table;
mod traces;

use fixtures::*;
use serde_json::Value;

const SERVER: i32 = 2;
const CLIENT: i32 = 3;

fn agg(dir: &std::path::Path, file: &std::path::Path, signal: &str, extra: &[&str]) -> Vec<Value> {
    let _ = dir;
    let mut args = vec![
        "aggregate",
        path_str(file),
        "--signal",
        signal,
        "--format",
        "json",
        "--backend",
        "cpu",
    ];
    args.extend_from_slice(extra);
    json_rows(&run_ok(&args))
}

fn red_fixture(dir: &std::path::Path) -> std::path::PathBuf {
    let mut checkout = Vec::new();
    // 10 server spans of 10..=100 ms, the 3rd and 7th failing.
    for i in 1..=10u8 {
        checkout.push(span(
            1,
            i,
            0,
            "POST /checkout",
            SERVER,
            T0 + u64::from(i) * SEC,
            u64::from(i) * 10_000_000,
            i == 3 || i == 7,
        ));
    }
    checkout.push(span(
        1,
        20,
        1,
        "SELECT",
        CLIENT,
        T0 + 70 * SEC,
        5_000,
        false,
    ));
    let cart = vec![span(
        2,
        1,
        0,
        "GET /cart",
        SERVER,
        T0 + 61 * SEC,
        2_000_000,
        false,
    )];
    let req = traces(vec![
        (resource("checkout", vec![]), checkout),
        (resource("cart", vec![]), cart),
    ]);
    write_proto(dir, "red.pb", &req)
}

fn by_metric(rows: &[Value], name: &str) -> Value {
    rows.iter()
        .find(|r| r["metric.name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}
