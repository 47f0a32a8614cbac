//! RED aggregation of spans: span and error counts, duration sum / min / max
//! and p50 / p90 / p99 from a mergeable log-linear sketch.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Int32Type, TimestampNanosecondType};
use rayon::prelude::*;

use super::backend::{Backend, U64Partial};
use super::groups::{resolve_rows, GroupTable, StagedGroups};
use super::keys::KeySpec;
use super::sketch::DurationSketch;
use crate::columns::spans::{END, START, STATUS_CODE};
use crate::columns::{Table, TableBatch};
use crate::error::{Error, Result};

const STATUS_ERROR: i32 = 2;
/// Chunk size of a reducer that only finishes (it never stages rows).
const CHUNK_ROWS_UNUSED: usize = 1;

/// One frame's spans after the map stage: local group per row plus the values reduced later.
#[derive(Debug, Default)]
pub struct TraceRows {
    pub groups: GroupTable,
    pub ids: Vec<u32>,
    pub durations: Vec<u64>,
    pub errors: Vec<u64>,
}

/// The map stage, on a worker: keys to local ids, durations, error flags.
pub fn map_spans(keys: &[KeySpec], tables: &[TableBatch]) -> Result<TraceRows> {
    let mut rows = TraceRows::default();
    for t in tables.iter().filter(|t| t.table == Table::Spans) {
        let b = &t.batch;
        resolve_rows(keys, b, START, None, None, &mut rows.groups, &mut rows.ids)?;
        let col = |name: &str| {
            b.column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
                .ok_or_else(|| Error::Aggregate(format!("span batch lacks {name}")))
        };
        let (start, end) = (col(START)?, col(END)?);
        // A span that ends before it starts has no duration to report; it counts as 0 (see `validate`).
        rows.durations.extend(
            start
                .values()
                .iter()
                .zip(end.values().iter())
                .map(|(&s, &e)| (e as u64).saturating_sub(s as u64)),
        );
        let status = b
            .column_by_name(STATUS_CODE)
            .and_then(|c| c.as_primitive_opt::<Int32Type>())
            .ok_or_else(|| Error::Aggregate("span batch lacks status_code".into()))?;
        rows.errors.extend(
            status
                .values()
                .iter()
                .map(|&s| u64::from(s == STATUS_ERROR)),
        );
    }
    Ok(rows)
}

/// Per-group partial: what one chunk contributes, merged into the global state.
#[derive(Debug, Clone, Default)]
pub struct TraceAcc {
    pub durations: U64Partial,
    pub errors: u64,
    pub sketch: DurationSketch,
}

impl TraceAcc {
    pub fn merge(&mut self, o: &TraceAcc) {
        self.durations.merge(&o.durations);
        self.errors += o.errors;
        self.sketch.merge(&o.sketch);
    }
}

/// Rows staged in the consumer until a chunk is full, then reduced by the backend.
pub struct TraceReducer {
    backend: Backend,
    chunk_rows: usize,
    staged: StagedGroups,
    durations: Vec<u64>,
    errors: Vec<u64>,
    pub accs: Vec<TraceAcc>,
}

impl TraceReducer {
    pub fn new(backend: Backend, chunk_rows: usize) -> Self {
        Self {
            backend,
            chunk_rows,
            staged: StagedGroups::default(),
            durations: Vec::new(),
            errors: Vec::new(),
            accs: Vec::new(),
        }
    }

    pub fn consume(&mut self, rows: TraceRows) -> Result<()> {
        self.staged.stage(&rows.groups, &rows.ids);
        self.durations.extend_from_slice(&rows.durations);
        self.errors.extend_from_slice(&rows.errors);
        if self.staged.ids.len() >= self.chunk_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Reduces the staged chunk on the backend: count / sums / min / max,
    /// error counts and duration sketches per group.
    pub fn flush(&mut self) -> Result<()> {
        if self.staged.ids.is_empty() {
            return Ok(());
        }
        let groups = self.staged.groups.len();
        let r = self.backend.group_rows(
            &self.staged.ids,
            Some(&self.errors),
            &self.durations,
            groups,
            true,
        )?;
        self.accs.resize_with(groups, TraceAcc::default);
        for (g, (sketch, d)) in r.sketches.into_iter().zip(&r.stats).enumerate() {
            if d.count == 0 {
                continue;
            }
            let part = TraceAcc {
                durations: *d,
                errors: r.flagged[g],
                sketch,
            };
            // A group's first chunk is moved in, not merged into an empty
            // state: no copy of its sketch (millions of groups at high cardinality).
            match self.accs[g].durations.count {
                0 => self.accs[g] = part,
                _ => self.accs[g].merge(&part),
            }
        }
        self.staged.ids.clear();
        self.durations.clear();
        self.errors.clear();
        Ok(())
    }

    /// The merged per-group partials and their groups, unfinished (`aggregate::state`).
    pub fn into_partial(mut self) -> Result<(GroupTable, Vec<TraceAcc>)> {
        self.flush()?;
        self.accs
            .resize_with(self.staged.groups.len(), TraceAcc::default);
        Ok((self.staged.groups, self.accs))
    }

    /// A reducer holding merged partials, for `finish` (`aggregate::state`).
    pub fn from_partial(groups: GroupTable, accs: Vec<TraceAcc>) -> Self {
        let mut r = Self::new(Backend::Cpu, CHUNK_ROWS_UNUSED);
        r.staged.groups = groups;
        r.accs = accs;
        r
    }

    /// The value columns, in group id order, built on the current pool (one
    /// task per column: with millions of groups each is a pass of its own).
    pub fn finish(mut self) -> Result<(GroupTable, Vec<(Field, ArrayRef)>)> {
        self.flush()?;
        type Getter = fn(&TraceAcc) -> Option<u64>;
        let columns: [(&str, Getter); 8] = [
            ("span_count", |a| Some(a.durations.count)),
            ("error_count", |a| Some(a.errors)),
            ("duration_sum_ns", |a| Some(a.durations.sum)),
            ("duration_min_ns", |a| {
                (a.durations.count > 0).then_some(a.durations.min)
            }),
            ("duration_max_ns", |a| {
                (a.durations.count > 0).then_some(a.durations.max)
            }),
            ("duration_p50_ns", |a| a.sketch.quantile(0.50)),
            ("duration_p90_ns", |a| a.sketch.quantile(0.90)),
            ("duration_p99_ns", |a| a.sketch.quantile(0.99)),
        ];
        let accs = &self.accs;
        let cols = columns
            .par_iter()
            .map(|&(name, get)| {
                let values: UInt64Array = accs.iter().map(get).collect();
                (
                    Field::new(name, DataType::UInt64, true),
                    Arc::new(values) as ArrayRef,
                )
            })
            .collect();
        Ok((self.staged.groups, cols))
    }
}
