//! The columns every metric point table starts with (context, metric,
//! series id, times, attributes, exemplars) and the series hash they carry.

use std::sync::Arc;

use super::attributes::AttributeMapBuilder;
use super::common::{
    finish_list_of_struct, timestamp_builder, ts, IdBuilder, ListOffsets, SPAN_ID_LEN, TRACE_ID_LEN,
};
use super::context::{ContextBuilder, ResourceContext, ScopeContext};
use super::dict::StrDictBuilder;
use super::metric_schemas::exemplar_fields;
use super::series::SeriesHasher;
use super::value::{attribute_hash, AnyRef};
use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
    UInt32Builder, UInt64Builder,
};

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
pub(super) struct NumberValueBuilder {
    as_double: Float64Builder,
    as_int: Int64Builder,
}

impl NumberValueBuilder {
    pub(super) fn append(&mut self, v: NumberValue) {
        let (d, i) = match v {
            NumberValue::Double(d) => (Some(d), None),
            NumberValue::Int(i) => (None, Some(i)),
            NumberValue::None => (None, None),
        };
        self.as_double.append_option(d);
        self.as_int.append_option(i);
    }

    pub(super) fn finish(&mut self) -> [ArrayRef; 2] {
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
    pub(super) fn new(projection: super::Projection) -> Self {
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
    pub(super) fn end_point_pending(&mut self, p: &PointFields) {
        let set = std::mem::take(&mut self.attr_hash);
        self.pending_sets.push(set);
        self.start.append_value(ts(p.start_time_unix_nano));
        self.time.append_value(ts(p.time_unix_nano));
        self.attributes.finish_row();
        self.flags.append_value(p.flags);
        self.exemplars.offsets.close_row();
    }

    /// Context, metric and series id columns of the oldest `n` points that lack them.
    pub(super) fn append_metric(
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

    pub(super) fn finish(&mut self) -> Vec<ArrayRef> {
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
