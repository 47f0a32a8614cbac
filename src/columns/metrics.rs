//! Builders for the four metric point tables (schemas in `metric_schemas`),
//! each after the point header of `metric_header`.

use std::sync::Arc;

use super::common::{finish_list_of_struct, ListOffsets};
use super::context::{ResourceContext, ScopeContext};
use super::metric_header::NumberValueBuilder;
use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, ListBuilder, RecordBatch,
    StringBuilder, UInt64Builder,
};

pub use super::metric_header::*;
pub use super::metric_schemas::*;

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
