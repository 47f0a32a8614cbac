//! Dense group ids, per frame (local, on workers) and global (in the ordered
//! consumer), with the remap between them. A key is a tuple of parts (one per
//! key spec, plus an optional suffix); each part's distinct values are
//! interned once into a [`PartDict`] and a group is its tuple of part codes,
//! so rows never build key strings and a remap hashes each distinct part
//! value and each local group once.

use ahash::RandomState as DefaultHashBuilder;
use arrow::array::RecordBatch;
use hashbrown::HashTable;

use super::key_columns::KeyColumns;
use super::keys::{decode_part, put_opt_str, split_key, KeySpec, KeyValue};
use crate::error::{Error, Result};

/// The distinct encoded values of one key part, numbered in first-seen order.
#[derive(Debug, Default, Clone)]
pub struct PartDict {
    bytes: Vec<u8>,
    /// Value `i` is `bytes[ends[i - 1]..ends[i]]` (`ends[-1]` = 0).
    ends: Vec<usize>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl PartDict {
    /// The code of `value`, assigning the next one on first sight.
    pub fn intern(&mut self, value: &[u8]) -> u32 {
        let hash = self.hasher.hash_one(value);
        let (bytes, ends) = (&self.bytes, &self.ends);
        let get = |c: u32| {
            let c = c as usize;
            &bytes[if c == 0 { 0 } else { ends[c - 1] }..ends[c]]
        };
        if let Some(&code) = self.index.find(hash, |&c| get(c) == value) {
            return code;
        }
        let code = self.ends.len() as u32;
        self.bytes.extend_from_slice(value);
        self.ends.push(self.bytes.len());
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.index.insert_unique(hash, code, |&c| {
            let c = c as usize;
            hasher.hash_one(&bytes[if c == 0 { 0 } else { ends[c - 1] }..ends[c]])
        });
        code
    }

    /// The encoded value of `code`.
    pub fn get(&self, code: u32) -> &[u8] {
        let c = code as usize;
        &self.bytes[if c == 0 { 0 } else { self.ends[c - 1] }..self.ends[c]]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every value decoded, indexed by code.
    pub fn decode_all(&self) -> Vec<KeyValue> {
        (0..self.len() as u32)
            .map(|c| decode_part(self.get(c)))
            .collect()
    }
}

/// Groups as tuples of part codes.
#[derive(Debug, Default, Clone)]
pub struct GroupTable {
    parts: Vec<PartDict>,
    /// Group `g`'s codes are `codes[g * n..(g + 1) * n]`, `n = parts.len()`.
    codes: Vec<u32>,
    len: usize,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl GroupTable {
    /// Makes sure the table has `n` parts (a new table adopts the first count it sees).
    pub(crate) fn ensure_parts(&mut self, n: usize) {
        if self.parts.len() < n && self.len == 0 {
            self.parts.resize_with(n, PartDict::default);
        }
    }

    /// The id of the group with part codes `codes`, assigning the next id on first sight.
    pub fn intern_codes(&mut self, codes: &[u32]) -> u32 {
        let n = self.parts.len();
        debug_assert_eq!(codes.len(), n);
        let hash = self.hasher.hash_one(codes);
        let all = &self.codes;
        if let Some(&g) = self.index.find(hash, |&g| {
            &all[g as usize * n..(g as usize + 1) * n] == codes
        }) {
            return g;
        }
        let g = self.len as u32;
        self.codes.extend_from_slice(codes);
        self.len += 1;
        let (hasher, all) = (&self.hasher, &self.codes);
        self.index.insert_unique(hash, g, |&g| {
            hasher.hash_one(&all[g as usize * n..(g as usize + 1) * n])
        });
        g
    }

    /// The id of a whole key given as one raw part (tables built by hand in
    /// tests); the table must have a single part.
    #[cfg(test)]
    pub(crate) fn intern(&mut self, key: &[u8]) -> u32 {
        self.ensure_parts(1);
        debug_assert_eq!(self.parts.len(), 1, "intern on a multi-part table");
        let code = self.parts[0].intern(key);
        self.intern_codes(&[code])
    }

    /// The id of a group given by its whole encoded key ([`GroupTable::key`]'s
    /// bytes, e.g. read back from a partial state), split into its parts.
    pub fn intern_key(&mut self, key: &[u8]) -> Result<u32> {
        let parts =
            split_key(key).ok_or_else(|| Error::Aggregate("a group key is malformed".into()))?;
        self.ensure_parts(parts.len());
        if parts.len() != self.parts.len() {
            return Err(Error::Aggregate(format!(
                "a group key has {} parts, the others {}",
                parts.len(),
                self.parts.len()
            )));
        }
        let codes: Vec<u32> = parts
            .iter()
            .zip(&mut self.parts)
            .map(|(v, d)| d.intern(v))
            .collect();
        Ok(self.intern_codes(&codes))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of key parts.
    pub fn n_parts(&self) -> usize {
        self.parts.len()
    }

    pub fn part(&self, p: usize) -> &PartDict {
        &self.parts[p]
    }

    pub(crate) fn part_mut(&mut self, p: usize) -> &mut PartDict {
        &mut self.parts[p]
    }

    /// Group `g`'s part codes.
    pub fn codes(&self, g: usize) -> &[u32] {
        let n = self.parts.len();
        &self.codes[g * n..(g + 1) * n]
    }

    /// Group `g`'s key as the concatenation of its encoded parts (`keys::decode_key` reads it).
    pub fn key(&self, g: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (p, &c) in self.codes(g).iter().enumerate() {
            out.extend_from_slice(self.parts[p].get(c));
        }
        out
    }

    /// Every group's key as [`GroupTable::key`] gives it, in id order.
    pub fn keys(&self) -> Vec<Vec<u8>> {
        (0..self.len).map(|g| self.key(g)).collect()
    }

    /// Global ids for each id of a local table: each distinct part value and
    /// each local group is hashed once.
    pub fn remap(&mut self, local: &GroupTable) -> Vec<u32> {
        self.ensure_parts(local.parts.len());
        let part_maps: Vec<Vec<u32>> = local
            .parts
            .iter()
            .zip(&mut self.parts)
            .map(|(l, g)| (0..l.len() as u32).map(|c| g.intern(l.get(c))).collect())
            .collect();
        let mut tuple = vec![0u32; local.parts.len()];
        (0..local.len)
            .map(|lg| {
                for (p, (&c, map)) in local.codes(lg).iter().zip(&part_maps).enumerate() {
                    tuple[p] = map[c as usize];
                }
                self.intern_codes(&tuple)
            })
            .collect()
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
}

/// Resolves every row of `batch` to a local group id, appending to `ids`:
/// the map stage's function from rows to dense `u32` group ids (what the
/// reductions, CPU or GPU, consume beside the value slices).
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
    let rows = batch.num_rows();
    let n = keys.len() + usize::from(suffix.is_some());
    groups.ensure_parts(n);
    let mut part_codes: Vec<Vec<u32>> = Vec::with_capacity(n);
    for (k, dict) in keys.iter().zip(&mut groups.parts) {
        let mut codes = Vec::new();
        cols.part_codes(k, dict, &mut codes);
        part_codes.push(codes);
    }
    if let Some(suffix) = suffix {
        let dict = &mut groups.parts[keys.len()];
        let mut buf = Vec::new();
        let mut last: Option<(&str, u32)> = None;
        part_codes.push(
            (0..rows)
                .map(|r| {
                    let s = suffix(r);
                    match last {
                        Some((prev, c)) if std::ptr::eq(prev, s) || prev == s => c,
                        _ => {
                            buf.clear();
                            put_opt_str(&mut buf, Some(s));
                            let c = dict.intern(&buf);
                            last = Some((s, c));
                            c
                        }
                    }
                })
                .collect(),
        );
    }
    ids.reserve(rows);
    compose(groups, &part_codes, rows, ids);
    Ok(())
}

/// Group ids from per-part codes. When the product of the part cardinalities
/// is small, a dense table indexed by the mixed-radix code replaces hashing.
fn compose(groups: &mut GroupTable, part_codes: &[Vec<u32>], rows: usize, ids: &mut Vec<u32>) {
    let sizes: Vec<usize> = groups.parts.iter().map(|p| p.len().max(1)).collect();
    let product = sizes.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s));
    let mut tuple = vec![0u32; part_codes.len()];
    match product {
        Some(total) if total <= rows.max(1024) * 2 => {
            let mut dense = vec![u32::MAX; total];
            for row in 0..rows {
                let mut at = 0usize;
                for (p, codes) in part_codes.iter().enumerate() {
                    tuple[p] = codes[row];
                    at = at * sizes[p] + codes[row] as usize;
                }
                if dense[at] == u32::MAX {
                    dense[at] = groups.intern_codes(&tuple);
                }
                ids.push(dense[at]);
            }
        }
        _ => {
            let mut last = u32::MAX;
            for row in 0..rows {
                let mut same = last != u32::MAX;
                for (p, codes) in part_codes.iter().enumerate() {
                    same &= tuple[p] == codes[row];
                    tuple[p] = codes[row];
                }
                if !same {
                    last = groups.intern_codes(&tuple);
                }
                ids.push(last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_codes_are_first_seen_order() {
        let mut d = PartDict::default();
        assert_eq!(d.intern(b"b"), 0);
        assert_eq!(d.intern(b""), 1);
        assert_eq!(d.intern(b"b"), 0);
        assert_eq!(d.intern(b"abc"), 2);
        assert_eq!(d.get(1), b"");
        assert_eq!(d.get(2), b"abc");
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn remap_merges_equal_keys_across_tables() {
        let table = |rows: &[(&[u8], &[u8])]| {
            let mut t = GroupTable::default();
            t.ensure_parts(2);
            for (a, b) in rows {
                let ca = t.parts[0].intern(a);
                let cb = t.parts[1].intern(b);
                t.intern_codes(&[ca, cb]);
            }
            t
        };
        let mut global = GroupTable::default();
        let first = table(&[(b"x", b"1"), (b"y", b"1")]);
        assert_eq!(global.remap(&first), vec![0, 1]);
        let second = table(&[(b"y", b"2"), (b"y", b"1"), (b"x", b"1")]);
        assert_eq!(global.remap(&second), vec![2, 1, 0]);
        assert_eq!(global.len(), 3);
        assert_eq!(global.key(2), b"y2".to_vec());
    }

    #[test]
    fn whole_keys_split_back_into_their_parts() {
        let mut a = Vec::new();
        put_opt_str(&mut a, Some("checkout"));
        let mut b = Vec::new();
        super::super::keys::put_int(&mut b, Some(-7));
        let mut c = Vec::new();
        put_opt_str(&mut c, None);
        let mut t = GroupTable::default();
        t.ensure_parts(3);
        let codes = [
            t.parts[0].intern(&a),
            t.parts[1].intern(&b),
            t.parts[2].intern(&c),
        ];
        t.intern_codes(&codes);
        let mut merged = GroupTable::default();
        assert_eq!(merged.intern_key(&t.key(0)).ok(), Some(0));
        assert_eq!(merged.n_parts(), 3);
        assert_eq!(merged.part(0).get(0), a.as_slice());
        assert_eq!(merged.part(1).get(0), b.as_slice());
        assert_eq!(merged.intern_key(&t.key(0)).ok(), Some(0));
        // A key with another part count, or cut short, is refused.
        assert!(merged.intern_key(&a).is_err());
        assert!(merged.intern_key(&t.key(0)[..3]).is_err());
    }
}
