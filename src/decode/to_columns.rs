//! From OTLP messages to column batches and the counts `inspect` reports.

use std::collections::BTreeSet;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, number_data_point, Exemplar, NumberDataPoint,
};
use opentelemetry_proto::tonic::trace::v1::Span;

use super::{Request, Signal};
use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::logs::{LogBuilder, LogFields};
use crate::columns::metrics::{
    metric_series_hasher, resource_series_hasher, ExemplarFields, ExpHistogramFields,
    HistogramFields, MetricBuilders, MetricContext, NumberValue, PointFields, PointHeaderBuilder,
};
use crate::columns::spans::{EventFields, LinkFields, SpanBuilder, SpanFields};
use crate::columns::value::{prost_attributes, AnyRef};
use crate::columns::{Projection, Table, TableBatch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointType {
    Gauge,
    Sum,
    Histogram,
    ExponentialHistogram,
    Summary,
}

impl PointType {
    pub const ALL: [PointType; 5] = [
        PointType::Gauge,
        PointType::Sum,
        PointType::Histogram,
        PointType::ExponentialHistogram,
        PointType::Summary,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PointType::Gauge => "gauge",
            PointType::Sum => "sum",
            PointType::Histogram => "histogram",
            PointType::ExponentialHistogram => "exponential_histogram",
            PointType::Summary => "summary",
        }
    }
}

/// Counts over records as they occur in the input (see DESIGN.md, `inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameStats {
    pub resources: u64,
    pub scopes: u64,
    pub spans: u64,
    pub metrics: u64,
    pub points: [u64; 5],
    pub log_records: u64,
    pub time_min: Option<u64>,
    pub time_max: Option<u64>,
    pub services: BTreeSet<String>,
}

impl FrameStats {
    pub fn see_time(&mut self, t: u64) {
        if t == 0 {
            return;
        }
        self.time_min = Some(self.time_min.map_or(t, |m| m.min(t)));
        self.time_max = Some(self.time_max.map_or(t, |m| m.max(t)));
    }

    pub fn merge(&mut self, o: &FrameStats) {
        self.resources += o.resources;
        self.scopes += o.scopes;
        self.spans += o.spans;
        self.metrics += o.metrics;
        for (a, b) in self.points.iter_mut().zip(o.points) {
            *a += b;
        }
        self.log_records += o.log_records;
        for t in [o.time_min, o.time_max].into_iter().flatten() {
            self.see_time(t);
        }
        self.services.extend(o.services.iter().cloned());
    }

    pub fn data_points(&self) -> u64 {
        self.points.iter().sum()
    }
}

/// One frame's records as column batches plus its counts.
#[derive(Debug, Clone, Default)]
pub struct DecodedFrame {
    pub signal: Option<Signal>,
    pub stats: FrameStats,
    pub tables: Vec<TableBatch>,
}

/// Turns a request into batches of at most `batch_rows` rows per table;
/// with `build_columns` false only the counts are taken.
pub fn to_columns(request: &Request, batch_rows: usize, build_columns: bool) -> DecodedFrame {
    to_columns_projected(
        request,
        batch_rows,
        build_columns.then_some(Projection::ALL),
    )
}

/// `to_columns` filling only the columns `projection` asks for (None: counts only).
pub fn to_columns_projected(
    request: &Request,
    batch_rows: usize,
    projection: Option<Projection>,
) -> DecodedFrame {
    let mut out = DecodedFrame {
        signal: Some(request.signal()),
        ..DecodedFrame::default()
    };
    let batch_rows = batch_rows.max(1);
    let build_columns = projection.is_some();
    let projection = projection.unwrap_or(Projection::ALL);
    match request {
        Request::Traces(req) => {
            let mut b = SpanBuilder::new(projection);
            for rs in &req.resource_spans {
                out.stats.resources += 1;
                let resource = ResourceContext::new(rs.resource.as_ref(), &rs.schema_url);
                out.stats.services.extend(resource.service_name.clone());
                for ss in &rs.scope_spans {
                    out.stats.scopes += 1;
                    let scope = ScopeContext::new(ss.scope.as_ref(), &ss.schema_url);
                    for span in &ss.spans {
                        out.stats.spans += 1;
                        out.stats.see_time(span.start_time_unix_nano);
                        out.stats.see_time(span.end_time_unix_nano);
                        if build_columns {
                            append_span(&mut b, &resource, &scope, span);
                            if b.len() >= batch_rows {
                                out.tables.push(TableBatch {
                                    table: Table::Spans,
                                    batch: b.finish(),
                                });
                            }
                        }
                    }
                }
            }
            if !b.is_empty() {
                out.tables.push(TableBatch {
                    table: Table::Spans,
                    batch: b.finish(),
                });
            }
        }
        Request::Logs(req) => {
            let mut b = LogBuilder::new(projection);
            for rl in &req.resource_logs {
                out.stats.resources += 1;
                let resource = ResourceContext::new(rl.resource.as_ref(), &rl.schema_url);
                out.stats.services.extend(resource.service_name.clone());
                for sl in &rl.scope_logs {
                    out.stats.scopes += 1;
                    let scope = ScopeContext::new(sl.scope.as_ref(), &sl.schema_url);
                    for log in &sl.log_records {
                        out.stats.log_records += 1;
                        let t = if log.time_unix_nano != 0 {
                            log.time_unix_nano
                        } else {
                            log.observed_time_unix_nano
                        };
                        out.stats.see_time(t);
                        if build_columns {
                            append_log(&mut b, &resource, &scope, log);
                            if b.len() >= batch_rows {
                                out.tables.push(TableBatch {
                                    table: Table::Logs,
                                    batch: b.finish(),
                                });
                            }
                        }
                    }
                }
            }
            if !b.is_empty() {
                out.tables.push(TableBatch {
                    table: Table::Logs,
                    batch: b.finish(),
                });
            }
        }
        Request::Metrics(req) => {
            metrics_to_columns(req, batch_rows, build_columns, projection, &mut out)
        }
    }
    out
}

