//! Tests for the metrics generator: exact point counts, every point type,
//! distinct series, counter resets and consistent exponential histograms.

use super::*;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use std::collections::{HashMap, HashSet};

/// Every metric of every frame, its name prefixed with the service's.
fn collect(seed: u64, series: u64, points: u64, batch: u64) -> Vec<Metric> {
    let mut g = MetricGenerator::new(seed, series, points, 5, 10);
    let mut out = Vec::new();
    while let Some((req, n)) = g.next_batch(batch) {
        let mut c = 0u64;
        for rm in req.resource_metrics {
            let svc = format!("{:?}", rm.resource.unwrap().attributes[0]);
            for sm in rm.scope_metrics {
                for mut m in sm.metrics {
                    c += point_count(&m);
                    m.name = format!("{svc}/{}", m.name);
                    out.push(m);
                }
            }
        }
        assert_eq!(c, n);
        assert!(n <= batch);
    }
    out
}

fn point_count(m: &Metric) -> u64 {
    (match m.data.as_ref().unwrap() {
        metric::Data::Gauge(g) => g.data_points.len(),
        metric::Data::Sum(s) => s.data_points.len(),
        metric::Data::Histogram(h) => h.data_points.len(),
        metric::Data::ExponentialHistogram(h) => h.data_points.len(),
        metric::Data::Summary(s) => s.data_points.len(),
    }) as u64
}

#[test]
fn exact_points_and_every_type() {
    let metrics = collect(5, 100, 60, 333);
    assert_eq!(metrics.iter().map(point_count).sum::<u64>(), 6000);
    let mut types = HashSet::new();
    for m in &metrics {
        types.insert(std::mem::discriminant(m.data.as_ref().unwrap()));
    }
    assert_eq!(types.len(), 5);
}

#[test]
fn series_are_distinct_and_counters_reset_sometimes() {
    let metrics = collect(9, 400, 200, 1000);
    let mut series: HashMap<String, Vec<(u64, u64, f64)>> = HashMap::new();
    for m in &metrics {
        if let metric::Data::Sum(s) = m.data.as_ref().unwrap() {
            if s.aggregation_temporality == 2 && s.is_monotonic {
                for p in &s.data_points {
                    let key = format!("{}{:?}", m.name, p.attributes);
                    let v = match p.value.unwrap() {
                        number_data_point::Value::AsInt(i) => i as f64,
                        number_data_point::Value::AsDouble(d) => d,
                    };
                    series.entry(key).or_default().push((
                        p.start_time_unix_nano,
                        p.time_unix_nano,
                        v,
                    ));
                }
            }
        }
    }
    let mut resets = 0;
    for pts in series.values() {
        assert_eq!(pts.len(), 200);
        for w in pts.windows(2) {
            assert!(w[1].1 > w[0].1);
            assert!(w[1].0 < w[1].1);
            if w[1].0 != w[0].0 {
                resets += 1;
                assert!(w[1].0 > w[0].1);
            } else {
                assert!(w[1].2 >= w[0].2);
            }
        }
    }
    assert!(resets > 0);
}

#[test]
fn every_series_has_its_own_attribute_set() {
    for (series, card) in [(500u64, 3u32), (40, 1), (7, 50)] {
        let mut g = MetricGenerator::new(1, series, 1, 5, card);
        let (req, n) = g.next_batch(u64::MAX).unwrap();
        assert_eq!(n, series);
        let mut keys = HashSet::new();
        for rm in &req.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    let attrs: Vec<String> = match m.data.as_ref().unwrap() {
                        metric::Data::Gauge(g) => g
                            .data_points
                            .iter()
                            .map(|p| format!("{:?}", p.attributes))
                            .collect(),
                        metric::Data::Sum(s) => s
                            .data_points
                            .iter()
                            .map(|p| format!("{:?}", p.attributes))
                            .collect(),
                        metric::Data::Histogram(h) => h
                            .data_points
                            .iter()
                            .map(|p| format!("{:?}", p.attributes))
                            .collect(),
                        metric::Data::ExponentialHistogram(h) => h
                            .data_points
                            .iter()
                            .map(|p| format!("{:?}", p.attributes))
                            .collect(),
                        metric::Data::Summary(s) => s
                            .data_points
                            .iter()
                            .map(|p| format!("{:?}", p.attributes))
                            .collect(),
                    };
                    for a in attrs {
                        let svc = format!("{:?}", rm.resource.as_ref().unwrap().attributes[0]);
                        assert!(keys.insert((svc, m.name.clone(), a)), "duplicate series");
                    }
                }
            }
        }
        assert_eq!(keys.len() as u64, series);
    }
}

#[test]
fn exp_histograms_are_consistent() {
    let metrics = collect(2, 300, 30, 500);
    let mut seen = 0;
    for m in &metrics {
        if let metric::Data::ExponentialHistogram(h) = m.data.as_ref().unwrap() {
            for p in &h.data_points {
                seen += 1;
                let pos: u64 = p.positive.as_ref().unwrap().bucket_counts.iter().sum();
                let neg: u64 = p
                    .negative
                    .as_ref()
                    .map(|b| b.bucket_counts.iter().sum())
                    .unwrap_or(0);
                assert_eq!(pos + neg + p.zero_count, p.count);
                assert!(p.scale <= 8);
                assert!(p.positive.as_ref().unwrap().bucket_counts.len() <= 160);
            }
        }
    }
    assert!(seen > 0);
}

#[test]
fn bucket_index_matches_definition() {
    // scale 0: bucket i holds (2^i, 2^(i+1)]
    assert_eq!(exp_bucket_index(1.5, 0), 0);
    assert_eq!(exp_bucket_index(3.0, 0), 1);
    assert_eq!(exp_bucket_index(0.75, 0), -1);
    // scale 1: base sqrt(2)
    assert_eq!(exp_bucket_index(1.2, 1), 0);
    assert_eq!(exp_bucket_index(1.5, 1), 1);
    assert_eq!(exp_bucket_index(-3.0, 0), 1);
}
