//! OTLP/JSON metrics → the four point tables. Points are appended as they
//! close; a metric's name and unit and a sum's temporality may follow its
//! points in the text, so each metric is kept as a `MetricRun` whose
//! columns (with the resource, scope and series ids) are filled when its
//! resource closes.

use std::borrow::Cow;

use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use serde::de::MapAccess;

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::metrics::{
    metric_series_hasher, resource_series_hasher, ExemplarFields, ExpHistogramFields,
    HistogramFields, MetricBuilders, MetricContext, NumberValue, PointFields, PointHeaderBuilder,
};
use crate::decode::PointType;

use super::common::attributes;
use super::scalar::{Id, Scalar};
use super::{is, leaf_items, obj_items, skip, Ctx, Fields, Sink};

/// A metric whose points were appended: what its rows still lack.
pub(super) struct MetricRun<'de> {
    ty: PointType,
    name: Cow<'de, str>,
    description: Cow<'de, str>,
    unit: Cow<'de, str>,
    temporality: i32,
    monotonic: bool,
    points: usize,
}

/// The `metrics` list of a scope group; each metric with points appended
/// becomes a run in `runs`.
pub(super) fn records<'de, A: MapAccess<'de>>(
    ctx: &mut Ctx,
    map: &mut A,
    runs: &mut Vec<MetricRun<'de>>,
) -> Result<(), A::Error> {
    let mut items = obj_items(Metric::default, |ctx: &mut Ctx, m: Metric<'de>| {
        ctx.out.stats.metrics += 1;
        if let Some(d) = m.data.filter(|d| d.points > 0 && ctx.build()) {
            runs.push(MetricRun {
                ty: d.ty,
                name: m.name,
                description: m.description,
                unit: m.unit,
                temporality: d.temporality,
                monotonic: d.monotonic,
                points: d.points,
            });
        }
        Ok(())
    });
    ctx.list(map, "metrics", &mut items)?;
    Ok(())
}

/// Metric, resource and scope columns (and series ids) of a scope group's points.
pub(super) fn append_metrics(
    b: &mut MetricBuilders,
    r: &ResourceContext,
    s: &ScopeContext,
    runs: &[MetricRun<'_>],
) {
    let base = resource_series_hasher(r, s);
    for run in runs {
        let m = MetricContext {
            name: &run.name,
            description: &run.description,
            unit: &run.unit,
            series: metric_series_hasher(&base, &run.name, run.ty.name()),
        };
        let (t, n) = (run.temporality, run.points);
        match run.ty {
            PointType::Gauge => b.number.append_metric(r, s, &m, "gauge", 0, false, n),
            PointType::Sum => b.number.append_metric(r, s, &m, "sum", t, run.monotonic, n),
            PointType::Histogram => b.histogram.append_metric(r, s, &m, t, n),
            PointType::ExponentialHistogram => b.exp_histogram.append_metric(r, s, &m, t, n),
            PointType::Summary => b.summary.append_metric(r, s, &m, n),
        }
    }
}

#[derive(Default)]
struct Metric<'de> {
    name: Cow<'de, str>,
    description: Cow<'de, str>,
    unit: Cow<'de, str>,
    /// The data oneof: the first kind present is read, later ones skipped.
    data: Option<Data>,
}

/// The data kind a metric key names, and its canonical key for paths.
fn data_kind(key: &str) -> Option<(PointType, &'static str)> {
    Some(match key {
        "gauge" => (PointType::Gauge, "gauge"),
        "sum" => (PointType::Sum, "sum"),
        "histogram" => (PointType::Histogram, "histogram"),
        "exponentialHistogram" | "exponential_histogram" => {
            (PointType::ExponentialHistogram, "exponentialHistogram")
        }
        "summary" => (PointType::Summary, "summary"),
        _ => return None,
    })
}

