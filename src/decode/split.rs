//! One large protobuf request decoded on every thread of the current rayon
//! pool: cut at its resource records (a top-level walk of field 1, which
//! reads only length prefixes), the runs decoded in parallel, and their
//! columns and counts put back in order. The rows are those of the whole
//! request; batches also end where runs end. (OTLP/JSON: `json_stream::split`.)

use rayon::prelude::*;

use crate::columns::Projection;
use crate::error::FrameProblem;

use super::{wire, DecodedFrame, Signal};

/// Requests smaller than this are decoded on one thread.
pub const SPLIT_MIN_BYTES: usize = 8 << 20;

/// Runs per thread, so that resources of uneven size still balance.
const RUNS_PER_THREAD: usize = 4;

/// A protobuf request of `signal`, split when it holds at least `min_bytes`
/// and the pool has more than one thread.
pub(super) fn protobuf(
    data: &[u8],
    signal: Signal,
    projection: Option<Projection>,
    batch_rows: usize,
    min_bytes: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let threads = rayon::current_num_threads();
    let whole = || wire::decode(data, signal, projection, batch_rows);
    if data.len() < min_bytes || threads < 2 {
        return whole();
    }
    let target = data.len() / (threads * RUNS_PER_THREAD);
    let runs = match wire::resource_runs(data, target) {
        Some(runs) if runs.len() > 1 => runs,
        // Malformed at the top level (the whole decode says where), or one resource.
        _ => return whole(),
    };
    let parts: Vec<_> = runs
        .into_par_iter()
        .map(|r| wire::decode_at(&data[r.clone()], r.start, signal, projection, batch_rows))
        .collect();
    merge(signal, parts)
}

/// The parts of one request, in order; the first problem in the text is the one reported.
fn merge(
    signal: Signal,
    parts: Vec<Result<DecodedFrame, FrameProblem>>,
) -> Result<DecodedFrame, FrameProblem> {
    let mut out = DecodedFrame {
        signal: Some(signal),
        ..DecodedFrame::default()
    };
    for part in parts {
        let part = part?;
        out.stats.merge(&part.stats);
        out.tables.extend(part.tables);
    }
    Ok(out)
}
