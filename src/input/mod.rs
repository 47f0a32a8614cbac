//! Bytes in: expanding INPUT paths, opening files or stdin, removing whole-file
//! gzip/zstd, and cutting the stream into frames (see `framing`).

pub mod framing;
pub mod parquet;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

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

/// Expands directories recursively (sorted, hidden files skipped) and keeps files and `-` as given.
/// Nothing to read at all (say, a directory of READMEs) is "no OTLP data in" the given paths.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<InputSource>> {
    let out = expand(paths)?;
    if out.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoData(names.join(", ")));
    }
    Ok(out)
}

fn expand(paths: &[PathBuf]) -> Result<Vec<InputSource>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(InputSource::Stdin);
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p.display(), e))?;
        if meta.is_dir() {
            walk_dir(p, &mut out)?;
        } else {
            out.push(InputSource::File(p.clone()));
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<InputSource>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_dir(&p, out)?;
        } else if is_plain_text(&p) {
            // READMEs, licenses, protobuf text format: not OTLP; only skipped when found by a walk.
            eprintln!(
                "warning: skipping {}: plain text, not OTLP data",
                p.display()
            );
        } else {
            out.push(InputSource::File(p));
        }
    }
    Ok(())
}

/// True for a file whose first KiB is printable text not starting with `{`.
/// OTLP protobuf holds binary ids and lengths; OTLP/JSON starts with `{`.
fn is_plain_text(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let Ok(n) = File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    let head = &head[..n];
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    n > 0
        && first != Some(&b'{')
        && detect_wrapping(head) == Wrapping::None
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\n' | b'\r' | b'\t'))
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
}

/// Opens a file or stdin and removes whole-file compression. Parquet files are
/// reported as such and not wrapped (they are read by row group elsewhere).
pub fn open_input(source: &InputSource) -> Result<OpenedInput> {
    let raw: Box<dyn Read + Send> = match source {
        InputSource::Stdin => Box::new(io::stdin()),
        InputSource::File(p) => Box::new(File::open(p).map_err(|e| Error::io(p.display(), e))?),
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
    })
}
