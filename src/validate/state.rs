//! `validate` split over processes (Spark executors): span records as Arrow
//! (with a `shard` from the trace id, so a shuffle keeps traces whole), the
//! findings of checked shards as Arrow, and their merge into the report the
//! CLI prints. Sequence numbers carry the input order (`seq_base` per input),
//! so the examples are the CLI's: the first ones in input order.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, RecordBatch, StringArray, StringBuilder,
    UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, UInt64Type};

use super::record::{partition_of, SpanId, SpanRecord, TraceId};
use super::report::{Example, RuleFindings, ValidateReport};
use super::{check_partition, collect, Labels, Rule};
use crate::decode::Signal;
use crate::error::{Error, Result};
use crate::input::InputSource;
use crate::pipeline::PipelineOptions;

/// Schema metadata: the inputs read, as the CLI names them (newline separated).
pub const META_INPUTS: &str = "otlp_analytics.inputs";
/// Shards are `shard % n` of this hash of the trace id.
const SHARD_SPACE: usize = 1 << 30;

fn state_error(message: impl std::fmt::Display) -> Error {
    Error::Aggregate(format!("validate state: {message}"))
}

fn with_inputs(
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
    inputs: &[String],
) -> Result<RecordBatch> {
    let meta = HashMap::from([(META_INPUTS.to_owned(), inputs.join("\n"))]);
    RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, meta)), columns)
        .map_err(state_error)
}

