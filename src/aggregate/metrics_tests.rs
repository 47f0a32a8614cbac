//! The streaming metric reducer against the sort-everything reference
//! (`metrics_reference`): random point streams of every type, in any order,
//! split into any frames, at any thread count, give the reference's columns.

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use proptest::prelude::*;

use super::backend::Backend;
use super::exp_histogram::{ExpBuckets, ExpHistogram};
use super::metric_reducer::{MetricReducer, MetricStats};
use super::metric_series::Replay;
use super::metrics::{
    ExpHistogramPoint, HistogramPoint, MetricRows, PointMeta, SummaryPoint, Temporality,
};
use super::metrics_finish::finish_metrics;
use super::metrics_reference::{concat, reference_finish};
use crate::decode::PointType;

/// A tiny deterministic generator (the property's seed drives everything).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One generated point, with the key of its group (type, series family, window).
#[derive(Debug, Clone)]
enum Point {
    Number(String, PointType, (PointMeta, f64)),
    Hist(String, HistogramPoint),
    Exp(String, ExpHistogramPoint),
    Summary(String, SummaryPoint),
}

fn meta(series: u64, start: u64, time: u64, temporality: Temporality) -> PointMeta {
    PointMeta {
        group: 0,
        series,
        start,
        time,
        temporality,
    }
}

fn exp_hist(rng: &mut Rng, scale: i32, grow: &mut [u64], offset: i32) -> ExpHistogram {
    for c in grow.iter_mut() {
        // Mostly growing buckets (cumulative), sometimes a drop (a reset).
        *c = if rng.chance(8) {
            rng.below(3)
        } else {
            *c + rng.below(4)
        };
    }
    ExpHistogram {
        scale,
        zero_count: rng.below(2),
        positive: ExpBuckets {
            offset,
            counts: grow.to_vec(),
        },
        negative: ExpBuckets {
            offset: -offset,
            counts: grow.iter().rev().copied().collect(),
        },
    }
}

/// Series of every type, each with points in time order (before shuffling).
fn series_points(rng: &mut Rng, id: u64, windowed: bool) -> Vec<Point> {
    let kind = rng.below(7);
    let family = rng.below(3);
    let n = 1 + rng.below(10);
    let mut start = if rng.chance(50) { 0 } else { 1 + rng.below(3) };
    let mut value = 0.0f64;
    let mut count = 0u64;
    let mut buckets = vec![0u64; 4];
    let mut exp = vec![0u64; 1 + rng.below(4) as usize];
    let exp_offset = rng.below(5) as i32 - 2;
    let mut scale = rng.below(4) as i32;
    let mut time = 10 + rng.below(5);
    let mut out = Vec::new();
    for _ in 0..n {
        // Duplicate timestamps happen; resets by start time or by a drop too.
        time += rng.below(3);
        if rng.chance(10) {
            start = 1 + rng.below(time.max(2) - 1);
        }
        if rng.chance(10) {
            value = 0.0;
            count = 0;
            buckets.iter_mut().for_each(|b| *b = 0);
        }
        value += rng.below(5) as f64 - if kind == 1 { 1.0 } else { 0.0 };
        let window = if windowed { time / 6 } else { 0 };
        let key = |t: &str| format!("{t}/{family}/{window}");
        let p = match kind {
            0 | 1 => {
                let t = Temporality::Cumulative {
                    monotonic: kind == 0,
                };
                Point::Number(
                    key("sum"),
                    PointType::Sum,
                    (meta(id, start, time, t), value),
                )
            }
            2 => Point::Number(
                key("sum"),
                PointType::Sum,
                (meta(id, start, time, Temporality::AsIs), value),
            ),
            3 => Point::Number(
                key("gauge"),
                PointType::Gauge,
                (meta(id, 0, time, Temporality::AsIs), value),
            ),
            4 => {
                buckets.iter_mut().for_each(|b| *b += rng.below(3));
                let c: u64 = buckets.iter().sum();
                let cumulative = rng.chance(90);
                let t = if cumulative {
                    Temporality::Cumulative { monotonic: true }
                } else {
                    Temporality::AsIs
                };
                Point::Hist(
                    key("hist"),
                    HistogramPoint {
                        meta: meta(id, start, time, t),
                        count: c,
                        sum: rng.chance(80).then_some(value),
                        min: rng.chance(50).then_some(value - 1.0),
                        max: rng.chance(50).then_some(value + 1.0),
                        bounds: vec![1.0, 2.0, 5.0],
                        buckets: buckets.clone(),
                    },
                )
            }
            5 => {
                // The scale changes mid-stream, mostly downwards as SDKs do.
                if rng.chance(25) {
                    scale = (scale + rng.below(3) as i32 - 1).clamp(-1, 4);
                }
                let h = exp_hist(rng, scale, &mut exp, exp_offset);
                let cumulative = rng.chance(85);
                let t = if cumulative {
                    Temporality::Cumulative { monotonic: true }
                } else {
                    Temporality::AsIs
                };
                count = h.zero_count + h.positive.total() + h.negative.total();
                Point::Exp(
                    key("exp"),
                    ExpHistogramPoint {
                        meta: meta(id, start, time, t),
                        count,
                        sum: rng.chance(80).then_some(value),
                        min: rng.chance(50).then_some(-value),
                        max: rng.chance(50).then_some(value),
                        hist: h,
                    },
                )
            }
            _ => {
                count += rng.below(4);
                Point::Summary(
                    key("summary"),
                    SummaryPoint {
                        meta: meta(id, start, time, Temporality::Cumulative { monotonic: true }),
                        count,
                        sum: value,
                    },
                )
            }
        };
        out.push(p);
    }
    out
}

