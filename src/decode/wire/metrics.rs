//! `ExportMetricsServiceRequest` on the wire → the four point tables.

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::metrics::{
    metric_series_hasher, resource_series_hasher, ExemplarFields, ExpHistogramFields,
    HistogramFields, MetricBuilders, MetricContext, NumberValue, PointFields, PointHeaderBuilder,
};
use crate::columns::series::SeriesHasher;
use crate::columns::Projection;
use crate::decode::to_columns::flush_metrics;
use crate::decode::{DecodedFrame, PointType};

use super::common::{attribute, walk, RecordVisitor, RenderContext};
use super::{check_time, sint32, Field, Msg, Result};

struct Metrics<'o> {
    b: MetricBuilders,
    build: bool,
    batch_rows: usize,
    /// Series hash of the current resource + scope.
    base: SeriesHasher,
    out: &'o mut DecodedFrame,
}

pub(super) fn decode(
    root: Msg<'_>,
    projection: Option<Projection>,
    batch_rows: usize,
    out: &mut DecodedFrame,
) -> Result<()> {
    let p = projection.unwrap_or(Projection::LEAN);
    // Series ids hash the resource attributes, so they are always rendered when building.
    let render = RenderContext {
        resource: projection.is_some(),
        scope: projection.is_some() && p.scope_attributes,
    };
    let mut stats = std::mem::take(&mut out.stats);
    let mut v = Metrics {
        b: MetricBuilders::new(p),
        build: projection.is_some(),
        batch_rows,
        base: SeriesHasher::default(),
        out,
    };
    walk(
        root,
        ["ResourceMetrics", "ScopeMetrics", "Metric"],
        render,
        &mut stats,
        &mut v,
    )?;
    stats.merge(&v.out.stats);
    v.out.stats = stats;
    flush_metrics(&mut v.b, 1, &mut v.out.tables);
    Ok(())
}

/// The metric data oneof: field number → point type.
fn data_type(num: u32) -> Option<PointType> {
    Some(match num {
        5 => PointType::Gauge,
        7 => PointType::Sum,
        9 => PointType::Histogram,
        10 => PointType::ExponentialHistogram,
        11 => PointType::Summary,
        _ => return None,
    })
}

