//! A metrics document covering what the official example lacks.

use super::*;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Metric, NumberDataPoint,
};

/// Covers what the official example lacks: summary, exemplars, asInt, negative
/// buckets, flags, metadata, enum names, snake_case keys and non-finite doubles.
pub(super) const SAMPLE: &str = r#"{"resource_metrics": [{"scope_metrics": [{"metrics": [
    {"name": "g", "metadata": [{"key": "m", "value": {"boolValue": true}}],
     "gauge": {"data_points": [{"as_int": "-3", "flags": 1, "exemplars": [{
        "timeUnixNano": "7", "asInt": 9, "traceId": "0102", "span_id": "ff",
        "filteredAttributes": [{"key": "f", "value": {"stringValue": "x"}}]}]},
        {"asInt": 4}, {"asDouble": "NaN", "exemplars": [{"as_double": 0.5}]}, {}]}},
    {"name": "s", "sum": {"aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
     "is_monotonic": false, "dataPoints": [{"asDouble": "-Infinity"}]}},
    {"name": "e", "exponential_histogram": {"aggregationTemporality": "2", "dataPoints": [{
        "scale": -2, "zero_count": 4, "zero_threshold": "1e-9", "count": 11,
        "negative": {"offset": -1, "bucket_counts": [1, "2"]}, "positive": {}}]}},
    {"name": "q", "unit": "ms", "summary": {"dataPoints": [{"count": "5", "sum": 12.5,
        "quantileValues": [{"quantile": 0.5, "value": 2}, {"quantile": 1, "value": "Infinity"}, {}],
        "startTimeUnixNano": 1, "timeUnixNano": 2, "flags": 1}]}},
    {"name": "none"}
]}]}]}"#;

fn sample() -> Vec<Metric> {
    let v = parse(SAMPLE.as_bytes()).unwrap();
    let mut req = metrics_from_value(&v).unwrap();
    req.resource_metrics
        .remove(0)
        .scope_metrics
        .remove(0)
        .metrics
}

#[test]
fn sample_covers_the_rest() {
    use exemplar::Value as E;
    use number_data_point::Value as N;
    let metrics = sample();
    let g = &metrics[0];
    assert_eq!(g.metadata, [kv("m", V::BoolValue(true))]);
    let Some(Data::Gauge(gauge)) = &g.data else {
        panic!("not a gauge")
    };
    let [p0, p1, p2, p3] = &gauge.data_points[..] else {
        panic!("4 points expected")
    };
    assert_eq!((p0.value, p0.flags), (Some(N::AsInt(-3)), 1));
    let ex = &p0.exemplars[0];
    assert_eq!((ex.time_unix_nano, ex.value), (7, Some(E::AsInt(9))));
    assert_eq!(
        (ex.trace_id.as_slice(), ex.span_id.as_slice()),
        (&[1, 2][..], &[0xff][..])
    );
    assert_eq!(ex.filtered_attributes, [kv("f", string("x"))]);
    assert_eq!(p1.value, Some(N::AsInt(4)));
    assert!(matches!(p2.value, Some(N::AsDouble(d)) if d.is_nan()));
    assert_eq!(p2.exemplars[0].value, Some(E::AsDouble(0.5)));
    assert_eq!(*p3, NumberDataPoint::default());

    let Some(Data::Sum(sum)) = &metrics[1].data else {
        panic!("not a sum")
    };
    assert_eq!(
        sum.aggregation_temporality,
        AggregationTemporality::Cumulative as i32
    );
    assert!(!sum.is_monotonic);
    assert_eq!(
        sum.data_points[0].value,
        Some(N::AsDouble(f64::NEG_INFINITY))
    );

    let Some(Data::ExponentialHistogram(e)) = &metrics[2].data else {
        panic!("not an exp histogram")
    };
    assert_eq!(
        e.aggregation_temporality,
        AggregationTemporality::Cumulative as i32
    );
    let p = &e.data_points[0];
    assert_eq!(
        (p.scale, p.zero_count, p.zero_threshold, p.count),
        (-2, 4, 1e-9, 11)
    );
    let negative = Buckets {
        offset: -1,
        bucket_counts: vec![1, 2],
    };
    assert_eq!(
        (p.negative.as_ref(), p.positive.as_ref()),
        (Some(&negative), Some(&Buckets::default()))
    );
    assert_eq!((p.sum, p.min, p.max), (None, None, None));

    let Some(Data::Summary(s)) = &metrics[3].data else {
        panic!("not a summary")
    };
    assert_eq!(metrics[3].unit, "ms");
    let p = &s.data_points[0];
    assert_eq!(
        (
            p.count,
            p.sum,
            p.start_time_unix_nano,
            p.time_unix_nano,
            p.flags
        ),
        (5, 12.5, 1, 2, 1)
    );
    let q = |quantile, value| ValueAtQuantile { quantile, value };
    assert_eq!(
        p.quantile_values,
        [q(0.5, 2.0), q(1.0, f64::INFINITY), q(0.0, 0.0)]
    );

    assert_eq!(
        (metrics[4].name.as_str(), &metrics[4].data),
        ("none", &None)
    );
    assert_eq!(metrics.len(), 5);
}
