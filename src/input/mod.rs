//! Bytes in: expanding INPUT paths (`walk`), opening files or stdin, removing
//! whole-file gzip/zstd, cutting the stream into frames (`framing`), removing
//! per-frame zstd (`zstd_frame`), all within size limits (`limits`, `budget`).

pub mod budget;
pub mod framing;
pub mod limits;
pub mod parquet;
pub mod walk;
pub mod zstd_frame;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
pub use walk::WalkOptions;

/// One input after directory expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    Stdin,
    File(PathBuf),
}

impl InputSource {
    pub fn display(&self) -> String {
        match self {
            InputSource::Stdin => "<stdin>".to_owned(),
            InputSource::File(p) => p.display().to_string(),
        }
    }
}

/// Expands directories recursively (sorted, hidden files skipped, symlinked
/// directories not followed) and keeps files and `-` as given.
/// Nothing to read at all (say, a directory of READMEs) is "no OTLP data in" the given paths.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<InputSource>> {
    expand_inputs_with(paths, WalkOptions::default())
}

/// `expand_inputs` with a choice of how directories are walked (`--follow`).
pub fn expand_inputs_with(paths: &[PathBuf], walk: WalkOptions) -> Result<Vec<InputSource>> {
    let out = walk::expand(paths, walk)?;
    if out.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoData(names.join(", ")));
    }
    Ok(out)
}

/// Whole-file wrapping, recognized by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    None,
    Gzip,
    Zstd,
    Parquet,
}

pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
pub const PARQUET_MAGIC: [u8; 4] = *b"PAR1";

pub fn detect_wrapping(head: &[u8]) -> Wrapping {
    if head.starts_with(&GZIP_MAGIC) {
        Wrapping::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Wrapping::Zstd
    } else if head.starts_with(&PARQUET_MAGIC) {
        Wrapping::Parquet
    } else {
        Wrapping::None
    }
}

/// Counts bytes as they are read from disk (the `bytes` of `inspect`).
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input: decompressed byte stream plus a counter of raw bytes read.
pub struct OpenedInput {
    pub reader: Box<dyn BufRead + Send>,
    pub wrapping: Wrapping,
    pub raw_bytes: Arc<AtomicU64>,
    /// Length of the byte stream when known (a file without whole-file compression).
    pub size_hint: Option<u64>,
}

/// Opens a file or stdin and removes whole-file compression. Parquet files are
/// reported as such and not wrapped (they are read by row group elsewhere).
pub fn open_input(source: &InputSource) -> Result<OpenedInput> {
    let (raw, file_len): (Box<dyn Read + Send>, Option<u64>) = match source {
        InputSource::Stdin => (Box::new(io::stdin()), None),
        InputSource::File(p) => {
            let file = File::open(p).map_err(|e| Error::io(p.display(), e))?;
            let len = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            (Box::new(file), len)
        }
    };
    let raw_bytes = Arc::new(AtomicU64::new(0));
    let counted = CountingReader {
        inner: raw,
        count: Arc::clone(&raw_bytes),
    };
    let mut buffered = BufReader::with_capacity(1 << 20, counted);
    let head = buffered
        .fill_buf()
        .map_err(|e| Error::io(source.display(), e))?
        .to_vec();
    let wrapping = detect_wrapping(&head);
    let reader: Box<dyn BufRead + Send> = match wrapping {
        Wrapping::Gzip => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Wrapping::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(buffered)
                .map_err(|e| Error::io(source.display(), e))?;
            Box::new(BufReader::with_capacity(1 << 20, dec))
        }
        Wrapping::None | Wrapping::Parquet => Box::new(buffered),
    };
    Ok(OpenedInput {
        reader,
        wrapping,
        raw_bytes,
        size_hint: file_len.filter(|_| wrapping == Wrapping::None),
    })
}
