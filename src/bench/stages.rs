//! The stages `bench` times, each a plain function over the same inputs:
//! read (bytes and framing), decode (the pipeline building columns),
//! aggregate (map + reduce of decoded columns on one backend) and write
//! (Parquet, as `convert` writes it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use rayon::prelude::*;

use crate::aggregate::backend::Backend;
use crate::aggregate::{logs, metrics, output, traces, AggregateSpec, CHUNK_ROWS};
use crate::columns::{Table, TableBatch};
use crate::decode::Signal;
use crate::error::{Error, FrameLocation, Result};
use crate::export::parquet::{ParquetOptions, TableWriter};
use crate::input::framing::FrameReader;
use crate::input::{open_input, InputSource, Wrapping};
use crate::pipeline::{self, Event, PipelineOptions};

/// What the read stage saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCount {
    /// Bytes read from disk (before decompression).
    pub bytes: u64,
    /// Bytes of the frames cut out (after whole-file decompression, without
    /// length prefixes): the OTLP payload the decoders see.
    pub frame_bytes: u64,
    pub frames: u64,
    pub bad_frames: u64,
}

/// Reads every input and cuts it into frames without decoding them
/// (whole-file gzip/zstd is removed; per-frame zstd is left to decode).
/// Parquet inputs are only read, having no frames to cut.
pub fn read_frames(sources: &[InputSource], skip_invalid: bool) -> Result<ReadCount> {
    let mut count = ReadCount::default();
    for source in sources {
        let opened = open_input(source)?;
        let path = source.display();
        if opened.wrapping == Wrapping::Parquet {
            let mut reader = opened.reader;
            count.frame_bytes += std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(|e| Error::io(&path, e))?;
        } else {
            let frames = FrameReader::new(opened.reader)
                .map(Some)
                .or_else(|bad| bad_frame(&path, bad, skip_invalid, &mut count).map(|()| None))?;
            for item in frames.into_iter().flatten() {
                match item {
                    Ok(frame) => {
                        count.frames += 1;
                        count.frame_bytes += frame.data.len() as u64;
                        std::hint::black_box(&frame.data);
                    }
                    Err(bad) => bad_frame(&path, bad, skip_invalid, &mut count)?,
                }
            }
        }
        count.bytes += opened.raw_bytes.load(std::sync::atomic::Ordering::Relaxed);
    }
    Ok(count)
}

fn bad_frame(
    path: &str,
    bad: crate::input::framing::BadFrame,
    skip_invalid: bool,
    count: &mut ReadCount,
) -> Result<()> {
    if !skip_invalid {
        let location = FrameLocation {
            path: path.to_owned(),
            frame: bad.index,
            offset: bad.offset,
        };
        return Err(Error::Frame {
            location,
            problem: bad.problem,
        });
    }
    count.bad_frames += 1;
    Ok(())
}

/// The decode stage's output: the wanted signal's column batches, per frame.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub frames: Vec<Vec<TableBatch>>,
    /// Records of the wanted signal (spans, data points or log records).
    pub rows: u64,
    /// Bytes read from disk.
    pub bytes: u64,
    pub frame_count: u64,
    pub skipped_frames: u64,
    /// Inputs that hold another signal (ignored).
    pub ignored: Vec<(String, Signal)>,
}

/// The signal a table belongs to.
pub fn table_signal(table: Table) -> Signal {
    match table {
        Table::Spans => Signal::Traces,
        Table::Logs => Signal::Logs,
        Table::MetricPoints
        | Table::HistogramPoints
        | Table::ExpHistogramPoints
        | Table::SummaryPoints => Signal::Metrics,
    }
}

/// Runs the pipeline (read → decode → columns) and keeps the wanted signal's batches.
pub fn decode(
    pool: &rayon::ThreadPool,
    sources: &[InputSource],
    opts: &PipelineOptions,
    signal: Signal,
) -> Result<Decoded> {
    let mut opts = opts.clone();
    opts.build_columns = true;
    // Every column, as `convert` decodes (the write stage writes them all).
    opts.projection = crate::columns::Projection::ALL;
    opts.only_signal = Some(signal);
    opts.forced_signal = None;
    let mut out = Decoded::default();
    let mut other: BTreeMap<usize, Signal> = BTreeMap::new();
    let report = pipeline::run_in(
        pool,
        sources,
        &opts,
        |_| Ok(()),
        |event| {
            match event {
                Event::Frame {
                    input,
                    signal: Some(s),
                    decoded,
                    ..
                } if s != signal => {
                    other.entry(input).or_insert(s);
                    drop(decoded);
                }
                Event::Frame { decoded, .. } => {
                    let tables: Vec<TableBatch> = decoded
                        .tables
                        .into_iter()
                        .filter(|t| table_signal(t.table) == signal)
                        .collect();
                    out.rows += tables
                        .iter()
                        .map(|t| t.batch.num_rows() as u64)
                        .sum::<u64>();
                    out.frames.push(tables);
                }
                Event::Skipped { .. } => {}
                Event::InputEnd { bytes, .. } => out.bytes += bytes,
            }
            Ok(())
        },
    )?;
    out.frame_count = report.frames;
    out.skipped_frames = report.skipped_frames;
    out.ignored = other
        .into_iter()
        .map(|(i, s)| (sources[i].display(), s))
        .collect();
    Ok(out)
}

