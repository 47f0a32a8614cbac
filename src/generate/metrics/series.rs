//! The series model: one time series' random stream and running state
//! (counter value, histogram buckets, ...) and how it advances by one
//! collection interval, including the occasional restart of a cumulative
//! series.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, number_data_point, summary_data_point::ValueAtQuantile, Exemplar, HistogramDataPoint,
    SummaryDataPoint,
};

use super::definitions::{Kind, HTTP_BOUNDS};
use super::points::{exp_point, number, Point};
use super::INTERVAL_NS;
use crate::generate::catalog::{kv_str, BASE_TIME_NS};
use crate::generate::rng::{derive_seed, RngCore, SplitMix64};

/// Chance per point that a cumulative series restarts.
const RESET_CHANCE: f64 = 0.004;

/// One time series: which service and metric it belongs to, its random
/// stream and its running state.
pub(super) struct Series {
    pub(super) service: usize,
    pub(super) metric: usize,
    /// Attribute combination number (tenant, route, instance).
    pub(super) combo: u64,
    rng: SplitMix64,
    start: u64,
    last_time: u64,
    state: State,
}

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

impl Series {
    /// Series number `index` of a dataset seeded with `seed`, drawing from
    /// its own random stream.
    pub(super) fn new(
        seed: u64,
        index: u64,
        service: usize,
        metric: usize,
        kind: Kind,
        combo: u64,
    ) -> Self {
        let mut rng = SplitMix64::new(derive_seed(seed, 0x6d65_7400_0000 + index));
        let start = BASE_TIME_NS - rng.below(3_600_000) * 1_000_000;
        let state = initial_state(kind, &mut rng);
        Series {
            service,
            metric,
            combo,
            rng,
            start,
            last_time: BASE_TIME_NS,
            state,
        }
    }

    /// Advances the series to `time` and returns its point there.
    pub(super) fn next_point(&mut self, kind: Kind, time: u64, attributes: Vec<KeyValue>) -> Point {
        let rng = &mut self.rng;
        let first = self.last_time == BASE_TIME_NS;
        let prev_time = self.last_time;
        self.last_time = time;
        // A restart of a cumulative series: new start time between the last
        // export and this one, state from zero.
        let cumulative = matches!(
            kind,
            Kind::CounterInt | Kind::CounterDouble | Kind::Histogram(_) | Kind::Summary
        );
        let reset = cumulative && !first && rng.chance(RESET_CHANCE);
        if reset {
            self.start = prev_time + 1_000_000_000 + rng.below(8_000) * 1_000_000;
        }
        let start = self.start;
        let elapsed = (time - start.max(prev_time)) as f64 / INTERVAL_NS as f64;
        match (&mut self.state, kind) {
            (State::Counter { value, rate }, Kind::CounterInt) => {
                if reset {
                    *value = 0.0;
                }
                let inc = (*rate * 10.0 * elapsed * (1.0 + 0.2 * rng.normal())).round();
                *value += inc.max(0.0);
                let v = number_data_point::Value::AsInt(*value as i64);
                Point::Number(number(attributes, start, time, v))
            }
            (State::Counter { value, rate }, _) => {
                if reset {
                    *value = 0.0;
                }
                let inc = *rate * 10.0 * elapsed * (1.0 + 0.1 * rng.normal());
                *value += inc.max(0.0);
                *value = (*value * 1e6).round() / 1e6;
                let v = number_data_point::Value::AsDouble(*value);
                Point::Number(number(attributes, start, time, v))
            }
            (State::Delta { rate }, _) => {
                let n = events_in_interval(rng, *rate);
                let v = number_data_point::Value::AsInt(n as i64);
                Point::Number(number(attributes, time - INTERVAL_NS, time, v))
            }
            (State::UpDown { value, pool }, _) => {
                *value = (*value + rng.range_inclusive(0, 6) as i64 - 3).clamp(0, *pool);
                let v = number_data_point::Value::AsInt(*value);
                Point::Number(number(attributes, start, time, v))
            }
            (State::Gauge { value, mean }, Kind::GaugeDouble) => {
                let target = *mean + 0.1 * rng.normal();
                *value = (0.7 * *value + 0.3 * target).clamp(0.0, 1.0);
                let v = number_data_point::Value::AsDouble((*value * 1e4).round() / 1e4);
                Point::Number(number(attributes, 0, time, v))
            }
            (State::Gauge { value, mean }, _) => {
                let target = *mean * (1.0 + 0.05 * rng.normal());
                *value = (0.8 * *value + 0.2 * target).max(1.0).round();
                let v = number_data_point::Value::AsInt(*value as i64);
                Point::Number(number(attributes, 0, time, v))
            }
            (State::Histogram(h), Kind::Histogram(bounds)) => {
                if reset {
                    h.clear();
                }
                let n = events_in_interval(rng, h.rate * elapsed.min(1.0));
                let last = h.observe(rng, bounds, n);
                let exemplars = sampled_exemplar(rng, last, time);
                Point::Histogram(HistogramDataPoint {
                    attributes,
                    start_time_unix_nano: start,
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
                let values = exp_values(rng, n, signed);
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
                Point::Summary(SummaryDataPoint {
                    attributes,
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    count: *count,
                    sum: *sum,
                    quantile_values: quantiles(&values),
                    flags: 0,
                })
            }
            _ => unreachable!("state matches kind"),
        }
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

impl HistState {
    /// Back to zero, as after a process restart.
    fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.count = 0;
        self.sum = 0.0;
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
    }

    /// Records `n` new observations; returns the last one.
    fn observe(&mut self, rng: &mut SplitMix64, bounds: &[f64], n: u64) -> Option<f64> {
        let mut last = None;
        for _ in 0..n {
            let v = (rng.lognormal(self.median, 0.9) * 1000.0).round() / 1000.0;
            let b = bounds
                .iter()
                .position(|ub| v <= *ub)
                .unwrap_or(bounds.len());
            self.counts[b] += 1;
            self.count += 1;
            self.sum += v;
            self.min = self.min.min(v);
            self.max = self.max.max(v);
            last = Some(v);
        }
        self.sum = (self.sum * 1e6).round() / 1e6;
        last
    }
}

/// Now and then an exemplar for the interval's last observation.
fn sampled_exemplar(rng: &mut SplitMix64, last: Option<f64>, time: u64) -> Vec<Exemplar> {
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
    exemplars
}

/// `n` observations for an exponential histogram: around zero when
/// `signed`, else positive sizes with some exact zeros.
fn exp_values(rng: &mut SplitMix64, n: u64, signed: bool) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if signed {
                (rng.normal_with(0.0, 5.0) * 1000.0).round() / 1000.0
            } else if rng.chance(0.1) {
                0.0
            } else {
                rng.lognormal(2048.0, 1.2).round().max(1.0)
            }
        })
        .collect()
}

/// The 0, 0.5, 0.9, 0.99 and 1 quantiles of sorted, non-empty `values`
/// (nearest rank).
fn quantiles(values: &[f64]) -> Vec<ValueAtQuantile> {
    let n = values.len();
    [0.0, 0.5, 0.9, 0.99, 1.0]
        .iter()
        .map(|&q| {
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            ValueAtQuantile {
                quantile: q,
                value: values[rank - 1],
            }
        })
        .collect()
}
