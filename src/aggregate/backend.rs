//! The reduction backends. Both return the same partial structs.
//!
//! Traces, logs and metrics go through [`Backend::group_rows`] and
//! [`Backend::group_f64_rows`]: the CPU groups rows into contiguous segments
//! by a stable counting sort and reduces them on rayon; the GPU takes the
//! unsorted rows and groups them on the device ([`GpuContext::group_u64`],
//! no host sort, gather or plan). The segmented reductions (`reduce_*`,
//! `last_by_time`) serve the CPU side of those and the sorted metrics
//! reference in the tests.

use rayon::prelude::*;

use super::exact_sum::ExactSum;
use super::gpu::{GpuContext, GpuError, GROUP_FLAG};
use super::sketch::{DurationSketch, EXACT_LIMIT};
use crate::error::{Error, Result};

/// Which engine reduces segments.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Cpu,
    Gpu(&'static GpuContext),
    /// `--backend auto` with a hardware GPU: each batch runs where
    /// [`gpu_pays`] says it is faster.
    Auto(&'static GpuContext),
}

/// Under `--backend auto`, batches with fewer rows stay on the CPU: fixed
/// costs per batch (upload, submit, readback wait) outweigh the kernels.
pub const AUTO_GPU_MIN_ROWS: usize = 1 << 18;
/// Under `--backend auto`, batches with fewer rows per group stay on the
/// CPU: a group of at most `EXACT_LIMIT` rows comes back as raw values and
/// its sketch is built on the host, and the per-group readback (32-80 bytes)
/// outgrows the 12-byte-per-row upload (BENCHMARKS.md, "--backend auto").
pub const AUTO_GPU_MIN_ROWS_PER_GROUP: usize = EXACT_LIMIT;

/// Whether a batch of `rows` rows in `groups` groups is worth the GPU.
pub fn gpu_pays(rows: usize, groups: usize) -> bool {
    rows >= AUTO_GPU_MIN_ROWS && rows >= groups.saturating_mul(AUTO_GPU_MIN_ROWS_PER_GROUP)
}

impl Backend {
    /// The backend one batch of `rows` rows in `groups` groups runs on.
    pub fn for_batch(self, rows: usize, groups: usize) -> Backend {
        match self {
            Backend::Auto(ctx) if gpu_pays(rows, groups) => Backend::Gpu(ctx),
            Backend::Auto(ctx) => {
                ctx.note_cpu_batch(rows);
                Backend::Cpu
            }
            b => b,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Gpu(_) => "gpu",
            Backend::Auto(_) => "auto",
        }
    }
}

/// Rows grouped by group id: group `g` owns sorted rows `offsets[g]..offsets[g+1]`,
/// and `order[i]` is the input row at sorted position `i` (stable: input order within a group).
#[derive(Debug, Clone, Default)]
pub struct Segments {
    pub offsets: Vec<usize>,
    pub order: Vec<u32>,
}

impl Segments {
    /// Stable counting sort of `groups` (dense ids below `n_groups`).
    pub fn by_group(groups: &[u32], n_groups: usize) -> Segments {
        let mut offsets = vec![0usize; n_groups + 1];
        for &g in groups {
            offsets[g as usize + 1] += 1;
        }
        for i in 0..n_groups {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut order = vec![0u32; groups.len()];
        for (row, &g) in groups.iter().enumerate() {
            order[cursor[g as usize]] = row as u32;
            cursor[g as usize] += 1;
        }
        Segments { offsets, order }
    }

    pub fn groups(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn range(&self, g: usize) -> std::ops::Range<usize> {
        self.offsets[g]..self.offsets[g + 1]
    }

    /// `values` laid out in segment order.
    pub fn gather<T: Copy + Send + Sync>(&self, values: &[T]) -> Vec<T> {
        self.order.par_iter().map(|&r| values[r as usize]).collect()
    }
}

/// Count, wrapping sum, min and max of u64 values in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct U64Partial {
    pub count: u64,
    pub sum: u64,
    pub min: u64,
    pub max: u64,
}

impl Default for U64Partial {
    fn default() -> Self {
        Self {
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl U64Partial {
    pub fn merge(&mut self, o: &U64Partial) {
        self.count += o.count;
        self.sum = self.sum.wrapping_add(o.sum);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// Count, sum, min and max of f64 values in a group (min/max skip NaN).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct F64Partial {
    pub count: u64,
    pub sum: ExactSum,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl F64Partial {
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum.add(v);
        if !v.is_nan() {
            self.min = Some(self.min.map_or(v, |m| m.min(v)));
            self.max = Some(self.max.map_or(v, |m| m.max(v)));
        }
    }

    pub fn merge(&mut self, o: &F64Partial) {
        self.count += o.count;
        self.sum.merge(&o.sum);
        for v in [o.min, o.max].into_iter().flatten() {
            self.min = Some(self.min.map_or(v, |m| m.min(v)));
            self.max = Some(self.max.map_or(v, |m| m.max(v)));
        }
    }
}

fn gpu_err(e: GpuError) -> Error {
    Error::Gpu(e.to_string())
}

/// Per-group results of [`Backend::group_rows`].
#[derive(Debug, Clone, Default)]
pub struct RowGroups {
    pub stats: Vec<U64Partial>,
    /// Flagged rows per group.
    pub flagged: Vec<u64>,
    /// One per group when asked for, else empty.
    pub sketches: Vec<DurationSketch>,
}

impl Backend {
    /// Groups one batch of unsorted rows: `ids[i]` is row `i`'s group (below
    /// `groups`), `flags[i] != 0` flags it, `values[i]` its value. Per group:
    /// count, wrapping sum, min and max of the values, flagged rows, and
    /// with `sketch` the duration sketch of the values. Identical on both
    /// backends.
    pub fn group_rows(
        &self,
        ids: &[u32],
        flags: Option<&[u64]>,
        values: &[u64],
        groups: usize,
        sketch: bool,
    ) -> Result<RowGroups> {
        match self.for_batch(ids.len(), groups) {
            Backend::Gpu(ctx) => {
                let prep = std::time::Instant::now();
                // The flag rides in the key's top bit: 12 bytes per row in all.
                let keys: Vec<u32> = match flags {
                    Some(f) => ids
                        .par_iter()
                        .zip(f)
                        .map(|(&g, &f)| if f != 0 { g | GROUP_FLAG } else { g })
                        .collect(),
                    None => ids.to_vec(),
                };
                ctx.note_host_prep(prep.elapsed());
                let out = ctx
                    .group_u64(&keys, values, groups, sketch)
                    .map_err(gpu_err)?;
                Ok(RowGroups {
                    stats: out
                        .stats
                        .iter()
                        .map(|s| U64Partial {
                            count: s.count,
                            sum: s.sum,
                            min: s.min,
                            max: s.max,
                        })
                        .collect(),
                    flagged: out.stats.iter().map(|s| s.flagged).collect(),
                    sketches: out.sketches,
                })
            }
            Backend::Cpu | Backend::Auto(_) => {
                let seg = Segments::by_group(ids, groups);
                let sorted = seg.gather(values);
                let stats = Backend::Cpu.reduce_u64(&seg, &sorted)?;
                let flagged = match flags {
                    Some(f) => {
                        let f = seg.gather(f);
                        (0..groups)
                            .into_par_iter()
                            .map(|g| f[seg.range(g)].iter().filter(|&&x| x != 0).count() as u64)
                            .collect()
                    }
                    None => vec![0; groups],
                };
                let sketches = if sketch {
                    (0..groups)
                        .into_par_iter()
                        .map(|g| {
                            let mut s = DurationSketch::new();
                            sorted[seg.range(g)].iter().for_each(|&d| s.add(d));
                            s
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Ok(RowGroups {
                    stats,
                    flagged,
                    sketches,
                })
            }
        }
    }
}

impl Backend {
    /// Per-group count, exact sum, min and max of an unsorted f64 column
    /// (`ids[i]` is row `i`'s group, below `groups`). Bit-identical on both
    /// backends: the GPU sums exactly in fixed point on the device.
    pub fn group_f64_rows(
        &self,
        ids: &[u32],
        values: &[f64],
        groups: usize,
    ) -> Result<Vec<F64Partial>> {
        match self.for_batch(ids.len(), groups) {
            Backend::Gpu(ctx) => Ok(ctx
                .group_f64(ids, values, groups)
                .map_err(gpu_err)?
                .into_iter()
                .map(|g| F64Partial {
                    count: g.count,
                    sum: g.sum,
                    min: g.min,
                    max: g.max,
                })
                .collect()),
            Backend::Cpu | Backend::Auto(_) => {
                let seg = Segments::by_group(ids, groups);
                Backend::Cpu.reduce_f64(&seg, &seg.gather(values))
            }
        }
    }

    /// Per-group stats of `values` (in segment order).
    pub fn reduce_u64(&self, seg: &Segments, values: &[u64]) -> Result<Vec<U64Partial>> {
        let counts = |g: usize| (seg.offsets[g + 1] - seg.offsets[g]) as u64;
        match self.for_batch(values.len(), seg.groups()) {
            Backend::Cpu | Backend::Auto(_) => Ok((0..seg.groups())
                .into_par_iter()
                .map(|g| {
                    let mut p = U64Partial {
                        count: counts(g),
                        ..U64Partial::default()
                    };
                    for &v in &values[seg.range(g)] {
                        p.sum = p.sum.wrapping_add(v);
                        p.min = p.min.min(v);
                        p.max = p.max.max(v);
                    }
                    p
                })
                .collect()),
            Backend::Gpu(ctx) => {
                let stats = ctx.reduce_u64(&seg.offsets, values).map_err(gpu_err)?;
                Ok(stats
                    .iter()
                    .enumerate()
                    .map(|(g, s)| U64Partial {
                        count: counts(g),
                        sum: s.sum,
                        min: s.min,
                        max: s.max,
                    })
                    .collect())
            }
        }
    }

    /// Per-group stats of f64 `values` (in segment order). Exact sums on
    /// both backends (the GPU runs the device group-by of
    /// [`group_f64_rows`](Backend::group_f64_rows) on ids derived from the segments).
    pub fn reduce_f64(&self, seg: &Segments, values: &[f64]) -> Result<Vec<F64Partial>> {
        match self.for_batch(values.len(), seg.groups()) {
            gpu @ Backend::Gpu(_) => {
                let ids: Vec<u32> = (0..seg.groups())
                    .flat_map(|g| std::iter::repeat_n(g as u32, seg.range(g).len()))
                    .collect();
                gpu.group_f64_rows(&ids, values, seg.groups())
            }
            _ => Ok((0..seg.groups())
                .into_par_iter()
                .map(|g| {
                    let mut p = F64Partial::default();
                    values[seg.range(g)].iter().for_each(|&v| p.add(v));
                    p
                })
                .collect()),
        }
    }

    /// Per group, the value at the greatest time (ties: the later row).
    pub fn last_by_time(
        &self,
        seg: &Segments,
        times: &[u64],
        values: &[f64],
    ) -> Result<Vec<Option<f64>>> {
        match self.for_batch(values.len(), seg.groups()) {
            // Values move as raw bits, so this needs no f64 support.
            Backend::Gpu(ctx) => ctx
                .last_by_time(&seg.offsets, times, values)
                .map_err(gpu_err),
            _ => Ok((0..seg.groups())
                .into_par_iter()
                .map(|g| {
                    let r = seg.range(g);
                    let mut best: Option<(u64, f64)> = None;
                    for (&t, &v) in times[r.clone()].iter().zip(&values[r]) {
                        if best.is_none_or(|(bt, _)| t >= bt) {
                            best = Some((t, v));
                        }
                    }
                    best.map(|(_, v)| v)
                })
                .collect()),
        }
    }
}