/// Aggregates decoded batches on `backend` as `aggregate` does: the map stage
/// per frame on the pool, the ordered merge, the backend's reduction, finish.
pub fn aggregate(
    pool: &rayon::ThreadPool,
    frames: &[Vec<TableBatch>],
    spec: &AggregateSpec,
    backend: Backend,
) -> Result<RecordBatch> {
    let keys = &spec.keys;
    pool.install(|| match spec.signal {
        Signal::Traces => {
            let mut r = traces::TraceReducer::new(backend, CHUNK_ROWS);
            map_in_order(
                frames,
                |t| traces::map_spans(keys, t),
                |rows| r.consume(rows),
            )?;
            let (groups, cols) = r.finish()?;
            output::finish_batch(keys, &groups, None, cols)
        }
        Signal::Logs => {
            let mut r = logs::LogReducer::new(backend, CHUNK_ROWS);
            map_in_order(frames, |t| logs::map_logs(keys, t), |rows| r.consume(rows))?;
            let (groups, cols) = r.finish()?;
            output::finish_batch(keys, &groups, None, cols)
        }
        Signal::Metrics => {
            let series_keys = Arc::new(metrics::SeriesKeys::new(keys));
            let map = |t: &[TableBatch]| metrics::map_points(&series_keys, t);
            let mut r = metrics::MetricReducer::new(
                backend,
                metrics::Replay::Nothing,
                Arc::clone(&series_keys),
            );
            map_in_order(frames, map, |rows| r.consume(rows))?;
            // Out-of-order series: a second pass keeps only their points, as `aggregate` does.
            if let Some(replay) = r.replay_needed()? {
                let mut second = r.second_pass(replay);
                map_in_order(frames, map, |rows| second.consume(rows))?;
                r = second;
            }
            let (groups, cols, _) = metrics::finish_metrics(r, keys)?;
            output::finish_batch(keys, &groups, Some("metric.type"), cols)
        }
    })
}

/// Maps frames in parallel, a window at a time (bounded memory), and hands
/// the results to `consume` in frame order.
fn map_in_order<T: Send>(
    frames: &[Vec<TableBatch>],
    map: impl Fn(&[TableBatch]) -> Result<T> + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let window = rayon::current_num_threads().max(1) * 4;
    for chunk in frames.chunks(window) {
        let mapped: Vec<T> = chunk.par_iter().map(|t| map(t)).collect::<Result<_>>()?;
        mapped.into_iter().try_for_each(&mut consume)?;
    }
    Ok(())
}

/// A scratch directory for the write stage, removed on drop.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new() -> Result<ScratchDir> {
        let dir = std::env::temp_dir().join(format!("otlp-analytics-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| Error::Output {
            path: dir.clone(),
            message: format!("cannot create scratch directory: {e}"),
        })?;
        Ok(ScratchDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the batches to one Parquet file per table under `dir` (zstd, the
/// `convert` defaults); returns the bytes written.
pub fn write_parquet(frames: &[Vec<TableBatch>], dir: &Path) -> Result<u64> {
    let opts = ParquetOptions::default();
    let mut writers: BTreeMap<Table, TableWriter> = BTreeMap::new();
    for tb in frames.iter().flatten().filter(|t| t.batch.num_rows() > 0) {
        let writer = match writers.entry(tb.table) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let path = dir.join(format!("{}.parquet", tb.table.file_stem()));
                e.insert(TableWriter::create(&path, tb.table.schema(), &opts, true)?)
            }
        };
        writer.write(&tb.batch)?;
    }
    let mut bytes = 0;
    for (_, writer) in writers {
        let file = writer.finish()?;
        bytes += file.bytes;
        let _ = std::fs::remove_file(&file.path);
    }
    Ok(bytes)
}

/// Reads a whole file into memory (used by tests of this module).
#[cfg(test)]
fn slurp(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut v = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut v))
        .expect("read");
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{GenerateArgs, GenerateCompression, GenerateFormat, SignalArg};

    fn generated(dir: &Path, format: GenerateFormat) -> PathBuf {
        let args = GenerateArgs {
            signal: SignalArg::Traces,
            seed: 3,
            spans: 2_000,
            series: 1,
            points: 1,
            logs: 1,
            services: 3,
            cardinality: 4,
            batch: 250,
            format,
            compression: GenerateCompression::None,
            output: dir.join("t.otlp"),
            force: true,
        };
        crate::generate::run(&args).expect("generate");
        args.output
    }

    #[test]
    fn read_counts_frames_and_bytes() {
        let dir = std::env::temp_dir().join(format!("otlp-bench-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = generated(&dir, GenerateFormat::Fileexporter);
        let count = read_frames(&[InputSource::File(file.clone())], false).expect("read");
        let bytes = slurp(&file).len() as u64;
        assert_eq!((count.bytes, count.frames, count.bad_frames), (bytes, 8, 0));
        assert_eq!(
            count.frame_bytes,
            bytes - 8 * 4,
            "length prefixes are not payload"
        );

        let pool = PipelineOptions::new(Some(2)).thread_pool().unwrap();
        let decoded = decode(
            &pool,
            &[InputSource::File(file)],
            &PipelineOptions::new(Some(2)),
            Signal::Traces,
        )
        .unwrap();
        assert_eq!((decoded.rows, decoded.frame_count), (2_000, 8));
        let scratch = ScratchDir::new().unwrap();
        assert!(write_parquet(&decoded.frames, scratch.path()).unwrap() > 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
