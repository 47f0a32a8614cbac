//! Records as rows: flattened from the OTLP requests (source side) and
//! reconstructed from the Parquet tables (the inverse of `convert`).

use super::*;

/// The resource and scope a row belongs to, as `convert` keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub resource: Resource,
    pub resource_schema_url: String,
    pub scope: InstrumentationScope,
    pub scope_schema_url: String,
}

fn context(
    resource: &Option<Resource>,
    rurl: &str,
    scope: &Option<InstrumentationScope>,
    surl: &str,
) -> Context {
    Context {
        // An absent resource or scope has the same columns as an empty one.
        resource: resource.clone().unwrap_or_default(),
        resource_schema_url: rurl.into(),
        scope: scope.clone().unwrap_or_default(),
        scope_schema_url: surl.into(),
    }
}

/// A status of code UNSET without a message is the same as no status.
fn norm_span(mut s: Span) -> Span {
    s.status = s.status.filter(|st| st.code != 0 || !st.message.is_empty());
    s
}

pub fn source_spans(req: &ExportTraceServiceRequest) -> Vec<(Context, Span)> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                out.push((
                    context(&rs.resource, &rs.schema_url, &ss.scope, &ss.schema_url),
                    norm_span(s.clone()),
                ));
            }
        }
    }
    out
}

pub fn source_logs(req: &ExportLogsServiceRequest) -> Vec<(Context, LogRecord)> {
    let mut out = Vec::new();
    for rl in &req.resource_logs {
        for sl in &rl.scope_logs {
            for l in &sl.log_records {
                out.push((
                    context(&rl.resource, &rl.schema_url, &sl.scope, &sl.schema_url),
                    l.clone(),
                ));
            }
        }
    }
    out
}

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

pub fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    let c = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has type {}", c.data_type()))
}

fn struct_col<'a, T: 'static>(s: &'a StructArray, name: &str) -> &'a T {
    let c = s
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no field {name}"));
    c.as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("field {name} has type {}", c.data_type()))
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 {text:?}"),
        }
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (value(c) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter().copied());
    }
    out
}

/// OTLP/JSON value (as `convert` renders nested values) back to an AnyValue.
fn json_any_value(v: &serde_json::Value) -> AnyValue {
    let obj = v.as_object().expect("AnyValue JSON is an object");
    let Some((k, x)) = obj.iter().next() else {
        return AnyValue { value: None };
    };
    let value = match k.as_str() {
        "stringValue" => Value::StringValue(x.as_str().unwrap().into()),
        "boolValue" => Value::BoolValue(x.as_bool().unwrap()),
        "intValue" => Value::IntValue(
            x.as_str()
                .map_or_else(|| x.as_i64().unwrap(), |s| s.parse().unwrap()),
        ),
        "doubleValue" => Value::DoubleValue(
            x.as_str()
                .map_or_else(|| x.as_f64().unwrap(), |s| s.parse().unwrap()),
        ),
        "bytesValue" => Value::BytesValue(base64_decode(x.as_str().unwrap())),
        "arrayValue" => Value::ArrayValue(ArrayValue {
            values: json_values(&x["values"]),
        }),
        "kvlistValue" => Value::KvlistValue(KeyValueList {
            values: json_key_values(&x["values"]),
        }),
        other => panic!("unknown AnyValue key {other}"),
    };
    AnyValue { value: Some(value) }
}

fn json_values(v: &serde_json::Value) -> Vec<AnyValue> {
    v.as_array()
        .map(|a| a.iter().map(json_any_value).collect())
        .unwrap_or_default()
}

