//! The fileexporter's per-message zstd compression, removed under a size cap:
//! decompression stops at `--max-frame-bytes`, so a frame of a few KiB that
//! expands to GiB (a zstd bomb) costs neither memory nor unbounded time.

use std::io::{self, Read};

use crate::error::FrameProblem;
use crate::input::ZSTD_MAGIC;

/// A frame without a declared size is first decompressed up to this many
/// bytes; most frames end there. Past it the rest is only counted (not kept),
/// then decompressed again into a buffer of the exact size, so a worker never
/// holds more than this of a frame whose size it does not know yet.
const FIRST_PASS_BYTES: u64 = 4 << 20;

/// Scratch buffer size while counting the bytes of a frame past its first pass.
const SCRATCH_BYTES: usize = 1 << 20;

/// Largest window (2^23 = 8 MiB) a frame that does not declare its size may
/// use: what zstd levels 1–19 and Go's klauspost encoder (the Collector's)
/// produce. Larger windows would let a hostile header claim 128 MiB per worker.
const UNDECLARED_WINDOW_LOG_MAX: u32 = 23;

/// zstd's own default window limit (128 MiB), for frames that declare their size
/// (their window is clamped to that size, which the pipeline has reserved).
const DECLARED_WINDOW_LOG_MAX: u32 = 27;

/// True when the frame is zstd-compressed (starts with the zstd magic).
pub fn is_zstd(frame: &[u8]) -> bool {
    frame.starts_with(&ZSTD_MAGIC)
}

/// The decompressed size a zstd frame's header declares (Go's `EncodeAll` and
/// zstd's one-shot API write it; streaming encoders do not); None otherwise.
pub fn declared_size(frame: &[u8]) -> Option<u64> {
    if !is_zstd(frame) {
        return None;
    }
    zstd::zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
}

/// The decompressed bytes a frame can be expected to take, known before it
/// is decompressed: the size its zstd header declares (when within `limit`),
/// or for a frame that declares none, the first pass's size (most frames are
/// smaller; a larger one is counted when its worker learns its size). 0 for a
/// frame that is not compressed (its own bytes are all it takes).
pub fn foreseen_size(frame: &[u8], limit: u64) -> u64 {
    if !is_zstd(frame) {
        return 0;
    }
    match declared_size(frame) {
        Some(n) if n <= limit => n,
        Some(_) => 0,
        None => FIRST_PASS_BYTES.min(limit),
    }
}

/// Removes per-message zstd compression, when present, keeping at most
/// `limit` bytes: a frame that decompresses to more is `TooLarge`.
pub fn unzstd_frame(data: Vec<u8>, limit: u64) -> Result<Vec<u8>, FrameProblem> {
    if !is_zstd(&data) {
        return Ok(data);
    }
    let declared = declared_size(&data);
    if declared.is_some_and(|n| n > limit) {
        return Err(FrameProblem::TooLarge { limit });
    }
    let first_cap = declared.unwrap_or(FIRST_PASS_BYTES).min(limit);
    let mut decoder = open(&data, declared.is_some())?;
    // One byte of room past the cap, so telling "ends at the cap" from "longer" never regrows.
    let mut out = Vec::with_capacity(usize::try_from(first_cap + 1).unwrap_or(0));
    read_capped(&mut decoder, first_cap, &mut out)?;
    if out.len() as u64 <= first_cap {
        return Ok(out);
    }
    // Longer than expected: count the rest without keeping it (the first
    // pass's buffer serves as scratch), stopping one byte past the limit.
    let so_far = out.len() as u64;
    out.resize(out.capacity().min(SCRATCH_BYTES), 0);
    let rest = count_bytes(&mut decoder, limit + 1 - so_far, &mut out)?;
    drop(out);
    let total = so_far + rest;
    if total > limit {
        return Err(FrameProblem::TooLarge { limit });
    }
    // It fits: decompress again into a buffer of its exact size.
    let mut out = Vec::with_capacity(usize::try_from(total + 1).unwrap_or(0));
    read_capped(&mut open(&data, declared.is_some())?, total, &mut out)?;
    Ok(out)
}

/// Reads and discards up to `cap` bytes; returns how many there were.
fn count_bytes(decoder: &mut impl Read, cap: u64, scratch: &mut [u8]) -> Result<u64, FrameProblem> {
    let mut counted = 0u64;
    while counted < cap {
        let want = usize::try_from(cap - counted).map_or(scratch.len(), |n| n.min(scratch.len()));
        match decoder.read(&mut scratch[..want]) {
            Ok(0) => break,
            Ok(n) => counted += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(decompress_problem(e)),
        }
    }
    Ok(counted)
}