/// How points of all series are ordered before framing.
#[derive(Debug, Clone, Copy)]
enum Order {
    Sorted,
    Reversed,
    Shuffled,
}

fn generate(seed: u64, order: Order, windowed: bool) -> Vec<Point> {
    let mut rng = Rng(seed);
    let series = 1 + rng.below(8);
    let per_series: Vec<Vec<Point>> = (0..series)
        .map(|s| series_points(&mut rng, s * 7919 + 3, windowed))
        .collect();
    // Interleave series (each stays in time order), as an exporter writes them.
    let mut cursors = vec![0usize; per_series.len()];
    let mut all = Vec::new();
    while let Some(s) = {
        let open: Vec<usize> = (0..per_series.len())
            .filter(|&s| cursors[s] < per_series[s].len())
            .collect();
        (!open.is_empty()).then(|| open[rng.below(open.len() as u64) as usize])
    } {
        all.push(per_series[s][cursors[s]].clone());
        cursors[s] += 1;
    }
    match order {
        Order::Sorted => {}
        Order::Reversed => all.reverse(),
        Order::Shuffled => {
            for i in (1..all.len()).rev() {
                all.swap(i, rng.below(i as u64 + 1) as usize);
            }
        }
    }
    all
}

/// Splits points into frames of 1..=5 points, each with its own local group table.
fn frames(points: &[Point], seed: u64) -> Vec<MetricRows> {
    let mut rng = Rng(seed ^ 0xF00D);
    let mut out = Vec::new();
    let mut at = 0;
    while at < points.len() {
        let n = (1 + rng.below(5) as usize).min(points.len() - at);
        let mut f = MetricRows::default();
        for p in &points[at..at + n] {
            let (key, ty) = match p {
                Point::Number(k, t, _) => (k, *t),
                Point::Hist(k, _) => (k, PointType::Histogram),
                Point::Exp(k, _) => (k, PointType::ExponentialHistogram),
                Point::Summary(k, _) => (k, PointType::Summary),
            };
            let g = f.groups.table_mut().intern(key.as_bytes());
            f.group_types.resize(f.groups.len(), PointType::Gauge);
            f.group_types[g as usize] = ty;
            match p.clone() {
                Point::Number(_, _, (mut m, v)) => {
                    m.group = g;
                    f.numbers.push((m, v));
                }
                Point::Hist(_, mut h) => {
                    h.meta.group = g;
                    f.histograms.push(h);
                }
                Point::Exp(_, mut e) => {
                    e.meta.group = g;
                    f.exp_histograms.push(e);
                }
                Point::Summary(_, mut s) => {
                    s.meta.group = g;
                    f.summaries.push(s);
                }
            }
        }
        out.push(f);
        at += n;
    }
    out
}

type Columns = Vec<(Field, ArrayRef)>;

