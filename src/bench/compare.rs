//! Result equality between backends: integer, string and key columns exactly,
//! f64 values within 1e-9 relative (NaN equals NaN), as DESIGN.md promises.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};

/// Largest relative difference two f64 results may have and still agree.
pub const F64_RELATIVE_TOLERANCE: f64 = 1e-9;

/// True when `a` and `b` agree within [`F64_RELATIVE_TOLERANCE`].
pub fn f64_close(a: f64, b: f64) -> bool {
    a == b
        || (a.is_nan() && b.is_nan())
        || (a - b).abs() <= F64_RELATIVE_TOLERANCE * a.abs().max(b.abs())
}

/// Ok when both batches hold the same schema and rows; else the first difference.
pub fn compare_batches(expected: &RecordBatch, actual: &RecordBatch) -> Result<(), String> {
    let (es, as_) = (expected.schema(), actual.schema());
    let names = |s: &arrow::datatypes::Schema| -> Vec<String> {
        s.fields()
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.data_type()))
            .collect()
    };
    if names(&es) != names(&as_) {
        return Err(format!(
            "columns differ: {:?} vs {:?}",
            names(&es),
            names(&as_)
        ));
    }
    if expected.num_rows() != actual.num_rows() {
        return Err(format!(
            "row counts differ: {} vs {}",
            expected.num_rows(),
            actual.num_rows()
        ));
    }
    for (i, field) in es.fields().iter().enumerate() {
        compare_columns(field.name(), expected.column(i), actual.column(i))?;
    }
    Ok(())
}

fn compare_columns(name: &str, a: &ArrayRef, b: &ArrayRef) -> Result<(), String> {
    if a.data_type() != b.data_type() || a.len() != b.len() {
        return Err(format!("{name}: types or lengths differ"));
    }
    match a.data_type() {
        DataType::Float64 => {
            let (x, y) = (
                a.as_primitive::<Float64Type>(),
                b.as_primitive::<Float64Type>(),
            );
            for i in 0..x.len() {
                if x.is_null(i) != y.is_null(i) {
                    return Err(format!("{name}[{i}]: null in one result only"));
                }
                if x.is_valid(i) && !f64_close(x.value(i), y.value(i)) {
                    return Err(format!("{name}[{i}]: {} vs {}", x.value(i), y.value(i)));
                }
            }
            Ok(())
        }
        DataType::List(f) if f.data_type() == &DataType::Float64 => {
            let (x, y) = (a.as_list::<i32>(), b.as_list::<i32>());
            for i in 0..x.len() {
                if x.is_null(i) != y.is_null(i) {
                    return Err(format!("{name}[{i}]: null in one result only"));
                }
                if x.is_valid(i) {
                    compare_columns(&format!("{name}[{i}]"), &x.value(i), &y.value(i))?;
                }
            }
            Ok(())
        }
        _ if a.to_data() == b.to_data() => Ok(()),
        _ => Err(format!("{name}: values differ")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, ListArray, UInt64Array};
    use arrow::datatypes::{Field, Float64Type, Schema};

    use super::*;

    fn batch(
        ints: Vec<u64>,
        floats: Vec<Option<f64>>,
        lists: Vec<Option<Vec<Option<f64>>>>,
    ) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("n", DataType::UInt64, false),
            Field::new("x", DataType::Float64, true),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))),
                true,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(UInt64Array::from(ints)),
                Arc::new(Float64Array::from(floats)),
                Arc::new(ListArray::from_iter_primitive::<Float64Type, _, _>(lists)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn floats_agree_within_tolerance_integers_exactly() {
        let a = batch(
            vec![1, 2],
            vec![Some(1.0), Some(f64::NAN)],
            vec![Some(vec![Some(3.0)]), None],
        );
        let b = batch(
            vec![1, 2],
            vec![Some(1.0 + 1e-12), Some(f64::NAN)],
            vec![Some(vec![Some(3.0 * (1.0 + 1e-12))]), None],
        );
        assert_eq!(compare_batches(&a, &b), Ok(()));
        let c = batch(
            vec![1, 3],
            vec![Some(1.0), Some(f64::NAN)],
            vec![Some(vec![Some(3.0)]), None],
        );
        assert_eq!(compare_batches(&a, &c), Err("n: values differ".into()));
        let d = batch(
            vec![1, 2],
            vec![Some(1.0 + 1e-6), Some(f64::NAN)],
            vec![Some(vec![Some(3.0)]), None],
        );
        assert!(compare_batches(&a, &d).unwrap_err().starts_with("x[0]"));
        let e = batch(
            vec![1, 2],
            vec![Some(1.0), None],
            vec![Some(vec![Some(3.0)]), None],
        );
        assert!(compare_batches(&a, &e).unwrap_err().contains("null"));
        let f = batch(
            vec![1, 2],
            vec![Some(1.0), Some(f64::NAN)],
            vec![Some(vec![Some(3.1)]), None],
        );
        assert!(compare_batches(&a, &f).unwrap_err().starts_with("l[0][0]"));
    }

    #[test]
    fn row_count_and_schema_differences_are_reported() {
        let a = batch(vec![1], vec![Some(1.0)], vec![None]);
        let b = batch(vec![1, 2], vec![Some(1.0), None], vec![None, None]);
        assert!(compare_batches(&a, &b).unwrap_err().contains("row counts"));
    }
}
