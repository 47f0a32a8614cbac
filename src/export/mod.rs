//! Results out: Parquet files and table / CSV / JSON printers.

pub mod format;
pub mod parquet;
pub mod print;
pub mod time_unit;
