//! Builders for the four metric point tables (schemas in `metric_schemas`),
//! sharing one point header (context, metric, series id, times, attributes, exemplars).

use std::sync::Arc;

use super::attributes::AttributeMapBuilder;
use super::common::{
    finish_list_of_struct, timestamp_builder, ts, IdBuilder, ListOffsets, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{ContextBuilder, ResourceContext, ScopeContext};
use super::dict::StrDictBuilder;
use super::series::SeriesHasher;
use super::value::{attribute_hash, AnyRef};
use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, TimestampNanosecondBuilder, UInt32Builder, UInt64Builder,
};

pub use super::metric_schemas::*;

/// What a point row needs from its metric.
pub struct MetricContext<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub unit: &'a str,
    /// Series hash of resource + scope + metric, to be finished with the point attributes.
    pub series: SeriesHasher,
}

/// A number point's or exemplar's value: exactly one of the two columns is set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum NumberValue {
    Double(f64),
    Int(i64),
    #[default]
    None,
}

/// The `as_double` / `as_int` column pair.
#[derive(Default)]
struct NumberValueBuilder {
    as_double: Float64Builder,
    as_int: Int64Builder,
}

impl NumberValueBuilder {
    fn append(&mut self, v: NumberValue) {
        let (d, i) = match v {
            NumberValue::Double(d) => (Some(d), None),
            NumberValue::Int(i) => (None, Some(i)),
            NumberValue::None => (None, None),
        };
        self.as_double.append_option(d);
        self.as_int.append_option(i);
    }

    fn finish(&mut self) -> [ArrayRef; 2] {
        [
            Arc::new(self.as_double.finish()),
            Arc::new(self.as_int.finish()),
        ]
    }
}

struct ExemplarBuilder {
    offsets: ListOffsets,
    attributes: AttributeMapBuilder,
    time: TimestampNanosecondBuilder,
    value: NumberValueBuilder,
    span_id: IdBuilder,
    trace_id: IdBuilder,
}

/// Columns every point table starts with.
pub struct PointHeaderBuilder {
    projection: super::Projection,
    context: ContextBuilder,
    name: StrDictBuilder,
    description: StringBuilder,
    unit: StringBuilder,
    series_id: UInt64Builder,
    start: TimestampNanosecondBuilder,
    time: TimestampNanosecondBuilder,
    attributes: AttributeMapBuilder,
    /// Sum of the open point's attribute hashes (its series identity).
    attr_hash: u64,
    /// Attribute hashes of points still without their metric columns, from
    /// `pending_from` on (see `append_metric`).
    pending_sets: Vec<u64>,
    pending_from: usize,
    flags: UInt32Builder,
    exemplars: ExemplarBuilder,
}

impl Default for PointHeaderBuilder {
    fn default() -> Self {
        Self::new(super::Projection::ALL)
    }
}

impl PointHeaderBuilder {
    fn new(projection: super::Projection) -> Self {
        Self {
            projection,
            context: ContextBuilder::new(projection),
            name: StrDictBuilder::default(),
            description: StringBuilder::new(),
            unit: StringBuilder::new(),
            series_id: UInt64Builder::new(),
            start: timestamp_builder(),
            time: timestamp_builder(),
            attributes: AttributeMapBuilder::default(),
            attr_hash: 0,
            pending_sets: Vec::new(),
            pending_from: 0,
            flags: UInt32Builder::new(),
            exemplars: ExemplarBuilder {
                offsets: ListOffsets::default(),
                attributes: AttributeMapBuilder::default(),
                time: timestamp_builder(),
                value: NumberValueBuilder::default(),
                span_id: IdBuilder::new(SPAN_ID_LEN),
                trace_id: IdBuilder::new(TRACE_ID_LEN),
            },
        }
    }
}

/// The header fields of a point, whatever its type (zero when absent).
#[derive(Debug, Clone, Default)]
pub struct PointFields {
    pub start_time_unix_nano: u64,
    pub time_unix_nano: u64,
    pub flags: u32,
}

/// Count, sum, min and max of a histogram point.
#[derive(Debug, Clone, Default)]
pub struct HistogramFields {
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// The scalar fields of an exponential histogram point.
#[derive(Debug, Clone, Default)]
pub struct ExpHistogramFields {
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub scale: i32,
    pub zero_count: u64,
    pub zero_threshold: f64,
    pub positive_offset: i32,
    pub negative_offset: i32,
}

/// An exemplar's scalar fields, borrowed from the frame.
#[derive(Debug, Clone, Default)]
pub struct ExemplarFields<'a> {
    pub time_unix_nano: u64,
    pub value: NumberValue,
    pub span_id: &'a [u8],
    pub trace_id: &'a [u8],
}

