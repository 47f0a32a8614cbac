//! Dense group ids: key bytes → u32, per frame (local, on workers) and
//! global (in the ordered consumer), with the remap between them.

use std::collections::HashMap;

use arrow::array::RecordBatch;

use super::backend::Segments;
use super::keys::{put_opt_str, KeyColumns, KeySpec};
use crate::error::Result;

#[derive(Debug, Default, Clone)]
pub struct GroupTable {
    index: HashMap<Vec<u8>, u32>,
    keys: Vec<Vec<u8>>,
}

impl GroupTable {
    /// The id of `key`, assigning the next id on first sight (no allocation on a hit).
    pub fn intern(&mut self, key: &[u8]) -> u32 {
        if let Some(&id) = self.index.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.index.insert(key.to_vec(), id);
        self.keys.push(key.to_vec());
        id
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[Vec<u8>] {
        &self.keys
    }

    /// Global ids for each id of a local table.
    pub fn remap(&mut self, local: &GroupTable) -> Vec<u32> {
        local.keys.iter().map(|k| self.intern(k)).collect()
    }
}

/// Rows staged in the ordered consumer until a chunk is reduced: each frame's
/// local ids appended as global ids.
#[derive(Debug, Default)]
pub struct StagedGroups {
    pub groups: GroupTable,
    pub ids: Vec<u32>,
}

impl StagedGroups {
    pub fn stage(&mut self, local: &GroupTable, ids: &[u32]) {
        let remap = self.groups.remap(local);
        self.ids.extend(ids.iter().map(|&l| remap[l as usize]));
    }

    /// The staged rows grouped into segments (see `Segments::by_group`).
    pub fn segments(&self) -> Segments {
        Segments::by_group(&self.ids, self.groups.len())
    }
}

/// Resolves every row of `batch` to a local group id, appending to `ids`.
/// `suffix` is an extra key component (the metric type, which splits groups).
pub fn resolve_rows(
    keys: &[KeySpec],
    batch: &RecordBatch,
    time_column: &str,
    fallback_time: Option<&str>,
    suffix: Option<&dyn Fn(usize) -> &'static str>,
    groups: &mut GroupTable,
    ids: &mut Vec<u32>,
) -> Result<()> {
    let cols = KeyColumns::new(keys, batch, time_column, fallback_time)?;
    let mut buf = Vec::with_capacity(64);
    ids.reserve(batch.num_rows());
    for row in 0..batch.num_rows() {
        cols.encode_row(row, &mut buf);
        if let Some(suffix) = suffix {
            put_opt_str(&mut buf, Some(suffix(row)));
        }
        ids.push(groups.intern(&buf));
    }
    Ok(())
}
