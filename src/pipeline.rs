//! The staged data path every reading command uses: one reader thread
//! (files, decompression, framing) → rayon tasks that decode frames and run
//! the command's map stage → an ordered consumer that merges. Frames in
//! flight are bounded by permits and their bytes by a budget, so a slow
//! consumer blocks the reader (backpressure) and nothing is dropped; delivery
//! is in input order, so results do not depend on thread count or scheduling.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

use crate::decode::{self, DecodedFrame, Signal};
use crate::error::{Error, FrameLocation, FrameProblem, Result};
use crate::input::budget::{ByteBudget, Grant};
use crate::input::framing::{FrameReader, Framing};
use crate::input::limits::{DEFAULT_MAX_FRAME_BYTES, DEFAULT_QUEUE_BYTES};
use crate::input::zstd_frame::{foreseen_size, is_zstd, unzstd_frame};
use crate::input::{open_input, parquet, InputSource, Wrapping};

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub threads: usize,
    /// Frames allowed in flight between reader and consumer.
    pub queue_frames: usize,
    /// Bytes of frames allowed in flight (a single larger frame still goes alone).
    pub queue_bytes: u64,
    /// A frame larger than this once decompressed is bad (`--max-frame-bytes`).
    pub max_frame_bytes: u64,
    pub batch_rows: usize,
    pub skip_invalid: bool,
    /// Decode every input as this signal instead of sniffing.
    pub forced_signal: Option<Signal>,
    /// Build columns only for this signal (other inputs are counted, then ignored).
    pub only_signal: Option<Signal>,
    /// False when only counts are needed (`inspect`).
    pub build_columns: bool,
    /// Which costly columns to fill (OTLP) or read (Parquet).
    pub projection: crate::columns::Projection,
    /// Parquet input: read only these columns (None: all the projection keeps).
    pub columns: Option<Vec<String>>,
    pub progress: bool,
}

impl PipelineOptions {
    pub fn new(threads: Option<usize>) -> Self {
        Self {
            threads: threads.unwrap_or_else(default_threads).max(1),
            queue_frames: 64,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            batch_rows: 65_536,
            skip_invalid: false,
            forced_signal: None,
            only_signal: None,
            build_columns: true,
            projection: crate::columns::Projection::ALL,
            columns: None,
            progress: false,
        }
    }

    pub fn from_args(args: &crate::cli::InputArgs) -> Self {
        Self {
            queue_frames: args.queue_frames.max(1),
            queue_bytes: args.queue_bytes,
            max_frame_bytes: args.max_frame_bytes,
            batch_rows: args.batch_rows.max(1),
            skip_invalid: args.skip_invalid,
            progress: !args.quiet && std::io::stderr().is_terminal(),
            ..Self::new(args.threads)
        }
    }

    pub fn thread_pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", self.threads)))
    }
}

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What the ordered consumer receives, in input order.
pub enum Event<T> {
    /// A decoded frame after the map stage.
    Frame {
        input: usize,
        frame: u64,
        signal: Option<Signal>,
        decoded: DecodedFrame,
        mapped: T,
    },
    /// A bad frame skipped under `--skip-invalid` (already reported on stderr).
    Skipped {
        input: usize,
        location: FrameLocation,
        problem: FrameProblem,
    },
    /// All frames of an input have been delivered.
    InputEnd {
        input: usize,
        bytes: u64,
        framing: Option<Framing>,
    },
}

/// Measurements of one run.
#[derive(Debug, Clone, Default)]
pub struct PipelineReport {
    pub threads: usize,
    pub frames: u64,
    pub skipped_frames: u64,
    pub peak_in_flight: usize,
    pub in_flight_bound: usize,
    /// Most bytes of frames held between reader and consumer at once.
    pub peak_bytes_in_flight: u64,
    pub read_time: Duration,
    pub wall_time: Duration,
    pub consumer_time: Duration,
}

enum Work {
    Frame {
        data: Vec<u8>,
    },
    ParquetSlice {
        input: Arc<parquet::ParquetInput>,
        slice: parquet::Slice,
    },
    /// A problem found by the reader itself (framing, open).
    Bad(FrameProblem),
    End {
        bytes: u64,
        framing: Option<Framing>,
    },
}

/// Where a unit of work sits: its place in the delivery order and in its input.
#[derive(Debug, Clone, Copy)]
struct Place {
    seq: u64,
    input: usize,
    frame: u64,
    offset: u64,
}

