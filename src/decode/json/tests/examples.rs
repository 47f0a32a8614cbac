//! The official OTLP examples decode to what they say, and match their
//! protobuf twins.

use super::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality,
};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;

#[test]
fn trace_example_matches_its_protobuf_twin() {
    let v = parse(example!("trace.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Traces);
    let req = traces_from_value(&v).unwrap();
    let rs = &req.resource_spans[0];
    let res = rs.resource.as_ref().unwrap();
    assert_eq!(res.attributes, [kv("service.name", string("my.service"))]);
    let scope = rs.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("my.library", "1.0.0")
    );
    let attr = kv("my.scope.attribute", string("some scope attribute"));
    assert_eq!(scope.attributes, [attr]);
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(span.trace_id, TRACE_ID);
    assert_eq!(span.span_id, SPAN_ID);
    assert_eq!(
        span.parent_span_id,
        [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73]
    );
    assert_eq!(span.name, "I'm a server span");
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(span.kind, SpanKind::Server as i32);
    assert_eq!(span.attributes, [kv("my.span.attr", string("some value"))]);
    assert_eq!((span.flags, span.status.as_ref()), (0, None));

    let bin = ExportTraceServiceRequest::decode(&example!(bytes "trace.protobuf-bin")[..]);
    assert_eq!(req, bin.unwrap());
}

#[test]
fn logs_example_has_every_attribute_type() {
    let v = parse(example!("logs.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Logs);
    let rec = first_log(v);
    assert_eq!(rec.time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(rec.observed_time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(rec.severity_number, SeverityNumber::Info2 as i32);
    assert_eq!(rec.severity_text, "Information");
    assert_eq!(
        (rec.trace_id.as_slice(), rec.span_id.as_slice()),
        (&TRACE_ID[..], &SPAN_ID[..])
    );
    assert_eq!(rec.body, Some(av(string("Example log record"))));
    let array = ArrayValue {
        values: vec![av(string("many")), av(string("values"))],
    };
    let map = KeyValueList {
        values: vec![kv("some.map.key", string("some value"))],
    };
    let expected = [
        kv("string.attribute", string("some string")),
        kv("boolean.attribute", V::BoolValue(true)),
        kv("int.attribute", V::IntValue(10)),
        kv("double.attribute", V::DoubleValue(637.704)),
        kv("array.attribute", V::ArrayValue(array)),
        kv("map.attribute", V::KvlistValue(map)),
    ];
    assert_eq!(rec.attributes, expected);
    assert_eq!(
        (
            rec.flags,
            rec.dropped_attributes_count,
            rec.event_name.as_str()
        ),
        (0, 0, "")
    );
}

#[test]
fn events_example_has_event_name_and_map_body() {
    let v = parse(example!("events.json").as_bytes()).unwrap();
    assert_eq!(sniff_signal(&v).unwrap(), JsonSignal::Logs);
    let rec = first_log(v);
    assert_eq!(rec.event_name, "browser.page_view");
    assert_eq!(rec.severity_number, SeverityNumber::Info as i32);
    assert_eq!(rec.severity_text, "test severity text");
    assert!(rec.trace_id.is_empty() && rec.span_id.is_empty());
    assert_eq!(
        rec.attributes,
        [kv("event.attribute", string("some event attribute"))]
    );
    let Some(V::KvlistValue(body)) = rec.body.and_then(|b| b.value) else {
        panic!("body is not a kvlist");
    };
    let url = "https://www.guidgenerator.com/online-guid-generator.aspx";
    let expected = [
        kv("type", V::IntValue(0)),
        kv("url", string(url)),
        kv("referrer", string("https://wwww.google.com")),
        kv("title", string("Free Online GUID Generator")),
    ];
    assert_eq!(body.values, expected);
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
    let bin =
        ExportMetricsServiceRequest::decode(&example!(bytes "metrics.protobuf-bin")[..]).unwrap();
    assert_eq!(bin.resource_metrics[0].scope_metrics[0].metrics.len(), 3);
    let metrics = &mut json.resource_metrics[0].scope_metrics[0].metrics;
    let extra = metrics.pop().unwrap();
    assert!(matches!(extra.data, Some(Data::ExponentialHistogram(_))));
    assert_eq!(json, bin);
}
