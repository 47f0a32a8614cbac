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

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric, number_data_point,
    summary_data_point::ValueAtQuantile, AggregationTemporality, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};

use super::catalog::{self, kv_int, kv_str, Service, BASE_TIME_NS};
use super::rng::{self, derive_seed, RngCore, SplitMix64};

/// Collection interval.
pub const INTERVAL_NS: u64 = 10_000_000_000;
/// Largest exponential histogram (positive or negative buckets).
const EXP_MAX_BUCKETS: i64 = 160;
/// Chance per point that a cumulative series restarts.
const RESET_CHANCE: f64 = 0.004;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    CounterInt,
    CounterDouble,
    DeltaSumInt,
    UpDownInt,
    GaugeDouble,
    GaugeInt,
    Histogram(&'static [f64]),
    ExpHistogram { signed: bool },
    Summary,
}

struct MetricDef {
    name: &'static str,
    description: &'static str,
    unit: &'static str,
    kind: Kind,
    scope: usize,
    http: bool,
}

const HTTP_BOUNDS: &[f64] = &[5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
const DB_BOUNDS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

const SCOPES: &[&str] = &[
    "opentelemetry.instrumentation.http",
    "opentelemetry.instrumentation.system_metrics",
    "opentelemetry.instrumentation.runtime",
    "opentelemetry.instrumentation.kafka",
    "opentelemetry.instrumentation.sql",
    "opentelemetry.instrumentation.grpc",
];
/// Index of the per-service application scope.
const SCOPE_APP: usize = 6;

const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "http.server.requests",
        description: "Number of HTTP requests served",
        unit: "{request}",
        kind: Kind::CounterInt,
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "http.server.duration",
        description: "Duration of HTTP server requests",
        unit: "ms",
        kind: Kind::Histogram(HTTP_BOUNDS),
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "system.cpu.utilization",
        description: "CPU utilization",
        unit: "1",
        kind: Kind::GaugeDouble,
        scope: 1,
        http: false,
    },
    MetricDef {
        name: "process.memory.usage",
        description: "Resident memory of the process",
        unit: "By",
        kind: Kind::GaugeInt,
        scope: 2,
        http: false,
    },
    MetricDef {
        name: "process.cpu.time",
        description: "CPU time used by the process",
        unit: "s",
        kind: Kind::CounterDouble,
        scope: 2,
        http: false,
    },
    MetricDef {
        name: "messaging.messages.processed",
        description: "Messages processed in the interval",
        unit: "{message}",
        kind: Kind::DeltaSumInt,
        scope: 3,
        http: false,
    },
    MetricDef {
        name: "db.client.connections.usage",
        description: "Connections in use",
        unit: "{connection}",
        kind: Kind::UpDownInt,
        scope: 4,
        http: false,
    },
    MetricDef {
        name: "http.server.request.body.size",
        description: "Size of HTTP request bodies",
        unit: "By",
        kind: Kind::ExpHistogram { signed: false },
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "db.client.operation.duration",
        description: "Duration of database operations",
        unit: "ms",
        kind: Kind::Histogram(DB_BOUNDS),
        scope: 4,
        http: false,
    },
    MetricDef {
        name: "rpc.server.latency",
        description: "RPC server latency",
        unit: "ms",
        kind: Kind::Summary,
        scope: 5,
        http: false,
    },
    MetricDef {
        name: "app.clock.drift",
        description: "Difference between local and reference clock",
        unit: "ms",
        kind: Kind::ExpHistogram { signed: true },
        scope: SCOPE_APP,
        http: false,
    },
];

/// Order in which series are assigned metrics: every metric once, then the
/// common ones again (so summaries stay a few).
const ASSIGNMENT: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 0];

/// Mutable per-series state.
#[derive(Debug, Clone)]
enum State {
    Counter { value: f64, rate: f64 },
    Delta { rate: f64 },
    UpDown { value: i64, pool: i64 },
    Gauge { value: f64, mean: f64 },
    Histogram(Box<HistState>),
    Exp { scale: i32, rate: f64 },
    Summary { count: u64, sum: f64, rate: f64 },
}

#[derive(Debug, Clone)]
struct HistState {
    counts: Vec<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    rate: f64,
    median: f64,
}

struct Series {
    service: usize,
    metric: usize,
    /// Attribute combination number (tenant, route, instance).
    combo: u64,
    rng: SplitMix64,
    start: u64,
    last_time: u64,
    state: State,
}

