//! `convert --time-unit`: the unit of every timestamp column, nested ones
//! included. Columns are built in nanoseconds; `us` casts them on the way out
//! (Spark, Trino/Athena and BigQuery read TIMESTAMP(MICROS) but not NANOS), and
//! Parquet input casts microseconds back so the rest of the engine sees one unit.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use clap::ValueEnum;

/// The unit timestamps are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TimeUnitArg {
    /// Nanoseconds: exact (the OTLP unit).
    #[default]
    Ns,
    /// Microseconds: sub-microsecond digits dropped (rounded down).
    Us,
}

impl TimeUnitArg {
    fn unit(self) -> TimeUnit {
        match self {
            TimeUnitArg::Ns => TimeUnit::Nanosecond,
            TimeUnitArg::Us => TimeUnit::Microsecond,
        }
    }
}

/// `dt` with every timestamp in it (also inside lists, structs and maps) in `unit`.
pub fn with_unit(dt: &DataType, unit: TimeUnit) -> DataType {
    let field = |f: &FieldRef| -> FieldRef {
        Arc::new(
            f.as_ref()
                .clone()
                .with_data_type(with_unit(f.data_type(), unit)),
        )
    };
    match dt {
        DataType::Timestamp(_, tz) => DataType::Timestamp(unit, tz.clone()),
        DataType::List(f) => DataType::List(field(f)),
        DataType::LargeList(f) => DataType::LargeList(field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(field(f), *n),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(field).collect::<Fields>()),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        other => other.clone(),
    }
}

/// The schema `schema` has when its timestamps are written in `unit`.
pub fn schema_with_unit(schema: &Schema, unit: TimeUnitArg) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            f.as_ref()
                .clone()
                .with_data_type(with_unit(f.data_type(), unit.unit()))
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Casts the columns of `batch` to the types of `schema` where they differ
/// (timestamp units only; ns → µs rounds toward zero, times are never negative).
pub fn cast_to(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, String> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                cast(c, f.data_type()).map_err(|e| format!("column {}: {e}", f.name()))
            }
        })
        .collect::<Result<Vec<ArrayRef>, String>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, ListArray, StructArray, TimestampNanosecondArray};
    use arrow::datatypes::{TimestampMicrosecondType, TimestampNanosecondType};

    fn ts_ns() -> DataType {
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    }

    #[test]
    fn nested_timestamps_change_unit_and_drop_sub_microsecond_digits() {
        let item = Field::new("time_unix_nano", ts_ns(), false);
        let event = DataType::Struct(Fields::from(vec![item.clone()]));
        let list = DataType::List(Arc::new(Field::new("item", event.clone(), true)));
        let schema = Schema::new(vec![
            Field::new("start", ts_ns(), false),
            Field::new("events", list.clone(), true),
            Field::new("name", DataType::Utf8, false),
        ]);
        let us = schema_with_unit(&schema, TimeUnitArg::Us);
        let ts_us = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        assert_eq!(us.field(0).data_type(), &ts_us);
        let DataType::List(f) = us.field(1).data_type() else {
            panic!("not a list")
        };
        let DataType::Struct(fs) = f.data_type() else {
            panic!("not a struct")
        };
        assert_eq!(fs[0].data_type(), &ts_us);
        assert_eq!(us.field(2).data_type(), &DataType::Utf8);
        assert_eq!(schema_with_unit(&schema, TimeUnitArg::Ns).as_ref(), &schema);

        let times = TimestampNanosecondArray::from(vec![1_700_000_000_123_456_789, 999])
            .with_timezone("UTC");
        let inner = StructArray::new(
            Fields::from(vec![item]),
            vec![Arc::new(times.clone()) as ArrayRef],
            None,
        );
        let events = ListArray::new(
            Arc::new(Field::new("item", event, true)),
            arrow::buffer::OffsetBuffer::from_lengths([2, 0]),
            Arc::new(inner),
            None,
        );
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(times),
                Arc::new(events),
                Arc::new(arrow::array::StringArray::from(vec!["a", "b"])),
            ],
        )
        .unwrap();
        let out = cast_to(&batch, &us).unwrap();
        let start = out.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(start.values(), &[1_700_000_000_123_456, 0]);
        let ev = out.column(1).as_list::<i32>().value(0);
        let ev_times = ev
            .as_struct()
            .column(0)
            .as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ev_times.values(), &[1_700_000_000_123_456, 0]);
        // And back: µs → ns multiplies (what Parquet input does).
        let back = cast_to(&out, &batch.schema()).unwrap();
        let ns = back.column(0).as_primitive::<TimestampNanosecondType>();
        assert_eq!(ns.values(), &[1_700_000_000_123_456_000, 0]);
        assert_eq!(out.column(1).len(), 2);
    }
}
