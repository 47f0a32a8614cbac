//! Cutting a decompressed byte stream into frames: one protobuf message, a
//! collector `fileexporter` stream of [u32 big-endian length][message], one
//! JSON document, or JSON Lines. A framing never looks inside a message.
//! No frame is kept past `max_frame` bytes: a longer one is skipped over
//! (or ends the stream when its end cannot be found) as `TooLarge`.

use std::io::{BufRead, Read};

use crate::error::FrameProblem;
use crate::input::limits::DEFAULT_MAX_FRAME_BYTES;

/// The layout of a stream, chosen from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Empty,
    SingleProto,
    LengthPrefixed,
    JsonDocument,
    JsonLines,
}

/// One message's bytes and where it started. The payload may still be
/// zstd-compressed (the fileexporter's per-message compression).
#[derive(Debug, Clone)]
pub struct RawFrame {
    pub index: u64,
    pub offset: u64,
    pub data: Vec<u8>,
}

/// A frame that could not be cut out; `ends_stream` when nothing after it can be trusted.
#[derive(Debug, Clone)]
pub struct BadFrame {
    pub index: u64,
    pub offset: u64,
    pub problem: FrameProblem,
    pub ends_stream: bool,
}

pub struct FrameReader<R> {
    reader: R,
    framing: Framing,
    index: u64,
    offset: u64,
    done: bool,
    /// The first JSON line, read while choosing between a document and JSON Lines.
    pending: Option<Line>,
    max_frame: u64,
    /// Bytes the first frame may span (the file's length): reserved up
    /// front, so one large request is not copied while its buffer doubles.
    first_frame_hint: usize,
}

/// One JSON line, or the length of one too long to keep.
#[derive(Debug)]
enum Line {
    Kept(Vec<u8>),
    TooLong(u64),
}

impl Line {
    fn len(&self) -> u64 {
        match self {
            Line::Kept(l) => l.len() as u64,
            Line::TooLong(n) => *n,
        }
    }
}

/// Reads one line (with its newline), keeping it only if its text without the
/// newline fits `max`; an overlong line is skipped to its end without being kept.
fn read_line(reader: &mut impl BufRead, max: u64, reserve: usize) -> std::io::Result<Line> {
    let mut line = Vec::with_capacity(reserve);
    let n = reader.take(max + 1).read_until(b'\n', &mut line)? as u64;
    let text = n - u64::from(line.last() == Some(&b'\n'));
    if text <= max {
        return Ok(Line::Kept(line));
    }
    drop(line);
    let rest = reader.skip_until(b'\n')? as u64;
    Ok(Line::TooLong(n + rest))
}

fn read_problem(e: std::io::Error) -> FrameProblem {
    FrameProblem::Decompress(e.to_string())
}

impl<R: BufRead> FrameReader<R> {
    /// Peeks at the stream to choose the framing; frames up to the default limit.
    pub fn new(reader: R) -> Result<Self, BadFrame> {
        Self::with_limit(reader, DEFAULT_MAX_FRAME_BYTES)
    }

    /// Like `new`, with frames larger than `max_frame` bytes reported as `TooLarge`.
    pub fn with_limit(reader: R, max_frame: u64) -> Result<Self, BadFrame> {
        Self::with_size_hint(reader, max_frame, None)
    }

