//! OTLP/JSON → metrics messages; the metrics half of `json.rs`, split out for size.

use super::{key_value, resource, scope, to_f64, to_i64, to_u64, Obj, Result};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};

pub(super) fn resource_metrics(o: Obj<'_, '_>) -> Result<ResourceMetrics> {
    Ok(ResourceMetrics {
        resource: o.msg("resource", resource)?,
        scope_metrics: o.msgs("scopeMetrics", |s| {
            Ok(ScopeMetrics {
                scope: s.msg("scope", scope)?,
                metrics: s.msgs("metrics", metric)?,
                schema_url: s.str("schemaUrl")?,
            })
        })?,
        schema_url: o.str("schemaUrl")?,
    })
}

fn metric(o: Obj<'_, '_>) -> Result<Metric> {
    Ok(Metric {
        name: o.str("name")?,
        description: o.str("description")?,
        unit: o.str("unit")?,
        metadata: o.msgs("metadata", key_value)?,
        data: data(o)?,
    })
}

/// The `data` oneof: the first kind present wins; none present leaves it None.
fn data(o: Obj<'_, '_>) -> Result<Option<Data>> {
    let data = if let Some(g) = o.msg("gauge", gauge)? {
        Data::Gauge(g)
    } else if let Some(s) = o.msg("sum", sum)? {
        Data::Sum(s)
    } else if let Some(h) = o.msg("histogram", histogram)? {
        Data::Histogram(h)
    } else if let Some(h) = o.msg("exponentialHistogram", exponential_histogram)? {
        Data::ExponentialHistogram(h)
    } else if let Some(s) = o.msg("summary", summary)? {
        Data::Summary(s)
    } else {
        return Ok(None);
    };
    Ok(Some(data))
}

fn temporality(o: Obj<'_, '_>) -> Result<i32> {
    o.enumeration("aggregationTemporality", |s| {
        AggregationTemporality::from_str_name(s).map(|t| t as i32)
    })
}

fn gauge(o: Obj<'_, '_>) -> Result<Gauge> {
    Ok(Gauge {
        data_points: o.msgs("dataPoints", number_point)?,
    })
}

fn sum(o: Obj<'_, '_>) -> Result<Sum> {
    Ok(Sum {
        data_points: o.msgs("dataPoints", number_point)?,
        aggregation_temporality: temporality(o)?,
        is_monotonic: o.bool("isMonotonic")?,
    })
}

fn histogram(o: Obj<'_, '_>) -> Result<Histogram> {
    Ok(Histogram {
        data_points: o.msgs("dataPoints", histogram_point)?,
        aggregation_temporality: temporality(o)?,
    })
}

fn exponential_histogram(o: Obj<'_, '_>) -> Result<ExponentialHistogram> {
    Ok(ExponentialHistogram {
        data_points: o.msgs("dataPoints", exponential_point)?,
        aggregation_temporality: temporality(o)?,
    })
}

fn summary(o: Obj<'_, '_>) -> Result<Summary> {
    Ok(Summary {
        data_points: o.msgs("dataPoints", summary_point)?,
    })
}

fn number_point(o: Obj<'_, '_>) -> Result<NumberDataPoint> {
    use number_data_point::Value as V;
    let value = match o.field("asDouble", to_f64)? {
        Some(d) => Some(V::AsDouble(d)),
        None => o.field("asInt", to_i64)?.map(V::AsInt),
    };
    Ok(NumberDataPoint {
        attributes: o.attributes()?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        time_unix_nano: o.u64("timeUnixNano")?,
        exemplars: o.msgs("exemplars", exemplar)?,
        flags: o.u32("flags")?,
        value,
    })
}

fn histogram_point(o: Obj<'_, '_>) -> Result<HistogramDataPoint> {
    Ok(HistogramDataPoint {
        attributes: o.attributes()?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        time_unix_nano: o.u64("timeUnixNano")?,
        count: o.u64("count")?,
        sum: o.field("sum", to_f64)?,
        bucket_counts: o.list("bucketCounts", to_u64)?,
        explicit_bounds: o.list("explicitBounds", to_f64)?,
        exemplars: o.msgs("exemplars", exemplar)?,
        flags: o.u32("flags")?,
        min: o.field("min", to_f64)?,
        max: o.field("max", to_f64)?,
    })
}

