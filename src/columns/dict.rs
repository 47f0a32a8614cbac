//! A string dictionary builder for repeated strings (service, scope, span and
//! metric names, severity text): each distinct value is hashed and stored once
//! per batch, rows carry Int32 codes. The column type is
//! `Dictionary(Int32, Utf8)`, which Parquet keeps as dictionary pages.

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, DictionaryArray, Int32Array, StringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Int32Type};
use hashbrown::{DefaultHashBuilder, HashTable};

/// The Arrow type of every dictionary-encoded string column.
pub fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

#[derive(Default)]
pub struct StrDictBuilder {
    hasher: DefaultHashBuilder,
    table: HashTable<i32>,
    bytes: Vec<u8>,
    offsets: Vec<i32>,
    codes: Vec<i32>,
    /// Validity per row; empty while every row is valid.
    valid: Vec<bool>,
    /// The code of the last appended value, to skip hashing on runs (resource
    /// and scope columns repeat one value for many rows).
    last: Option<i32>,
}

impl StrDictBuilder {
    fn value(&self, code: i32) -> &[u8] {
        let i = code as usize;
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// The code of `s`, adding it to the dictionary when new.
    fn code(&mut self, s: &str) -> i32 {
        if let Some(last) = self.last {
            if self.value(last) == s.as_bytes() {
                return last;
            }
        }
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let hash = self.hasher.hash_one(s.as_bytes());
        let Self {
            table,
            bytes,
            offsets,
            hasher,
            ..
        } = self;
        let value = |code: i32| {
            let i = code as usize;
            &bytes[offsets[i] as usize..offsets[i + 1] as usize]
        };
        let found = table.find(hash, |&c| value(c) == s.as_bytes()).copied();
        let code = match found {
            Some(c) => c,
            None => {
                let c = (offsets.len() - 1) as i32;
                bytes.extend_from_slice(s.as_bytes());
                offsets.push(bytes.len() as i32);
                let (bytes, offsets) = (&*bytes, &*offsets);
                table.insert_unique(hash, c, |&c| {
                    let i = c as usize;
                    hasher.hash_one(&bytes[offsets[i] as usize..offsets[i + 1] as usize])
                });
                c
            }
        };
        self.last = Some(code);
        code
    }

    pub fn append_value(&mut self, s: &str) {
        let c = self.code(s);
        self.codes.push(c);
        if !self.valid.is_empty() {
            self.valid.push(true);
        }
    }

    pub fn append_null(&mut self) {
        if self.valid.is_empty() {
            self.valid.resize(self.codes.len(), true);
        }
        self.codes.push(0);
        self.valid.push(false);
    }

    pub fn append_option(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.append_value(s),
            None => self.append_null(),
        }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The column so far; the builder starts a fresh dictionary.
    pub fn finish(&mut self) -> ArrayRef {
        let mut offsets = std::mem::take(&mut self.offsets);
        if offsets.is_empty() {
            offsets.push(0);
        }
        let bytes = std::mem::take(&mut self.bytes);
        self.table.clear();
        self.last = None;
        // Offsets only grow and every value was a &str, so the array is valid UTF-8.
        let values = StringArray::new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from_vec(bytes),
            None,
        );
        let valid = std::mem::take(&mut self.valid);
        let nulls = (!valid.is_empty()).then(|| NullBuffer::from(valid));
        let keys = Int32Array::new(ScalarBuffer::from(std::mem::take(&mut self.codes)), nulls);
        // Every code indexes a value pushed above.
        Arc::new(
            DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))
                .expect("dictionary codes index their values"),
        )
    }
}

/// A string column read row by row, plain Utf8 or dictionary-encoded
/// (Parquet written by other tools may hold either).
#[derive(Debug, Clone, Copy)]
pub enum StrColumn<'a> {
    Plain(&'a StringArray),
    Dict {
        keys: &'a Int32Array,
        values: &'a StringArray,
    },
}