fn inputs_of(batches: &[RecordBatch]) -> Vec<String> {
    batches
        .iter()
        .filter_map(|b| b.schema().metadata().get(META_INPUTS).cloned())
        .filter(|s| !s.is_empty())
        .flat_map(|s| s.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

fn col<'a, A: 'a>(
    b: &'a RecordBatch,
    name: &str,
    cast: impl FnOnce(&'a dyn Array) -> Option<&'a A>,
) -> Result<&'a A> {
    b.column_by_name(name)
        .and_then(|c| cast(c.as_ref()))
        .ok_or_else(|| state_error(format!("column {name} is missing or mistyped")))
}

/// The spans of `sources` as records; `seq_base` is added to each span's
/// position (give each input a base past the previous input's spans).
pub fn span_state(
    sources: &[InputSource],
    opts: &PipelineOptions,
    seq_base: u64,
) -> Result<RecordBatch> {
    let mut opts = opts.clone();
    opts.only_signal = Some(Signal::Traces);
    opts.projection = crate::columns::Projection::LEAN;
    let spans = collect(sources, &opts, 1)?;
    let records = spans.parts.into_iter().flatten();
    let (mut trace, mut span, mut parent) = (
        BinaryBuilder::new(),
        BinaryBuilder::new(),
        BinaryBuilder::new(),
    );
    let (mut start, mut end, mut seq, mut shard) = (
        UInt64Builder::new(),
        UInt64Builder::new(),
        UInt64Builder::new(),
        UInt64Builder::new(),
    );
    let (mut service, mut name) = (StringBuilder::new(), StringBuilder::new());
    for r in records {
        trace.append_value(r.trace_id.as_slice());
        span.append_value(r.span_id.as_slice());
        parent.append_value(r.parent_span_id.as_slice());
        start.append_value(r.start);
        end.append_value(r.end);
        seq.append_value(seq_base + r.seq);
        shard.append_value(partition_of(r.trace_id.as_slice(), SHARD_SPACE) as u64);
        let (svc, n) = &spans.labels.list[r.label as usize];
        service.append_option(svc.as_deref());
        name.append_value(n);
    }
    let bin = |n: &str| Field::new(n, DataType::Binary, false);
    let u64f = |n: &str| Field::new(n, DataType::UInt64, false);
    with_inputs(
        vec![
            bin("trace_id"),
            bin("span_id"),
            bin("parent_span_id"),
            u64f("start_ns"),
            u64f("end_ns"),
            u64f("seq"),
            u64f("shard"),
            Field::new("service", DataType::Utf8, true),
            Field::new("name", DataType::Utf8, false),
        ],
        vec![
            Arc::new(trace.finish()),
            Arc::new(span.finish()),
            Arc::new(parent.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(seq.finish()),
            Arc::new(shard.finish()),
            Arc::new(service.finish()),
            Arc::new(name.finish()),
        ],
        &sources.iter().map(InputSource::display).collect::<Vec<_>>(),
    )
}

/// Checks the traces in span states (each trace whole among them) and returns
/// their findings: counts and the first `keep` example candidates per rule.
pub fn check_spans(states: &[RecordBatch], skew: u64, keep: usize) -> Result<RecordBatch> {
    let mut labels = Labels::default();
    let mut records = Vec::new();
    for b in states {
        let bin = |n: &str| col(b, n, |c| c.as_binary_opt::<i32>());
        let u64s = |n: &str| col(b, n, |c| c.as_primitive_opt::<UInt64Type>());
        let (trace, span, parent): (&BinaryArray, &BinaryArray, &BinaryArray) =
            (bin("trace_id")?, bin("span_id")?, bin("parent_span_id")?);
        let (start, end, seq) = (u64s("start_ns")?, u64s("end_ns")?, u64s("seq")?);
        let service: &StringArray = col(b, "service", |c| c.as_string_opt::<i32>())?;
        let name: &StringArray = col(b, "name", |c| c.as_string_opt::<i32>())?;
        for row in 0..b.num_rows() {
            let svc = service.is_valid(row).then(|| service.value(row).to_owned());
            records.push(SpanRecord {
                trace_id: TraceId::from_slice(trace.value(row)),
                span_id: SpanId::from_slice(span.value(row)),
                parent_span_id: SpanId::from_slice(parent.value(row)),
                start: start.value(row),
                end: end.value(row),
                seq: seq.value(row),
                label: labels.intern((svc, name.value(row).to_owned())),
            });
        }
    }
    let spans = records.len() as u64;
    let mut found = check_partition(records, skew, keep);
    let mut f = FindingRows::default();
    f.push_totals(found.traces, spans);
    for rule in Rule::ALL {
        let r = rule as usize;
        found.trim(r);
        f.push_count(rule, found.counts[r]);
        for c in &found.examples[r] {
            let (service, name) = &labels.list[c.label as usize];
            f.push_example(
                rule,
                c.seq,
                c.trace_id.as_slice(),
                c.span_id.as_slice(),
                service,
                name,
            );
        }
    }
    f.finish(&inputs_of(states))
}

/// Rows of a findings state: one of totals, one count per rule, one per example.
#[derive(Default)]
struct FindingRows {
    rule: StringBuilder,
    count: UInt64Builder,
    traces: UInt64Builder,
    spans: UInt64Builder,
    seq: UInt64Builder,
    trace_id: BinaryBuilder,
    span_id: BinaryBuilder,
    service: StringBuilder,
    name: StringBuilder,
}

impl FindingRows {
    fn push_totals(&mut self, traces: u64, spans: u64) {
        self.rule.append_null();
        self.count.append_value(0);
        self.traces.append_value(traces);
        self.spans.append_value(spans);
        self.no_example();
    }

    fn push_count(&mut self, rule: Rule, count: u64) {
        self.rule.append_value(rule.name());
        self.count.append_value(count);
        self.traces.append_value(0);
        self.spans.append_value(0);
        self.no_example();
    }

    fn no_example(&mut self) {
        self.seq.append_null();
        self.trace_id.append_null();
        self.span_id.append_null();
        self.service.append_null();
        self.name.append_null();
    }

    fn push_example(
        &mut self,
        rule: Rule,
        seq: u64,
        trace: &[u8],
        span: &[u8],
        service: &Option<String>,
        name: &str,
    ) {
        self.rule.append_value(rule.name());
        self.count.append_value(0);
        self.traces.append_value(0);
        self.spans.append_value(0);
        self.seq.append_value(seq);
        self.trace_id.append_value(trace);
        self.span_id.append_value(span);
        self.service.append_option(service.as_deref());
        self.name.append_value(name);
    }

    fn finish(mut self, inputs: &[String]) -> Result<RecordBatch> {
        let f = |n: &str, dt: DataType| Field::new(n, dt, true);
        with_inputs(
            vec![
                f("rule", DataType::Utf8),
                f("count", DataType::UInt64),
                f("traces", DataType::UInt64),
                f("spans", DataType::UInt64),
                f("seq", DataType::UInt64),
                f("trace_id", DataType::Binary),
                f("span_id", DataType::Binary),
                f("service", DataType::Utf8),
                f("name", DataType::Utf8),
            ],
            vec![
                Arc::new(self.rule.finish()),
                Arc::new(self.count.finish()),
                Arc::new(self.traces.finish()),
                Arc::new(self.spans.finish()),
                Arc::new(self.seq.finish()),
                Arc::new(self.trace_id.finish()),
                Arc::new(self.span_id.finish()),
                Arc::new(self.service.finish()),
                Arc::new(self.name.finish()),
            ],
            inputs,
        )
    }
}

/// Merges findings states into the report `validate` prints for all their inputs.
pub fn finish_findings(states: &[RecordBatch], keep: usize) -> Result<ValidateReport> {
    let (mut traces, mut spans) = (0u64, 0u64);
    let mut counts = [0u64; Rule::ALL.len()];
    let mut examples: Vec<Vec<(u64, Example)>> = vec![Vec::new(); Rule::ALL.len()];
    for b in states {
        let u64s = |n: &str| col(b, n, |c| c.as_primitive_opt::<UInt64Type>());
        let strs = |n: &str| col(b, n, |c| c.as_string_opt::<i32>());
        let bins = |n: &str| col(b, n, |c| c.as_binary_opt::<i32>());
        let (rule, count, tr, sp, seq): (&StringArray, &UInt64Array, _, _, &UInt64Array) = (
            strs("rule")?,
            u64s("count")?,
            u64s("traces")?,
            u64s("spans")?,
            u64s("seq")?,
        );
        let (trace_id, span_id) = (bins("trace_id")?, bins("span_id")?);
        let (service, name) = (strs("service")?, strs("name")?);
        for row in 0..b.num_rows() {
            if rule.is_null(row) {
                traces += tr.value(row);
                spans += sp.value(row);
                continue;
            }
            let r = Rule::ALL
                .iter()
                .position(|x| x.name() == rule.value(row))
                .ok_or_else(|| state_error(format!("unknown rule {}", rule.value(row))))?;
            if seq.is_null(row) {
                counts[r] += count.value(row);
            } else {
                examples[r].push((
                    seq.value(row),
                    Example {
                        trace_id: trace_id.value(row).to_vec(),
                        span_id: span_id.value(row).to_vec(),
                        service: service.is_valid(row).then(|| service.value(row).to_owned()),
                        name: name.value(row).to_owned(),
                    },
                ));
            }
        }
    }
    if spans == 0 {
        return Err(Error::NoData(inputs_of(states).join(", ")));
    }
    let rules = Rule::ALL
        .iter()
        .zip(examples)
        .map(|(&rule, mut ex)| {
            ex.sort_by_key(|(seq, _)| *seq);
            ex.truncate(keep);
            RuleFindings {
                rule,
                count: counts[rule as usize],
                examples: ex.into_iter().map(|(_, e)| e).collect(),
            }
        })
        .collect();
    Ok(ValidateReport {
        traces_checked: traces,
        spans_checked: spans,
        rules,
    })
}
