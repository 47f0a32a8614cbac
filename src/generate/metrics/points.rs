//! Point builders and metric assembly: number points, delta exponential
//! histogram points (bucketed and downscaled like the SDKs do), and the
//! `Metric` message a metric's points become.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric, number_data_point, AggregationTemporality,
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, Sum, Summary, SummaryDataPoint,
};

use super::definitions::{Kind, MetricDef};
use super::INTERVAL_NS;
use crate::generate::rng;

/// Largest exponential histogram (positive or negative buckets).
const EXP_MAX_BUCKETS: i64 = 160;

/// A point of any type, tagged for grouping.
pub(super) enum Point {
    Number(NumberDataPoint),
    Histogram(HistogramDataPoint),
    Exp(ExponentialHistogramDataPoint),
    Summary(SummaryDataPoint),
}

pub(super) fn number(
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    value: number_data_point::Value,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        exemplars: vec![],
        flags: 0,
        value: Some(value),
    }
}

/// OTel bucket index of |v| > 0 at `scale`: bucket i holds
/// (base^i, base^(i+1)] with base = 2^(2^-scale).
pub fn exp_bucket_index(v: f64, scale: i32) -> i64 {
    let scaled = rng::log2(v.abs()) * pow2i(scale);
    (scaled.ceil() as i64) - 1
}

fn pow2i(k: i32) -> f64 {
    let mut x = 1.0;
    for _ in 0..k.unsigned_abs() {
        x *= 2.0;
    }
    if k < 0 {
        1.0 / x
    } else {
        x
    }
}

/// One delta exponential histogram point of `values`, at the series scale
/// or lower, so that neither side needs more than `EXP_MAX_BUCKETS` buckets.
pub(super) fn exp_point(
    attributes: Vec<KeyValue>,
    time: u64,
    max_scale: i32,
    signed: bool,
    values: &[f64],
) -> ExponentialHistogramDataPoint {
    let idx = |scale: i32, neg: bool| -> Vec<i64> {
        values
            .iter()
            .filter(|v| if neg { **v < 0.0 } else { **v > 0.0 })
            .map(|v| exp_bucket_index(*v, scale))
            .collect()
    };
    let mut scale = max_scale;
    let (mut pos, mut neg) = (idx(scale, false), idx(scale, true));
    let span = |v: &[i64]| match (v.iter().min(), v.iter().max()) {
        (Some(lo), Some(hi)) => hi - lo + 1,
        _ => 0,
    };
    while (span(&pos) > EXP_MAX_BUCKETS || span(&neg) > EXP_MAX_BUCKETS) && scale > -10 {
        scale -= 1;
        pos.iter_mut().for_each(|i| *i >>= 1);
        neg.iter_mut().for_each(|i| *i >>= 1);
    }
    let buckets = |v: &[i64]| -> Buckets {
        match v.iter().min() {
            None => Buckets::default(),
            Some(&lo) => {
                let hi = *v.iter().max().expect("non-empty");
                let mut counts = vec![0u64; (hi - lo + 1) as usize];
                for i in v {
                    counts[(i - lo) as usize] += 1;
                }
                Buckets {
                    offset: lo as i32,
                    bucket_counts: counts,
                }
            }
        }
    };
    let zero_count = values.iter().filter(|v| **v == 0.0).count() as u64;
    let sum = (values.iter().sum::<f64>() * 1e6).round() / 1e6;
    let (min, max) = if values.is_empty() {
        (None, None)
    } else {
        (
            Some(values.iter().copied().fold(f64::INFINITY, f64::min)),
            Some(values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        )
    };
    ExponentialHistogramDataPoint {
        attributes,
        start_time_unix_nano: time - INTERVAL_NS,
        time_unix_nano: time,
        count: values.len() as u64,
        sum: Some(sum),
        scale,
        zero_count,
        positive: Some(buckets(&pos)),
        negative: signed.then(|| buckets(&neg)),
        flags: 0,
        exemplars: vec![],
        min,
        max,
        zero_threshold: 0.0,
    }
}

pub(super) fn build_metric(def: &MetricDef, points: Vec<Point>) -> Metric {
    let data = match def.kind {
        Kind::GaugeDouble | Kind::GaugeInt => metric::Data::Gauge(Gauge {
            data_points: numbers(points),
        }),
        Kind::CounterInt | Kind::CounterDouble | Kind::UpDownInt => metric::Data::Sum(Sum {
            data_points: numbers(points),
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: def.kind != Kind::UpDownInt,
        }),
        Kind::DeltaSumInt => metric::Data::Sum(Sum {
            data_points: numbers(points),
            aggregation_temporality: AggregationTemporality::Delta as i32,
            is_monotonic: true,
        }),
        Kind::Histogram(_) => metric::Data::Histogram(Histogram {
            data_points: points
                .into_iter()
                .filter_map(|p| match p {
                    Point::Histogram(h) => Some(h),
                    _ => None,
                })
                .collect(),
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
        }),
        Kind::ExpHistogram { .. } => metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: points
                .into_iter()
                .filter_map(|p| match p {
                    Point::Exp(h) => Some(h),
                    _ => None,
                })
                .collect(),
            aggregation_temporality: AggregationTemporality::Delta as i32,
        }),
        Kind::Summary => metric::Data::Summary(Summary {
            data_points: points
                .into_iter()
                .filter_map(|p| match p {
                    Point::Summary(s) => Some(s),
                    _ => None,
                })
                .collect(),
        }),
    };
    Metric {
        name: def.name.to_string(),
        description: def.description.to_string(),
        unit: def.unit.to_string(),
        metadata: vec![],
        data: Some(data),
    }
}

fn numbers(points: Vec<Point>) -> Vec<NumberDataPoint> {
    points
        .into_iter()
        .filter_map(|p| match p {
            Point::Number(n) => Some(n),
            _ => None,
        })
        .collect()
}
