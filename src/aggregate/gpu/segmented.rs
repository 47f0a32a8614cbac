//! The segmented reductions (`exec.rs`, `plan.rs`; `shaders/segments.wgsl`):
//! values laid out sorted by group (`offsets[g]..offsets[g + 1]`), reduced
//! per work item and merged hierarchically. No aggregation path uses them
//! any more; the sorted metrics reference and the parity tests do.

use bytemuck::{Pod, Zeroable};

use super::cpu::{check_offsets, finish_f64};
use super::exec::{Kernel, RowInput};
use super::{F64Stats, GpuContext, GpuError, U64Stats};

/// Partial of the u64 kernels (matches `struct Partial` in stats.wgsl with
/// `Value` of u64_stats_*.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct U64Partial {
    sum: u64,
    min: u64,
    max: u64,
}

/// Partial of the f64 kernel (matches `struct Partial` in stats.wgsl with
/// `Value` of f64_stats.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct F64Partial {
    sum: f64,
    min: f64,
    max: f64,
}

/// Partial of the last-by-time kernels (matches `struct Partial` in last.wgsl
/// with `Time` of last_*.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LastPartial {
    time: u64,
    value_bits: u64,
}

impl GpuContext {
    fn u64_kernel(&self) -> &Kernel {
        match &self.inner.kernels.u64_native {
            Some(k) if !self.options.force_u64_pieces => k,
            _ => &self.inner.kernels.u64_pieces,
        }
    }

    fn last_kernel(&self) -> &Kernel {
        match &self.inner.kernels.last_native {
            Some(k) if !self.options.force_u64_pieces => k,
            _ => &self.inner.kernels.last_pieces,
        }
    }

    /// Per group: wrapping sum, min, max of `values[offsets[g]..offsets[g + 1]]`.
    ///
    /// # Panics
    /// If `offsets` is not a valid layout for `values` (see module docs).
    pub fn reduce_u64(&self, offsets: &[usize], values: &[u64]) -> Result<Vec<U64Stats>, GpuError> {
        let groups = check_offsets(offsets, values.len());
        let mut out = vec![U64Stats::EMPTY; groups];
        self.inner.run_segmented::<U64Partial>(
            self.u64_kernel(),
            offsets,
            &[RowInput {
                binding: 0,
                bytes: bytemuck::cast_slice(values),
            }],
            None,
            self.options.max_chunk_rows,
            |g, p| {
                out[g].merge(&U64Stats {
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                })
            },
        )?;
        Ok(out)
    }

    /// Per group: sum, min, max of an f64 column (min / max skip NaN).
    /// Err(Unsupported("f64")) when the adapter lacks SHADER_F64.
    ///
    /// # Panics
    /// If `offsets` is not a valid layout for `values`.
    pub fn reduce_f64(&self, offsets: &[usize], values: &[f64]) -> Result<Vec<F64Stats>, GpuError> {
        let groups = check_offsets(offsets, values.len());
        let (Some(kernel), Some(infinities)) = (&self.inner.kernels.f64, self.inner.infinities())
        else {
            return Err(GpuError::Unsupported("f64"));
        };
        let mut out = vec![F64Stats::EMPTY; groups];
        self.inner.run_segmented::<F64Partial>(
            kernel,
            offsets,
            &[RowInput {
                binding: 0,
                bytes: bytemuck::cast_slice(values),
            }],
            Some((6, infinities)),
            self.options.max_chunk_rows,
            |g, p| {
                out[g].merge(&F64Stats {
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                })
            },
        )?;
        for (g, s) in out.iter_mut().enumerate() {
            finish_f64(s, offsets[g + 1] - offsets[g]);
        }
        Ok(out)
    }

    /// Per group: the value at the greatest time; ties → the later row (greater index).
    /// None for an empty group. (Gauge "last value".)
    ///
    /// # Panics
    /// If `times` and `values` differ in length or `offsets` is invalid.
    pub fn last_by_time(
        &self,
        offsets: &[usize],
        times: &[u64],
        values: &[f64],
    ) -> Result<Vec<Option<f64>>, GpuError> {
        assert_eq!(
            times.len(),
            values.len(),
            "times and values differ in length"
        );
        let groups = check_offsets(offsets, values.len());
        let mut best: Vec<Option<(u64, u64)>> = vec![None; groups];
        self.inner.run_segmented::<LastPartial>(
            self.last_kernel(),
            offsets,
            &[
                RowInput {
                    binding: 0,
                    bytes: bytemuck::cast_slice(values),
                },
                RowInput {
                    binding: 1,
                    bytes: bytemuck::cast_slice(times),
                },
            ],
            None,
            self.options.max_chunk_rows,
            |g, p| {
                // Chunks arrive in row order: on equal times the later one wins.
                if best[g].is_none_or(|(t, _)| p.time >= t) {
                    best[g] = Some((p.time, p.value_bits));
                }
            },
        )?;
        Ok(best
            .into_iter()
            .map(|b| b.map(|(_, bits)| f64::from_bits(bits)))
            .collect())
    }
}