/// The streaming reducer as `aggregate` drives it: a pass, and a second one if needed.
fn streaming(frames: &[MetricRows], replay: Replay) -> (Vec<Vec<u8>>, Columns, MetricStats) {
    let mut r = MetricReducer::new(Backend::Cpu, replay, Default::default());
    for f in frames {
        r.consume(f.clone()).expect("consume");
    }
    if let Some(replay) = r.replay_needed().expect("pass") {
        let mut second = r.second_pass(replay);
        for f in frames {
            second.consume(f.clone()).expect("consume");
        }
        r = second;
    }
    let (groups, cols, stats) = finish_metrics(r, &[]).expect("finish");
    (groups.keys().to_vec(), cols, stats)
}

fn reference(frames: &[MetricRows]) -> (Vec<Vec<u8>>, Columns) {
    let (groups, cols) =
        reference_finish(concat(frames.to_vec()), &[], Backend::Cpu).expect("reference");
    (groups.keys().to_vec(), cols)
}

fn assert_same(got: &(Vec<Vec<u8>>, Columns, MetricStats), want: &(Vec<Vec<u8>>, Columns)) {
    assert_eq!(got.0, want.0, "group keys");
    assert_eq!(got.1.len(), want.1.len());
    for ((gf, ga), (wf, wa)) in got.1.iter().zip(&want.1) {
        assert_eq!(gf, wf);
        assert_eq!(ga.to_data(), wa.to_data(), "column {}", gf.name());
    }
}

fn check(seed: u64, order: Order, windowed: bool) -> MetricStats {
    let points = generate(seed, order, windowed);
    let frames = frames(&points, seed);
    let want = reference(&frames);
    let got = streaming(&frames, Replay::Nothing);
    assert_same(&got, &want);
    // Input that cannot be read twice keeps every cumulative series instead.
    assert_same(&streaming(&frames, Replay::All), &want);
    got.2
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_order_equals_the_sorted_reference(seed in any::<u64>(), windowed in any::<bool>()) {
        check(seed, Order::Sorted, windowed);
        check(seed, Order::Reversed, windowed);
        check(seed, Order::Shuffled, windowed);
    }
}

#[test]
fn in_order_streams_buffer_nothing() {
    for seed in 0..200 {
        let stats = check(seed, Order::Sorted, seed % 2 == 0);
        // Only a bucket-level reset before an exponential histogram's scale drop forces a replay.
        let points = generate(seed, Order::Sorted, seed % 2 == 0);
        if !points.iter().any(|p| matches!(p, Point::Exp(..))) {
            assert_eq!(stats.points_buffered, 0, "seed {seed}");
            assert_eq!(stats.passes, 1, "seed {seed}");
        }
    }
}

#[test]
fn out_of_order_series_are_replayed_alone() {
    // Series 1 in order, series 2 reversed: only series 2's points are buffered.
    let st = 5;
    let mk = |series: u64, time: u64, v: f64| {
        Point::Number(
            "sum/0/0".into(),
            PointType::Sum,
            (
                meta(
                    series,
                    st,
                    time,
                    Temporality::Cumulative { monotonic: true },
                ),
                v,
            ),
        )
    };
    let points = vec![
        mk(1, 10, 1.0),
        mk(2, 13, 9.0),
        mk(1, 11, 2.0),
        mk(2, 12, 4.0),
        mk(1, 12, 4.0),
        mk(2, 11, 5.0), // a reset in the middle of the disordered series (9 → … 4 < 5)
        mk(2, 12, 4.0), // a duplicate timestamp
    ];
    let frames = frames(&points, 1);
    let got = streaming(&frames, Replay::Nothing);
    assert_same(&got, &reference(&frames));
    assert_eq!(got.2.passes, 2);
    assert_eq!(got.2.disordered_series, 1);
    assert_eq!(got.2.points_buffered, 4);
}

#[test]
fn any_thread_count_gives_identical_columns() {
    for seed in 0..30 {
        let points = generate(seed, Order::Shuffled, true);
        let frames = frames(&points, seed);
        let want = reference(&frames);
        for threads in 1..=8 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let got = pool.install(|| streaming(&frames, Replay::Nothing));
            assert_same(&got, &want);
        }
    }
}
