//! `validate`: trace integrity. Spans of all inputs become compact records,
//! partitioned by trace id so each trace is whole in one partition, and the
//! partitions are checked in parallel; results do not depend on thread count.

mod check;
mod record;
mod report;
pub mod state;

use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;

pub use check::Rule;
pub use report::{write_report, Example, RuleFindings, ValidateReport};

use crate::cli::ValidateArgs;
use crate::decode::Signal;
use crate::error::{Error, Result};
use crate::export::format::parse_duration;
use crate::input::{expand_inputs_with, InputSource};
use crate::pipeline::{self, Event, PipelineOptions};
use check::TraceChecker;
use record::{FrameSpans, Label, SpanId, SpanRecord, TraceId};

/// Partitions per worker thread: several, so one partition full of large
/// traces does not leave the other threads idle.
const PARTITIONS_PER_THREAD: usize = 4;

/// Reads the traces of every input and checks each trace.
pub fn validate(args: &ValidateArgs) -> Result<ValidateReport> {
    let skew = parse_duration(&args.skew).map_err(|e| Error::Usage(format!("--skew: {e}")))?;
    let sources = expand_inputs_with(&args.input.inputs, args.input.walk())?;
    let mut opts = PipelineOptions::from_args(&args.input);
    opts.only_signal = Some(Signal::Traces);
    // Ids, times, names and services only: no attribute maps, events or links.
    opts.projection = crate::columns::Projection::LEAN;
    let partitions = opts.threads * PARTITIONS_PER_THREAD;

    let t0 = Instant::now();
    let spans = collect(&sources, &opts, partitions)?;
    if spans.count == 0 {
        let names: Vec<String> = sources.iter().map(InputSource::display).collect();
        return Err(Error::NoData(names.join(", ")));
    }
    let read_time = t0.elapsed();

    let t1 = Instant::now();
    let keep = args.examples;
    let found = opts.thread_pool()?.install(|| {
        spans
            .parts
            .into_par_iter()
            .map(|part| check_partition(part, skew, keep))
            .reduce(|| Findings::new(keep), Findings::merge)
    });
    let report = found.finish(spans.count, &spans.labels);
    if args.input.verbose {
        eprintln!(
            "validate: {} spans, {} traces, {partitions} partitions on {} threads; read+decode {:.3}s, check {:.3}s",
            report.spans_checked,
            report.traces_checked,
            opts.threads,
            read_time.as_secs_f64(),
            t1.elapsed().as_secs_f64()
        );
    }
    Ok(report)
}

/// All span records, by partition, with their labels.
struct CollectedSpans {
    parts: Vec<Vec<SpanRecord>>,
    labels: Labels,
    count: u64,
}

impl CollectedSpans {
    /// Appends one frame's records (called in input order), giving them
    /// global sequence numbers and global label ids.
    fn add(&mut self, frame: FrameSpans) {
        let remap: Vec<u32> = frame
            .labels
            .into_iter()
            .map(|l| self.labels.intern(l))
            .collect();
        let base = self.count;
        for (part, mut records) in self.parts.iter_mut().zip(frame.parts) {
            for r in &mut records {
                r.seq += base;
                r.label = remap[r.label as usize];
            }
            part.append(&mut records);
        }
        self.count += frame.spans;
    }
}

/// Distinct (service, name) pairs, so a span carries a u32 instead of two strings.
#[derive(Default)]
struct Labels {
    ids: HashMap<Label, u32>,
    list: Vec<Label>,
}

impl Labels {
    fn intern(&mut self, label: Label) -> u32 {
        let next = self.list.len() as u32;
        *self.ids.entry(label).or_insert_with_key(|l| {
            self.list.push(l.clone());
            next
        })
    }
}