impl<'a> StrColumn<'a> {
    /// The column as strings, when it is Utf8 or Dictionary(Int32, Utf8).
    pub fn of(array: &'a dyn Array) -> Option<Self> {
        if let Some(s) = array.as_string_opt::<i32>() {
            return Some(StrColumn::Plain(s));
        }
        let d = array.as_dictionary_opt::<Int32Type>()?;
        Some(StrColumn::Dict {
            keys: d.keys(),
            values: d.values().as_string_opt::<i32>()?,
        })
    }

    pub fn is_valid(&self, row: usize) -> bool {
        match self {
            StrColumn::Plain(s) => s.is_valid(row),
            StrColumn::Dict { keys, .. } => keys.is_valid(row),
        }
    }

    /// The value of a row ("" for a null row of a plain column).
    pub fn value(&self, row: usize) -> &'a str {
        match self {
            StrColumn::Plain(s) => s.value(row),
            StrColumn::Dict { keys, values } => {
                if keys.is_valid(row) {
                    values.value(keys.value(row) as usize)
                } else {
                    ""
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrColumn::Plain(s) => s.len(),
            StrColumn::Dict { keys, .. } => keys.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distinct non-null values of the rows, possibly repeated but
    /// without a hash or string comparison per row: a dictionary yields each
    /// entry some row uses, once; a plain column each run of equal values.
    pub fn run_values(self) -> Vec<&'a str> {
        match self {
            StrColumn::Dict { keys, values } => {
                let mut used = vec![false; values.len()];
                for (row, &k) in keys.values().iter().enumerate() {
                    if keys.is_valid(row) {
                        if let Some(u) = used.get_mut(k as usize) {
                            *u = true;
                        }
                    }
                }
                (0..values.len())
                    .filter(|&i| used[i] && values.is_valid(i))
                    .map(|i| values.value(i))
                    .collect()
            }
            StrColumn::Plain(s) => {
                let mut out: Vec<&'a str> = Vec::new();
                for v in s.iter().flatten() {
                    if out.last() != Some(&v) {
                        out.push(v);
                    }
                }
                out
            }
        }
    }

    /// Each row's value, None where null.
    pub fn iter(self) -> impl Iterator<Item = Option<&'a str>> + 'a {
        (0..self.len()).map(move |i| self.is_valid(i).then(|| self.value(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_share_one_entry() {
        let mut b = StrDictBuilder::default();
        for s in ["a", "b", "a", "a", "c", "b"] {
            b.append_value(s);
        }
        b.append_null();
        let a = b.finish();
        assert_eq!(a.data_type(), &dict_type());
        let d = a.as_dictionary::<Int32Type>();
        assert_eq!(d.values().len(), 3);
        assert_eq!(d.keys().values().to_vec(), vec![0, 1, 0, 0, 2, 1, 0]);
        assert!(d.is_null(6));
        let typed = d.downcast_dict::<StringArray>().expect("utf8 values");
        let got: Vec<Option<&str>> = typed.into_iter().collect();
        assert_eq!(
            got,
            vec![
                Some("a"),
                Some("b"),
                Some("a"),
                Some("a"),
                Some("c"),
                Some("b"),
                None
            ]
        );
        // A fresh dictionary after finish.
        b.append_value("z");
        assert_eq!(b.finish().as_dictionary::<Int32Type>().values().len(), 1);
    }

    #[test]
    fn run_values_lists_used_entries_and_runs() {
        let mut b = StrDictBuilder::default();
        for s in ["a", "b", "a", "a"] {
            b.append_value(s);
        }
        b.append_null();
        let a = b.finish();
        // Entry "b" is used; a row-free entry would not be listed.
        let sliced = a.slice(2, 3);
        assert_eq!(
            StrColumn::of(a.as_ref()).map(|c| c.run_values()),
            Some(vec!["a", "b"])
        );
        assert_eq!(
            StrColumn::of(sliced.as_ref()).map(|c| c.run_values()),
            Some(vec!["a"])
        );
        let plain = StringArray::from(vec![Some("x"), Some("x"), None, Some("y"), Some("x")]);
        assert_eq!(StrColumn::Plain(&plain).run_values(), vec!["x", "y", "x"]);
    }
}
