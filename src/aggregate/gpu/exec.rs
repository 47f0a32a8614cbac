//! Device setup (once) and per-call execution: buffer pool, uploads, the
//! dispatch of every level of a chunk plan, and the readback.

use std::sync::{mpsc, Mutex};

use bytemuck::Pod;

use super::group::GroupKernels;
use super::group_f64::F64Kernels;
use super::plan::{self, ChunkPlan, Item};
use super::GpuCounters;
use super::{GpuCapabilities, GpuError};

/// Invocations per workgroup; handed to the shaders as `WG_SIZE` (see [`shader_source`]).
pub(super) const WG_SIZE: u32 = 64;
/// Rows a pass-1 work item reduces (at most).
pub(super) const TILE_ROWS: usize = 64;
/// Partials a merge work item combines (at most).
pub(super) const TILE_MERGE: usize = 32;
/// How long a readback may take to map before it is an error (a loaded
/// machine running a software adapter can be slow, never this slow).
const MAP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
/// Uploads are split into writes of at most this many bytes.
const UPLOAD_PIECE_BYTES: usize = 8 << 20;
/// Every row input is a column of 8-byte values (u64 / f64).
const ROW_BYTES: usize = 8;
/// Idle buffers kept for reuse, in bytes (larger ones are freed).
const POOL_CAP_BYTES: u64 = 256 << 20;

pub(super) const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);
pub(super) const READBACK: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

/// The two pipelines of one kernel family (one kernel shader file, built on
/// the shared prelude and its family's fold, see [`shader_source`]).
pub(super) struct Kernel {
    rows: wgpu::ComputePipeline,
    rows_layout: wgpu::BindGroupLayout,
    merge: wgpu::ComputePipeline,
    merge_layout: wgpu::BindGroupLayout,
}

pub(super) struct Kernels {
    pub u64_native: Option<Kernel>,
    pub u64_pieces: Kernel,
    pub f64: Option<Kernel>,
    pub last_native: Option<Kernel>,
    pub last_pieces: Kernel,
}

/// Everything built once per device.
pub(super) struct Inner {
    pub adapter_info: wgpu::AdapterInfo,
    pub caps: GpuCapabilities,
    pub kernels: Kernels,
    /// Largest single buffer / binding this device takes, in bytes.
    pub binding_limit: u64,
    max_buffer_size: u64,
    max_workgroups_per_dim: u32,
    pub(super) device: wgpu::Device,
    pub(super) queue: wgpu::Queue,
    /// Device-side group-by kernels (gpu/group.rs).
    pub(super) group_kernels: GroupKernels,
    pub(super) f64_kernels: F64Kernels,
    /// What the group-by path did, for `--verbose`.
    pub(super) counters: GpuCounters,
    /// `[+inf, -inf]` as f64, bound for the f64 kernel.
    infinities: Option<wgpu::Buffer>,
    pool: Mutex<Vec<wgpu::Buffer>>,
}

/// One 8-byte-per-row input column and the shader binding it goes to.
pub(super) struct RowInput<'a> {
    pub binding: u32,
    pub bytes: &'a [u8],
}

/// Prelude of every kernel: work items, bindings 2..=5, both entry points.
const SEGMENTS_WGSL: &str = include_str!("../../../shaders/segments.wgsl");
/// Fold of the sum / min / max families.
const STATS_WGSL: &str = include_str!("../../../shaders/stats.wgsl");
/// Fold of the last-by-time families.
const LAST_WGSL: &str = include_str!("../../../shaders/last.wgsl");

/// The WGSL of one kernel (WGSL has no `#include`): the constants shared
/// with the host, the `segments.wgsl` prelude, the family's fold (`family`:
/// `stats.wgsl` / `last.wgsl`) and the kernel file's value type and
/// primitive operations. Built once per kernel at pipeline creation.
fn shader_source(family: &str, kernel: &str) -> String {
    format!(
        "const WG_SIZE: u32 = {WG_SIZE}u;\nconst FINAL_BIT: u32 = {:#x}u;\n\n{SEGMENTS_WGSL}\n{family}\n{kernel}",
        plan::FINAL_BIT
    )
}

/// `(file name, source)` of a kernel file under `shaders/`.
macro_rules! kernel_file {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../shaders/", $name)))
    };
}

fn build_kernel(device: &wgpu::Device, family: &str, (label, kernel): (&str, &str)) -> Kernel {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(shader_source(family, kernel).into()),
    });
    let pipeline = |entry: &str| {
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    };
    let rows = pipeline("reduce_rows");
    let merge = pipeline("merge_partials");
    Kernel {
        rows_layout: rows.get_bind_group_layout(0),
        rows,
        merge_layout: merge.get_bind_group_layout(0),
        merge,
    }
}

