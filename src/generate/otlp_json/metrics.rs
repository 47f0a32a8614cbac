//! OTLP/JSON for metrics: `ExportMetricsServiceRequest` down to the five
//! point types, their buckets, quantiles and exemplars.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use serde_json::Value;

use super::common::{request, resource_group, scope_group};
use super::object::{double, ObjectBuilder};

/// `ExportMetricsServiceRequest` (same shape as `MetricsData`) as OTLP/JSON.
pub fn metrics_to_json(req: &ExportMetricsServiceRequest) -> Value {
    request("resourceMetrics", &req.resource_metrics, resource_metrics)
}

fn resource_metrics(rm: &ResourceMetrics) -> Value {
    resource_group(
        rm.resource.as_ref(),
        "scopeMetrics",
        &rm.scope_metrics,
        scope_metrics,
        &rm.schema_url,
    )
}

fn scope_metrics(sm: &ScopeMetrics) -> Value {
    scope_group(
        sm.scope.as_ref(),
        "metrics",
        &sm.metrics,
        metric_json,
        &sm.schema_url,
    )
}

/// One `Metric` with its data (the `oneof` member is always written).
pub fn metric_json(m: &Metric) -> Value {
    let mut o = ObjectBuilder::new();
    o.string("name", &m.name);
    o.string("description", &m.description);
    o.string("unit", &m.unit);
    o.attrs("metadata", &m.metadata);
    match &m.data {
        None => {}
        Some(metric::Data::Gauge(g)) => o.put("gauge", gauge(g)),
        Some(metric::Data::Sum(s)) => o.put("sum", sum(s)),
        Some(metric::Data::Histogram(h)) => o.put("histogram", histogram(h)),
        Some(metric::Data::ExponentialHistogram(h)) => {
            o.put("exponentialHistogram", exp_histogram(h))
        }
        Some(metric::Data::Summary(s)) => o.put("summary", summary(s)),
    }
    o.into()
}

fn gauge(g: &Gauge) -> Value {
    let mut o = ObjectBuilder::new();
    o.list("dataPoints", &g.data_points, number_point);
    o.into()
}

fn sum(s: &Sum) -> Value {
    let mut o = ObjectBuilder::new();
    o.list("dataPoints", &s.data_points, number_point);
    o.int32("aggregationTemporality", s.aggregation_temporality as i64);
    o.bool("isMonotonic", s.is_monotonic);
    o.into()
}

fn histogram(h: &Histogram) -> Value {
    let mut o = ObjectBuilder::new();
    o.list("dataPoints", &h.data_points, histogram_point);
    o.int32("aggregationTemporality", h.aggregation_temporality as i64);
    o.into()
}

fn exp_histogram(h: &ExponentialHistogram) -> Value {
    let mut o = ObjectBuilder::new();
    o.list("dataPoints", &h.data_points, exp_histogram_point);
    o.int32("aggregationTemporality", h.aggregation_temporality as i64);
    o.into()
}

fn summary(s: &Summary) -> Value {
    let mut o = ObjectBuilder::new();
    o.list("dataPoints", &s.data_points, summary_point);
    o.into()
}

/// A data point's opening fields, shared by every point type: attributes,
/// start time, time.
fn point_object(attributes: &[KeyValue], start_time: u64, time: u64) -> ObjectBuilder {
    let mut o = ObjectBuilder::new();
    o.attrs("attributes", attributes);
    o.uint64("startTimeUnixNano", start_time);
    o.uint64("timeUnixNano", time);
    o
}

fn number_point(p: &NumberDataPoint) -> Value {
    let mut o = point_object(&p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    match p.value {
        None => {}
        Some(number_data_point::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(number_data_point::Value::AsInt(i)) => o.put("asInt", Value::String(i.to_string())),
    }
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.int32("flags", p.flags as i64);
    o.into()
}

fn histogram_point(p: &HistogramDataPoint) -> Value {
    let mut o = point_object(&p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    o.uint64("count", p.count);
    o.opt_double("sum", p.sum);
    o.u64_list("bucketCounts", &p.bucket_counts);
    o.f64_list("explicitBounds", &p.explicit_bounds);
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.int32("flags", p.flags as i64);
    o.opt_double("min", p.min);
    o.opt_double("max", p.max);
    o.into()
}

fn buckets(b: &Buckets) -> Value {
    let mut o = ObjectBuilder::new();
    o.int32("offset", b.offset as i64);
    o.u64_list("bucketCounts", &b.bucket_counts);
    o.into()
}

fn exp_histogram_point(p: &ExponentialHistogramDataPoint) -> Value {
    let mut o = point_object(&p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    o.uint64("count", p.count);
    o.opt_double("sum", p.sum);
    o.int32("scale", p.scale as i64);
    o.uint64("zeroCount", p.zero_count);
    o.msg("positive", p.positive.as_ref(), buckets);
    o.msg("negative", p.negative.as_ref(), buckets);
    o.int32("flags", p.flags as i64);
    o.list("exemplars", &p.exemplars, exemplar_json);
    o.opt_double("min", p.min);
    o.opt_double("max", p.max);
    o.double("zeroThreshold", p.zero_threshold);
    o.into()
}

fn quantile(q: &ValueAtQuantile) -> Value {
    let mut o = ObjectBuilder::new();
    o.double("quantile", q.quantile);
    o.double("value", q.value);
    o.into()
}

fn summary_point(p: &SummaryDataPoint) -> Value {
    let mut o = point_object(&p.attributes, p.start_time_unix_nano, p.time_unix_nano);
    o.uint64("count", p.count);
    o.double("sum", p.sum);
    o.list("quantileValues", &p.quantile_values, quantile);
    o.int32("flags", p.flags as i64);
    o.into()
}

fn exemplar_json(e: &Exemplar) -> Value {
    let mut o = ObjectBuilder::new();
    o.attrs("filteredAttributes", &e.filtered_attributes);
    o.uint64("timeUnixNano", e.time_unix_nano);
    match e.value {
        None => {}
        Some(exemplar::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(exemplar::Value::AsInt(i)) => o.put("asInt", Value::String(i.to_string())),
    }
    o.id("spanId", &e.span_id);
    o.id("traceId", &e.trace_id);
    o.into()
}
