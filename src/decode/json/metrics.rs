//! OTLP/JSON → metrics messages: resource and scope metrics, the `data`
//! oneof and its five point types with buckets, quantiles and exemplars.

use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};

use super::common::{key_value, resource_group, scope_group};
use super::object::JsonObject;
use super::scalars::{to_f64, to_i64, to_u64};
use super::Result;

pub(super) fn resource_metrics(o: JsonObject<'_, '_>) -> Result<ResourceMetrics> {
    resource_group(
        o,
        "scopeMetrics",
        scope_metrics,
        |resource, scope_metrics, schema_url| ResourceMetrics {
            resource,
            scope_metrics,
            schema_url,
        },
    )
}

fn scope_metrics(o: JsonObject<'_, '_>) -> Result<ScopeMetrics> {
    scope_group(o, "metrics", metric, |scope, metrics, schema_url| {
        ScopeMetrics {
            scope,
            metrics,
            schema_url,
        }
    })
}

fn metric(o: JsonObject<'_, '_>) -> Result<Metric> {
    Ok(Metric {
        name: o.str("name")?,
        description: o.str("description")?,
        unit: o.str("unit")?,
        metadata: o.msgs("metadata", key_value)?,
        data: data(o)?,
    })
}

/// The `data` oneof: the first kind present wins; none present leaves it None.
fn data(o: JsonObject<'_, '_>) -> Result<Option<Data>> {
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

fn temporality(o: JsonObject<'_, '_>) -> Result<i32> {
    o.enumeration("aggregationTemporality", |s| {
        AggregationTemporality::from_str_name(s).map(|t| t as i32)
    })
}

fn gauge(o: JsonObject<'_, '_>) -> Result<Gauge> {
    Ok(Gauge {
        data_points: o.msgs("dataPoints", number_point)?,
    })
}

fn sum(o: JsonObject<'_, '_>) -> Result<Sum> {
    Ok(Sum {
        data_points: o.msgs("dataPoints", number_point)?,
        aggregation_temporality: temporality(o)?,
        is_monotonic: o.bool("isMonotonic")?,
    })
}

fn histogram(o: JsonObject<'_, '_>) -> Result<Histogram> {
    Ok(Histogram {
        data_points: o.msgs("dataPoints", histogram_point)?,
        aggregation_temporality: temporality(o)?,
    })
}

fn exponential_histogram(o: JsonObject<'_, '_>) -> Result<ExponentialHistogram> {
    Ok(ExponentialHistogram {
        data_points: o.msgs("dataPoints", exponential_point)?,
        aggregation_temporality: temporality(o)?,
    })
}

fn summary(o: JsonObject<'_, '_>) -> Result<Summary> {
    Ok(Summary {
        data_points: o.msgs("dataPoints", summary_point)?,
    })
}

fn number_point(o: JsonObject<'_, '_>) -> Result<NumberDataPoint> {
    use number_data_point::Value as V;
    let value = number_value(o, V::AsDouble, V::AsInt)?;
    Ok(NumberDataPoint {
        attributes: o.attributes()?,
        start_time_unix_nano: o.u64("startTimeUnixNano")?,
        time_unix_nano: o.u64("timeUnixNano")?,
        exemplars: o.msgs("exemplars", exemplar)?,
        flags: o.u32("flags")?,
        value,
    })
}

fn histogram_point(o: JsonObject<'_, '_>) -> Result<HistogramDataPoint> {
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

fn exponential_point(o: JsonObject<'_, '_>) -> Result<ExponentialHistogramDataPoint> {
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

fn buckets(o: JsonObject<'_, '_>) -> Result<Buckets> {
    Ok(Buckets {
        offset: o.i32("offset")?,
        bucket_counts: o.list("bucketCounts", to_u64)?,
    })
}

fn summary_point(o: JsonObject<'_, '_>) -> Result<SummaryDataPoint> {
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

fn exemplar(o: JsonObject<'_, '_>) -> Result<Exemplar> {
    use exemplar::Value as V;
    let value = number_value(o, V::AsDouble, V::AsInt)?;
    Ok(Exemplar {
        filtered_attributes: o.msgs("filteredAttributes", key_value)?,
        time_unix_nano: o.u64("timeUnixNano")?,
        span_id: o.id("spanId")?,
        trace_id: o.id("traceId")?,
        value,
    })
}

/// The `asDouble` / `asInt` oneof of number points and exemplars;
/// `asDouble` wins when both are present.
fn number_value<T>(
    o: JsonObject<'_, '_>,
    as_double: fn(f64) -> T,
    as_int: fn(i64) -> T,
) -> Result<Option<T>> {
    Ok(match o.field("asDouble", to_f64)? {
        Some(d) => Some(as_double(d)),
        None => o.field("asInt", to_i64)?.map(as_int),
    })
}
