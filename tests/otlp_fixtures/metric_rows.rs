//! Metric points as rows: flattened from the OTLP requests (source side) and
//! reconstructed from the four point tables.

use super::cells::{
    attrs, context, i32_at, opt_f64, string, struct_attrs, struct_col, struct_id, struct_list,
    time, u32_at, u64_list,
};
use super::*;

/// A metric as each point row repeats it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHeader {
    pub name: String,
    pub description: String,
    pub unit: String,
}

/// What a gauge/sum row says about its metric: type, temporality, monotonic.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberKind {
    pub metric_type: String,
    pub temporality: i32,
    pub monotonic: bool,
}

pub type NumberRow = (Context, MetricHeader, NumberKind, NumberDataPoint);

/// Point rows of every type, in input order per table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricRows {
    pub number: Vec<NumberRow>,
    pub histogram: Vec<(Context, MetricHeader, i32, HistogramDataPoint)>,
    pub exp_histogram: Vec<(Context, MetricHeader, i32, ExponentialHistogramDataPoint)>,
    pub summary: Vec<(Context, MetricHeader, SummaryDataPoint)>,
}

fn norm_buckets(b: Option<Buckets>) -> Option<Buckets> {
    b.filter(|b| b.offset != 0 || !b.bucket_counts.is_empty())
}

pub fn source_metrics(req: &ExportMetricsServiceRequest) -> MetricRows {
    let mut out = MetricRows::default();
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            let ctx = context(&rm.resource, &rm.schema_url, &sm.scope, &sm.schema_url);
            for m in &sm.metrics {
                let h = MetricHeader {
                    name: m.name.clone(),
                    description: m.description.clone(),
                    unit: m.unit.clone(),
                };
                match m.data.as_ref().expect("fixture metrics have data") {
                    Data::Gauge(g) => out.number.extend(g.data_points.iter().map(|p| {
                        (
                            ctx.clone(),
                            h.clone(),
                            NumberKind {
                                metric_type: "gauge".into(),
                                temporality: 0,
                                monotonic: false,
                            },
                            p.clone(),
                        )
                    })),
                    Data::Sum(s) => out.number.extend(g_sum(&ctx, &h, s)),
                    Data::Histogram(x) => {
                        out.histogram.extend(x.data_points.iter().map(|p| {
                            (ctx.clone(), h.clone(), x.aggregation_temporality, p.clone())
                        }))
                    }
                    Data::ExponentialHistogram(x) => {
                        out.exp_histogram.extend(x.data_points.iter().map(|p| {
                            let mut p = p.clone();
                            p.positive = norm_buckets(p.positive);
                            p.negative = norm_buckets(p.negative);
                            (ctx.clone(), h.clone(), x.aggregation_temporality, p)
                        }))
                    }
                    Data::Summary(x) => out.summary.extend(
                        x.data_points
                            .iter()
                            .map(|p| (ctx.clone(), h.clone(), p.clone())),
                    ),
                }
            }
        }
    }
    out
}

fn g_sum<'a>(
    ctx: &'a Context,
    h: &'a MetricHeader,
    s: &'a Sum,
) -> impl Iterator<Item = NumberRow> + 'a {
    s.data_points.iter().map(move |p| {
        (
            ctx.clone(),
            h.clone(),
            NumberKind {
                metric_type: "sum".into(),
                temporality: s.aggregation_temporality,
                monotonic: s.is_monotonic,
            },
            p.clone(),
        )
    })
}

// Reconstruction (Parquet side).

fn header_at(batch: &RecordBatch, row: usize) -> MetricHeader {
    MetricHeader {
        name: string(batch, "metric_name", row),
        description: string(batch, "metric_description", row),
        unit: string(batch, "metric_unit", row),
    }
}

fn exemplars_at(batch: &RecordBatch, row: usize) -> Vec<Exemplar> {
    let ex = struct_list(batch, "exemplars", row);
    let as_double = struct_col::<Float64Array>(&ex, "as_double");
    let as_int = struct_col::<Int64Array>(&ex, "as_int");
    (0..ex.len())
        .map(|i| {
            assert!(
                !(as_double.is_valid(i) && as_int.is_valid(i)),
                "exemplar with two values"
            );
            let value = if as_double.is_valid(i) {
                Some(exemplar::Value::AsDouble(as_double.value(i)))
            } else if as_int.is_valid(i) {
                Some(exemplar::Value::AsInt(as_int.value(i)))
            } else {
                None
            };
            Exemplar {
                filtered_attributes: struct_attrs(
                    &ex,
                    "filtered_attributes",
                    "filtered_attribute_types",
                    i,
                ),
                time_unix_nano: struct_col::<TimestampNanosecondArray>(&ex, "time_unix_nano")
                    .value(i) as u64,
                span_id: struct_id(&ex, "span_id", i),
                trace_id: struct_id(&ex, "trace_id", i),
                value,
            }
        })
        .collect()
}

