//! One large OTLP/JSON request read on every thread of the current rayon
//! pool. This thread scans the text once (serde_json checks that it is JSON)
//! and keeps the byte range of each element of the signal key's list; as
//! soon as a run of them is long enough it goes to the pool, so scanning and
//! parsing overlap. Each run is parsed like a request of its own, from the
//! frame's text (nothing is copied), and the runs' columns and counts are
//! put back in text order: the rows of the whole request. When the scan
//! fails the request is read again on one thread, so that the problem
//! reported is the first in the text, as without the split.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use serde::de::{MapAccess, SeqAccess};
use serde_json::value::RawValue;

use crate::decode::{DecodedFrame, Signal};
use crate::error::FrameProblem;

use super::common::{read_resource_text, signal_of_key};
use super::{decode_whole, read_request, skip, Ctx, Fields, Items, Params, Seg};

/// Runs per thread, so that resources of uneven size still balance.
const RUNS_PER_THREAD: usize = 4;

/// Consecutive elements of one signal key's list, parsed together.
struct Run {
    id: usize,
    signal: Signal,
    /// The key's name, for paths.
    name: &'static str,
    first_index: usize,
    ranges: Vec<Range<usize>>,
    bytes: usize,
}

/// Reads `text` (at least one element of a signal key) on the current pool.
pub(super) fn decode(
    text: &str,
    params: Params,
    threads: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let target = (text.len() / (threads * RUNS_PER_THREAD)).max(1);
    let parsed = Mutex::new(Vec::new());
    let (scan, mut out, first_id) = rayon::scope(|s| {
        let parsed = &parsed;
        let mut spawn = |run: Run| {
            s.spawn(move |_| {
                let part = read_run(text, &run, params);
                let mut parsed = parsed.lock().unwrap_or_else(PoisonError::into_inner);
                parsed.push((run.id, part));
            })
        };
        let mut runs = Runs {
            text,
            target,
            open: None,
            next_id: 0,
            first_id: 0,
            spawn: &mut spawn,
        };
        let mut ctx = Ctx::new(params);
        let scan = read_request(&mut ctx, text, &mut ScanRequest { runs: &mut runs });
        (scan, std::mem::take(&mut ctx.out), runs.first_id)
    });
    let mut parts = parsed.into_inner().unwrap_or_else(PoisonError::into_inner);
    // A later key of a higher-ranked signal replaced the runs before `first_id`.
    parts.retain(|(id, _)| *id >= first_id);
    if scan.is_err() || parts.iter().any(|(_, part)| part.is_err()) {
        // The problem may sit inside an element the scan did not finish,
        // after an earlier one in it, and a run's problem has its position
        // within the run's text (the skipping scan accepts numbers out of
        // range): the whole parse reports the first, where it is.
        return decode_whole(text, params);
    }
    parts.sort_by_key(|(id, _)| *id);
    for (_, part) in parts {
        let part = part?;
        out.stats.merge(&part.stats);
        out.tables.extend(part.tables);
    }
    Ok(out)
}

/// Parses a run as the elements `first_index..` of its key's list.
fn read_run(text: &str, run: &Run, params: Params) -> Result<DecodedFrame, FrameProblem> {
    let mut ctx = Ctx::new(Params {
        forced: None,
        ..params
    });
    ctx.begin(run.signal);
    for (k, range) in run.ranges.iter().enumerate() {
        ctx.path.clear();
        ctx.path
            .extend([Seg::Key(run.name), Seg::Index(run.first_index + k)]);
        let element = text.get(range.clone()).ok_or_else(|| {
            FrameProblem::InvalidJson(format!("no resource record at bytes {range:?}"))
        })?;
        read_resource_text(&mut ctx, element, run.signal)?;
    }
    ctx.finish();
    Ok(ctx.out)
}

/// The runs of the scan: the open one, and how closed ones reach the pool.
struct Runs<'t, 's> {
    text: &'t str,
    target: usize,
    open: Option<Run>,
    next_id: usize,
    /// The first run of the signal being read.
    first_id: usize,
    spawn: &'s mut dyn FnMut(Run),
}

impl Runs<'_, '_> {
    fn push(&mut self, signal: Signal, name: &'static str, index: usize, element: &str) {
        // The element is borrowed from the text: its place there is its range.
        let start = (element.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let id = self.next_id;
        let run = self.open.get_or_insert_with(|| Run {
            id,
            signal,
            name,
            first_index: index,
            ranges: Vec::new(),
            bytes: 0,
        });
        run.ranges.push(start..start.wrapping_add(element.len()));
        run.bytes += element.len();
        if run.bytes >= self.target {
            self.close();
        }
    }

    fn close(&mut self) {
        if let Some(run) = self.open.take() {
            self.next_id += 1;
            (self.spawn)(run);
        }
    }

    /// A new signal replaces what was read (see `Ctx::signal_key`).
    fn restart(&mut self) {
        self.open = None;
        self.first_id = self.next_id;
    }
}

/// The top-level object, scanned: the elements of signal keys become runs.
struct ScanRequest<'r, 't, 's> {
    runs: &'r mut Runs<'t, 's>,
}

impl<'de> Fields<'de> for ScanRequest<'_, '_, '_> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let Some((signal, name)) = signal_of_key(key) else {
            return skip(map);
        };
        let mut items = ScanResources {
            runs: &mut *self.runs,
            signal,
            name,
            index: 0,
        };
        ctx.list(map, name, &mut items)?;
        Ok(())
    }
}

struct ScanResources<'r, 't, 's> {
    runs: &'r mut Runs<'t, 's>,
    signal: Signal,
    name: &'static str,
    index: usize,
}

impl<'de> Items<'de> for ScanResources<'_, '_, '_> {
    fn begin(&mut self, ctx: &mut Ctx) -> Result<bool, FrameProblem> {
        let before = ctx.out.signal;
        let read = ctx.signal_key(self.signal)?;
        if read && before != Some(self.signal) {
            self.runs.restart();
        }
        Ok(read)
    }

    fn item<A: SeqAccess<'de>>(&mut self, _: &mut Ctx, seq: &mut A) -> Result<bool, A::Error> {
        let Some(element) = seq.next_element::<&'de RawValue>()? else {
            self.runs.close();
            return Ok(false);
        };
        self.runs
            .push(self.signal, self.name, self.index, element.get());
        self.index += 1;
        Ok(true)
    }
}