/// A point of any type, tagged for grouping.
enum Point {
    Number(NumberDataPoint),
    Histogram(HistogramDataPoint),
    Exp(ExponentialHistogramDataPoint),
    Summary(SummaryDataPoint),
}

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
                let mut rng = SplitMix64::new(derive_seed(seed, 0x6d65_7400_0000 + i));
                let start = BASE_TIME_NS - rng.below(3_600_000) * 1_000_000;
                let state = initial_state(METRICS[metric].kind, &mut rng);
                Series {
                    service,
                    metric,
                    combo,
                    rng,
                    start,
                    last_time: BASE_TIME_NS,
                    state,
                }
            })
            .collect();
        let shared_scopes = SCOPES
            .iter()
            .map(|name| catalog::scope(*name, "0.48b0"))
            .collect();
        let app_scopes = services
            .iter()
            .map(|s| catalog::scope(format!("com.example.{}", s.name), &s.version))
            .collect();
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
            let point = next_point(s, def.kind, time, attrs);
            let scope = def.scope;
            groups
                .entry((s.service, scope, s.metric))
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
        let mut resource_metrics: Vec<ResourceMetrics> = Vec::new();
        let mut cur_svc = None;
        let mut cur_scope = None;
        for ((svc, scope, m), points) in groups {
            if cur_svc != Some(svc) {
                resource_metrics.push(ResourceMetrics {
                    resource: Some(self.services[svc].resource.clone()),
                    scope_metrics: vec![],
                    schema_url: catalog::SCHEMA_URL.to_string(),
                });
                cur_svc = Some(svc);
                cur_scope = None;
            }
            let rm = resource_metrics.last_mut().expect("resource");
            if cur_scope != Some(scope) {
                rm.scope_metrics.push(ScopeMetrics {
                    scope: Some(if scope == SCOPE_APP {
                        self.app_scopes[svc].clone()
                    } else {
                        self.shared_scopes[scope].clone()
                    }),
                    metrics: vec![],
                    schema_url: catalog::SCHEMA_URL.to_string(),
                });
                cur_scope = Some(scope);
            }
            let sm = rm.scope_metrics.last_mut().expect("scope");
            sm.metrics.push(build_metric(&METRICS[m], points));
        }
        Some((ExportMetricsServiceRequest { resource_metrics }, count))
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

fn initial_state(kind: Kind, rng: &mut SplitMix64) -> State {
    match kind {
        Kind::CounterInt => State::Counter {
            value: rng.below(5_000) as f64,
            rate: rng.lognormal(20.0, 1.0),
        },
        Kind::CounterDouble => State::Counter {
            value: rng.uniform(0.0, 500.0),
            rate: rng.uniform(0.05, 0.8),
        },
        Kind::DeltaSumInt => State::Delta {
            rate: rng.lognormal(5.0, 0.8),
        },
        Kind::UpDownInt => {
            let pool = rng.range_inclusive(10, 50) as i64;
            State::UpDown {
                value: rng.below(pool as u64) as i64,
                pool,
            }
        }
        Kind::GaugeDouble => {
            let mean = rng.uniform(0.1, 0.7);
            State::Gauge { value: mean, mean }
        }
        Kind::GaugeInt => {
            let mean = rng.lognormal(300.0 * 1024.0 * 1024.0, 0.5).round();
            State::Gauge { value: mean, mean }
        }
        Kind::Histogram(bounds) => State::Histogram(Box::new(HistState {
            counts: vec![0; bounds.len() + 1],
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            rate: rng.lognormal(2.0, 0.8),
            median: if bounds == HTTP_BOUNDS {
                rng.lognormal(40.0, 0.3)
            } else {
                rng.lognormal(3.0, 0.3)
            },
        })),
        Kind::ExpHistogram { .. } => State::Exp {
            scale: rng.range_inclusive(3, 8) as i32,
            rate: rng.lognormal(3.0, 0.8),
        },
        Kind::Summary => State::Summary {
            count: 0,
            sum: 0.0,
            rate: rng.lognormal(3.0, 0.7),
        },
    }
}

/// Events in one interval at `rate` per second (±20 %), capped at 200.
fn events_in_interval(rng: &mut SplitMix64, rate: f64) -> u64 {
    let n = (rate * 10.0 * (1.0 + 0.2 * rng.normal())).round();
    n.clamp(0.0, 200.0) as u64
}

