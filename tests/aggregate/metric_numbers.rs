//! Gauges and sums: last values, deltas and every cumulative reset rule, and
//! the default keys of metric points.

use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Gauge, NumberDataPoint, Sum,
};
use serde_json::{json, Value};

use crate::fixtures::*;
use crate::{agg, by_metric};

fn number(start: u64, time: u64, v: f64) -> NumberDataPoint {
    NumberDataPoint {
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(v)),
        ..Default::default()
    }
}

fn cumulative_sum(points: Vec<NumberDataPoint>, monotonic: bool) -> Data {
    Data::Sum(Sum {
        data_points: points,
        aggregation_temporality: AggregationTemporality::Cumulative as i32,
        is_monotonic: monotonic,
    })
}

#[test]
fn metric_numbers_gauge_delta_and_every_reset_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = T0 - 10 * SEC;
    let req = metrics(
        "svc",
        vec![
            // Gauge: last = value at the greatest time, even when it arrives first.
            metric(
                "temp",
                Data::Gauge(Gauge {
                    data_points: vec![
                        number(0, T0 + 30, 7.0),
                        number(0, T0 + 10, 3.0),
                        number(0, T0 + 20, 5.0),
                    ],
                }),
            ),
            metric(
                "delta",
                Data::Sum(Sum {
                    data_points: vec![number(T0, T0 + 1, 2.5), number(T0 + 1, T0 + 2, 4.0)],
                    aggregation_temporality: AggregationTemporality::Delta as i32,
                    is_monotonic: true,
                }),
            ),
            // Known start: first point counts in full (10), then +5, reset by a drop (3), then +4.
            metric(
                "known_start",
                cumulative_sum(
                    vec![
                        number(st, T0, 10.0),
                        number(st, T0 + 1, 15.0),
                        number(st, T0 + 2, 3.0),
                        number(st, T0 + 3, 7.0),
                    ],
                    true,
                ),
            ),
            // Unknown start (start = 0): first point is a baseline; a new start time is a reset (full 4).
            metric(
                "unknown_start",
                cumulative_sum(
                    vec![
                        number(0, T0, 100.0),
                        number(0, T0 + 1, 110.0),
                        number(T0 + 2, T0 + 3, 4.0),
                    ],
                    true,
                ),
            ),
            // Out-of-order arrival is sorted by time within the series.
            metric(
                "out_of_order",
                cumulative_sum(
                    vec![
                        number(st, T0 + 2, 30.0),
                        number(st, T0 + 1, 20.0),
                        number(st, T0, 10.0),
                    ],
                    true,
                ),
            ),
            // Non-monotonic: a drop is a negative delta, not a reset.
            metric(
                "updown",
                cumulative_sum(vec![number(st, T0, 10.0), number(st, T0 + 1, 4.0)], false),
            ),
            // Only a baseline: no delta at all.
            metric(
                "baseline_only",
                cumulative_sum(vec![number(T0, T0, 42.0)], true),
            ),
        ],
    );
    let file = write_proto(dir.path(), "m.pb", &req);
    let rows = agg(dir.path(), &file, "metrics", &["--by", "service.name"]);
    let pick = |name: &str, cols: &[&str]| -> Vec<Value> {
        cols.iter()
            .map(|c| by_metric(&rows, name)[*c].clone())
            .collect()
    };
    let cols = [
        "metric.type",
        "point_count",
        "value_sum",
        "value_min",
        "value_max",
        "value_last",
    ];
    assert_eq!(
        pick("temp", &cols),
        [
            json!("gauge"),
            json!(3),
            json!(15.0),
            json!(3.0),
            json!(7.0),
            json!(7.0)
        ]
    );
    assert_eq!(
        pick("delta", &cols),
        [
            json!("sum"),
            json!(2),
            json!(6.5),
            json!(2.5),
            json!(4.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("known_start", &cols),
        [
            json!("sum"),
            json!(4),
            json!(22.0),
            json!(3.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("unknown_start", &cols),
        [
            json!("sum"),
            json!(3),
            json!(14.0),
            json!(4.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("out_of_order", &cols),
        [
            json!("sum"),
            json!(3),
            json!(30.0),
            json!(10.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("updown", &cols),
        [
            json!("sum"),
            json!(2),
            json!(4.0),
            json!(-6.0),
            json!(10.0),
            Value::Null
        ]
    );
    assert_eq!(
        pick("baseline_only", &cols),
        [
            json!("sum"),
            json!(1),
            json!(0.0),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
}

#[test]
fn metric_default_keys_add_one_column_per_point_attribute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = number(0, T0, 1.0);
    a.attributes = vec![kv("host", s("a"))];
    let mut b = number(0, T0, 2.0);
    b.attributes = vec![
        kv("host", s("b")),
        kv(
            "cpu",
            opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(1),
        ),
    ];
    let data = Data::Gauge(Gauge {
        data_points: vec![a, b],
    });
    let file = write_proto(
        dir.path(),
        "g.pb",
        &metrics("svc", vec![metric("load", data)]),
    );
    let rows = agg(dir.path(), &file, "metrics", &[]);
    let keys: Vec<(Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["attr.cpu"].clone(),
                r["attr.host"].clone(),
                r["value_sum"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            (json!(1), json!("b"), json!(2.0)),
            (Value::Null, json!("a"), json!(1.0))
        ]
    );
}