fn metrics_to_columns(
    req: &opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest,
    batch_rows: usize,
    build: bool,
    projection: Projection,
    out: &mut DecodedFrame,
) {
    let mut b = MetricBuilders::new(projection);
    for rm in &req.resource_metrics {
        out.stats.resources += 1;
        let resource = ResourceContext::new(rm.resource.as_ref(), &rm.schema_url);
        out.stats.services.extend(resource.service_name.clone());
        for sm in &rm.scope_metrics {
            out.stats.scopes += 1;
            let scope = ScopeContext::new(sm.scope.as_ref(), &sm.schema_url);
            let base = resource_series_hasher(&resource, &scope);
            for metric in &sm.metrics {
                out.stats.metrics += 1;
                let Some(data) = &metric.data else { continue };
                let type_name = match data {
                    Data::Gauge(_) => PointType::Gauge,
                    Data::Sum(_) => PointType::Sum,
                    Data::Histogram(_) => PointType::Histogram,
                    Data::ExponentialHistogram(_) => PointType::ExponentialHistogram,
                    Data::Summary(_) => PointType::Summary,
                };
                let m = MetricContext {
                    name: &metric.name,
                    description: &metric.description,
                    unit: &metric.unit,
                    series: metric_series_hasher(&base, &metric.name, type_name.name()),
                };
                let times: Vec<u64> = match data {
                    Data::Gauge(g) => g.data_points.iter().map(|p| p.time_unix_nano).collect(),
                    Data::Sum(s) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
                    Data::Histogram(h) => h.data_points.iter().map(|p| p.time_unix_nano).collect(),
                    Data::ExponentialHistogram(h) => {
                        h.data_points.iter().map(|p| p.time_unix_nano).collect()
                    }
                    Data::Summary(s) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
                };
                out.stats.points[type_name as usize] += times.len() as u64;
                times.iter().for_each(|&t| out.stats.see_time(t));
                if !build {
                    continue;
                }
                append_metric(&mut b, &resource, &scope, &m, data);
                flush_metrics(&mut b, batch_rows, &mut out.tables);
            }
        }
    }
    flush_metrics(&mut b, 1, &mut out.tables);
}

fn append_span(b: &mut SpanBuilder, r: &ResourceContext, s: &ScopeContext, span: &Span) {
    if b.keeps_attributes() {
        prost_attributes(&span.attributes).for_each(|(k, v)| b.attribute(k, &v));
    }
    if b.keeps_nested() {
        for e in &span.events {
            prost_attributes(&e.attributes).for_each(|(k, v)| b.event_attribute(k, &v));
            b.end_event(&EventFields {
                time_unix_nano: e.time_unix_nano,
                name: &e.name,
                dropped_attributes_count: e.dropped_attributes_count,
            });
        }
        for l in &span.links {
            prost_attributes(&l.attributes).for_each(|(k, v)| b.link_attribute(k, &v));
            b.end_link(&LinkFields {
                trace_id: &l.trace_id,
                span_id: &l.span_id,
                trace_state: &l.trace_state,
                dropped_attributes_count: l.dropped_attributes_count,
                flags: l.flags,
            });
        }
    }
    let status = span.status.as_ref();
    b.end_span(
        r,
        s,
        &SpanFields {
            trace_id: &span.trace_id,
            span_id: &span.span_id,
            parent_span_id: &span.parent_span_id,
            trace_state: &span.trace_state,
            flags: span.flags,
            name: &span.name,
            kind: span.kind,
            start_time_unix_nano: span.start_time_unix_nano,
            end_time_unix_nano: span.end_time_unix_nano,
            dropped_attributes_count: span.dropped_attributes_count,
            dropped_events_count: span.dropped_events_count,
            dropped_links_count: span.dropped_links_count,
            status_code: status.map_or(0, |s| s.code),
            status_message: status.map_or("", |s| s.message.as_str()),
        },
    );
}