fn exponential_point(o: Obj<'_, '_>) -> Result<ExponentialHistogramDataPoint> {
    Ok(ExponentialHistogramDataPoint {
        attributes: o.attributes()?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        time_unix_nano: o.u64("timeUnixNano")?,
        count: o.u64("count")?,
        sum: o.field("sum", to_f64)?,
        scale: o.i32("scale")?,
        zero_count: o.u64("zeroCount")?,
        positive: o.msg("positive", buckets)?,
        negative: o.msg("negative", buckets)?,
        flags: o.u32("flags")?,
        exemplars: o.msgs("exemplars", exemplar)?,
        min: o.field("min", to_f64)?,
        max: o.field("max", to_f64)?,
        zero_threshold: o.f64("zeroThreshold")?,
    })
}

fn buckets(o: Obj<'_, '_>) -> Result<Buckets> {
    Ok(Buckets {
        offset: o.i32("offset")?,
        bucket_counts: o.list("bucketCounts", to_u64)?,
    })
}

fn summary_point(o: Obj<'_, '_>) -> Result<SummaryDataPoint> {
    Ok(SummaryDataPoint {
        attributes: o.attributes()?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        time_unix_nano: o.u64("timeUnixNano")?,
        count: o.u64("count")?,
        sum: o.f64("sum")?,
        quantile_values: o.msgs("quantileValues", |q| {
            Ok(ValueAtQuantile {
                quantile: q.f64("quantile")?,
                value: q.f64("value")?,
            })
        })?,
        flags: o.u32("flags")?,
    })
}

