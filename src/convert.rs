//! (in progress) `convert`: raw records to Parquet tables.

use crate::cli::ConvertArgs;
use crate::error::{Error, Result};

pub struct ConvertSummary;

pub fn convert(_args: &ConvertArgs) -> Result<ConvertSummary> {
    Err(Error::Usage("convert: not implemented yet".into()))
}
