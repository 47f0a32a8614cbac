//! Compact span records for `validate`: ids, times and an interned
//! (service, name) label per span, taken from span batches on the decode workers.

use std::cmp::Ordering;
use std::collections::HashMap;

use arrow::array::{Array, AsArray, BinaryArray, FixedSizeBinaryArray, RecordBatch};
use arrow::datatypes::TimestampNanosecondType;

use crate::columns::context::SERVICE_NAME;
use crate::columns::dict::StrColumn;
use crate::columns::spans::{END, NAME, PARENT_SPAN_ID, SPAN_ID, START, TRACE_ID};
use crate::columns::Table;
use crate::decode::DecodedFrame;
use crate::error::{Error, Result};

/// An id as it came: inline when it has the expected width `N`, boxed
/// otherwise (empty or wrong length, kept so it can be reported and grouped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Id<const N: usize> {
    Fixed([u8; N]),
    /// Any length but `N` (so equality of the enum is equality of the bytes).
    Other(Box<[u8]>),
}

pub(crate) type TraceId = Id<16>;
pub(crate) type SpanId = Id<8>;

impl<const N: usize> Id<N> {
    pub fn from_slice(bytes: &[u8]) -> Self {
        match <[u8; N]>::try_from(bytes) {
            Ok(fixed) => Id::Fixed(fixed),
            Err(_) => Id::Other(bytes.into()),
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Id::Fixed(b) => b,
            Id::Other(b) => b,
        }
    }

    /// Empty or all-zero: "no id" (for a parent, the mark of a root).
    pub fn is_unset(&self) -> bool {
        self.as_slice().iter().all(|b| *b == 0)
    }

    /// The expected width and not all zero.
    pub fn is_valid(&self) -> bool {
        matches!(self, Id::Fixed(_)) && !self.is_unset()
    }

    /// Non-empty and of the wrong width.
    pub fn is_wrong_length(&self) -> bool {
        matches!(self, Id::Other(b) if !b.is_empty())
    }
}

impl<const N: usize> Ord for Id<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl<const N: usize> PartialOrd for Id<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpanRecord {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: SpanId,
    pub start: u64,
    pub end: u64,
    /// Position among all spans of all inputs, in input order: examples are
    /// chosen by it, so they do not depend on partitioning or threads.
    pub seq: u64,
    /// Index into the label table of (service, name).
    pub label: u32,
}

/// A span's service name and span name, shown with examples.
pub(crate) type Label = (Option<String>, String);

/// The spans of one frame, already split into partitions by trace id;
/// `seq` counts from 0 within the frame and `label` indexes `labels`.
pub(crate) struct FrameSpans {
    pub parts: Vec<Vec<SpanRecord>>,
    pub labels: Vec<Label>,
    pub spans: u64,
}

/// The partition a trace belongs to: FNV-1a of its id bytes, so it is the
/// same on every run and every machine.
pub(crate) fn partition_of(trace_id: &[u8], partitions: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in trace_id {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % partitions.max(1) as u64) as usize
}

/// The map stage: compact records from the frame's span batches.
pub(crate) fn extract(decoded: &DecodedFrame, partitions: usize) -> Result<FrameSpans> {
    let mut out = FrameSpans {
        parts: (0..partitions.max(1)).map(|_| Vec::new()).collect(),
        labels: Vec::new(),
        spans: 0,
    };
    let mut label_ids: HashMap<(Option<&str>, &str), u32> = HashMap::new();
    for t in decoded.tables.iter().filter(|t| t.table == Table::Spans) {
        let b = &t.batch;
        let trace = IdColumn::new(b, TRACE_ID)?;
        let span = IdColumn::new(b, SPAN_ID)?;
        let parent = IdColumn::new(b, PARENT_SPAN_ID)?;
        let start = column(b, START, |c| {
            c.as_primitive_opt::<TimestampNanosecondType>()
        })?;
        let end = column(b, END, |c| c.as_primitive_opt::<TimestampNanosecondType>())?;
        let name = str_column(b, NAME)?;
        let service = str_column(b, SERVICE_NAME)?;
        for row in 0..b.num_rows() {
            let trace_id = TraceId::from_slice(trace.get(row));
            let key = (
                service.is_valid(row).then(|| service.value(row)),
                name.value(row),
            );
            let next = label_ids.len() as u32;
            let label = *label_ids.entry(key).or_insert_with(|| {
                out.labels
                    .push((key.0.map(str::to_owned), key.1.to_owned()));
                next
            });
            let part = partition_of(trace_id.as_slice(), out.parts.len());
            out.parts[part].push(SpanRecord {
                trace_id,
                span_id: SpanId::from_slice(span.get(row)),
                parent_span_id: SpanId::from_slice(parent.get(row)),
                // Arrow timestamps hold the OTLP u64 bit pattern.
                start: start.value(row) as u64,
                end: end.value(row) as u64,
                seq: out.spans,
                label,
            });
            out.spans += 1;
        }
    }
    Ok(out)
}

/// An id column and its `_raw` sibling (ids of the wrong length).
struct IdColumn<'a> {
    fixed: &'a FixedSizeBinaryArray,
    raw: &'a BinaryArray,
}

impl<'a> IdColumn<'a> {
    fn new(batch: &'a RecordBatch, name: &str) -> Result<Self> {
        Ok(Self {
            fixed: column(batch, name, |c| c.as_fixed_size_binary_opt())?,
            raw: column(batch, &format!("{name}_raw"), |c| c.as_binary_opt::<i32>())?,
        })
    }

    /// The id bytes; empty when both columns are null (an empty id).
    fn get(&self, row: usize) -> &'a [u8] {
        if self.fixed.is_valid(row) {
            self.fixed.value(row)
        } else if self.raw.is_valid(row) {
            self.raw.value(row)
        } else {
            &[]
        }
    }
}

fn str_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<StrColumn<'a>> {
    batch
        .column_by_name(name)
        .and_then(|c| StrColumn::of(c.as_ref()))
        .ok_or_else(|| {
            Error::Aggregate(format!("validate: spans table has no usable column {name}"))
        })
}

fn column<'a, A: 'a>(
    batch: &'a RecordBatch,
    name: &str,
    cast: impl FnOnce(&'a dyn Array) -> Option<&'a A>,
) -> Result<&'a A> {
    batch
        .column_by_name(name)
        .and_then(|c| cast(c.as_ref()))
        .ok_or_else(|| {
            Error::Aggregate(format!("validate: spans table has no usable column {name}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_bytes_and_order_by_them() {
        let fixed = SpanId::from_slice(&[1; 8]);
        assert!(matches!(fixed, Id::Fixed(_)) && fixed.is_valid());
        let short = SpanId::from_slice(&[1; 3]);
        assert!(short.is_wrong_length() && !short.is_valid() && !short.is_unset());
        let empty = SpanId::from_slice(&[]);
        assert!(empty.is_unset() && empty.as_slice().is_empty() && !empty.is_wrong_length());
        let zero = SpanId::from_slice(&[0; 8]);
        assert!(zero.is_unset() && !zero.is_valid());
        assert!(short < fixed && empty < short);
        assert_eq!(TraceId::from_slice(&[7; 16]), TraceId::Fixed([7; 16]));
    }

    #[test]
    fn partitions_are_stable_and_in_range() {
        for p in [1, 3, 64] {
            let a = partition_of(&[9; 16], p);
            assert!(a < p);
            assert_eq!(a, partition_of(&[9; 16], p));
        }
        assert_eq!(partition_of(&[], 0), 0);
    }
}