fn exemplar(o: Obj<'_, '_>) -> Result<Exemplar> {
    use exemplar::Value as V;
    let value = match o.field("asDouble", to_f64)? {
        Some(d) => Some(V::AsDouble(d)),
        None => o.field("asInt", to_i64)?.map(V::AsInt),
    };
    Ok(Exemplar {
        filtered_attributes: o.msgs("filteredAttributes", key_value)?,
        time_unix_nano: o.u64("timeUnixNano")?,
        span_id: o.id("spanId")?,
        trace_id: o.id("traceId")?,
        value,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::decode::json::tests::{example, kv, string};
    use crate::decode::json::{metrics_from_value, parse, sniff_signal, JsonSignal};
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    use prost::Message;

    /// Covers what the official example lacks: summary, exemplars, asInt, negative
    /// buckets, flags, metadata, enum names, snake_case keys and non-finite doubles.
    pub(in crate::decode::json) const SAMPLE: &str = r#"{"resource_metrics": [{"scope_metrics": [{"metrics": [
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

    const TIME: u64 = 1_544_712_660_300_000_000;

    #[test]
    fn metrics_example_has_every_kind() {
        let v = parse(example!("metrics.json").as_bytes()).unwrap();
        assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Metrics);
        let req = metrics_from_value(&v).unwrap();
        let rm = &req.resource_metrics[0];
        let res = rm.resource.as_ref().unwrap();
        assert_eq!(res.attributes, [kv("service.name", string("my.service"))]);
        let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
        assert_eq!(
            (scope.name.as_str(), scope.version.as_str()),
            ("my.library", "1.0.0")
        );
        let metrics = &rm.scope_metrics[0].metrics;
        let names: Vec<_> = metrics
            .iter()
            .map(|m| (m.name.as_str(), m.unit.as_str()))
            .collect();
        let expected = [
            ("my.counter", "1"),
            ("my.gauge", "1"),
            ("my.histogram", "1"),
            ("my.exponential.histogram", "1"),
        ];
        assert_eq!(names, expected);
        assert_eq!(metrics[3].description, "I am an Exponential Histogram");

        let Some(Data::Sum(sum)) = &metrics[0].data else {
            panic!("not a sum")
        };
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Delta as i32
        );
        assert!(sum.is_monotonic);
        let p = &sum.data_points[0];
        assert_eq!(p.value, Some(number_data_point::Value::AsDouble(5.0)));
        assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (TIME, TIME));
        assert_eq!(p.attributes, [kv("my.counter.attr", string("some value"))]);

        let Some(Data::Gauge(gauge)) = &metrics[1].data else {
            panic!("not a gauge")
        };
        let p = &gauge.data_points[0];
        assert_eq!(p.value, Some(number_data_point::Value::AsDouble(10.0)));
        assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (0, TIME));

        let Some(Data::Histogram(h)) = &metrics[2].data else {
            panic!("not a histogram")
        };
        assert_eq!(
            h.aggregation_temporality,
            AggregationTemporality::Delta as i32
        );
        let p = &h.data_points[0];
        assert_eq!(
            (p.start_time_unix_nano, p.time_unix_nano, p.count),
            (TIME, TIME, 2)
        );
        assert_eq!((p.sum, p.min, p.max), (Some(2.0), Some(0.0), Some(2.0)));
        assert_eq!(
            (p.bucket_counts.as_slice(), p.explicit_bounds.as_slice()),
            (&[1, 1][..], &[1.0][..])
        );
        assert_eq!(
            p.attributes,
            [kv("my.histogram.attr", string("some value"))]
        );

        let Some(Data::ExponentialHistogram(e)) = &metrics[3].data else {
            panic!("not an exp histogram")
        };
        assert_eq!(
            e.aggregation_temporality,
            AggregationTemporality::Delta as i32
        );
        let p = &e.data_points[0];
        assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (TIME, TIME));
        assert_eq!(
            (p.count, p.sum, p.scale, p.zero_count, p.zero_threshold),
            (3, Some(10.0), 0, 1, 0.0)
        );
        let positive = Buckets {
            offset: 1,
            bucket_counts: vec![0, 2],
        };
        assert_eq!(
            (p.positive.as_ref(), p.negative.as_ref()),
            (Some(&positive), None)
        );
        assert_eq!((p.min, p.max), (Some(0.0), Some(5.0)));
    }

    /// The binary sample predates the exponential histogram: it holds the JSON example's
    /// first three metrics only, otherwise identical.
    #[test]
    fn metrics_example_matches_its_protobuf_twin_minus_exponential_histogram() {
        let v = parse(example!("metrics.json").as_bytes()).unwrap();
        let mut json = metrics_from_value(&v).unwrap();
        let bin = ExportMetricsServiceRequest::decode(&example!(bytes "metrics.protobuf-bin")[..])
            .unwrap();
        assert_eq!(bin.resource_metrics[0].scope_metrics[0].metrics.len(), 3);
        let metrics = &mut json.resource_metrics[0].scope_metrics[0].metrics;
        let extra = metrics.pop().unwrap();
        assert!(matches!(extra.data, Some(Data::ExponentialHistogram(_))));
        assert_eq!(json, bin);
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

    #[test]
    fn metric_errors_name_the_field() {
        let err = |doc: &str| {
            metrics_from_value(&parse(doc.as_bytes()).unwrap())
                .unwrap_err()
                .to_string()
        };
        let prefix = "resourceMetrics[0].scopeMetrics[0].metrics[0]";
        let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"histogram": {"dataPoints": [{"bucketCounts": [1, "x"]}]}}]}]}]}"#;
        let expected = "histogram.dataPoints[0].bucketCounts[1]: expected an unsigned 64-bit integer, got \"x\"";
        assert_eq!(err(doc), format!("{prefix}.{expected}"));
        let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"sum": {"isMonotonic": "true"}}]}]}]}"#;
        assert_eq!(
            err(doc),
            format!("{prefix}.sum.isMonotonic: expected a boolean, got \"true\"")
        );
        let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"exponentialHistogram": {"dataPoints": [{"scale": 2147483648}]}}]}]}]}"#;
        let expected = "exponentialHistogram.dataPoints[0].scale: expected a signed 32-bit integer, got 2147483648";
        assert_eq!(err(doc), format!("{prefix}.{expected}"));
        let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"gauge": {"dataPoints": [{"exemplars": [{"traceId": "0g"}]}]}}]}]}]}"#;
        let expected = "gauge.dataPoints[0].exemplars[0].traceId: invalid hex id \"0g\"";
        assert_eq!(err(doc), format!("{prefix}.{expected}"));
    }
}