/// Runs the pipeline, keeping the spans of trace inputs and saying which
/// inputs were ignored.
fn collect(
    sources: &[InputSource],
    opts: &PipelineOptions,
    partitions: usize,
) -> Result<CollectedSpans> {
    let mut spans = CollectedSpans {
        parts: (0..partitions).map(|_| Vec::new()).collect(),
        labels: Labels::default(),
        count: 0,
    };
    let mut signals: Vec<Option<Signal>> = vec![None; sources.len()];
    let mut seen = vec![false; sources.len()];
    pipeline::run(
        sources,
        opts,
        |decoded| record::extract(decoded, partitions),
        |event| {
            match event {
                Event::Frame {
                    input,
                    signal,
                    mapped,
                    ..
                } => {
                    seen[input] = true;
                    signals[input] = signals[input].or(signal);
                    spans.add(mapped);
                }
                Event::Skipped { input, .. } => seen[input] = true,
                Event::InputEnd { input, .. } => {
                    let path = sources[input].display();
                    match signals[input] {
                        Some(s) if s != Signal::Traces => {
                            eprintln!("warning: validate: ignoring {path} ({s})")
                        }
                        None if !seen[input] => eprintln!("warning: {path}: empty input"),
                        _ => {}
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(spans)
}

/// A span chosen as an example, until the labels are looked up.
struct Candidate {
    seq: u64,
    trace_id: TraceId,
    span_id: SpanId,
    label: u32,
}

/// Counts and example candidates of some traces (a partition, or merged partitions).
struct Findings {
    traces: u64,
    counts: [u64; Rule::ALL.len()],
    examples: [Vec<Candidate>; Rule::ALL.len()],
    /// Per rule: once `keep` candidates are known, later ones past this seq cannot win.
    cutoff: [u64; Rule::ALL.len()],
    keep: usize,
}

impl Findings {
    fn new(keep: usize) -> Self {
        Self {
            traces: 0,
            counts: [0; Rule::ALL.len()],
            examples: Default::default(),
            cutoff: [u64::MAX; Rule::ALL.len()],
            keep,
        }
    }

    fn add(&mut self, rule: Rule, span: &SpanRecord) {
        let r = rule as usize;
        self.counts[r] += 1;
        if self.keep == 0 || span.seq > self.cutoff[r] {
            return;
        }
        self.examples[r].push(Candidate {
            seq: span.seq,
            trace_id: span.trace_id.clone(),
            span_id: span.span_id.clone(),
            label: span.label,
        });
        if self.examples[r].len() >= 2 * self.keep {
            self.trim(r);
        }
    }

    /// Keeps the first `keep` candidates of rule `r` in input order.
    fn trim(&mut self, r: usize) {
        let ex = &mut self.examples[r];
        ex.sort_unstable_by_key(|c| c.seq);
        ex.truncate(self.keep);
        if ex.len() == self.keep {
            self.cutoff[r] = ex.last().map_or(u64::MAX, |c| c.seq);
        }
    }

    fn merge(mut self, other: Findings) -> Findings {
        self.traces += other.traces;
        for (r, (count, examples)) in other.counts.into_iter().zip(other.examples).enumerate() {
            self.counts[r] += count;
            self.examples[r].extend(examples);
            self.trim(r);
        }
        self
    }

    fn finish(mut self, spans: u64, labels: &Labels) -> ValidateReport {
        let rules = Rule::ALL
            .iter()
            .map(|&rule| {
                self.trim(rule as usize);
                let examples = std::mem::take(&mut self.examples[rule as usize])
                    .into_iter()
                    .map(|c| {
                        let (service, name) = labels.list[c.label as usize].clone();
                        Example {
                            trace_id: c.trace_id.as_slice().to_vec(),
                            span_id: c.span_id.as_slice().to_vec(),
                            service,
                            name,
                        }
                    })
                    .collect();
                RuleFindings {
                    rule,
                    count: self.counts[rule as usize],
                    examples,
                }
            })
            .collect();
        ValidateReport {
            traces_checked: self.traces,
            spans_checked: spans,
            rules,
        }
    }
}

/// Groups a partition's records by trace (input order within a trace) and checks each trace.
fn check_partition(mut records: Vec<SpanRecord>, skew: u64, keep: usize) -> Findings {
    records.sort_unstable_by(|a, b| a.trace_id.cmp(&b.trace_id).then(a.seq.cmp(&b.seq)));
    let mut checker = TraceChecker::new(skew);
    let mut found = Findings::new(keep);
    for trace in records.chunk_by(|a, b| a.trace_id == b.trace_id) {
        found.traces += 1;
        checker.check(trace, &mut |rule, i| found.add(rule, &trace[i]));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(trace: u8, span: u8, parent: u8, seq: u64) -> SpanRecord {
        let id = |n: u8| {
            if n == 0 {
                SpanId::from_slice(&[])
            } else {
                SpanId::Fixed([n; 8])
            }
        };
        SpanRecord {
            trace_id: TraceId::Fixed([trace; 16]),
            span_id: id(span),
            parent_span_id: id(parent),
            start: 1,
            end: 2,
            seq,
            label: 0,
        }
    }

    fn labels() -> Labels {
        let mut l = Labels::default();
        l.intern((Some("svc".into()), "op".into()));
        l
    }

    #[test]
    fn partitions_group_traces_and_keep_the_first_examples_in_input_order() {
        // Trace 1: orphans at seq 5, 3; trace 2: orphan at seq 1; trace 3 is clean.
        let records = vec![
            record(1, 1, 9, 5),
            record(2, 1, 9, 1),
            record(3, 1, 0, 2),
            record(1, 2, 8, 3),
        ];
        let found = check_partition(records, 0, 2);
        assert_eq!(found.traces, 3);
        let report = found.finish(4, &labels());
        assert_eq!(report.count(Rule::OrphanSpan), 3);
        let orphans = &report.rules[Rule::OrphanSpan as usize].examples;
        let spans: Vec<(u8, u8)> = orphans
            .iter()
            .map(|e| (e.trace_id[0], e.span_id[0]))
            .collect();
        assert_eq!(spans, vec![(2, 1), (1, 2)]);
        assert_eq!(orphans[0].service.as_deref(), Some("svc"));
    }

    #[test]
    fn merging_partitions_equals_one_partition() {
        let records: Vec<_> = (0..40u64)
            .map(|i| record((i % 7) as u8 + 1, (i / 7) as u8 + 1, 50, i))
            .collect();
        let whole = check_partition(records.clone(), 0, 3).finish(40, &labels());
        for p in [2, 5] {
            let mut parts: Vec<Vec<SpanRecord>> = (0..p).map(|_| Vec::new()).collect();
            for r in &records {
                parts[record::partition_of(r.trace_id.as_slice(), p)].push(r.clone());
            }
            let merged = parts
                .into_iter()
                .map(|part| check_partition(part, 0, 3))
                .fold(Findings::new(3), Findings::merge);
            assert_eq!(merged.finish(40, &labels()), whole);
        }
        assert_eq!(whole.traces_checked, 7);
        assert_eq!(whole.count(Rule::OrphanSpan), 40);
        assert_eq!(whole.rules[Rule::OrphanSpan as usize].examples.len(), 3);
    }

    #[test]
    fn labels_are_interned_once() {
        let mut l = labels();
        assert_eq!(l.intern((None, "op".into())), 1);
        assert_eq!(l.intern((Some("svc".into()), "op".into())), 0);
        assert_eq!(l.list.len(), 2);
    }
}