impl<'de> Fields<'de> for Metric<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match (key, data_kind(key)) {
            ("name", _) => self.name = ctx.string(map, "name")?,
            ("description", _) => self.description = ctx.string(map, "description")?,
            ("unit", _) => self.unit = ctx.string(map, "unit")?,
            // No column holds it; read only to reject what the tree decoder rejects.
            ("metadata", _) => attributes(ctx, map, "metadata", |_, _, _| {})?,
            (_, Some((ty, name))) if self.data.is_none() => {
                let mut d = Data {
                    ty,
                    temporality: 0,
                    monotonic: false,
                    points: 0,
                };
                if ctx.object(map, name, &mut d)? {
                    self.data = Some(d);
                }
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// A gauge, sum, histogram, exponential histogram or summary object.
struct Data {
    ty: PointType,
    temporality: i32,
    monotonic: bool,
    /// Points appended to the builders.
    points: usize,
}

fn temporality(s: &str) -> Option<i32> {
    AggregationTemporality::from_str_name(s).map(|t| t as i32)
}

impl<'de> Fields<'de> for Data {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let has_temporality = !matches!(self.ty, PointType::Gauge | PointType::Summary);
        match key {
            k if is(k, "dataPoints", "data_points") => {
                let (ty, points) = (self.ty, &mut self.points);
                let mut items = obj_items(
                    || Point::new(ty),
                    |ctx: &mut Ctx, p: Point| {
                        if end_point(ctx, p)? {
                            *points += 1;
                        }
                        Ok(())
                    },
                );
                ctx.list(map, "dataPoints", &mut items)?;
            }
            k if has_temporality && is(k, "aggregationTemporality", "aggregation_temporality") => {
                self.temporality = ctx.enumeration(map, "aggregationTemporality", temporality)?
            }
            k if self.ty == PointType::Sum && is(k, "isMonotonic", "is_monotonic") => {
                self.monotonic = ctx.bool(map, "isMonotonic")?
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// The builders, when columns are built.
fn builders(ctx: &mut Ctx) -> Option<&mut MetricBuilders> {
    match (&mut ctx.sink, ctx.projection) {
        (Sink::Metrics(b), Some(_)) => Some(b),
        _ => None,
    }
}

fn header(ctx: &mut Ctx, ty: PointType) -> Option<&mut PointHeaderBuilder> {
    let b = builders(ctx)?;
    Some(match ty {
        PointType::Gauge | PointType::Sum => b.number.header(),
        PointType::Histogram => b.histogram.header(),
        PointType::ExponentialHistogram => b.exp_histogram.header(),
        PointType::Summary => b.summary.header(),
    })
}

/// Counts a closed point and appends it; true when appended.
fn end_point(ctx: &mut Ctx, p: Point) -> Result<bool, String> {
    ctx.out.stats.points[p.ty as usize] += 1;
    ctx.time("start_time_unix_nano", p.header.start_time_unix_nano)?;
    let time = ctx.time("time_unix_nano", p.header.time_unix_nano)?;
    ctx.out.stats.see_time(time);
    let Some(b) = builders(ctx) else {
        return Ok(false);
    };
    let h = &p.header;
    match p.ty {
        PointType::Gauge | PointType::Sum => b.number.push_point(h, p.number),
        PointType::Histogram => b.histogram.push_point(h, &p.hist),
        PointType::ExponentialHistogram => b.exp_histogram.push_point(h, &p.exp),
        PointType::Summary => b.summary.push_point(h, p.hist.count, p.summary_sum),
    }
    Ok(true)
}

/// Every point type's fields; which apply depends on `ty`.
struct Point {
    ty: PointType,
    header: PointFields,
    number: NumberValue,
    /// `asDouble` wins over `asInt` when both are given.
    has_double: bool,
    /// Count, sum, min, max of histograms; count of summaries.
    hist: HistogramFields,
    exp: ExpHistogramFields,
    summary_sum: f64,
}

impl Point {
    fn new(ty: PointType) -> Self {
        Point {
            ty,
            header: PointFields::default(),
            number: NumberValue::None,
            has_double: false,
            hist: HistogramFields::default(),
            exp: ExpHistogramFields::default(),
            summary_sum: 0.0,
        }
    }
}

impl<'de> Fields<'de> for Point {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let ty = self.ty;
        match key {
            // Always hashed into the series id when building.
            "attributes" if ctx.build() => attributes(ctx, map, "attributes", |ctx, k, v| {
                if let Some(h) = header(ctx, ty) {
                    h.attribute(k, v);
                }
            })?,
            k if is(k, "startTimeUnixNano", "start_time_unix_nano") => {
                self.header.start_time_unix_nano = ctx.u64(map, "startTimeUnixNano")?
            }
            k if is(k, "timeUnixNano", "time_unix_nano") => {
                self.header.time_unix_nano = ctx.u64(map, "timeUnixNano")?
            }
            "flags" => self.header.flags = ctx.u32(map, "flags")?,
            // Exemplar times are checked even when exemplars are not kept.
            "exemplars" if ty != PointType::Summary => exemplars(ctx, map, ty)?,
            _ => match ty {
                PointType::Gauge | PointType::Sum => self.number_field(ctx, key, map)?,
                PointType::Histogram => self.histogram_field(ctx, key, map)?,
                PointType::ExponentialHistogram => self.exp_field(ctx, key, map)?,
                PointType::Summary => self.summary_field(ctx, key, map)?,
            },
        }
        Ok(())
    }
}

impl Point {
    fn number_field<'de, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if is(key, "asDouble", "as_double") {
            if let Some(d) = ctx.f64(map, "asDouble")? {
                self.number = NumberValue::Double(d);
                self.has_double = true;
            }
        } else if is(key, "asInt", "as_int") {
            if let Some(i) = ctx.i64(map, "asInt")? {
                if !self.has_double {
                    self.number = NumberValue::Int(i);
                }
            }
        } else {
            skip(map)?;
        }
        Ok(())
    }

    fn histogram_field<'de, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "count" => self.hist.count = ctx.u64(map, "count")?,
            "sum" => self.hist.sum = ctx.f64(map, "sum")?,
            "min" => self.hist.min = ctx.f64(map, "min")?,
            "max" => self.hist.max = ctx.f64(map, "max")?,
            k if is(k, "bucketCounts", "bucket_counts") => {
                let what = "an unsigned 64-bit integer";
                let mut items = leaf_items(what, Scalar::u64, |ctx: &mut Ctx, c| {
                    if let Some(b) = builders(ctx) {
                        b.histogram.push_bucket_count(c);
                    }
                });
                ctx.list(map, "bucketCounts", &mut items)?;
            }
            k if is(k, "explicitBounds", "explicit_bounds") => {
                let mut items = leaf_items("a number", Scalar::f64, |ctx: &mut Ctx, x| {
                    if let Some(b) = builders(ctx) {
                        b.histogram.push_explicit_bound(x);
                    }
                });
                ctx.list(map, "explicitBounds", &mut items)?;
            }
            _ => skip(map)?,
        }
        Ok(())
    }

