//! Results out: Parquet files and table / CSV / JSON printers.

pub mod csv;
pub mod format;
mod human;
pub mod parquet;
pub mod print;
pub mod table;
pub mod time_unit;