impl<'a> RecordVisitor<'a> for Metrics<'_> {
    fn scope(&mut self, r: &ResourceContext, s: &ScopeContext) -> Result<()> {
        if self.build {
            self.base = resource_series_hasher(r, s);
        }
        Ok(())
    }

    fn record(&mut self, r: &ResourceContext, s: &ScopeContext, m: Msg<'a>) -> Result<()> {
        self.out.stats.metrics += 1;
        let (mut name, mut description, mut unit) = ("", "", "");
        // The data oneof: a different type replaces what came before, the same
        // type merges (prost), so the run of the last type from `run_start` counts.
        let mut data: Option<(PointType, usize)> = None;
        let mut f = m.fields();
        let mut index = 0;
        while let Some(fld) = f.next()? {
            match fld.num {
                1 => name = fld.str("Metric.name")?,
                2 => description = fld.str("Metric.description")?,
                3 => unit = fld.str("Metric.unit")?,
                12 => {
                    fld.msg("Metric.metadata")?;
                }
                n => {
                    if let Some(t) = data_type(n) {
                        fld.msg(t.name())?;
                        if data.is_none_or(|(d, _)| d != t) {
                            data = Some((t, index));
                        }
                    }
                }
            }
            index += 1;
        }
        let Some((ty, run_start)) = data else {
            return Ok(());
        };
        let run = || {
            let mut f = m.fields();
            let mut index = 0;
            std::iter::from_fn(move || loop {
                let fld = match f.next() {
                    Ok(Some(fld)) => fld,
                    Ok(None) => return None,
                    Err(e) => return Some(Err(e)),
                };
                index += 1;
                if index > run_start && data_type(fld.num) == Some(ty) {
                    return Some(fld.msg(ty.name()));
                }
            })
        };
        // Temporality and monotonicity first: they may follow the points.
        let (mut temporality, mut monotonic) = (0, false);
        for d in run() {
            let mut f = d?.fields();
            while let Some(fld) = f.next()? {
                match (fld.num, ty) {
                    (
                        2,
                        PointType::Sum | PointType::Histogram | PointType::ExponentialHistogram,
                    ) => temporality = fld.i32("aggregation_temporality")?,
                    (3, PointType::Sum) => monotonic = fld.varint("Sum.is_monotonic")? != 0,
                    _ => {}
                }
            }
        }
        let metric = MetricContext {
            name,
            description,
            unit,
            series: if self.build {
                metric_series_hasher(&self.base, name, ty.name())
            } else {
                SeriesHasher::default()
            },
        };
        let data_kind = DataKind {
            ty,
            temporality,
            monotonic,
        };
        for d in run() {
            let mut f = d?.fields();
            while let Some(fld) = f.next()? {
                if fld.num == 1 {
                    self.point(r, s, &metric, data_kind, fld.msg("data_points")?)?;
                }
            }
        }
        if self.build {
            flush_metrics(&mut self.b, self.batch_rows, &mut self.out.tables);
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct DataKind {
    ty: PointType,
    temporality: i32,
    monotonic: bool,
}

/// Field numbers of the header fields, which differ by point type
/// (start and time are 2 and 3 in all of them).
struct HeaderNums {
    attributes: u32,
    flags: u32,
    exemplars: Option<u32>,
}

fn header_nums(ty: PointType) -> HeaderNums {
    let (attributes, flags, exemplars) = match ty {
        PointType::Gauge | PointType::Sum => (7, 8, Some(5)),
        PointType::Histogram => (9, 10, Some(8)),
        PointType::ExponentialHistogram => (1, 10, Some(11)),
        PointType::Summary => (7, 8, None),
    };
    HeaderNums {
        attributes,
        flags,
        exemplars,
    }
}

/// Reads a header field into `p` / `h`; false when `fld` is not one.
fn header_field(
    fld: Field<'_>,
    nums: &HeaderNums,
    h: Option<&mut PointHeaderBuilder>,
    p: &mut PointFields,
) -> Result<bool> {
    match fld.num {
        2 => p.start_time_unix_nano = fld.fixed64("start_time_unix_nano")?,
        3 => p.time_unix_nano = fld.fixed64("time_unix_nano")?,
        n if n == nums.attributes => {
            let m = fld.msg("attributes")?;
            if let Some(h) = h {
                let (k, v) = attribute(m)?;
                h.attribute(k, &v);
            }
        }
        n if n == nums.flags => p.flags = fld.u32("flags")?,
        n if Some(n) == nums.exemplars => exemplar(fld.msg("exemplars")?, h)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// An exemplar: appended when nested columns are kept; its time is checked either way.
fn exemplar(m: Msg<'_>, h: Option<&mut PointHeaderBuilder>) -> Result<()> {
    let mut h = h.filter(|h| h.keeps_nested());
    let mut e = ExemplarFields::default();
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match (fld.num, h.as_deref_mut()) {
            (2, _) => e.time_unix_nano = fld.fixed64("Exemplar.time_unix_nano")?,
            (3, Some(_)) => e.value = NumberValue::Double(fld.double("Exemplar.as_double")?),
            (6, Some(_)) => e.value = NumberValue::Int(fld.fixed64("Exemplar.as_int")? as i64),
            (4, Some(_)) => e.span_id = fld.bytes("Exemplar.span_id")?,
            (5, Some(_)) => e.trace_id = fld.bytes("Exemplar.trace_id")?,
            (7, Some(h)) => {
                let (k, v) = attribute(fld.msg("Exemplar.filtered_attributes")?)?;
                h.exemplar_attribute(k, &v);
            }
            _ => {}
        }
    }
    check_time("exemplars.time_unix_nano", e.time_unix_nano)?;
    if let Some(h) = h {
        h.end_exemplar(&e);
    }
    Ok(())
}

impl Metrics<'_> {
    fn point(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        d: DataKind,
        pm: Msg<'_>,
    ) -> Result<()> {
        let nums = header_nums(d.ty);
        let build = self.build;
        let b = &mut self.b;
        let mut p = PointFields::default();
        let mut number = NumberValue::None;
        let mut hist = HistogramFields::default();
        let mut exp = ExpHistogramFields::default();
        let (mut count, mut sum) = (0u64, 0f64);
        let mut f = pm.fields();
        while let Some(fld) = f.next()? {
            let header = build.then(|| match d.ty {
                PointType::Gauge | PointType::Sum => b.number.header(),
                PointType::Histogram => b.histogram.header(),
                PointType::ExponentialHistogram => b.exp_histogram.header(),
                PointType::Summary => b.summary.header(),
            });
            if header_field(fld, &nums, header, &mut p)? {
                continue;
            }
            match (d.ty, fld.num) {
                (PointType::Gauge | PointType::Sum, 4) => {
                    number = NumberValue::Double(fld.double("NumberDataPoint.as_double")?)
                }
                (PointType::Gauge | PointType::Sum, 6) => {
                    number = NumberValue::Int(fld.fixed64("NumberDataPoint.as_int")? as i64)
                }
                (PointType::Histogram, 4) => {
                    hist.count = fld.fixed64("HistogramDataPoint.count")?
                }
                (PointType::Histogram, 5) => hist.sum = Some(fld.double("HistogramDataPoint.sum")?),
                (PointType::Histogram, 6) => {
                    fld.repeated_fixed64("HistogramDataPoint.bucket_counts", |c| {
                        if build {
                            b.histogram.push_bucket_count(c)
                        }
                    })?
                }
                (PointType::Histogram, 7) => {
                    fld.repeated_fixed64("HistogramDataPoint.explicit_bounds", |x| {
                        if build {
                            b.histogram.push_explicit_bound(f64::from_bits(x))
                        }
                    })?
                }
                (PointType::Histogram, 11) => {
                    hist.min = Some(fld.double("HistogramDataPoint.min")?)
                }
                (PointType::Histogram, 12) => {
                    hist.max = Some(fld.double("HistogramDataPoint.max")?)
                }
                (PointType::ExponentialHistogram, n) => {
                    exp_field(fld, n, &mut exp, build.then_some(&mut *b))?
                }
                (PointType::Summary, 4) => count = fld.fixed64("SummaryDataPoint.count")?,
                (PointType::Summary, 5) => sum = fld.double("SummaryDataPoint.sum")?,
                (PointType::Summary, 6) => {
                    let qm = fld.msg("SummaryDataPoint.quantile_values")?;
                    if build && b.summary.header().keeps_nested() {
                        let (q, v) = quantile(qm)?;
                        b.summary.push_quantile(q, v);
                    }
                }
                _ => {}
            }
        }
        let stats = &mut self.out.stats;
        stats.points[d.ty as usize] += 1;
        check_time("start_time_unix_nano", p.start_time_unix_nano)?;
        stats.see_time(check_time("time_unix_nano", p.time_unix_nano)?);
        if !build {
            return Ok(());
        }
        match d.ty {
            PointType::Gauge => b.number.end_point(r, s, m, "gauge", 0, false, &p, number),
            PointType::Sum => {
                b.number
                    .end_point(r, s, m, "sum", d.temporality, d.monotonic, &p, number)
            }
            PointType::Histogram => b.histogram.end_point(r, s, m, d.temporality, &p, &hist),
            PointType::ExponentialHistogram => {
                b.exp_histogram.end_point(r, s, m, d.temporality, &p, &exp)
            }
            PointType::Summary => b.summary.end_point(r, s, m, &p, count, sum),
        }
        Ok(())
    }
}

/// A field of an exponential histogram point other than the header.
fn exp_field(
    fld: Field<'_>,
    num: u32,
    exp: &mut ExpHistogramFields,
    b: Option<&mut MetricBuilders>,
) -> Result<()> {
    match num {
        4 => exp.count = fld.fixed64("ExponentialHistogramDataPoint.count")?,
        5 => exp.sum = Some(fld.double("ExponentialHistogramDataPoint.sum")?),
        6 => exp.scale = sint32(fld.varint("ExponentialHistogramDataPoint.scale")?),
        7 => exp.zero_count = fld.fixed64("ExponentialHistogramDataPoint.zero_count")?,
        8 | 9 => {
            let m = fld.msg("ExponentialHistogramDataPoint.buckets")?;
            let positive = num == 8;
            let mut b = b;
            let mut f = m.fields();
            while let Some(fld) = f.next()? {
                match fld.num {
                    1 => {
                        let offset = sint32(fld.varint("Buckets.offset")?);
                        if positive {
                            exp.positive_offset = offset;
                        } else {
                            exp.negative_offset = offset;
                        }
                    }
                    2 => fld.repeated_varint("Buckets.bucket_counts", |c| {
                        if let Some(b) = b.as_deref_mut() {
                            if positive {
                                b.exp_histogram.push_positive(c);
                            } else {
                                b.exp_histogram.push_negative(c);
                            }
                        }
                    })?,
                    _ => {}
                }
            }
        }
        12 => exp.min = Some(fld.double("ExponentialHistogramDataPoint.min")?),
        13 => exp.max = Some(fld.double("ExponentialHistogramDataPoint.max")?),
        14 => exp.zero_threshold = fld.double("ExponentialHistogramDataPoint.zero_threshold")?,
        _ => {}
    }
    Ok(())
}

fn quantile(m: Msg<'_>) -> Result<(f64, f64)> {
    let (mut q, mut v) = (0.0, 0.0);
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => q = fld.double("ValueAtQuantile.quantile")?,
            2 => v = fld.double("ValueAtQuantile.value")?,
            _ => {}
        }
    }
    Ok((q, v))
}