impl Inner {
    /// The optional features the kernels can use.
    pub const OPTIONAL_FEATURES: wgpu::Features = wgpu::Features::SHADER_INT64
        .union(wgpu::Features::SHADER_F64)
        .union(wgpu::Features::SHADER_INT64_ATOMIC_ALL_OPS);

    /// Builds the device with the optional shader features the adapter has,
    /// restricted to `allowed` (tests pass less to emulate a plainer adapter).
    pub fn new(allowed: wgpu::Features) -> Result<Inner, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|_| GpuError::NoAdapter)?;
        let adapter_info = adapter.get_info();
        let downlevel = adapter.get_downlevel_capabilities();
        if !downlevel
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        {
            return Err(GpuError::Unsupported("compute shaders"));
        }
        let adapter_features = adapter.features();
        let features = adapter_features & allowed;
        let limits = adapter.limits();
        let wanted = Inner::OPTIONAL_FEATURES;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("otlp-analytics gpu"),
            required_features: features & wanted,
            required_limits: limits.clone(),
            memory_hints: wgpu::MemoryHints::Performance,
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(e.to_string()))?;

        let caps = GpuCapabilities {
            shader_int64: features.contains(wgpu::Features::SHADER_INT64),
            shader_f64: features.contains(wgpu::Features::SHADER_F64),
            int64_atomics: features.contains(
                wgpu::Features::SHADER_INT64 | wgpu::Features::SHADER_INT64_ATOMIC_ALL_OPS,
            ),
            max_buffer_bytes: limits
                .max_buffer_size
                .min(limits.max_storage_buffer_binding_size),
        };

        // Shader compilation problems become errors rather than panics.
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kernels = Kernels {
            u64_native: caps
                .shader_int64
                .then(|| build_kernel(&device, STATS_WGSL, kernel_file!("u64_stats_native.wgsl"))),
            u64_pieces: build_kernel(&device, STATS_WGSL, kernel_file!("u64_stats_pieces.wgsl")),
            f64: caps
                .shader_f64
                .then(|| build_kernel(&device, STATS_WGSL, kernel_file!("f64_stats.wgsl"))),
            last_native: caps
                .shader_int64
                .then(|| build_kernel(&device, LAST_WGSL, kernel_file!("last_native.wgsl"))),
            last_pieces: build_kernel(&device, LAST_WGSL, kernel_file!("last_pieces.wgsl")),
        };
        let group_kernels = GroupKernels::new(&device, caps.int64_atomics);
        let f64_kernels = F64Kernels::new(&device);
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Device(format!(
                "shader pipeline creation failed: {err}"
            )));
        }

        let infinities = caps.shader_f64.then(|| {
            let buf = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("f64 infinities"),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            queue.write_buffer(
                &buf,
                0,
                bytemuck::cast_slice(&[f64::INFINITY, f64::NEG_INFINITY]),
            );
            buf
        });

        Ok(Inner {
            adapter_info,
            binding_limit: caps.max_buffer_bytes,
            caps,
            kernels,
            max_buffer_size: limits.max_buffer_size,
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension.max(1),
            device,
            queue,
            group_kernels,
            f64_kernels,
            counters: GpuCounters::default(),
            infinities,
            pool: Mutex::new(Vec::new()),
        })
    }

    pub fn infinities(&self) -> Option<&wgpu::Buffer> {
        self.infinities.as_ref()
    }

    /// A buffer of at least `size` bytes with `usage`, reused from the pool
    /// when possible.
    pub(super) fn acquire(&self, usage: wgpu::BufferUsages, size: u64) -> wgpu::Buffer {
        let size = size.max(16).next_multiple_of(16);
        {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let best = pool
                .iter()
                .enumerate()
                .filter(|(_, b)| b.usage() == usage && b.size() >= size)
                .min_by_key(|(_, b)| b.size())
                .map(|(i, _)| i);
            if let Some(i) = best {
                return pool.swap_remove(i);
            }
        }
        // Round up so that similar sizes share pooled buffers.
        let rounded = size
            .checked_next_power_of_two()
            .unwrap_or(size)
            .min(self.max_buffer_size)
            .max(size);
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: rounded,
            usage,
            mapped_at_creation: false,
        })
    }

    pub(super) fn release(&self, buffers: impl IntoIterator<Item = wgpu::Buffer>) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let mut held: u64 = pool.iter().map(|b| b.size()).sum();
        for b in buffers {
            if held + b.size() <= POOL_CAP_BYTES {
                held += b.size();
                pool.push(b);
            }
        }
    }

    /// Rows and pass-1 work items one chunk may hold for partials of
    /// `partial_bytes` bytes.
    fn chunk_limits(&self, partial_bytes: usize, max_chunk_rows: Option<usize>) -> (usize, usize) {
        let limit = usize::try_from(self.binding_limit).unwrap_or(usize::MAX);
        let cap = (plan::FINAL_BIT - 1) as usize;
        let mut max_rows = (limit / ROW_BYTES).min(cap);
        if let Some(n) = max_chunk_rows {
            max_rows = max_rows.min(n.max(1));
        }
        let item_bytes = std::mem::size_of::<Item>();
        let max_items = (limit / partial_bytes.max(item_bytes)).clamp(1, cap);
        (max_rows.max(1), max_items)
    }

    /// Runs one kernel family over all groups of `offsets` and hands each
    /// (group, partial) to `combine` in row order: one partial per group per
    /// chunk the group has rows in. Empty groups produce nothing.
    pub fn run_segmented<P: Pod>(
        &self,
        kernel: &Kernel,
        offsets: &[usize],
        inputs: &[RowInput<'_>],
        extra: Option<(u32, &wgpu::Buffer)>,
        max_chunk_rows: Option<usize>,
        mut combine: impl FnMut(usize, &P),
    ) -> Result<(), GpuError> {
        let (max_rows, max_items) = self.chunk_limits(std::mem::size_of::<P>(), max_chunk_rows);
        for rows in plan::plan_chunks(offsets, max_rows, max_items, TILE_ROWS) {
            let chunk = plan::plan_levels(offsets, rows, TILE_ROWS, TILE_MERGE);
            let partials: Vec<P> = self.run_chunk(kernel, &chunk, inputs, extra)?;
            for (&g, p) in chunk.pieces.iter().zip(&partials) {
                combine(g, p);
            }
        }
        Ok(())
    }

    /// Writes `bytes` at the start of `buf` in pieces, so the queue's staging
    /// allocations stay small and get recycled instead of one huge staging
    /// buffer per call.
    pub(super) fn upload(&self, buf: &wgpu::Buffer, bytes: &[u8]) {
        let mut offset = 0;
        for piece in bytes.chunks(UPLOAD_PIECE_BYTES) {
            self.queue.write_buffer(buf, offset, piece);
            offset += piece.len() as u64;
        }
    }

    /// Maps the first `size` bytes of `readback` once `submission` is done.
    pub(super) fn read_back(
        &self,
        submission: wgpu::SubmissionIndex,
        readback: &wgpu::Buffer,
        size: u64,
    ) -> Result<Vec<u8>, GpuError> {
        let (tx, rx) = mpsc::channel();
        let mapped = readback.slice(..size);
        mapped.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait_mapped(submission, &rx)?;
        let bytes = mapped
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .to_vec();
        readback.unmap();
        Ok(bytes)
    }

    /// Waits for `submission` and for the readback's map callback (which
    /// another thread's poll may already be running: then this thread's poll
    /// returns at once and the callback arrives a moment later, so wait on
    /// the channel, not on a count of polls).
    fn wait_mapped(
        &self,
        submission: wgpu::SubmissionIndex,
        rx: &mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
    ) -> Result<(), GpuError> {
        let deadline = std::time::Instant::now() + MAP_TIMEOUT;
        let mut poll = wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: None,
        };
        loop {
            self.device
                .poll(poll)
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            match rx.recv_timeout(std::time::Duration::from_millis(10)) {
                Ok(mapped) => return mapped.map_err(|e| GpuError::Readback(e.to_string())),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(GpuError::Readback("map callback dropped".into()))
                }
                Err(mpsc::RecvTimeoutError::Timeout) if std::time::Instant::now() > deadline => {
                    return Err(GpuError::Readback(format!(
                        "buffer map not completed after {} s",
                        MAP_TIMEOUT.as_secs()
                    )))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            poll = wgpu::PollType::wait_indefinitely();
        }
    }

    pub(super) fn dispatch(&self, pass: &mut wgpu::ComputePass<'_>, items: usize) {
        let groups = u32::try_from(items.div_ceil(WG_SIZE as usize)).expect("dispatch too large");
        let x = groups.min(self.max_workgroups_per_dim);
        let y = groups.div_ceil(x);
        assert!(y <= self.max_workgroups_per_dim, "dispatch too large");
        pass.dispatch_workgroups(x, y, 1);
    }

    fn run_chunk<P: Pod>(
        &self,
        kernel: &Kernel,
        chunk: &ChunkPlan,
        inputs: &[RowInput<'_>],
        extra: Option<(u32, &wgpu::Buffer)>,
    ) -> Result<Vec<P>, GpuError> {
        let psize = std::mem::size_of::<P>() as u64;
        let pieces = chunk.pieces.len() as u64;
        let mut held = Vec::new();

        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);

        let row_bytes = (chunk.rows.len() * ROW_BYTES) as u64;
        let mut row_bufs = Vec::with_capacity(inputs.len());
        for input in inputs {
            let bytes = &input.bytes[chunk.rows.start * ROW_BYTES..chunk.rows.end * ROW_BYTES];
            let buf = self.acquire(STORAGE, row_bytes);
            self.upload(&buf, bytes);
            row_bufs.push((input.binding, buf));
        }
        let mut item_bufs = Vec::with_capacity(chunk.levels.len());
        for items in &chunk.levels {
            let bytes: &[u8] = bytemuck::cast_slice(items);
            let buf = self.acquire(STORAGE, bytes.len() as u64);
            self.queue.write_buffer(&buf, 0, bytes);
            item_bufs.push((buf, bytes.len() as u64));
        }
        let spill_max = chunk.spill.iter().copied().max().unwrap_or(0).max(1) as u64;
        let ping_pong = [
            self.acquire(STORAGE, spill_max * psize),
            self.acquire(STORAGE, spill_max * psize),
        ];
        let finals = self.acquire(STORAGE, pieces * psize);
        let readback = self.acquire(READBACK, pieces * psize);

        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        for (level, items) in chunk.levels.iter().enumerate() {
            let (pipeline, layout) = if level == 0 {
                (&kernel.rows, &kernel.rows_layout)
            } else {
                (&kernel.merge, &kernel.merge_layout)
            };
            let out = &ping_pong[level % 2];
            let mut entries = vec![
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: slice(&item_bufs[level].0, item_bufs[level].1),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: slice(out, chunk.spill[level].max(1) as u64 * psize),
                },
                wgpu::BindGroupEntry {
                    binding: 5,
                    resource: slice(&finals, pieces * psize),
                },
            ];
            if level == 0 {
                for (binding, buf) in &row_bufs {
                    entries.push(wgpu::BindGroupEntry {
                        binding: *binding,
                        resource: slice(buf, row_bytes),
                    });
                }
            } else {
                let input = &ping_pong[(level - 1) % 2];
                entries.push(wgpu::BindGroupEntry {
                    binding: 2,
                    resource: slice(input, chunk.spill[level - 1] as u64 * psize),
                });
            }
            if let Some((binding, buf)) = extra {
                entries.push(wgpu::BindGroupEntry {
                    binding,
                    resource: buf.as_entire_binding(),
                });
            }
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout,
                entries: &entries,
            });
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            self.dispatch(&mut pass, items.len());
        }
        encoder.copy_buffer_to_buffer(&finals, 0, &readback, 0, pieces * psize);
        let submission = self.queue.submit(Some(encoder.finish()));

        let validation = pollster::block_on(validation.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(err) = validation.or(oom) {
            // Wait so that the pooled buffers are idle before dropping them.
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
            return Err(GpuError::Device(err.to_string()));
        }

        let result = self
            .read_back(submission, &readback, pieces * psize)
            .map(|bytes| bytemuck::pod_collect_to_vec::<u8, P>(&bytes));
        if result.is_ok() {
            held.push(readback);
        }
        held.extend(row_bufs.into_iter().map(|(_, b)| b));
        held.extend(item_bufs.into_iter().map(|(b, _)| b));
        held.extend(ping_pong);
        held.push(finals);
        self.release(held);
        result
    }
}

/// Binds the first `size` bytes of `buf` (so `arrayLength` sees exactly the data).
pub(super) fn slice(buf: &wgpu::Buffer, size: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: buf,
        offset: 0,
        size: wgpu::BufferSize::new(size),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::naga;

    /// The assembled sources parse and validate without any adapter, so a
    /// broken concatenation shows up even where the GPU tests skip.
    #[test]
    fn shader_sources_validate_without_a_device() {
        let kernels = [
            (STATS_WGSL, kernel_file!("u64_stats_native.wgsl")),
            (STATS_WGSL, kernel_file!("u64_stats_pieces.wgsl")),
            (STATS_WGSL, kernel_file!("f64_stats.wgsl")),
            (LAST_WGSL, kernel_file!("last_native.wgsl")),
            (LAST_WGSL, kernel_file!("last_pieces.wgsl")),
        ];
        for (family, (name, kernel)) in kernels {
            let source = shader_source(family, kernel);
            let module = naga::front::wgsl::parse_str(&source)
                .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::SHADER_INT64 | naga::valid::Capabilities::FLOAT64,
            )
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
            let entries: Vec<&str> = module
                .entry_points
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            assert_eq!(entries, ["reduce_rows", "merge_partials"], "{name}");
        }
    }
}
