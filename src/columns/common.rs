//! Column pieces reused by several tables: ids, timestamps, and list-of-struct
//! columns assembled from flat child builders.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, FixedSizeBinaryBuilder, ListArray, StructArray,
    TimestampNanosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

pub const TRACE_ID_LEN: i32 = 16;
pub const SPAN_ID_LEN: i32 = 8;

pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

pub fn timestamp_builder() -> TimestampNanosecondBuilder {
    TimestampNanosecondBuilder::new().with_timezone("UTC")
}

/// OTLP times are u64 ns; Arrow timestamps are i64. The bit pattern is kept,
/// so a round trip is exact (times past 2262 would read as negative).
pub fn ts(nanos: u64) -> i64 {
    nanos as i64
}

/// Fields for an id column and its `_raw` sibling holding ids of the wrong length.
pub fn id_fields(name: &str, width: i32) -> [Field; 2] {
    [
        Field::new(name, DataType::FixedSizeBinary(width), true),
        Field::new(format!("{name}_raw"), DataType::Binary, true),
    ]
}

/// Ids of the right width go to the FixedSizeBinary column; an empty id is null;
/// an id of any other length is kept verbatim in the `_raw` column (for `validate`).
pub struct IdBuilder {
    width: i32,
    fixed: FixedSizeBinaryBuilder,
    raw: BinaryBuilder,
}

impl IdBuilder {
    pub fn new(width: i32) -> Self {
        Self {
            width,
            fixed: FixedSizeBinaryBuilder::new(width),
            raw: BinaryBuilder::new(),
        }
    }

    pub fn append(&mut self, id: &[u8]) {
        if id.is_empty() {
            self.fixed.append_null();
            self.raw.append_null();
        } else if id.len() == self.width as usize {
            // Length checked on the line above, so this cannot fail.
            self.fixed.append_value(id).expect("id width checked");
            self.raw.append_null();
        } else {
            self.fixed.append_null();
            self.raw.append_value(id);
        }
    }

    pub fn finish(&mut self) -> [ArrayRef; 2] {
        [Arc::new(self.fixed.finish()), Arc::new(self.raw.finish())]
    }
}

/// Offsets for a list column built from a flat child: call `close_row` after each row's items.
#[derive(Default)]
pub struct ListOffsets {
    offsets: Vec<i32>,
    len: i32,
}

impl ListOffsets {
    pub fn push_items(&mut self, n: usize) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.len += n as i32;
    }

    pub fn close_row(&mut self) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.offsets.push(self.len);
    }

    pub fn finish(&mut self) -> OffsetBuffer<i32> {
        let mut offsets = std::mem::take(&mut self.offsets);
        if offsets.is_empty() {
            offsets.push(0);
        }
        self.len = 0;
        OffsetBuffer::new(offsets.into())
    }
}

/// `List<Struct<fields>>` data type.
pub fn list_of_struct(fields: Vec<Field>) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(fields)),
        false,
    )))
}

/// Assembles a `List<Struct>` column from child arrays and row offsets.
pub fn finish_list_of_struct(
    fields: Vec<Field>,
    children: Vec<ArrayRef>,
    offsets: OffsetBuffer<i32>,
) -> ArrayRef {
    let item = Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(fields.clone())),
        false,
    ));
    let values = StructArray::new(Fields::from(fields), children, None);
    Arc::new(ListArray::new(item, offsets, Arc::new(values), None))
}

pub fn list_type(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}