fn json_key_values(v: &serde_json::Value) -> Vec<KeyValue> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| KeyValue {
                    key: kv["key"].as_str().unwrap().into(),
                    value: kv.get("value").map(json_any_value),
                    ..Default::default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A value column entry and its type tag back to the OTLP value.
pub fn typed_value(text: &str, tag: Option<&str>) -> AnyValue {
    let value = match tag {
        None => Value::StringValue(text.into()),
        Some("bool") => Value::BoolValue(text.parse().unwrap()),
        Some("int") => Value::IntValue(text.parse().unwrap()),
        Some("double") => Value::DoubleValue(text.parse().unwrap()),
        Some("bytes") => Value::BytesValue(base64_decode(text)),
        Some("array") => Value::ArrayValue(ArrayValue {
            values: json_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("kvlist") => Value::KvlistValue(KeyValueList {
            values: json_key_values(&serde_json::from_str(text).unwrap()),
        }),
        Some("empty") => return AnyValue { value: None },
        Some(other) => panic!("unknown type tag {other}"),
    };
    AnyValue { value: Some(value) }
}

fn map_entries(map: &MapArray, row: usize) -> Vec<(String, Option<String>)> {
    let entries = map.value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| {
            (
                keys.value(i).to_owned(),
                values.is_valid(i).then(|| values.value(i).to_owned()),
            )
        })
        .collect()
}

/// An attribute map and its `*_types` sibling back to key-values.
pub fn attributes_at(values: &MapArray, types: &MapArray, row: usize) -> Vec<KeyValue> {
    let tags: HashMap<String, String> = map_entries(types, row)
        .into_iter()
        .map(|(k, v)| (k, v.expect("type tag")))
        .collect();
    map_entries(values, row)
        .into_iter()
        .map(|(key, value)| {
            let tag = tags.get(&key).map(String::as_str);
            let value = typed_value(value.as_deref().expect("attribute value"), tag);
            KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            }
        })
        .collect()
}

fn attrs(batch: &RecordBatch, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(
        col::<MapArray>(batch, name),
        col::<MapArray>(batch, types),
        row,
    )
}

/// An id back to bytes: the fixed-width column, else its `_raw` sibling, else empty.
fn id_at(fixed: &FixedSizeBinaryArray, raw: &arrow::array::BinaryArray, row: usize) -> Vec<u8> {
    assert!(
        !(fixed.is_valid(row) && raw.is_valid(row)),
        "an id is in both its fixed and raw column"
    );
    if fixed.is_valid(row) {
        fixed.value(row).to_vec()
    } else if raw.is_valid(row) {
        raw.value(row).to_vec()
    } else {
        vec![]
    }
}

fn id(batch: &RecordBatch, name: &str, row: usize) -> Vec<u8> {
    id_at(col(batch, name), col(batch, &format!("{name}_raw")), row)
}

fn struct_id(s: &StructArray, name: &str, row: usize) -> Vec<u8> {
    id_at(
        struct_col(s, name),
        struct_col(s, &format!("{name}_raw")),
        row,
    )
}

fn struct_attrs(s: &StructArray, name: &str, types: &str, row: usize) -> Vec<KeyValue> {
    attributes_at(struct_col(s, name), struct_col(s, types), row)
}

fn time(batch: &RecordBatch, name: &str, row: usize) -> u64 {
    col::<TimestampNanosecondArray>(batch, name).value(row) as u64
}

fn string(batch: &RecordBatch, name: &str, row: usize) -> String {
    col::<StringArray>(batch, name).value(row).to_owned()
}

fn u32_at(batch: &RecordBatch, name: &str, row: usize) -> u32 {
    col::<UInt32Array>(batch, name).value(row)
}

fn i32_at(batch: &RecordBatch, name: &str, row: usize) -> i32 {
    col::<Int32Array>(batch, name).value(row)
}

fn opt_f64(batch: &RecordBatch, name: &str, row: usize) -> Option<f64> {
    let c = col::<Float64Array>(batch, name);
    c.is_valid(row).then(|| c.value(row))
}

fn u64_list(batch: &RecordBatch, name: &str, row: usize) -> Vec<u64> {
    let l = col::<ListArray>(batch, name).value(row);
    l.as_primitive::<arrow::datatypes::UInt64Type>()
        .values()
        .to_vec()
}

/// The items of a `List<Struct>` cell.
fn struct_list(batch: &RecordBatch, name: &str, row: usize) -> StructArray {
    col::<ListArray>(batch, name).value(row).as_struct().clone()
}

pub fn context_at(batch: &RecordBatch, row: usize) -> Context {
    let resource = Resource {
        attributes: attrs(
            batch,
            "resource_attributes",
            "resource_attribute_types",
            row,
        ),
        dropped_attributes_count: u32_at(batch, "resource_dropped_attributes_count", row),
        ..Default::default()
    };
    // service_name mirrors the string attribute service.name.
    let service = col::<StringArray>(batch, "service_name");
    let expected = resource
        .attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        });
    assert_eq!(
        service.is_valid(row).then(|| service.value(row).to_owned()),
        expected,
        "service_name of row {row}"
    );
    Context {
        resource,
        resource_schema_url: string(batch, "resource_schema_url", row),
        scope: InstrumentationScope {
            name: string(batch, "scope_name", row),
            version: string(batch, "scope_version", row),
            attributes: attrs(batch, "scope_attributes", "scope_attribute_types", row),
            dropped_attributes_count: u32_at(batch, "scope_dropped_attributes_count", row),
        },
        scope_schema_url: string(batch, "scope_schema_url", row),
    }
}