fn append_log(b: &mut LogBuilder, r: &ResourceContext, s: &ScopeContext, log: &LogRecord) {
    if b.keeps_attributes() {
        prost_attributes(&log.attributes).for_each(|(k, v)| b.attribute(k, &v));
    }
    b.end_record(
        r,
        s,
        &LogFields {
            time_unix_nano: log.time_unix_nano,
            observed_time_unix_nano: log.observed_time_unix_nano,
            severity_number: log.severity_number,
            severity_text: &log.severity_text,
            body: log.body.as_ref().map(|v| AnyRef::from_prost(Some(v))),
            dropped_attributes_count: log.dropped_attributes_count,
            flags: log.flags,
            trace_id: &log.trace_id,
            span_id: &log.span_id,
            event_name: &log.event_name,
        },
    );
}

/// Point attributes and exemplars into a table's header.
fn point_header(
    h: &mut PointHeaderBuilder,
    attributes: &[KeyValue],
    exemplars: &[Exemplar],
    start: u64,
    time: u64,
    flags: u32,
) -> PointFields {
    prost_attributes(attributes).for_each(|(k, v)| h.attribute(k, &v));
    if h.keeps_nested() {
        for e in exemplars {
            prost_attributes(&e.filtered_attributes).for_each(|(k, v)| h.exemplar_attribute(k, &v));
            h.end_exemplar(&ExemplarFields {
                time_unix_nano: e.time_unix_nano,
                value: match e.value {
                    Some(exemplar::Value::AsDouble(d)) => NumberValue::Double(d),
                    Some(exemplar::Value::AsInt(i)) => NumberValue::Int(i),
                    None => NumberValue::None,
                },
                span_id: &e.span_id,
                trace_id: &e.trace_id,
            });
        }
    }
    PointFields {
        start_time_unix_nano: start,
        time_unix_nano: time,
        flags,
    }
}

fn append_metric(
    b: &mut MetricBuilders,
    r: &ResourceContext,
    s: &ScopeContext,
    m: &MetricContext,
    data: &Data,
) {
    let number = |p: &NumberDataPoint| match p.value {
        Some(number_data_point::Value::AsDouble(d)) => NumberValue::Double(d),
        Some(number_data_point::Value::AsInt(i)) => NumberValue::Int(i),
        None => NumberValue::None,
    };
    match data {
        Data::Gauge(g) => {
            for p in &g.data_points {
                let f = point_header(
                    b.number.header(),
                    &p.attributes,
                    &p.exemplars,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.flags,
                );
                b.number
                    .end_point(r, s, m, "gauge", 0, false, &f, number(p));
            }
        }
        Data::Sum(sum) => {
            for p in &sum.data_points {
                let f = point_header(
                    b.number.header(),
                    &p.attributes,
                    &p.exemplars,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.flags,
                );
                b.number.end_point(
                    r,
                    s,
                    m,
                    "sum",
                    sum.aggregation_temporality,
                    sum.is_monotonic,
                    &f,
                    number(p),
                );
            }
        }
        Data::Histogram(h) => {
            for p in &h.data_points {
                let f = point_header(
                    b.histogram.header(),
                    &p.attributes,
                    &p.exemplars,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.flags,
                );
                p.bucket_counts
                    .iter()
                    .for_each(|&c| b.histogram.push_bucket_count(c));
                p.explicit_bounds
                    .iter()
                    .for_each(|&x| b.histogram.push_explicit_bound(x));
                let stats = HistogramFields {
                    count: p.count,
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                };
                b.histogram
                    .end_point(r, s, m, h.aggregation_temporality, &f, &stats);
            }
        }
        Data::ExponentialHistogram(h) => {
            for p in &h.data_points {
                let f = point_header(
                    b.exp_histogram.header(),
                    &p.attributes,
                    &p.exemplars,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.flags,
                );
                let (pos, neg) = (p.positive.as_ref(), p.negative.as_ref());
                pos.iter()
                    .flat_map(|x| &x.bucket_counts)
                    .for_each(|&c| b.exp_histogram.push_positive(c));
                neg.iter()
                    .flat_map(|x| &x.bucket_counts)
                    .for_each(|&c| b.exp_histogram.push_negative(c));
                let stats = ExpHistogramFields {
                    count: p.count,
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                    scale: p.scale,
                    zero_count: p.zero_count,
                    zero_threshold: p.zero_threshold,
                    positive_offset: pos.map_or(0, |x| x.offset),
                    negative_offset: neg.map_or(0, |x| x.offset),
                };
                b.exp_histogram
                    .end_point(r, s, m, h.aggregation_temporality, &f, &stats);
            }
        }
        Data::Summary(sm) => {
            for p in &sm.data_points {
                // Summary points carry no exemplars.
                let f = point_header(
                    b.summary.header(),
                    &p.attributes,
                    &[],
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.flags,
                );
                if b.summary.header().keeps_nested() {
                    p.quantile_values
                        .iter()
                        .for_each(|q| b.summary.push_quantile(q.quantile, q.value));
                }
                b.summary.end_point(r, s, m, &f, p.count, p.sum);
            }
        }
    }
}