struct Unit {
    place: Place,
    work: Work,
    /// The bytes this unit holds of the budget, given back on delivery.
    held: Vec<Grant>,
}

enum Outcome<T> {
    Frame {
        signal: Option<Signal>,
        decoded: DecodedFrame,
        mapped: T,
    },
    Bad(FrameProblem),
    End {
        bytes: u64,
        framing: Option<Framing>,
    },
    Failed(Error),
}

/// Runs the pipeline over `sources`. `map` runs on worker threads per decoded
/// frame; `consume` runs on the calling thread, in input order.
pub fn run<T, M, C>(
    sources: &[InputSource],
    opts: &PipelineOptions,
    map: M,
    consume: C,
) -> Result<PipelineReport>
where
    T: Send,
    M: Fn(&DecodedFrame) -> Result<T> + Sync,
    C: FnMut(Event<T>) -> Result<()>,
{
    run_in(&opts.thread_pool()?, sources, opts, map, consume)
}

/// `run` on a caller's thread pool (so later stages can share it).
pub fn run_in<T, M, C>(
    pool: &rayon::ThreadPool,
    sources: &[InputSource],
    opts: &PipelineOptions,
    map: M,
    mut consume: C,
) -> Result<PipelineReport>
where
    T: Send,
    M: Fn(&DecodedFrame) -> Result<T> + Sync,
    C: FnMut(Event<T>) -> Result<()>,
{
    let started = Instant::now();
    let bound = opts.queue_frames + opts.threads;
    // Permits: the reader sends one per unit, the consumer takes it back on delivery.
    let (permit_tx, permit_rx) = bounded::<()>(bound);
    let budget = ByteBudget::new(opts.queue_bytes);
    let (out_tx, out_rx) = unbounded::<(Place, Outcome<T>, Vec<Grant>)>();
    let stop = AtomicBool::new(false);
    let in_flight = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let mut report = PipelineReport {
        threads: opts.threads,
        in_flight_bound: bound,
        ..PipelineReport::default()
    };
    let progress = crate::progress::bytes_bar(opts.progress, sources);

    let result = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let t0 = Instant::now();
            pool.in_place_scope(|tasks| {
                let gate = Gate {
                    stop: &stop,
                    permits: &permit_tx,
                    budget: &budget,
                    max_frame: opts.max_frame_bytes,
                };
                read_all(sources, &gate, &progress, |mut unit| {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let out_tx = out_tx.clone();
                    let map = &map;
                    let budget = &budget;
                    tasks.spawn(move |_| {
                        let outcome = process(unit.work, opts, map, budget, &mut unit.held);
                        let _ = out_tx.send((unit.place, outcome, unit.held));
                    });
                })
            });
            drop(out_tx);
            t0.elapsed()
        });
        let consumed = deliver_in_order(
            sources,
            opts,
            &out_rx,
            &permit_rx,
            &in_flight,
            &mut report,
            &mut consume,
        );
        if consumed.is_err() {
            stop.store(true, Ordering::SeqCst);
            // Unblock the reader: it may be waiting for a permit or for bytes.
            budget.close();
            drop(permit_rx);
            drop(out_rx);
        }
        report.read_time = reader.join().unwrap_or_default();
        consumed
    });
    progress.finish_and_clear();
    report.peak_in_flight = peak.load(Ordering::SeqCst);
    report.peak_bytes_in_flight = budget.peak();
    report.wall_time = started.elapsed();
    result.map(|()| report)
}