/// Temporality, count, sum, min and max: shared by both histogram tables.
#[derive(Default)]
struct HistogramStatsBuilder {
    temporality: Int32Builder,
    count: UInt64Builder,
    sum: Float64Builder,
    min: Float64Builder,
    max: Float64Builder,
}

impl HistogramStatsBuilder {
    fn append(&mut self, count: u64, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
        self.count.append_value(count);
        self.sum.append_option(sum);
        self.min.append_option(min);
        self.max.append_option(max);
    }

    fn finish_into(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.extend([
            Arc::new(self.temporality.finish()) as ArrayRef,
            Arc::new(self.count.finish()),
            Arc::new(self.sum.finish()),
            Arc::new(self.min.finish()),
            Arc::new(self.max.finish()),
        ]);
    }
}

impl PointHeaderBuilder {
    /// Whether exemplars (and summary quantiles) are kept.
    pub fn keeps_nested(&self) -> bool {
        self.projection.nested
    }

    /// One attribute of the open point: always hashed into its series id,
    /// kept only when the projection asks for attributes.
    pub fn attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.attr_hash = self
            .attr_hash
            .wrapping_add(attribute_hash(key, Some(value)));
        if self.projection.attributes {
            self.attributes.push(key, value);
        }
    }

    pub fn exemplar_attribute(&mut self, key: &str, value: &AnyRef<'_>) {
        self.exemplars.attributes.push(key, value);
    }

    /// Closes an exemplar of the open point (its attributes come first).
    pub fn end_exemplar(&mut self, e: &ExemplarFields<'_>) {
        let ex = &mut self.exemplars;
        ex.offsets.push_items(1);
        ex.attributes.finish_row();
        ex.time.append_value(ts(e.time_unix_nano));
        ex.value.append(e.value);
        ex.span_id.append(e.span_id);
        ex.trace_id.append(e.trace_id);
    }

    /// Closes the open point's own columns; its context, metric and series
    /// id columns follow with `append_metric` (OTLP/JSON may give a metric's
    /// name and its resource after its points).
    fn end_point_pending(&mut self, p: &PointFields) {
        let set = std::mem::take(&mut self.attr_hash);
        self.pending_sets.push(set);
        self.start.append_value(ts(p.start_time_unix_nano));
        self.time.append_value(ts(p.time_unix_nano));
        self.attributes.finish_row();
        self.flags.append_value(p.flags);
        self.exemplars.offsets.close_row();
    }

    /// Context, metric and series id columns of the oldest `n` points that lack them.
    fn append_metric(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        n: usize,
    ) {
        let end = (self.pending_from + n).min(self.pending_sets.len());
        for &set in &self.pending_sets[self.pending_from..end] {
            self.context.append(r, s);
            self.name.append_value(m.name);
            self.description.append_value(m.description);
            self.unit.append_value(m.unit);
            self.series_id
                .append_value(m.series.clone().finish_with_set_hash(set));
        }
        self.pending_from = end;
        if self.pending_from == self.pending_sets.len() {
            self.pending_sets.clear();
            self.pending_from = 0;
        }
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut cols = self.context.finish();
        cols.push(self.name.finish());
        cols.push(Arc::new(self.description.finish()));
        cols.push(Arc::new(self.unit.finish()));
        cols.push(Arc::new(self.series_id.finish()));
        cols.push(Arc::new(self.start.finish()));
        cols.push(Arc::new(self.time.finish()));
        cols.extend(self.attributes.finish());
        cols.push(Arc::new(self.flags.finish()));
        let ex = &mut self.exemplars;
        let mut children: Vec<ArrayRef> = ex.attributes.finish().into();
        children.push(Arc::new(ex.time.finish()));
        children.extend(ex.value.finish());
        children.extend(ex.span_id.finish());
        children.extend(ex.trace_id.finish());
        cols.push(finish_list_of_struct(
            exemplar_fields(),
            children,
            ex.offsets.finish(),
        ));
        cols
    }
}

/// Builders for all four point tables; a metrics frame fills whichever apply.
#[derive(Default)]
pub struct MetricBuilders {
    pub number: NumberBuilder,
    pub histogram: HistogramBuilder,
    pub exp_histogram: ExpHistogramBuilder,
    pub summary: SummaryBuilder,
}

impl MetricBuilders {
    pub fn new(projection: super::Projection) -> Self {
        let mut b = Self::default();
        b.number.header = PointHeaderBuilder::new(projection);
        b.histogram.header = PointHeaderBuilder::new(projection);
        b.exp_histogram.header = PointHeaderBuilder::new(projection);
        b.summary.header = PointHeaderBuilder::new(projection);
        b
    }
}