fn next_point(s: &mut Series, kind: Kind, time: u64, attributes: Vec<KeyValue>) -> Point {
    let rng = &mut s.rng;
    let first = s.last_time == BASE_TIME_NS;
    let prev_time = s.last_time;
    s.last_time = time;
    // A restart of a cumulative series: new start time between the last
    // export and this one, state from zero.
    let cumulative = matches!(
        kind,
        Kind::CounterInt | Kind::CounterDouble | Kind::Histogram(_) | Kind::Summary
    );
    let reset = cumulative && !first && rng.chance(RESET_CHANCE);
    if reset {
        s.start = prev_time + 1_000_000_000 + rng.below(8_000) * 1_000_000;
    }
    let elapsed = (time - s.start.max(prev_time)) as f64 / INTERVAL_NS as f64;
    match (&mut s.state, kind) {
        (State::Counter { value, rate }, Kind::CounterInt) => {
            if reset {
                *value = 0.0;
            }
            let inc = (*rate * 10.0 * elapsed * (1.0 + 0.2 * rng.normal())).round();
            *value += inc.max(0.0);
            Point::Number(number(
                attributes,
                s.start,
                time,
                number_data_point::Value::AsInt(*value as i64),
            ))
        }
        (State::Counter { value, rate }, _) => {
            if reset {
                *value = 0.0;
            }
            let inc = *rate * 10.0 * elapsed * (1.0 + 0.1 * rng.normal());
            *value += inc.max(0.0);
            *value = (*value * 1e6).round() / 1e6;
            Point::Number(number(
                attributes,
                s.start,
                time,
                number_data_point::Value::AsDouble(*value),
            ))
        }
        (State::Delta { rate }, _) => {
            let n = events_in_interval(rng, *rate);
            Point::Number(number(
                attributes,
                time - INTERVAL_NS,
                time,
                number_data_point::Value::AsInt(n as i64),
            ))
        }
        (State::UpDown { value, pool }, _) => {
            *value = (*value + rng.range_inclusive(0, 6) as i64 - 3).clamp(0, *pool);
            Point::Number(number(
                attributes,
                s.start,
                time,
                number_data_point::Value::AsInt(*value),
            ))
        }
        (State::Gauge { value, mean }, Kind::GaugeDouble) => {
            let target = *mean + 0.1 * rng.normal();
            *value = (0.7 * *value + 0.3 * target).clamp(0.0, 1.0);
            let v = (*value * 1e4).round() / 1e4;
            Point::Number(number(
                attributes,
                0,
                time,
                number_data_point::Value::AsDouble(v),
            ))
        }
        (State::Gauge { value, mean }, _) => {
            let target = *mean * (1.0 + 0.05 * rng.normal());
            *value = (0.8 * *value + 0.2 * target).max(1.0).round();
            Point::Number(number(
                attributes,
                0,
                time,
                number_data_point::Value::AsInt(*value as i64),
            ))
        }
        (State::Histogram(h), Kind::Histogram(bounds)) => {
            if reset {
                h.counts.iter_mut().for_each(|c| *c = 0);
                h.count = 0;
                h.sum = 0.0;
                h.min = f64::INFINITY;
                h.max = f64::NEG_INFINITY;
            }
            let n = events_in_interval(rng, h.rate * elapsed.min(1.0));
            let mut last = None;
            for _ in 0..n {
                let v = (rng.lognormal(h.median, 0.9) * 1000.0).round() / 1000.0;
                let b = bounds
                    .iter()
                    .position(|ub| v <= *ub)
                    .unwrap_or(bounds.len());
                h.counts[b] += 1;
                h.count += 1;
                h.sum += v;
                h.min = h.min.min(v);
                h.max = h.max.max(v);
                last = Some(v);
            }
            h.sum = (h.sum * 1e6).round() / 1e6;
            let mut exemplars = Vec::new();
            if let Some(v) = last {
                if rng.chance(0.1) {
                    exemplars.push(Exemplar {
                        filtered_attributes: vec![kv_str(
                            "client.address",
                            format!("10.0.{}.{}", rng.below(256), rng.below(256)),
                        )],
                        time_unix_nano: time - rng.below(INTERVAL_NS),
                        span_id: rng.span_id(),
                        trace_id: rng.trace_id(),
                        value: Some(exemplar::Value::AsDouble(v)),
                    });
                }
            }
            Point::Histogram(HistogramDataPoint {
                attributes,
                start_time_unix_nano: s.start,
                time_unix_nano: time,
                count: h.count,
                sum: Some(h.sum),
                bucket_counts: h.counts.clone(),
                explicit_bounds: bounds.to_vec(),
                exemplars,
                flags: 0,
                min: (h.count > 0).then_some(h.min),
                max: (h.count > 0).then_some(h.max),
            })
        }
        (State::Exp { scale, rate }, Kind::ExpHistogram { signed }) => {
            let n = events_in_interval(rng, *rate);
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    if signed {
                        (rng.normal_with(0.0, 5.0) * 1000.0).round() / 1000.0
                    } else if rng.chance(0.1) {
                        0.0
                    } else {
                        rng.lognormal(2048.0, 1.2).round().max(1.0)
                    }
                })
                .collect();
            Point::Exp(exp_point(attributes, time, *scale, signed, &values))
        }
        (State::Summary { count, sum, rate }, _) => {
            if reset {
                *count = 0;
                *sum = 0.0;
            }
            let n = events_in_interval(rng, *rate * elapsed.min(1.0)).max(1);
            let mut values: Vec<f64> = (0..n)
                .map(|_| (rng.lognormal(12.0, 0.7) * 1000.0).round() / 1000.0)
                .collect();
            values.sort_by(f64::total_cmp);
            *count += n;
            *sum = ((*sum + values.iter().sum::<f64>()) * 1e6).round() / 1e6;
            let quantile_values = [0.0, 0.5, 0.9, 0.99, 1.0]
                .iter()
                .map(|&q| {
                    let rank = ((q * n as f64).ceil() as usize).clamp(1, n as usize);
                    ValueAtQuantile {
                        quantile: q,
                        value: values[rank - 1],
                    }
                })
                .collect();
            Point::Summary(SummaryDataPoint {
                attributes,
                start_time_unix_nano: s.start,
                time_unix_nano: time,
                count: *count,
                sum: *sum,
                quantile_values,
                flags: 0,
            })
        }
        _ => unreachable!("state matches kind"),
    }
}

fn number(
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
fn exp_point(
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

fn build_metric(def: &MetricDef, points: Vec<Point>) -> Metric {
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