fn open(
    data: &[u8],
    declared: bool,
) -> Result<zstd::stream::read::Decoder<'_, &[u8]>, FrameProblem> {
    let mut decoder = zstd::stream::read::Decoder::with_buffer(data).map_err(decompress_problem)?;
    let window_log_max = if declared {
        DECLARED_WINDOW_LOG_MAX
    } else {
        UNDECLARED_WINDOW_LOG_MAX
    };
    decoder
        .window_log_max(window_log_max)
        .map_err(decompress_problem)?;
    Ok(decoder)
}

/// Reads up to `cap + 1` bytes, so the caller can tell "ended within cap" from "longer".
fn read_capped(decoder: &mut impl Read, cap: u64, out: &mut Vec<u8>) -> Result<(), FrameProblem> {
    decoder
        .take(cap + 1)
        .read_to_end(out)
        .map(drop)
        .map_err(decompress_problem)
}

fn decompress_problem(e: io::Error) -> FrameProblem {
    FrameProblem::Decompress(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zstd frame of `blocks` RLE blocks of 128 KiB zeros, with no declared size:
    /// 4 bytes per block expand to 128 KiB (the shape of a zstd bomb).
    fn zero_bomb(blocks: u32) -> Vec<u8> {
        // Magic, frame header descriptor 0 (no content size, not single-segment),
        // window descriptor 0x38 (2^17 = 128 KiB window).
        let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
        for i in 0..blocks {
            let last = u32::from(i + 1 == blocks);
            // Block header: last flag, type 1 (RLE), size 128 KiB; then the byte to repeat.
            let header = last | (1 << 1) | ((128 * 1024) << 3);
            out.extend_from_slice(&header.to_le_bytes()[..3]);
            out.push(0);
        }
        out
    }

    #[test]
    fn plain_frames_pass_through() {
        assert_eq!(
            unzstd_frame(b"\x0a\x00".to_vec(), 1),
            Ok(b"\x0a\x00".to_vec())
        );
    }

    #[test]
    fn small_frames_decompress_in_one_pass() {
        let msg = vec![7u8; 1000];
        let z = zstd::encode_all(msg.as_slice(), 3).expect("zstd");
        assert_eq!(
            declared_size(&z),
            None,
            "a streaming encoder declares no size"
        );
        assert_eq!(unzstd_frame(z.clone(), 1000), Ok(msg));
        assert_eq!(
            unzstd_frame(z, 999),
            Err(FrameProblem::TooLarge { limit: 999 })
        );
    }

    #[test]
    fn declared_sizes_are_checked_before_decompressing() {
        let msg = vec![1u8; 5000];
        let z = zstd::bulk::compress(&msg, 3).expect("zstd");
        assert_eq!(declared_size(&z), Some(5000));
        assert_eq!(unzstd_frame(z.clone(), 5000), Ok(msg));
        assert_eq!(
            unzstd_frame(z, 4999),
            Err(FrameProblem::TooLarge { limit: 4999 })
        );
    }

    #[test]
    fn frames_past_the_first_pass_are_measured_then_kept_whole() {
        // 6 MiB of zeros: longer than the first pass, within the limit.
        let bomb = zero_bomb(48);
        assert_eq!(declared_size(&bomb), None);
        let out = unzstd_frame(bomb.clone(), 6 << 20).expect("fits exactly");
        assert_eq!(out.len(), 6 << 20);
        assert!(out.iter().all(|&b| b == 0));
        assert_eq!(
            unzstd_frame(bomb, (6 << 20) - 1),
            Err(FrameProblem::TooLarge {
                limit: (6 << 20) - 1
            })
        );
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        // 1 GiB of zeros from 32 KiB; rejected after decompressing 1 MiB + 1 byte.
        let bomb = zero_bomb(8192);
        assert_eq!(bomb.len(), 6 + 8192 * 4);
        assert_eq!(
            unzstd_frame(bomb, 1 << 20),
            Err(FrameProblem::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn huge_windows_without_a_declared_size_are_refused() {
        // Window descriptor 0x88: 2^(10+17) = 128 MiB.
        let mut bomb = zero_bomb(1);
        bomb[5] = 0x88;
        let err = unzstd_frame(bomb, 1 << 30).expect_err("window too large");
        assert!(matches!(err, FrameProblem::Decompress(_)), "{err:?}");
    }
}