/// Reorders outcomes by sequence number and hands them to the consumer.
fn deliver_in_order<T, C>(
    sources: &[InputSource],
    opts: &PipelineOptions,
    out_rx: &Receiver<(Place, Outcome<T>, Vec<Grant>)>,
    permit_rx: &Receiver<()>,
    in_flight: &AtomicUsize,
    report: &mut PipelineReport,
    consume: &mut C,
) -> Result<()>
where
    C: FnMut(Event<T>) -> Result<()>,
{
    let mut pending: BTreeMap<u64, (Place, Outcome<T>, Vec<Grant>)> = BTreeMap::new();
    let mut next = 0u64;
    let mut stream_signal: Vec<Option<Signal>> = vec![None; sources.len()];
    for (place, outcome, held) in out_rx.iter() {
        pending.insert(place.seq, (place, outcome, held));
        while let Some((
            Place {
                input,
                frame,
                offset,
                ..
            },
            outcome,
            held,
        )) = pending.remove(&next)
        {
            next += 1;
            // Count down before handing the permit and the bytes back, so the count never exceeds the bound.
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = permit_rx.try_recv();
            // Delivered: its bytes leave the pipeline (the consumer owns what it keeps).
            drop(held);
            let location = FrameLocation {
                path: sources[input].display(),
                frame,
                offset,
            };
            let t0 = Instant::now();
            let event = match outcome {
                Outcome::Failed(e) => return Err(e),
                Outcome::End { bytes, framing } => Event::InputEnd {
                    input,
                    bytes,
                    framing,
                },
                Outcome::Bad(problem) => bad_frame(opts, report, input, location, problem)?,
                Outcome::Frame {
                    signal,
                    decoded,
                    mapped,
                } => match (stream_signal[input], signal) {
                    (Some(expected), Some(found)) if expected != found => {
                        let problem = FrameProblem::MixedSignals { expected, found };
                        bad_frame(opts, report, input, location, problem)?
                    }
                    _ => {
                        stream_signal[input] = stream_signal[input].or(signal);
                        report.frames += 1;
                        Event::Frame {
                            input,
                            frame,
                            signal,
                            decoded,
                            mapped,
                        }
                    }
                },
            };
            consume(event)?;
            report.consumer_time += t0.elapsed();
        }
    }
    Ok(())
}

fn bad_frame<T>(
    opts: &PipelineOptions,
    report: &mut PipelineReport,
    input: usize,
    location: FrameLocation,
    problem: FrameProblem,
) -> Result<Event<T>> {
    if !opts.skip_invalid {
        return Err(Error::Frame { location, problem });
    }
    eprintln!("warning: skipped {location}: {problem}");
    report.skipped_frames += 1;
    Ok(Event::Skipped {
        input,
        location,
        problem,
    })
}

/// Decode + map, on a worker thread.
fn process<T, M>(
    work: Work,
    opts: &PipelineOptions,
    map: &M,
    budget: &Arc<ByteBudget>,
    held: &mut Vec<Grant>,
) -> Outcome<T>
where
    M: Fn(&DecodedFrame) -> Result<T>,
{
    let decoded = match work {
        Work::End { bytes, framing } => return Outcome::End { bytes, framing },
        Work::Bad(p) => return Outcome::Bad(p),
        Work::Frame { data } => {
            match unzip(data, opts, budget, held).and_then(|data| decode_frame(data, opts)) {
                Ok(d) => d,
                Err(p) => return Outcome::Bad(p),
            }
        }
        Work::ParquetSlice { input, slice } => match parquet::read_slice(&input, slice, opts) {
            Ok(tables) => crate::decode::to_columns::from_tables(tables),
            Err(p) => return Outcome::Bad(p),
        },
    };
    match map(&decoded) {
        Ok(mapped) => Outcome::Frame {
            signal: decoded.signal,
            decoded,
            mapped,
        },
        Err(e) => Outcome::Failed(e),
    }
}

/// Removes per-frame zstd within `--max-frame-bytes`. Bytes the reader could
/// not foresee (a frame without a declared size, larger than the first pass)
/// are charged to the budget without waiting: a worker must never wait for
/// bytes only delivery gives back (delivery may itself wait on this pool).
fn unzip(
    data: Vec<u8>,
    opts: &PipelineOptions,
    budget: &Arc<ByteBudget>,
    held: &mut Vec<Grant>,
) -> std::result::Result<Vec<u8>, FrameProblem> {
    if !is_zstd(&data) {
        return Ok(data);
    }
    let foreseen = foreseen_size(&data, opts.max_frame_bytes);
    let data = unzstd_frame(data, opts.max_frame_bytes)?;
    let unforeseen = (data.len() as u64).saturating_sub(foreseen);
    if unforeseen > 0 {
        held.push(budget.charge(unforeseen));
    }
    Ok(data)
}

fn decode_frame(
    data: Vec<u8>,
    opts: &PipelineOptions,
) -> std::result::Result<DecodedFrame, FrameProblem> {
    decode::decode_frame(
        &data,
        &decode::DecodeOptions {
            forced: opts.forced_signal,
            only_signal: opts.only_signal,
            projection: opts.build_columns.then_some(opts.projection),
            batch_rows: opts.batch_rows,
        },
    )
}

/// What the reader must pass before it queues a unit: a permit, and bytes.
struct Gate<'a> {
    stop: &'a AtomicBool,
    permits: &'a Sender<()>,
    budget: &'a Arc<ByteBudget>,
    max_frame: u64,
}

