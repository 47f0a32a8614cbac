//! Log aggregation: record count and first / last time per group.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, TimestampNanosecondArray, UInt64Array};
use arrow::datatypes::{Field, TimestampNanosecondType};

use super::backend::{Backend, U64Partial};
use super::groups::{resolve_rows, GroupTable, StagedGroups};
use super::keys::KeySpec;
use crate::columns::common::timestamp_type;
use crate::columns::logs::{OBSERVED_TIME, TIME};
use crate::columns::{Table, TableBatch};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
pub struct LogRows {
    pub groups: GroupTable,
    pub ids: Vec<u32>,
    pub times: Vec<u64>,
}

/// The map stage: keys to local ids; the record time, or the observed time when it is 0.
pub fn map_logs(keys: &[KeySpec], tables: &[TableBatch]) -> Result<LogRows> {
    let mut rows = LogRows::default();
    for t in tables.iter().filter(|t| t.table == Table::Logs) {
        let b = &t.batch;
        resolve_rows(
            keys,
            b,
            TIME,
            Some(OBSERVED_TIME),
            None,
            &mut rows.groups,
            &mut rows.ids,
        )?;
        let col = |name: &str| {
            b.column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
                .ok_or_else(|| Error::Aggregate(format!("log batch lacks {name}")))
        };
        let (time, observed) = (col(TIME)?, col(OBSERVED_TIME)?);
        rows.times.extend(
            time.values()
                .iter()
                .zip(observed.values().iter())
                .map(|(&t, &o)| if t != 0 { t as u64 } else { o as u64 }),
        );
    }
    Ok(rows)
}

pub struct LogReducer {
    backend: Backend,
    chunk_rows: usize,
    staged: StagedGroups,
    times: Vec<u64>,
    accs: Vec<U64Partial>,
}

impl LogReducer {
    pub fn new(backend: Backend, chunk_rows: usize) -> Self {
        Self {
            backend,
            chunk_rows,
            staged: StagedGroups::default(),
            times: Vec::new(),
            accs: Vec::new(),
        }
    }

    pub fn consume(&mut self, rows: LogRows) -> Result<()> {
        self.staged.stage(&rows.groups, &rows.ids);
        self.times.extend_from_slice(&rows.times);
        if self.staged.ids.len() >= self.chunk_rows {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        if self.staged.ids.is_empty() {
            return Ok(());
        }
        let groups = self.staged.groups.len();
        let r = self
            .backend
            .group_rows(&self.staged.ids, None, &self.times, groups, false)?;
        self.accs.resize_with(groups, U64Partial::default);
        for (acc, s) in self.accs.iter_mut().zip(&r.stats) {
            acc.merge(s);
        }
        self.staged.ids.clear();
        self.times.clear();
        Ok(())
    }

    /// The merged per-group partials (count, min and max time) and their groups (`aggregate::state`).
    pub fn into_partial(mut self) -> Result<(GroupTable, Vec<U64Partial>)> {
        self.flush()?;
        self.accs
            .resize_with(self.staged.groups.len(), U64Partial::default);
        Ok((self.staged.groups, self.accs))
    }

    /// A reducer holding merged partials, for `finish` (`aggregate::state`).
    pub fn from_partial(groups: GroupTable, accs: Vec<U64Partial>) -> Self {
        let mut r = Self::new(Backend::Cpu, 1);
        r.staged.groups = groups;
        r.accs = accs;
        r
    }

    pub fn finish(mut self) -> Result<(GroupTable, Vec<(Field, ArrayRef)>)> {
        self.flush()?;
        let count: UInt64Array = self.accs.iter().map(|a| Some(a.count)).collect();
        let ts = |f: fn(&U64Partial) -> u64| -> ArrayRef {
            let a: TimestampNanosecondArray = self.accs.iter().map(|a| Some(f(a) as i64)).collect();
            Arc::new(a.with_timezone("UTC"))
        };
        let cols = vec![
            (
                Field::new("log_count", arrow::datatypes::DataType::UInt64, false),
                Arc::new(count) as ArrayRef,
            ),
            (
                Field::new("first_time", timestamp_type(), false),
                ts(|a| a.min),
            ),
            (
                Field::new("last_time", timestamp_type(), false),
                ts(|a| a.max),
            ),
        ];
        Ok((self.staged.groups, cols))
    }
}