#[derive(Default)]
pub struct NumberBuilder {
    pub rows: usize,
    header: PointHeaderBuilder,
    metric_type: StringBuilder,
    temporality: Int32Builder,
    monotonic: BooleanBuilder,
    value: NumberValueBuilder,
}

impl NumberBuilder {
    pub fn header(&mut self) -> &mut PointHeaderBuilder {
        &mut self.header
    }

    /// Closes a point row. `metric_type` is "gauge" or "sum"; gauges have
    /// temporality 0 and are not monotonic.
    #[allow(clippy::too_many_arguments)]
    pub fn end_point(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        metric_type: &str,
        temporality: i32,
        monotonic: bool,
        p: &PointFields,
        value: NumberValue,
    ) {
        self.push_point(p, value);
        self.append_metric(r, s, m, metric_type, temporality, monotonic, 1);
    }

    /// A point whose metric and context columns `append_metric` adds later.
    pub fn push_point(&mut self, p: &PointFields, value: NumberValue) {
        self.rows += 1;
        self.header.end_point_pending(p);
        self.value.append(value);
    }

    /// Metric and context columns of the oldest `n` points pushed without them.
    #[allow(clippy::too_many_arguments)]
    pub fn append_metric(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        metric_type: &str,
        temporality: i32,
        monotonic: bool,
        n: usize,
    ) {
        self.header.append_metric(r, s, m, n);
        for _ in 0..n {
            self.metric_type.append_value(metric_type);
            self.temporality.append_value(temporality);
            self.monotonic.append_value(monotonic);
        }
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols = self.header.finish();
        cols.push(Arc::new(self.metric_type.finish()));
        cols.push(Arc::new(self.temporality.finish()));
        cols.push(Arc::new(self.monotonic.finish()));
        cols.extend(self.value.finish());
        RecordBatch::try_new(number_schema(), cols)
            .expect("number point columns match their schema")
    }
}

#[derive(Default)]
pub struct HistogramBuilder {
    pub rows: usize,
    header: PointHeaderBuilder,
    stats: HistogramStatsBuilder,
    bucket_counts: ListBuilder<UInt64Builder>,
    explicit_bounds: ListBuilder<Float64Builder>,
}

impl HistogramBuilder {
    pub fn header(&mut self) -> &mut PointHeaderBuilder {
        &mut self.header
    }

    pub fn push_bucket_count(&mut self, v: u64) {
        self.bucket_counts.values().append_value(v);
    }

    pub fn push_explicit_bound(&mut self, v: f64) {
        self.explicit_bounds.values().append_value(v);
    }

    /// Closes a point row; its buckets and bounds were pushed before.
    pub fn end_point(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        temporality: i32,
        p: &PointFields,
        h: &HistogramFields,
    ) {
        self.push_point(p, h);
        self.append_metric(r, s, m, temporality, 1);
    }

    /// A point whose metric and context columns `append_metric` adds later.
    pub fn push_point(&mut self, p: &PointFields, h: &HistogramFields) {
        self.rows += 1;
        self.header.end_point_pending(p);
        self.stats.append(h.count, h.sum, h.min, h.max);
        self.bucket_counts.append(true);
        self.explicit_bounds.append(true);
    }

    /// Metric and context columns of the oldest `n` points pushed without them.
    pub fn append_metric(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        temporality: i32,
        n: usize,
    ) {
        self.header.append_metric(r, s, m, n);
        (0..n).for_each(|_| self.stats.temporality.append_value(temporality));
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols = self.header.finish();
        self.stats.finish_into(&mut cols);
        cols.push(Arc::new(self.bucket_counts.finish()));
        cols.push(Arc::new(self.explicit_bounds.finish()));
        RecordBatch::try_new(histogram_schema(), cols)
            .expect("histogram columns match their schema")
    }
}

#[derive(Default)]
pub struct ExpHistogramBuilder {
    pub rows: usize,
    header: PointHeaderBuilder,
    stats: HistogramStatsBuilder,
    scale: Int32Builder,
    zero_count: UInt64Builder,
    zero_threshold: Float64Builder,
    positive_offset: Int32Builder,
    positive_counts: ListBuilder<UInt64Builder>,
    negative_offset: Int32Builder,
    negative_counts: ListBuilder<UInt64Builder>,
}

impl ExpHistogramBuilder {
    pub fn header(&mut self) -> &mut PointHeaderBuilder {
        &mut self.header
    }

    pub fn push_positive(&mut self, v: u64) {
        self.positive_counts.values().append_value(v);
    }

    pub fn push_negative(&mut self, v: u64) {
        self.negative_counts.values().append_value(v);
    }

