//! GPU backend: group-by reductions on wgpu compute shaders, one context
//! (adapter, device, pipelines) built once per process.
//!
//! Two families of kernels:
//!
//! * **Device grouping over unsorted rows** (`group.rs`, `group_f64.rs`;
//!   `shaders/group*.wgsl`): what traces, logs and the metric value sums
//!   use. The host uploads per-row group ids (flag in the top bit) and one
//!   value column once per batch; the device groups with atomics (u64 where
//!   the adapter has `SHADER_INT64_ATOMIC_*`, else u32 words with carries),
//!   hot groups through workgroup-private partials, duration sketches
//!   bucketed on the device, f64 sums exact as fixed-point integer limbs.
//!   No host sort, gather or plan.
//! * **Segmented reductions** (`exec.rs`, `plan.rs`; `shaders/segments.wgsl`
//!   with `stats.wgsl`, `last.wgsl` and a small file per value type): the
//!   caller lays values out sorted by group (`offsets[g]..offsets[g + 1]`);
//!   the host splits segments into work items of at most
//!   [`TILE_ROWS`](exec::TILE_ROWS) rows, each reduced into a private
//!   partial, then merged hierarchically (a hot group costs `log_32` small
//!   dispatches). No aggregation path uses it any more (metrics moved to
//!   device grouping too); the sorted metrics reference in the tests and
//!   the `reduce_*` / `last_by_time` parity tests still do.
//!
//! Every reduction is order-independent or has a fixed order given by the
//! layout, so results are deterministic and equal to the CPU backend's.
//! u64 columns use native 64-bit integers when the adapter has
//! `SHADER_INT64`, otherwise (lo, hi) u32 pieces with manual carry;
//! [`GpuContext::last_by_time`] moves f64 values as raw bits and works on
//! every adapter.

mod cpu;
mod exec;
mod group;
mod group_f64;
mod plan;
mod segmented;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub use cpu::{last_by_time_cpu, reduce_f64_cpu, reduce_u64_cpu};
pub use group::{GroupStats, Grouped, GROUP_FLAG, GROUP_MASK};
pub use group_f64::F64Group;

use exec::Inner;

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter found (wgpu found no Vulkan/Metal/DX12/GL device)")]
    NoAdapter,
    #[error("GPU device request failed: {0}")]
    Device(String),
    #[error("GPU lacks {0} support")]
    Unsupported(&'static str),
    #[error("GPU buffer readback failed: {0}")]
    Readback(String),
}

impl GpuError {
    /// A copy of a cached error (the shared context's init error is replayed).
    fn replay(&self) -> GpuError {
        match self {
            GpuError::NoAdapter => GpuError::NoAdapter,
            GpuError::Device(s) => GpuError::Device(s.clone()),
            GpuError::Unsupported(s) => GpuError::Unsupported(s),
            GpuError::Readback(s) => GpuError::Readback(s.clone()),
        }
    }
}

/// Per-group statistics of a u64 column. Empty group: sum 0, min u64::MAX, max 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct U64Stats {
    /// Wrapping sum (like `u64::wrapping_add`).
    pub sum: u64,
    pub min: u64,
    pub max: u64,
}

impl U64Stats {
    /// The statistics of an empty group.
    pub const EMPTY: U64Stats = U64Stats {
        sum: 0,
        min: u64::MAX,
        max: 0,
    };