pub fn number_points_from(batch: &RecordBatch) -> Vec<NumberRow> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let as_double = col::<Float64Array>(batch, "as_double");
            let as_int = col::<Int64Array>(batch, "as_int");
            assert!(
                !(as_double.is_valid(row) && as_int.is_valid(row)),
                "point with two values"
            );
            let value = if as_double.is_valid(row) {
                Some(number_data_point::Value::AsDouble(as_double.value(row)))
            } else if as_int.is_valid(row) {
                Some(number_data_point::Value::AsInt(as_int.value(row)))
            } else {
                None
            };
            let kind = NumberKind {
                metric_type: string(batch, "metric_type", row),
                temporality: i32_at(batch, "aggregation_temporality", row),
                monotonic: col::<BooleanArray>(batch, "is_monotonic").value(row),
            };
            let point = NumberDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                exemplars: exemplars_at(batch, row),
                flags: u32_at(batch, "flags", row),
                value,
            };
            (context_at(batch, row), header_at(batch, row), kind, point)
        })
        .collect()
}

pub fn histogram_points_from(
    batch: &RecordBatch,
) -> Vec<(Context, MetricHeader, i32, HistogramDataPoint)> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let bounds = col::<ListArray>(batch, "explicit_bounds").value(row);
            let point = HistogramDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: opt_f64(batch, "sum", row),
                bucket_counts: u64_list(batch, "bucket_counts", row),
                explicit_bounds: bounds
                    .as_primitive::<arrow::datatypes::Float64Type>()
                    .values()
                    .to_vec(),
                exemplars: exemplars_at(batch, row),
                flags: u32_at(batch, "flags", row),
                min: opt_f64(batch, "min", row),
                max: opt_f64(batch, "max", row),
            };
            (
                context_at(batch, row),
                header_at(batch, row),
                i32_at(batch, "aggregation_temporality", row),
                point,
            )
        })
        .collect()
}

pub fn exp_histogram_points_from(
    batch: &RecordBatch,
) -> Vec<(Context, MetricHeader, i32, ExponentialHistogramDataPoint)> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let buckets = |side: &str| {
                norm_buckets(Some(Buckets {
                    offset: i32_at(batch, &format!("{side}_offset"), row),
                    bucket_counts: u64_list(batch, &format!("{side}_bucket_counts"), row),
                }))
            };
            let point = ExponentialHistogramDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: opt_f64(batch, "sum", row),
                scale: i32_at(batch, "scale", row),
                zero_count: col::<UInt64Array>(batch, "zero_count").value(row),
                positive: buckets("positive"),
                negative: buckets("negative"),
                flags: u32_at(batch, "flags", row),
                exemplars: exemplars_at(batch, row),
                min: opt_f64(batch, "min", row),
                max: opt_f64(batch, "max", row),
                zero_threshold: col::<Float64Array>(batch, "zero_threshold").value(row),
            };
            (
                context_at(batch, row),
                header_at(batch, row),
                i32_at(batch, "aggregation_temporality", row),
                point,
            )
        })
        .collect()
}

pub fn summary_points_from(batch: &RecordBatch) -> Vec<(Context, MetricHeader, SummaryDataPoint)> {
    let batch = &super::cells::plain_strings(batch);
    (0..batch.num_rows())
        .map(|row| {
            let q = struct_list(batch, "quantile_values", row);
            assert_eq!(
                exemplars_at(batch, row),
                vec![],
                "summaries have no exemplars"
            );
            let point = SummaryDataPoint {
                attributes: attrs(batch, "attributes", "attribute_types", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                time_unix_nano: time(batch, "time_unix_nano", row),
                count: col::<UInt64Array>(batch, "count").value(row),
                sum: col::<Float64Array>(batch, "sum").value(row),
                quantile_values: (0..q.len())
                    .map(|i| ValueAtQuantile {
                        quantile: struct_col::<Float64Array>(&q, "quantile").value(i),
                        value: struct_col::<Float64Array>(&q, "value").value(i),
                    })
                    .collect(),
                flags: u32_at(batch, "flags", row),
            };
            (context_at(batch, row), header_at(batch, row), point)
        })
        .collect()
}