    fn exp_field<'de, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let e = &mut self.exp;
        match key {
            "count" => e.count = ctx.u64(map, "count")?,
            "sum" => e.sum = ctx.f64(map, "sum")?,
            "min" => e.min = ctx.f64(map, "min")?,
            "max" => e.max = ctx.f64(map, "max")?,
            "scale" => e.scale = ctx.i32(map, "scale")?.unwrap_or(0),
            k if is(k, "zeroCount", "zero_count") => e.zero_count = ctx.u64(map, "zeroCount")?,
            k if is(k, "zeroThreshold", "zero_threshold") => {
                e.zero_threshold = ctx.f64(map, "zeroThreshold")?.unwrap_or(0.0)
            }
            "positive" | "negative" => {
                let positive = key == "positive";
                let mut b = Buckets {
                    positive,
                    offset: 0,
                };
                ctx.object(map, if positive { "positive" } else { "negative" }, &mut b)?;
                if positive {
                    e.positive_offset = b.offset;
                } else {
                    e.negative_offset = b.offset;
                }
            }
            _ => skip(map)?,
        }
        Ok(())
    }

    fn summary_field<'de, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "count" => self.hist.count = ctx.u64(map, "count")?,
            "sum" => self.summary_sum = ctx.f64(map, "sum")?.unwrap_or(0.0),
            k if is(k, "quantileValues", "quantile_values") => {
                let keep = header(ctx, PointType::Summary).is_some_and(|h| h.keeps_nested());
                let mut items = obj_items(Quantile::default, move |ctx: &mut Ctx, q: Quantile| {
                    if let (true, Some(b)) = (keep, builders(ctx)) {
                        b.summary.push_quantile(q.quantile, q.value);
                    }
                    Ok(())
                });
                ctx.list(map, "quantileValues", &mut items)?;
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// A point's exemplars: appended when nested columns are kept.
fn exemplars<'de, A: MapAccess<'de>>(
    ctx: &mut Ctx,
    map: &mut A,
    ty: PointType,
) -> Result<(), A::Error> {
    let keep = header(ctx, ty).is_some_and(|h| h.keeps_nested());
    let mut items = obj_items(
        move || Exemplar {
            keep,
            ty: Some(ty),
            ..Exemplar::default()
        },
        move |ctx: &mut Ctx, e: Exemplar| {
            let time = ctx.time("exemplars.time_unix_nano", e.time)?;
            if let (true, Some(h)) = (keep, header(ctx, ty)) {
                h.end_exemplar(&ExemplarFields {
                    time_unix_nano: time,
                    value: e.value,
                    span_id: e.span_id.bytes(),
                    trace_id: e.trace_id.bytes(),
                });
            }
            Ok(())
        },
    );
    ctx.list(map, "exemplars", &mut items)?;
    Ok(())
}

struct Buckets {
    positive: bool,
    offset: i32,
}

impl<'de> Fields<'de> for Buckets {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "offset" => self.offset = ctx.i32(map, "offset")?.unwrap_or(0),
            k if is(k, "bucketCounts", "bucket_counts") => {
                let positive = self.positive;
                let what = "an unsigned 64-bit integer";
                let mut items = leaf_items(what, Scalar::u64, move |ctx: &mut Ctx, c| {
                    if let Some(b) = builders(ctx) {
                        if positive {
                            b.exp_histogram.push_positive(c);
                        } else {
                            b.exp_histogram.push_negative(c);
                        }
                    }
                });
                ctx.list(map, "bucketCounts", &mut items)?;
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Quantile {
    quantile: f64,
    value: f64,
}

impl<'de> Fields<'de> for Quantile {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "quantile" => self.quantile = ctx.f64(map, "quantile")?.unwrap_or(0.0),
            "value" => self.value = ctx.f64(map, "value")?.unwrap_or(0.0),
            _ => skip(map)?,
        }
        Ok(())
    }
}

#[derive(Default)]
struct Exemplar {
    keep: bool,
    ty: Option<PointType>,
    time: u64,
    value: NumberValue,
    has_double: bool,
    span_id: Id,
    trace_id: Id,
}

impl<'de> Fields<'de> for Exemplar {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let ty = self.ty.unwrap_or(PointType::Gauge);
        match key {
            k if self.keep && is(k, "filteredAttributes", "filtered_attributes") => {
                attributes(ctx, map, "filteredAttributes", |ctx, k, v| {
                    if let Some(h) = header(ctx, ty) {
                        h.exemplar_attribute(k, v);
                    }
                })?
            }
            k if is(k, "timeUnixNano", "time_unix_nano") => {
                self.time = ctx.u64(map, "timeUnixNano")?
            }
            k if is(k, "asDouble", "as_double") => {
                if let Some(d) = ctx.f64(map, "asDouble")? {
                    self.value = NumberValue::Double(d);
                    self.has_double = true;
                }
            }
            k if is(k, "asInt", "as_int") => {
                if let Some(i) = ctx.i64(map, "asInt")? {
                    if !self.has_double {
                        self.value = NumberValue::Int(i);
                    }
                }
            }
            k if is(k, "spanId", "span_id") => self.span_id = ctx.id(map, "spanId")?,
            k if is(k, "traceId", "trace_id") => self.trace_id = ctx.id(map, "traceId")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}