impl Gate<'_> {
    /// Waits for a permit and for the bytes a frame will occupy: its own, plus
    /// what it is foreseen to decompress to. None: stop reading.
    fn pass(&self, work: &Work) -> Option<Vec<Grant>> {
        if self.stop.load(Ordering::SeqCst) || self.permits.send(()).is_err() {
            return None;
        }
        let Work::Frame { data } = work else {
            return Some(Vec::new());
        };
        let bytes = data.len() as u64 + foreseen_size(data, self.max_frame);
        self.budget.acquire(bytes).map(|g| vec![g])
    }
}

/// The reader stage: walks inputs in order and emits units, each after passing the gate.
fn read_all(
    sources: &[InputSource],
    gate: &Gate<'_>,
    progress: &indicatif::ProgressBar,
    mut emit: impl FnMut(Unit),
) {
    let mut seq = 0u64;
    let mut send = |input: usize, frame: u64, offset: u64, work: Work| -> bool {
        let Some(held) = gate.pass(&work) else {
            return false;
        };
        emit(Unit {
            place: Place {
                seq,
                input,
                frame,
                offset,
            },
            work,
            held,
        });
        seq += 1;
        true
    };
    for (input, source) in sources.iter().enumerate() {
        let opened = match open_input(source) {
            Ok(o) => o,
            Err(e) => {
                let problem = match e {
                    Error::Io { source, .. } => FrameProblem::Read(source.to_string()),
                    other => FrameProblem::Read(other.to_string()),
                };
                if !send(input, 0, 0, Work::Bad(problem)) {
                    return;
                }
                continue;
            }
        };
        let bytes_before = progress.position();
        let (framing, ok) = if opened.wrapping == Wrapping::Parquet {
            (None, read_parquet(source, input, &mut send))
        } else {
            match FrameReader::with_size_hint(opened.reader, gate.max_frame, opened.size_hint) {
                Err(bad) => (
                    None,
                    send(input, bad.index, bad.offset, Work::Bad(bad.problem)),
                ),
                Ok(frames) => {
                    let framing = frames.framing();
                    let mut ok = true;
                    for item in frames {
                        progress
                            .set_position(bytes_before + opened.raw_bytes.load(Ordering::Relaxed));
                        let sent = match item {
                            Ok(f) => send(input, f.index, f.offset, Work::Frame { data: f.data }),
                            Err(bad) => send(input, bad.index, bad.offset, Work::Bad(bad.problem)),
                        };
                        if !sent {
                            ok = false;
                            break;
                        }
                    }
                    (Some(framing), ok)
                }
            }
        };
        if !ok {
            return;
        }
        let bytes = match source {
            InputSource::File(p) if opened.wrapping == Wrapping::Parquet => {
                std::fs::metadata(p).map_or(0, |m| m.len())
            }
            _ => opened.raw_bytes.load(Ordering::Relaxed),
        };
        progress.set_position(bytes_before + bytes);
        if !send(input, u64::MAX, bytes, Work::End { bytes, framing }) {
            return;
        }
    }
}

fn read_parquet(
    source: &InputSource,
    input: usize,
    send: &mut impl FnMut(usize, u64, u64, Work) -> bool,
) -> bool {
    let InputSource::File(path) = source else {
        return send(
            input,
            0,
            0,
            Work::Bad(FrameProblem::InvalidParquet(
                "Parquet input must be a file, not stdin".into(),
            )),
        );
    };
    match parquet::describe(path) {
        Err(p) => send(input, 0, 0, Work::Bad(p)),
        Ok((parquet_input, slices)) => {
            let parquet_input = Arc::new(parquet_input);
            slices.into_iter().enumerate().all(|(i, slice)| {
                let work = Work::ParquetSlice {
                    input: Arc::clone(&parquet_input),
                    slice,
                };
                send(input, i as u64, 0, work)
            })
        }
    }
}

/// Prints per-stage times and the peak number of frames in flight (`--verbose`).
pub fn report_verbose(r: &PipelineReport) {
    eprintln!(
        "pipeline: {} frames ({} skipped), read {:.3}s, consumer {:.3}s, wall {:.3}s, peak in flight {} of {} frames, {} bytes",
        r.frames,
        r.skipped_frames,
        r.read_time.as_secs_f64(),
        r.consumer_time.as_secs_f64(),
        r.wall_time.as_secs_f64(),
        r.peak_in_flight,
        r.in_flight_bound,
        r.peak_bytes_in_flight
    );
}