    fn merge(&mut self, other: &U64Stats) {
        self.sum = self.sum.wrapping_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Per-group statistics of an f64 column. Empty group: sum 0, min +inf, max
/// -inf. min / max skip NaN; a non-empty group of only NaN has min = max = NaN.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct F64Stats {
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl F64Stats {
    /// The statistics of an empty group.
    pub const EMPTY: F64Stats = F64Stats {
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    fn merge(&mut self, other: &F64Stats) {
        self.sum += other.sum;
        if other.min < self.min {
            self.min = other.min;
        }
        if other.max > self.max {
            self.max = other.max;
        }
    }
}

/// What the adapter offers (not what a context was forced to use).
#[derive(Debug, Clone)]
pub struct GpuCapabilities {
    pub shader_int64: bool,
    pub shader_f64: bool,
    /// SHADER_INT64 with all 64-bit atomic ops (SHADER_INT64_ATOMIC_ALL_OPS):
    /// the group-by's one-pass native kernel.
    pub int64_atomics: bool,
    /// Largest single buffer binding in bytes:
    /// min(max_buffer_size, max_storage_buffer_binding_size).
    pub max_buffer_bytes: u64,
}

/// Options for [`GpuContext::new_with_options`] / [`GpuContext::with_options`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuOptions {
    /// Use the 32-bit-pieces u64 paths (no 64-bit arithmetic or atomics) even
    /// when the adapter has SHADER_INT64 / 64-bit atomics. The shared context
    /// sets it when `OTLP_ANALYTICS_GPU_FORCE_PIECES=1`.
    pub force_u64_pieces: bool,
    /// Cap on rows per chunk (below the device limit); for testing chunking.
    pub max_chunk_rows: Option<usize>,
}

/// Environment variable: `1` makes the shared context use the 32-bit
/// fallbacks (as on an adapter without 64-bit integers / atomics).
pub const FORCE_PIECES_ENV: &str = "OTLP_ANALYTICS_GPU_FORCE_PIECES";

/// What the group-by path did so far in this process (`--verbose`).
#[derive(Debug, Default)]
pub(crate) struct GpuCounters {
    batches: AtomicU64,
    rows: AtomicU64,
    bytes_uploaded: AtomicU64,
    bytes_read_back: AtomicU64,
    submits: AtomicU64,
    prep_ns: AtomicU64,
    finish_ns: AtomicU64,
    cpu_batches: AtomicU64,
    cpu_rows: AtomicU64,
}

/// A snapshot of the group-by path's counters (see [`GpuContext::activity`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuActivity {
    /// Device batches (one upload and one compute submit each).
    pub batches: u64,
    pub rows: u64,
    pub bytes_uploaded: u64,
    pub bytes_read_back: u64,
    /// Queue submits (compute, plus one copy-only submit per batch with sketch payloads).
    pub submits: u64,
    /// Host time preparing GPU work: uploads queued, bind groups, encoding, submit.
    pub prep_ns: u64,
    /// Host time turning readbacks into per-group partials (sketches included).
    pub finish_ns: u64,
    /// Batches `--backend auto` kept on the CPU (too few rows, or per group).
    pub cpu_batches: u64,
    pub cpu_rows: u64,
}

/// Device, queue and compiled pipelines, built once; each call only
/// (re)uses buffers and issues dispatches. `Send + Sync`; concurrent calls
/// are fine. Clones made by [`with_options`](GpuContext::with_options) share
/// the device.
pub struct GpuContext {
    inner: Arc<Inner>,
    options: GpuOptions,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GpuContext>();
};

impl fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.inner.adapter_info.name)
            .field("backend", &self.backend_name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl GpuContext {
    /// Finds an adapter and builds the device and pipelines. Err(NoAdapter) when there is none.
    /// `WGPU_BACKEND` / `WGPU_*` environment variables are honoured.
    pub fn new() -> Result<GpuContext, GpuError> {
        Self::new_with_options(GpuOptions::default())
    }

    /// Like [`new`](GpuContext::new) with non-default options.
    pub fn new_with_options(options: GpuOptions) -> Result<GpuContext, GpuError> {
        Ok(GpuContext {
            inner: Arc::new(Inner::new(Inner::OPTIONAL_FEATURES)?),
            options,
        })
    }

    /// The process-wide context, created on first use (OnceLock); later calls reuse it.
    /// A failed initialisation is cached too and replayed to later callers.
    pub fn shared() -> Result<&'static GpuContext, GpuError> {
        static SHARED: OnceLock<Result<GpuContext, GpuError>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let forced = std::env::var(FORCE_PIECES_ENV).is_ok_and(|v| v == "1");
                GpuContext::new_with_options(GpuOptions {
                    force_u64_pieces: forced,
                    ..GpuOptions::default()
                })
            })
            .as_ref()
            .map_err(GpuError::replay)
    }

    /// A cheap handle on the same device and pipelines with other options
    /// (e.g. `ctx.with_options(GpuOptions { force_u64_pieces: true, ..Default::default() })`).
    pub fn with_options(&self, options: GpuOptions) -> GpuContext {
        GpuContext {
            inner: Arc::clone(&self.inner),
            options,
        }
    }

    /// Same device, but u64 reductions (and last_by_time times) use 32-bit pieces.
    pub fn with_u64_pieces(&self) -> GpuContext {
        self.with_options(GpuOptions {
            force_u64_pieces: true,
            ..self.options
        })
    }

    /// Same device, but at most `rows` rows per chunk (testing chunking).
    pub fn with_max_chunk_rows(&self, rows: usize) -> GpuContext {
        self.with_options(GpuOptions {
            max_chunk_rows: Some(rows),
            ..self.options
        })
    }

    pub fn options(&self) -> GpuOptions {
        self.options
    }

    /// e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
    pub fn adapter_name(&self) -> String {
        self.inner.adapter_info.name.clone()
    }

    /// e.g. "Vulkan"
    pub fn backend_name(&self) -> String {
        match self.inner.adapter_info.backend {
            wgpu::Backend::Vulkan => "Vulkan",
            wgpu::Backend::Metal => "Metal",
            wgpu::Backend::Dx12 => "DX12",
            wgpu::Backend::Gl => "GL",
            wgpu::Backend::BrowserWebGpu => "WebGPU",
            wgpu::Backend::Noop => "Noop",
        }
        .to_string()
    }

    /// Whether the adapter is a software implementation running on the CPU
    /// (wgpu `DeviceType::Cpu`, e.g. Mesa lavapipe / llvmpipe).
    pub fn is_software(&self) -> bool {
        self.inner.adapter_info.device_type == wgpu::DeviceType::Cpu
    }

    pub fn capabilities(&self) -> &GpuCapabilities {
        &self.inner.caps
    }

    /// The group-by path's counters so far (all handles on this device).
    pub fn activity(&self) -> GpuActivity {
        let c = &self.inner.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        GpuActivity {
            batches: l(&c.batches),
            rows: l(&c.rows),
            bytes_uploaded: l(&c.bytes_uploaded),
            bytes_read_back: l(&c.bytes_read_back),
            submits: l(&c.submits),
            prep_ns: l(&c.prep_ns),
            finish_ns: l(&c.finish_ns),
            cpu_batches: l(&c.cpu_batches),
            cpu_rows: l(&c.cpu_rows),
        }
    }

    /// Counts a batch that `--backend auto` kept on the CPU.
    pub fn note_cpu_batch(&self, rows: usize) {
        let c = &self.inner.counters;
        c.cpu_batches.fetch_add(1, Ordering::Relaxed);
        c.cpu_rows.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Adds host time spent preparing GPU work outside this module (e.g.
    /// packing row keys) to [`GpuActivity::prep_ns`].
    pub fn note_host_prep(&self, d: std::time::Duration) {
        self.inner
            .counters
            .prep_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Whether the group-by uses native 64-bit atomics (else u32 words with carries).
    pub fn native_atomics(&self) -> bool {
        !self.options.force_u64_pieces && self.inner.group_kernels.native.is_some()
    }

    /// Device-side group-by of unsorted rows: `keys[i]` is row `i`'s group id
    /// (below `groups`), with [`GROUP_FLAG`] set when the row counts as
    /// flagged; `values[i]` its u64 value. Per group: count, flagged rows,
    /// wrapping sum, min, max, and with `sketch` the [`DurationSketch`] of the
    /// values (equal to adding them one by one on the CPU). Results depend
    /// only on the multiset of rows per group, never on row order or batch size.
    ///
    /// [`DurationSketch`]: crate::aggregate::sketch::DurationSketch
    ///
    /// # Panics
    /// If `keys` and `values` differ in length. A group id at or past
    /// `groups` is a caller bug: the device skips nothing, so it panics in
    /// debug builds and gives unspecified (but memory-safe) results otherwise.
    pub fn group_u64(
        &self,
        keys: &[u32],
        values: &[u64],
        groups: usize,
        sketch: bool,
    ) -> Result<Grouped, GpuError> {
        debug_assert!(keys.iter().all(|&k| ((k & GROUP_MASK) as usize) < groups));
        self.inner.group_u64(
            keys,
            values,
            groups,
            sketch,
            self.native_atomics(),
            self.options.max_chunk_rows,
        )
    }

    /// Device-side group-by of an f64 column: `keys[i]` is row `i`'s group
    /// (below `groups`, no flag bit). Per group: rows, exact sum (the same
    /// [`ExactSum`](crate::aggregate::exact_sum::ExactSum) value as adding
    /// the values on the CPU, bit for bit), NaN-skipping min and max. Needs
    /// no f64 or 64-bit shader support.
    ///
    /// # Panics
    /// If `keys` and `values` differ in length.
    pub fn group_f64(
        &self,
        keys: &[u32],
        values: &[f64],
        groups: usize,
    ) -> Result<Vec<F64Group>, GpuError> {
        debug_assert!(keys.iter().all(|&k| (k as usize) < groups));
        self.inner
            .group_f64(keys, values, groups, self.options.max_chunk_rows)
    }

    fn native_u64(&self) -> bool {
        !self.options.force_u64_pieces && self.inner.kernels.u64_native.is_some()
    }

    /// Human-readable notes about the paths taken, one per line.
    pub fn describe(&self) -> String {
        let info = &self.inner.adapter_info;
        let caps = &self.inner.caps;
        let u64_path = if self.native_u64() {
            "native SHADER_INT64"
        } else if caps.shader_int64 {
            "32-bit pieces (forced; adapter has SHADER_INT64)"
        } else {
            "32-bit pieces (no SHADER_INT64)"
        };
        let f64_path = if caps.shader_f64 {
            "native SHADER_F64"
        } else {
            "unsupported (no SHADER_F64; callers fall back to the CPU)"
        };
        let mut lines = vec![
            format!(
                "adapter: {} ({}, {:?}, driver {} {})",
                info.name,
                self.backend_name(),
                info.device_type,
                info.driver,
                info.driver_info
            ),
            format!("u64 reductions: {u64_path}"),
            format!("f64 reductions: {f64_path}"),
            format!(
                "last_by_time: u64 times via {}, f64 values moved as raw bits",
                if self.native_u64() {
                    "native SHADER_INT64"
                } else {
                    "32-bit pieces"
                }
            ),
            format!(
                "group-by on device: unsorted rows, {}; up to {} groups in workgroup-memory partials",
                if self.native_atomics() {
                    "native 64-bit atomics"
                } else if caps.int64_atomics {
                    "u32 atomics with carries (forced; adapter has 64-bit atomics)"
                } else {
                    "u32 atomics with carries (no 64-bit atomics)"
                },
                group::PRIV_GROUPS
            ),
            format!(
                "chunking: buffers up to {} bytes ({} rows of 8 bytes per chunk)",
                self.inner.binding_limit,
                self.inner.binding_limit / 8
            ),
        ];
        if let Some(n) = self.options.max_chunk_rows {
            lines.push(format!("chunking: capped at {n} rows per chunk"));
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests;
