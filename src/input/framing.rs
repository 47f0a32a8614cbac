//! Cutting a decompressed byte stream into frames: one protobuf message, a
//! collector `fileexporter` stream of [u32 big-endian length][message], one
//! JSON document, or JSON Lines. A framing never looks inside a message.

use std::io::{BufRead, Read};

use crate::error::FrameProblem;

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
    pending: Option<Vec<u8>>,
}

fn read_problem(e: std::io::Error) -> FrameProblem {
    FrameProblem::Decompress(e.to_string())
}

impl<R: BufRead> FrameReader<R> {
    /// Peeks at the stream to choose the framing.
    pub fn new(mut reader: R) -> Result<Self, BadFrame> {
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
            let mut line = Vec::new();
            let n = self
                .reader
                .read_until(b'\n', &mut line)
                .map_err(read_problem)?;
            if n == 0 {
                self.framing = Framing::Empty;
                return Ok(());
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                self.offset += n as u64;
                continue;
            }
            match serde_json::from_slice::<serde_json::Value>(&line) {
                Err(e) if e.is_eof() => self.framing = Framing::JsonDocument,
                _ => self.framing = Framing::JsonLines,
            }
            self.pending = Some(line);
            return Ok(());
        }
    }

    fn next_single(&mut self) -> Option<Result<RawFrame, BadFrame>> {
        self.done = true;
        let mut data = self.pending.take().unwrap_or_default();
        if let Err(e) = self.reader.read_to_end(&mut data) {
            return Some(Err(self.bad(read_problem(e), true)));
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
                None => {
                    let mut l = Vec::new();
                    match self.reader.read_until(b'\n', &mut l) {
                        Ok(0) => return None,
                        Ok(_) => l,
                        Err(e) => {
                            self.done = true;
                            return Some(Err(self.bad(read_problem(e), true)));
                        }
                    }
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
