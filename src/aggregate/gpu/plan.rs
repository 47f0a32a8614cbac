//! Host-side planning of the segmented reduction: how the rows are cut into
//! chunks (each fits the device's buffer limits) and, per chunk, the work items
//! of every pass (pass 1 over rows, then hierarchical merge levels over
//! partials). Pure functions, no GPU.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};

/// `Item::dst` flag: the partial is the final result of a piece and goes to
/// `finals[dst & !FINAL_BIT]`; without it, it goes to the next level's input.
/// Handed to the shaders as `FINAL_BIT` (see `exec::shader_source`).
pub(super) const FINAL_BIT: u32 = 1 << 31;

/// One work item: reduce `input[start..end]` (all of one group) into one
/// partial written to `dst`. Matches `struct Item` in shaders/segments.wgsl
/// (12 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub(super) struct Item {
    pub start: u32,
    pub end: u32,
    pub dst: u32,
}

/// The dispatch plan of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChunkPlan {
    /// Absolute row range of the chunk.
    pub rows: Range<usize>,
    /// Group id of each piece (a group's rows inside this chunk), in row
    /// order; piece `p`'s result lands in `finals[p]`.
    pub pieces: Vec<usize>,
    /// Work items per level. Level 0 indexes rows relative to `rows.start`;
    /// level `l > 0` indexes the non-final partials written by level `l - 1`.
    pub levels: Vec<Vec<Item>>,
    /// Number of non-final partials each level writes (the next level's input).
    pub spill: Vec<usize>,
}

fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Cuts rows `0..offsets.last()` into consecutive chunks (at arbitrary row
/// positions) so that each chunk has at most `max_rows` rows and at most
/// `max_items` pass-1 work items of up to `tile` rows (a group's rows inside a
/// chunk are split into `ceil(len / tile)` items).
pub(super) fn plan_chunks(
    offsets: &[usize],
    max_rows: usize,
    max_items: usize,
    tile: usize,
) -> Vec<Range<usize>> {
    assert!(max_rows > 0 && max_items > 0 && tile > 0);
    let total = offsets.last().copied().unwrap_or(0);
    let mut chunks = Vec::new();
    let (mut chunk_start, mut rows, mut items) = (0usize, 0usize, 0usize);
    let mut pos = 0usize;
    let mut g = 0usize;
    while pos < total {
        while offsets[g + 1] <= pos {
            g += 1;
        }
        let take = (offsets[g + 1] - pos)
            .min(max_rows - rows)
            .min((max_items - items).saturating_mul(tile));
        debug_assert!(take > 0);
        rows += take;
        items += ceil_div(take, tile);
        pos += take;
        if rows == max_rows || items == max_items {
            chunks.push(chunk_start..pos);
            chunk_start = pos;
            rows = 0;
            items = 0;
        }
    }
    if rows > 0 {
        chunks.push(chunk_start..pos);
    }
    chunks
}

/// Builds the work items of one chunk: pass 1 splits every piece into items
/// of at most `tile_rows` rows; while a piece has more than one partial, a
/// merge level combines runs of at most `tile_merge` consecutive partials.
/// A piece's last item writes straight into its final slot, so finished
/// pieces are not copied through later levels.
pub(super) fn plan_levels(
    offsets: &[usize],
    rows: Range<usize>,
    tile_rows: usize,
    tile_merge: usize,
) -> ChunkPlan {
    assert!(tile_rows > 0 && tile_merge > 1);
    assert!(
        rows.end - rows.start < FINAL_BIT as usize,
        "chunk too large"
    );
    let mut pieces = Vec::new();
    let mut level0 = Vec::new();
    // (piece, first partial index in the level's spill output, partial count)
    let mut pending: Vec<(usize, usize, usize)> = Vec::new();
    let mut spill = 0usize;
    if rows.start < rows.end {
        // The group holding row `rows.start`: the last g with offsets[g] <= start.
        let mut g = offsets.partition_point(|&o| o <= rows.start) - 1;
        while g + 1 < offsets.len() && offsets[g] < rows.end {
            let s = offsets[g].max(rows.start);
            let e = offsets[g + 1].min(rows.end);
            if s < e {
                let piece = pieces.len();
                pieces.push(g);
                let n = ceil_div(e - s, tile_rows);
                let base = spill;
                for k in 0..n {
                    let a = s + k * tile_rows;
                    let b = (a + tile_rows).min(e);
                    let dst = if n == 1 {
                        FINAL_BIT | piece as u32
                    } else {
                        spill += 1;
                        (spill - 1) as u32
                    };
                    level0.push(Item {
                        start: (a - rows.start) as u32,
                        end: (b - rows.start) as u32,
                        dst,
                    });
                }
                if n > 1 {
                    pending.push((piece, base, n));
                }
            }
            g += 1;
        }
    }
    assert!(
        pieces.len() < FINAL_BIT as usize,
        "too many groups in a chunk"
    );
    let mut levels = vec![level0];
    let mut spills = vec![spill];
    while !pending.is_empty() {
        let mut items = Vec::new();
        let mut next = Vec::new();
        let mut spill = 0usize;
        for &(piece, base, count) in &pending {
            let m = ceil_div(count, tile_merge);
            let new_base = spill;
            for k in 0..m {
                let a = base + k * tile_merge;
                let b = (a + tile_merge).min(base + count);
                let dst = if m == 1 {
                    FINAL_BIT | piece as u32
                } else {
                    spill += 1;
                    (spill - 1) as u32
                };
                items.push(Item {
                    start: a as u32,
                    end: b as u32,
                    dst,
                });
            }
            if m > 1 {
                next.push((piece, new_base, m));
            }
        }
        levels.push(items);
        spills.push(spill);
        pending = next;
    }
    ChunkPlan {
        rows,
        pieces,
        levels,
        spill: spills,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulates the plan on the host with sums, checking every row is
    /// reduced exactly once into its own group.
    fn simulate(offsets: &[usize], plan: &ChunkPlan, values: &[u64]) -> Vec<(usize, u64)> {
        let mut finals = vec![None; plan.pieces.len()];
        let mut input: Vec<u64> = values[plan.rows.clone()].to_vec();
        for (l, items) in plan.levels.iter().enumerate() {
            let mut out = vec![None; plan.spill[l]];
            for it in items {
                assert!(it.start < it.end);
                let s: u64 = input[it.start as usize..it.end as usize].iter().sum();
                if it.dst & FINAL_BIT != 0 {
                    let slot = &mut finals[(it.dst & !FINAL_BIT) as usize];
                    assert!(slot.is_none());
                    *slot = Some(s);
                } else {
                    let slot = &mut out[it.dst as usize];
                    assert!(slot.is_none());
                    *slot = Some(s);
                }
            }
            input = out
                .into_iter()
                .map(|v| v.expect("spill slot unwritten"))
                .collect();
        }
        assert!(input.is_empty());
        for &g in &plan.pieces {
            let (s, e) = (
                offsets[g].max(plan.rows.start),
                offsets[g + 1].min(plan.rows.end),
            );
            assert!(s < e, "piece without rows");
        }
        plan.pieces
            .iter()
            .zip(finals)
            .map(|(&g, v)| (g, v.expect("final slot unwritten")))
            .collect()
    }

    fn check(offsets: &[usize], max_rows: usize, max_items: usize, tile: usize, merge: usize) {
        let total = *offsets.last().unwrap();
        let values: Vec<u64> = (0..total as u64).map(|i| i * 7 + 1).collect();
        let chunks = plan_chunks(offsets, max_rows, max_items, tile);
        let mut sums = vec![0u64; offsets.len() - 1];
        let mut next = 0;
        for c in &chunks {
            assert_eq!(c.start, next);
            assert!(c.end > c.start && c.end - c.start <= max_rows);
            next = c.end;
            let plan = plan_levels(offsets, c.clone(), tile, merge);
            assert!(plan.levels[0].len() <= max_items);
            for it in &plan.levels[0] {
                let (a, b) = (c.start + it.start as usize, c.start + it.end as usize);
                let g = offsets.partition_point(|&o| o <= a) - 1;
                assert!(b <= offsets[g + 1], "item spans groups");
                assert!(b - a <= tile);
            }
            for lvl in &plan.levels[1..] {
                assert!(lvl.iter().all(|it| (it.end - it.start) as usize <= merge));
            }
            for (g, s) in simulate(offsets, &plan, &values) {
                sums[g] += s;
            }
        }
        assert_eq!(next, total);
        for g in 0..offsets.len() - 1 {
            let want: u64 = values[offsets[g]..offsets[g + 1]].iter().sum();
            assert_eq!(sums[g], want, "group {g}");
        }
    }

    #[test]
    fn plans_cover_every_row_once() {
        let offsets = [0, 0, 1, 1, 5, 200, 200, 201, 1000, 1000];
        for &(mr, mi, t, m) in &[
            (10_000, 10_000, 4, 2),
            (7, 3, 2, 2),
            (1, 1, 1, 2),
            (50, 100, 8, 3),
            (333, 5, 16, 4),
        ] {
            check(&offsets, mr, mi, t, m);
        }
    }

    #[test]
    fn hot_group_builds_hierarchical_levels() {
        let offsets = [0, 3, 100_003, 100_010];
        let plan = plan_levels(&offsets, 0..100_010, 16, 4);
        assert!(plan.levels.len() > 4);
        // Finished pieces are not carried through later levels.
        assert_eq!(plan.levels.last().unwrap().len(), 1);
        check(&offsets, usize::MAX / 2, usize::MAX / 64, 16, 4);
        check(&offsets, 999, 17, 16, 4);
    }

    #[test]
    fn empty_and_all_empty_groups() {
        assert!(plan_chunks(&[0], 10, 10, 4).is_empty());
        assert!(plan_chunks(&[0, 0, 0], 10, 10, 4).is_empty());
        check(&[0, 0, 0, 5], 2, 2, 1, 2);
    }
}