pub fn spans_from(batch: &RecordBatch) -> Vec<(Context, Span)> {
    (0..batch.num_rows())
        .map(|row| {
            let events = struct_list(batch, "events", row);
            let events = (0..events.len())
                .map(|i| span::Event {
                    time_unix_nano: struct_col::<TimestampNanosecondArray>(
                        &events,
                        "time_unix_nano",
                    )
                    .value(i) as u64,
                    name: struct_col::<StringArray>(&events, "name").value(i).into(),
                    attributes: struct_attrs(&events, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &events,
                        "dropped_attributes_count",
                    )
                    .value(i),
                })
                .collect();
            let links = struct_list(batch, "links", row);
            let links = (0..links.len())
                .map(|i| span::Link {
                    trace_id: struct_id(&links, "trace_id", i),
                    span_id: struct_id(&links, "span_id", i),
                    trace_state: struct_col::<StringArray>(&links, "trace_state")
                        .value(i)
                        .into(),
                    attributes: struct_attrs(&links, "attributes", "attribute_types", i),
                    dropped_attributes_count: struct_col::<UInt32Array>(
                        &links,
                        "dropped_attributes_count",
                    )
                    .value(i),
                    flags: struct_col::<UInt32Array>(&links, "flags").value(i),
                })
                .collect();
            let status = Status {
                message: string(batch, "status_message", row),
                code: i32_at(batch, "status_code", row),
            };
            let span = Span {
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                trace_state: string(batch, "trace_state", row),
                parent_span_id: id(batch, "parent_span_id", row),
                flags: u32_at(batch, "flags", row),
                name: string(batch, "name", row),
                kind: i32_at(batch, "kind", row),
                start_time_unix_nano: time(batch, "start_time_unix_nano", row),
                end_time_unix_nano: time(batch, "end_time_unix_nano", row),
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                events,
                dropped_events_count: u32_at(batch, "dropped_events_count", row),
                links,
                dropped_links_count: u32_at(batch, "dropped_links_count", row),
                status: Some(status),
            };
            (context_at(batch, row), norm_span(span))
        })
        .collect()
}

pub fn logs_from(batch: &RecordBatch) -> Vec<(Context, LogRecord)> {
    (0..batch.num_rows())
        .map(|row| {
            let body = col::<StringArray>(batch, "body");
            let body_type = col::<StringArray>(batch, "body_type");
            let body = body.is_valid(row).then(|| {
                typed_value(
                    body.value(row),
                    body_type.is_valid(row).then(|| body_type.value(row)),
                )
            });
            let log = LogRecord {
                time_unix_nano: time(batch, "time_unix_nano", row),
                observed_time_unix_nano: time(batch, "observed_time_unix_nano", row),
                severity_number: i32_at(batch, "severity_number", row),
                severity_text: string(batch, "severity_text", row),
                body,
                attributes: attrs(batch, "attributes", "attribute_types", row),
                dropped_attributes_count: u32_at(batch, "dropped_attributes_count", row),
                flags: u32_at(batch, "flags", row),
                trace_id: id(batch, "trace_id", row),
                span_id: id(batch, "span_id", row),
                event_name: string(batch, "event_name", row),
            };
            (context_at(batch, row), log)
        })
        .collect()
}

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
