//! Synthetic metrics: `series` time series spread over services and metric
//! names, `points` points each at 10 s intervals, exported time-major (every
//! series' point at t, then every series' point at t+10 s, as an SDK's
//! periodic reader would).
//!
//! The catalog covers every point type: cumulative monotonic counters (int
//! and double) with occasional resets, delta sums, a cumulative up-down
//! counter, gauges, cumulative explicit-bucket histograms with exemplars,
//! delta exponential histograms (scale 3..8, downscaled to at most 160
//! buckets like the SDKs do, one with negative values) and summaries.
//! Each series draws from its own random stream, so the values do not
//! depend on `--batch`.
//!
//! Layout: [`definitions`] lists the metrics, [`series`] advances one time
//! series by an interval, [`points`] builds points and `Metric` messages;
//! this module assigns series to services and metrics and assembles frames.

mod definitions;
mod points;
mod series;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{ResourceMetrics, ScopeMetrics};

use super::catalog::{self, kv_int, kv_str, Service, BASE_TIME_NS};
use super::grouping::group_by_outer_key;
use definitions::{Kind, ASSIGNMENT, METRICS, SCOPES, SCOPE_APP};
use points::{build_metric, Point};
use series::Series;

pub use points::exp_bucket_index;

/// Collection interval.
pub const INTERVAL_NS: u64 = 10_000_000_000;

/// Streams `series × points` data points in frames of at most `batch` points.
pub struct MetricGenerator {
    services: Vec<Service>,
    series: Vec<Series>,
    points: u64,
    cardinality: u64,
    t: u64,
    next_series: usize,
    shared_scopes: Vec<InstrumentationScope>,
    app_scopes: Vec<InstrumentationScope>,
}

impl MetricGenerator {
    pub fn new(seed: u64, series: u64, points: u64, services: u32, cardinality: u32) -> Self {
        let services = catalog::services(services.max(1), seed);
        let nsvc = services.len() as u64;
        let cardinality = cardinality.max(1) as u64;
        let series = (0..series)
            .map(|i| {
                let service = (i % nsvc) as usize;
                let slot = i / nsvc;
                let pos = (slot % ASSIGNMENT.len() as u64) as usize;
                let metric = ASSIGNMENT[pos];
                // distinct attribute combinations for every series of a metric
                let reps = ASSIGNMENT.iter().filter(|m| **m == metric).count() as u64;
                let occurrence = ASSIGNMENT[..pos].iter().filter(|m| **m == metric).count() as u64;
                let combo = slot / ASSIGNMENT.len() as u64 * reps + occurrence;
                Series::new(seed, i, service, metric, METRICS[metric].kind, combo)
            })
            .collect();
        let shared_scopes = SCOPES
            .iter()
            .map(|name| catalog::instrumentation_scope(name))
            .collect();
        let app_scopes = services.iter().map(catalog::app_scope).collect();
        Self {
            services,
            series,
            points,
            cardinality,
            t: 0,
            next_series: 0,
            shared_scopes,
            app_scopes,
        }
    }

    /// The next frame: up to `batch` points grouped by service, scope and
    /// metric; `None` once every point is out.
    pub fn next_batch(&mut self, batch: u64) -> Option<(ExportMetricsServiceRequest, u64)> {
        let mut groups: BTreeMap<(usize, usize, usize), Vec<Point>> = BTreeMap::new();
        let mut count = 0u64;
        while count < batch.max(1) && self.t < self.points && !self.series.is_empty() {
            let idx = self.next_series;
            let time = BASE_TIME_NS + (self.t + 1) * INTERVAL_NS;
            let attrs = self.attributes(idx);
            let s = &mut self.series[idx];
            let def = &METRICS[s.metric];
            let point = s.next_point(def.kind, time, attrs);
            groups
                .entry((s.service, def.scope, s.metric))
                .or_default()
                .push(point);
            count += 1;
            self.next_series += 1;
            if self.next_series == self.series.len() {
                self.next_series = 0;
                self.t += 1;
            }
        }
        if count == 0 {
            return None;
        }
        let by_service = groups
            .into_iter()
            .map(|((svc, scope, metric), points)| ((svc, (scope, metric)), points));
        let resource_metrics = group_by_outer_key(by_service)
            .into_iter()
            .map(|(svc, metrics)| ResourceMetrics {
                resource: Some(self.services[svc].resource.clone()),
                scope_metrics: group_by_outer_key(metrics)
                    .into_iter()
                    .map(|(scope, metrics)| ScopeMetrics {
                        scope: Some(self.scope(svc, scope).clone()),
                        metrics: metrics
                            .into_iter()
                            .map(|(m, points)| build_metric(&METRICS[m], points))
                            .collect(),
                        schema_url: catalog::SCHEMA_URL.to_string(),
                    })
                    .collect(),
                schema_url: catalog::SCHEMA_URL.to_string(),
            })
            .collect();
        Some((ExportMetricsServiceRequest { resource_metrics }, count))
    }

    /// Scope number `scope` ([`SCOPES`] or [`SCOPE_APP`]) of service `svc`.
    fn scope(&self, svc: usize, scope: usize) -> &InstrumentationScope {
        if scope == SCOPE_APP {
            &self.app_scopes[svc]
        } else {
            &self.shared_scopes[scope]
        }
    }

    /// Point attributes of series `idx`: `tenant` (cardinality values), the
    /// route for HTTP metrics, and an `instance` number once those run out,
    /// so that every series has a distinct attribute set.
    fn attributes(&self, idx: usize) -> Vec<KeyValue> {
        let s = &self.series[idx];
        let def = &METRICS[s.metric];
        let mut attrs = Vec::with_capacity(4);
        let mut q = s.combo / self.cardinality;
        if def.http {
            let routes = &self.services[s.service].routes;
            let (method, route) = &routes[(q % routes.len() as u64) as usize];
            attrs.push(kv_str("http.method", *method));
            attrs.push(kv_str("http.route", route.clone()));
            q /= routes.len() as u64;
        }
        match def.kind {
            Kind::Histogram(_) | Kind::UpDownInt if !def.http => {
                let system = self.services[s.service]
                    .db
                    .as_ref()
                    .map(|d| d.system)
                    .unwrap_or("postgresql");
                attrs.push(kv_str("db.system", system));
            }
            Kind::DeltaSumInt => attrs.push(kv_str("messaging.destination.name", "orders")),
            _ => {}
        }
        attrs.push(kv_str(
            "tenant",
            catalog::tenant(s.combo % self.cardinality),
        ));
        if q > 0 {
            attrs.push(kv_int("instance", q as i64));
        }
        attrs
    }
}