/// Emits every metric table holding at least `min_rows` rows.
pub(crate) fn flush_metrics(b: &mut MetricBuilders, min_rows: usize, tables: &mut Vec<TableBatch>) {
    if b.number.rows >= min_rows {
        tables.push(TableBatch {
            table: Table::MetricPoints,
            batch: b.number.finish(),
        });
    }
    if b.histogram.rows >= min_rows {
        tables.push(TableBatch {
            table: Table::HistogramPoints,
            batch: b.histogram.finish(),
        });
    }
    if b.exp_histogram.rows >= min_rows {
        tables.push(TableBatch {
            table: Table::ExpHistogramPoints,
            batch: b.exp_histogram.finish(),
        });
    }
    if b.summary.rows >= min_rows {
        tables.push(TableBatch {
            table: Table::SummaryPoints,
            batch: b.summary.finish(),
        });
    }
}

/// Counts for batches read back from Parquet: records, times and services are
/// exact; resources, scopes and metrics are not recoverable from rows and stay 0.
pub fn from_tables(tables: Vec<TableBatch>) -> DecodedFrame {
    use arrow::array::AsArray;
    use arrow::datatypes::TimestampNanosecondType;

    let mut stats = FrameStats::default();
    let mut signal = None;
    for t in &tables {
        let b = &t.batch;
        let rows = b.num_rows() as u64;
        let times = |name: &str| {
            b.column_by_name(name)
                .map(|c| c.as_primitive::<TimestampNanosecondType>().clone())
        };
        let (sig, time_cols): (Signal, &[&str]) = match t.table {
            Table::Spans => {
                stats.spans += rows;
                (
                    Signal::Traces,
                    &["start_time_unix_nano", "end_time_unix_nano"],
                )
            }
            Table::Logs => {
                stats.log_records += rows;
                (Signal::Logs, &[])
            }
            Table::MetricPoints => {
                if let Some(types) = b.column_by_name("metric_type") {
                    let types = types.as_string::<i32>();
                    let gauges = types.iter().filter(|t| *t == Some("gauge")).count() as u64;
                    stats.points[PointType::Gauge as usize] += gauges;
                    stats.points[PointType::Sum as usize] += rows - gauges;
                }
                (Signal::Metrics, &["time_unix_nano"])
            }
            Table::HistogramPoints | Table::ExpHistogramPoints | Table::SummaryPoints => {
                let ty = match t.table {
                    Table::HistogramPoints => PointType::Histogram,
                    Table::ExpHistogramPoints => PointType::ExponentialHistogram,
                    _ => PointType::Summary,
                };
                stats.points[ty as usize] += rows;
                (Signal::Metrics, &["time_unix_nano"])
            }
        };
        signal = Some(sig);
        for name in time_cols {
            if let Some(col) = times(name) {
                col.values().iter().for_each(|&t| stats.see_time(t as u64));
            }
        }
        if t.table == Table::Logs {
            if let (Some(time), Some(observed)) =
                (times("time_unix_nano"), times("observed_time_unix_nano"))
            {
                for (t, o) in time.values().iter().zip(observed.values().iter()) {
                    stats.see_time(if *t != 0 { *t as u64 } else { *o as u64 });
                }
            }
        }
        let services = b
            .column_by_name(crate::columns::context::SERVICE_NAME)
            .and_then(|c| crate::columns::dict::StrColumn::of(c.as_ref()));
        if let Some(services) = services {
            for s in services.run_values() {
                if !stats.services.contains(s) {
                    stats.services.insert(s.to_owned());
                }
            }
        }
    }
    DecodedFrame {
        signal,
        stats,
        tables,
    }
}