    /// Like `with_limit`; `size` is the stream's length when known (a plain
    /// file): a single request or a first line that long is read without
    /// reallocations, so it costs its size once, not up to twice.
    pub fn with_size_hint(
        mut reader: R,
        max_frame: u64,
        size: Option<u64>,
    ) -> Result<Self, BadFrame> {
        let bad = |problem| BadFrame {
            index: 0,
            offset: 0,
            problem,
            ends_stream: true,
        };
        let head = reader.fill_buf().map_err(|e| bad(read_problem(e)))?;
        let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let framing = match first {
            None => Framing::Empty,
            // A protobuf request whose first resource record is 123 bytes long
            // starts with `\n{`: the structure decides, not the first byte.
            Some(b'{') if crate::decode::wire::starts_like_request(head) => Framing::SingleProto,
            Some(b'{') => Framing::JsonLines, // refined below
            // Field 1 (resource records), wire type LEN: a bare export request.
            Some(_) if head[0] == 0x0a => Framing::SingleProto,
            Some(_) => Framing::LengthPrefixed,
        };
        let mut fr = FrameReader {
            reader,
            framing,
            index: 0,
            offset: 0,
            done: false,
            pending: None,
            max_frame,
            first_frame_hint: size.map_or(0, |n| n.min(max_frame + 1) as usize),
        };
        if framing == Framing::JsonLines {
            fr.choose_json_framing().map_err(bad)?;
        }
        Ok(fr)
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// A first line that is a whole JSON value means JSON Lines; one that ends
    /// early means a pretty-printed document spanning lines.
    fn choose_json_framing(&mut self) -> Result<(), FrameProblem> {
        loop {
            let reserve = std::mem::take(&mut self.first_frame_hint);
            let line =
                read_line(&mut self.reader, self.max_frame, reserve).map_err(read_problem)?;
            match &line {
                Line::Kept(l) if l.is_empty() => {
                    self.framing = Framing::Empty;
                    return Ok(());
                }
                Line::Kept(l) if l.iter().all(u8::is_ascii_whitespace) => {
                    self.offset += l.len() as u64;
                    continue;
                }
                // Skimmed, not built: a first line can be a 250 MB request.
                Line::Kept(l) => match serde_json::from_slice::<serde::de::IgnoredAny>(l) {
                    Err(e) if e.is_eof() => self.framing = Framing::JsonDocument,
                    _ => self.framing = Framing::JsonLines,
                },
                // One line too long to keep is a bad frame; the lines after it may be fine.
                Line::TooLong(_) => self.framing = Framing::JsonLines,
            }
            self.pending = Some(line);
            return Ok(());
        }
    }

    fn next_single(&mut self) -> Option<Result<RawFrame, BadFrame>> {
        self.done = true;
        let mut data = match self.pending.take() {
            Some(Line::Kept(l)) => l,
            Some(Line::TooLong(_)) => return Some(Err(self.too_large(true))),
            None => Vec::new(),
        };
        // Reads one byte past the limit at most: a bomb stops decompressing here.
        data.reserve(self.first_frame_hint.saturating_sub(data.len()));
        let room = (self.max_frame + 1).saturating_sub(data.len() as u64);
        if let Err(e) = (&mut self.reader).take(room).read_to_end(&mut data) {
            return Some(Err(self.bad(read_problem(e), true)));
        }
        if data.len() as u64 > self.max_frame {
            return Some(Err(self.too_large(true)));
        }
        if data.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(Ok(RawFrame {
            index: 0,
            offset: self.offset,
            data,
        }))
    }

    fn next_line(&mut self) -> Option<Result<RawFrame, BadFrame>> {
        loop {
            let line = match self.pending.take() {
                Some(l) => l,
                None => match read_line(&mut self.reader, self.max_frame, 0) {
                    Ok(l) if l.len() == 0 => return None,
                    Ok(l) => l,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(self.bad(read_problem(e), true)));
                    }
                },
            };
            let line = match line {
                Line::Kept(l) => l,
                Line::TooLong(n) => {
                    let bad = self.too_large(false);
                    self.index += 1;
                    self.offset += n;
                    return Some(Err(bad));
                }
            };
            let offset = self.offset;
            self.offset += line.len() as u64;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let frame = RawFrame {
                index: self.index,
                offset,
                data: line,
            };
            self.index += 1;
            return Some(Ok(frame));
        }
    }

    fn next_length_prefixed(&mut self) -> Option<Result<RawFrame, BadFrame>> {
        let mut prefix = [0u8; 4];
        let got = match read_up_to(&mut self.reader, &mut prefix) {
            Ok(n) => n,
            Err(e) => {
                self.done = true;
                return Some(Err(self.bad(read_problem(e), true)));
            }
        };
        if got == 0 {
            return None;
        }
        if got < 4 {
            self.done = true;
            return Some(Err(self.bad(
                FrameProblem::TruncatedPrefix {
                    available: got as u64,
                },
                true,
            )));
        }
        let len = u64::from(u32::from_be_bytes(prefix));
        if len > self.max_frame {
            return Some(self.skip_oversized(len));
        }
        // Grows with the bytes actually read, so a lying prefix cannot force a huge allocation.
        let mut data = Vec::with_capacity(len.min(1 << 20) as usize);
        if let Err(e) = (&mut self.reader).take(len).read_to_end(&mut data) {
            self.done = true;
            return Some(Err(self.bad(read_problem(e), true)));
        }
        if (data.len() as u64) < len {
            self.done = true;
            let problem = FrameProblem::Truncated {
                expected: len,
                available: data.len() as u64,
            };
            return Some(Err(self.bad(problem, true)));
        }
        let frame = RawFrame {
            index: self.index,
            offset: self.offset,
            data,
        };
        self.index += 1;
        self.offset += 4 + len;
        Some(Ok(frame))
    }

    /// Passes over a frame whose prefix says it is past the limit, without keeping it.
    fn skip_oversized(&mut self, len: u64) -> Result<RawFrame, BadFrame> {
        let skipped = match std::io::copy(&mut (&mut self.reader).take(len), &mut std::io::sink()) {
            Ok(n) => n,
            Err(e) => {
                self.done = true;
                return Err(self.bad(read_problem(e), true));
            }
        };
        if skipped < len {
            // Too short to hold what its prefix says: truncated, as for any frame.
            self.done = true;
            let problem = FrameProblem::Truncated {
                expected: len,
                available: skipped,
            };
            return Err(self.bad(problem, true));
        }
        let bad = self.too_large(false);
        self.index += 1;
        self.offset += 4 + len;
        Err(bad)
    }

    fn too_large(&self, ends_stream: bool) -> BadFrame {
        self.bad(
            FrameProblem::TooLarge {
                limit: self.max_frame,
            },
            ends_stream,
        )
    }

    fn bad(&self, problem: FrameProblem, ends_stream: bool) -> BadFrame {
        BadFrame {
            index: self.index,
            offset: self.offset,
            problem,
            ends_stream,
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl<R: BufRead> Iterator for FrameReader<R> {
    type Item = Result<RawFrame, BadFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.framing {
            Framing::Empty => None,
            Framing::SingleProto | Framing::JsonDocument => self.next_single(),
            Framing::JsonLines => self.next_line(),
            Framing::LengthPrefixed => self.next_length_prefixed(),
        };
        if item.is_none() {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(bytes: &[u8]) -> (Framing, Vec<Result<RawFrame, BadFrame>>) {
        let fr = FrameReader::new(bytes).expect("framing");
        let framing = fr.framing();
        (framing, fr.collect())
    }

    fn prefixed(msgs: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in msgs {
            out.extend_from_slice(&(m.len() as u32).to_be_bytes());
            out.extend_from_slice(m);
        }
        out
    }

    #[test]
    fn empty_input_has_no_frames() {
        let (framing, f) = frames(b"");
        assert_eq!(framing, Framing::Empty);
        assert!(f.is_empty());
    }

    #[test]
    fn length_prefixed_frames_carry_index_and_offset() {
        let (framing, f) = frames(&prefixed(&[b"\x0a\x00", b"\x0a\x01\x00"]));
        assert_eq!(framing, Framing::LengthPrefixed);
        let f: Vec<RawFrame> = f.into_iter().map(|r| r.expect("frame")).collect();
        assert_eq!(
            (f[0].index, f[0].offset, f[0].data.as_slice()),
            (0, 0, &b"\x0a\x00"[..])
        );
        assert_eq!((f[1].index, f[1].offset, f[1].data.len()), (1, 6, 3));
    }

    #[test]
    fn huge_length_prefix_is_a_truncated_frame_not_an_allocation() {
        let mut bytes = prefixed(&[b"\x0a\x00"]);
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xf0, 1, 2, 3]);
        let (_, f) = frames(&bytes);
        assert!(f[0].is_ok());
        let bad = f[1].as_ref().expect_err("bad frame");
        assert_eq!((bad.index, bad.offset), (1, 6));
        assert_eq!(
            bad.problem,
            FrameProblem::Truncated {
                expected: 0xffff_fff0,
                available: 3
            }
        );
        assert_eq!(f.len(), 2);
    }

    fn limited(bytes: &[u8], max: u64) -> Vec<Result<RawFrame, BadFrame>> {
        FrameReader::with_limit(bytes, max)
            .expect("framing")
            .collect()
    }

    fn too_large(r: &Result<RawFrame, BadFrame>) -> (u64, u64, bool) {
        let bad = r.as_ref().expect_err("bad frame");
        assert_eq!(bad.problem, FrameProblem::TooLarge { limit: 4 });
        (bad.index, bad.offset, bad.ends_stream)
    }

    #[test]
    fn oversized_length_prefixed_frames_are_skipped_over() {
        let bytes = prefixed(&[b"\x0a\x00", b"\x0a\x03abc", b"\x0a\x02ab"]);
        let f = limited(&bytes, 4);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].as_ref().expect("fits").data, b"\x0a\x00");
        assert_eq!(too_large(&f[1]), (1, 6, false));
        let last = f[2].as_ref().expect("fits exactly");
        assert_eq!((last.index, last.offset, last.data.len()), (2, 15, 4));
        // An oversized prefix that runs past the end is still a truncated frame.
        let mut bytes = prefixed(&[b"\x0a\x00"]);
        bytes.extend_from_slice(&[0, 0, 0, 9, 1, 2]);
        let f = limited(&bytes, 4);
        let bad = f[1].as_ref().expect_err("truncated");
        assert_eq!(
            bad.problem,
            FrameProblem::Truncated {
                expected: 9,
                available: 2
            }
        );
    }

    #[test]
    fn oversized_json_lines_are_skipped_to_the_next_line() {
        let f = limited(b"{\"a\":1}\n{\"bb\":12}\n{}\n", 7);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].as_ref().expect("7 bytes fit").data, b"{\"a\":1}\n");
        let bad = f[1].as_ref().expect_err("too long");
        assert_eq!(bad.problem, FrameProblem::TooLarge { limit: 7 });
        assert_eq!((bad.index, bad.offset, bad.ends_stream), (1, 8, false));
        let last = f[2].as_ref().expect("fits");
        assert_eq!((last.index, last.offset), (2, 18));
        // The first line itself too long: still JSON Lines, the rest is read.
        let f = limited(b"{\"bb\":12}\n{}\n", 4);
        assert_eq!(too_large(&f[0]), (0, 0, false));
        assert_eq!(f[1].as_ref().expect("fits").offset, 10);
    }

    #[test]
    fn an_oversized_single_message_ends_the_stream() {
        let f = limited(b"\x0a\x03abc", 4);
        assert_eq!(f.len(), 1);
        assert_eq!(too_large(&f[0]), (0, 0, true));
        let f = limited(b"{\n\"a\": 1}\n", 4);
        assert_eq!(too_large(&f[0]), (0, 0, true));
        assert_eq!(limited(b"\x0a\x02ab", 4).len(), 1);
    }

    #[test]
    fn json_lines_and_documents_are_told_apart() {
        let (framing, f) = frames(b"{\"a\":1}\n\n{\"b\":2}\n");
        assert_eq!(framing, Framing::JsonLines);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].as_ref().expect("frame").offset, 9);
        let (framing, f) = frames(b"{\n  \"a\": 1\n}\n");
        assert_eq!(framing, Framing::JsonDocument);
        assert_eq!(f.len(), 1);
    }
}