    /// Closes a point row; its bucket counts were pushed before.
    pub fn end_point(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        temporality: i32,
        p: &PointFields,
        h: &ExpHistogramFields,
    ) {
        self.push_point(p, h);
        self.append_metric(r, s, m, temporality, 1);
    }

    /// Metric and context columns of the oldest `n` points pushed without them.
    pub fn append_metric(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        temporality: i32,
        n: usize,
    ) {
        self.header.append_metric(r, s, m, n);
        (0..n).for_each(|_| self.stats.temporality.append_value(temporality));
    }

    /// A point whose metric and context columns `append_metric` adds later.
    pub fn push_point(&mut self, p: &PointFields, h: &ExpHistogramFields) {
        self.rows += 1;
        self.header.end_point_pending(p);
        self.stats.append(h.count, h.sum, h.min, h.max);
        self.scale.append_value(h.scale);
        self.zero_count.append_value(h.zero_count);
        self.zero_threshold.append_value(h.zero_threshold);
        self.positive_offset.append_value(h.positive_offset);
        self.positive_counts.append(true);
        self.negative_offset.append_value(h.negative_offset);
        self.negative_counts.append(true);
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols = self.header.finish();
        self.stats.finish_into(&mut cols);
        cols.push(Arc::new(self.scale.finish()));
        cols.push(Arc::new(self.zero_count.finish()));
        cols.push(Arc::new(self.zero_threshold.finish()));
        cols.push(Arc::new(self.positive_offset.finish()));
        cols.push(Arc::new(self.positive_counts.finish()));
        cols.push(Arc::new(self.negative_offset.finish()));
        cols.push(Arc::new(self.negative_counts.finish()));
        RecordBatch::try_new(exp_histogram_schema(), cols)
            .expect("exp histogram columns match their schema")
    }
}

pub struct SummaryBuilder {
    pub rows: usize,
    header: PointHeaderBuilder,
    count: UInt64Builder,
    sum: Float64Builder,
    quantile_offsets: ListOffsets,
    quantile: Float64Builder,
    value: Float64Builder,
}

impl Default for SummaryBuilder {
    fn default() -> Self {
        Self {
            rows: 0,
            header: PointHeaderBuilder::default(),
            count: UInt64Builder::new(),
            sum: Float64Builder::new(),
            quantile_offsets: ListOffsets::default(),
            quantile: Float64Builder::new(),
            value: Float64Builder::new(),
        }
    }
}

impl SummaryBuilder {
    pub fn header(&mut self) -> &mut PointHeaderBuilder {
        &mut self.header
    }

    /// One quantile of the open point (only when nested columns are kept).
    pub fn push_quantile(&mut self, quantile: f64, value: f64) {
        self.quantile_offsets.push_items(1);
        self.quantile.append_value(quantile);
        self.value.append_value(value);
    }

    /// Closes a point row; its quantiles were pushed before.
    pub fn end_point(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        p: &PointFields,
        count: u64,
        sum: f64,
    ) {
        self.push_point(p, count, sum);
        self.append_metric(r, s, m, 1);
    }

    /// A point whose metric and context columns `append_metric` adds later.
    pub fn push_point(&mut self, p: &PointFields, count: u64, sum: f64) {
        self.rows += 1;
        self.header.end_point_pending(p);
        self.count.append_value(count);
        self.sum.append_value(sum);
        self.quantile_offsets.close_row();
    }

    /// Metric and context columns of the oldest `n` points pushed without them.
    pub fn append_metric(
        &mut self,
        r: &ResourceContext,
        s: &ScopeContext,
        m: &MetricContext,
        n: usize,
    ) {
        self.header.append_metric(r, s, m, n);
    }

    pub fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let mut cols = self.header.finish();
        cols.push(Arc::new(self.count.finish()));
        cols.push(Arc::new(self.sum.finish()));
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.quantile.finish()),
            Arc::new(self.value.finish()),
        ];
        cols.push(finish_list_of_struct(
            summary_fields(),
            children,
            self.quantile_offsets.finish(),
        ));
        RecordBatch::try_new(summary_schema(), cols).expect("summary columns match their schema")
    }
}

/// Series hash of a resource + scope, computed once per scope.
pub fn resource_series_hasher(r: &ResourceContext, s: &ScopeContext) -> SeriesHasher {
    let mut h = SeriesHasher::default();
    h.add_rendered(&r.attributes);
    h.add_str(&s.name);
    h.add_str(&s.version);
    h
}

/// Series hash for a metric under a resource/scope: adds the metric's identity.
pub fn metric_series_hasher(base: &SeriesHasher, name: &str, metric_type: &str) -> SeriesHasher {
    let mut h = base.clone();
    h.add_str(name);
    h.add_str(metric_type);
    h
}
