//! Device-side group-by over unsorted rows (`shaders/group.wgsl`,
//! `shaders/group_native.wgsl`): the host uploads per-row group ids (with a
//! flag bit) and one u64 column once per batch, records every kernel in one
//! command encoder and submits once; the device groups with atomics, so there
//! is no host sort, gather or work-item plan on this path.
//!
//! Kernels per batch, in one compute pass: `init_groups`; then either the
//! privatised tiles (`private_hi`, `private_lo`: workgroup-memory partials,
//! at most [`PRIV_GROUPS`] groups, so a hot group costs one global atomic per
//! tile) or the global pass (`accumulate_native` with 64-bit atomics, else
//! `accumulate` + `accumulate_lo` on u32 words with carries); with sketches,
//! `plan_sketch` and `fill_sketch`. One readback of the per-group results;
//! when sketch payloads exist, a second, copy-only submit reads back exactly
//! the bytes used (their size is only known on the device).

use std::sync::atomic::Ordering;
use std::time::Instant;

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;

use super::exec::{slice, Inner, READBACK, STORAGE};
use super::GpuError;
use crate::aggregate::sketch::{bucket_index, DurationSketch, EXACT_LIMIT};

/// Flag bit of a row key: the row counts into [`GroupStats::flagged`].
pub const GROUP_FLAG: u32 = 1 << 31;
/// Group id bits of a row key.
pub const GROUP_MASK: u32 = GROUP_FLAG - 1;
/// Groups up to this many take the privatised (workgroup-memory) kernels.
pub(super) const PRIV_GROUPS: u32 = 256;
/// Rows each invocation folds in a privatised tile.
const PRIV_ROWS: u32 = 32;
/// A group whose bucket range is at most this many times its row count comes
/// back as a dense bucket histogram, else as raw values (bounds readback to
/// 8 bytes per row either way).
const HIST_FACTOR: u32 = 2;
/// Rows per device batch: keeps row counts, `count * HIST_FACTOR` and
/// offsets far inside u32.
const MAX_BATCH_ROWS: usize = 1 << 30;

const KIND_VALUES: u32 = 1;
const KIND_HIST: u32 = 2;

/// Per-group results of [`GpuContext::group_u64`](super::GpuContext::group_u64).
/// An empty group has count 0, sum 0, min u64::MAX, max 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    pub count: u64,
    /// Rows whose key carried [`GROUP_FLAG`].
    pub flagged: u64,
    /// Wrapping sum.
    pub sum: u64,
    pub min: u64,
    pub max: u64,
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            count: 0,
            flagged: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl GroupStats {
    fn merge(&mut self, o: &GroupStats) {
        self.count += o.count;
        self.flagged += o.flagged;
        self.sum = self.sum.wrapping_add(o.sum);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// Per-group statistics and (when asked) duration sketches of one call.
#[derive(Debug, Clone, Default)]
pub struct Grouped {
    pub stats: Vec<GroupStats>,
    /// Empty unless sketches were asked for; else one per group.
    pub sketches: Vec<DurationSketch>,
}

/// Accumulator words of one group (group.wgsl `acc`, group_native.wgsl `Acc`).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct AccWords {
    count: u32,
    flagged: u32,
    sum: [u32; 2],
    min: [u32; 2],
    max: [u32; 2],
}

const ACC_BYTES: u64 = std::mem::size_of::<AccWords>() as u64;

fn word_pair(w: [u32; 2]) -> u64 {
    u64::from(w[0]) | (u64::from(w[1]) << 32)
}

/// The pipelines of the group-by kernels, all on one explicit layout.
pub(super) struct GroupKernels {
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    accumulate: wgpu::ComputePipeline,
    accumulate_lo: wgpu::ComputePipeline,
    private_hi: wgpu::ComputePipeline,
    private_lo: wgpu::ComputePipeline,
    plan_sketch: wgpu::ComputePipeline,
    fill_sketch: wgpu::ComputePipeline,
    /// With SHADER_INT64 + SHADER_INT64_ATOMIC_ALL_OPS.
    pub native: Option<wgpu::ComputePipeline>,
}

const GROUP_WGSL: &str = include_str!("../../../shaders/group.wgsl");
const GROUP_NATIVE_WGSL: &str = include_str!("../../../shaders/group_native.wgsl");

/// The WGSL of a group-by module: the constants shared with the host, then the file.
pub(super) fn group_source(native: bool) -> String {
    format!(
        "const WG_SIZE: u32 = {}u;\nconst PRIV_GROUPS: u32 = {PRIV_GROUPS}u;\nconst PRIV_ROWS: u32 = {PRIV_ROWS}u;\n\
         const EXACT_LIMIT: u32 = {EXACT_LIMIT}u;\nconst HIST_FACTOR: u32 = {HIST_FACTOR}u;\n\
         const GID_MASK: u32 = {GROUP_MASK:#x}u;\nconst FLAG_BIT: u32 = {GROUP_FLAG:#x}u;\n\n{}",
        super::exec::WG_SIZE,
        if native { GROUP_NATIVE_WGSL } else { GROUP_WGSL }
    )
}

impl GroupKernels {
    pub fn new(device: &wgpu::Device, native: bool) -> GroupKernels {
        let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let ro = wgpu::BufferBindingType::Storage { read_only: true };
        let rw = wgpu::BufferBindingType::Storage { read_only: false };
        let mut entries = vec![
            entry(0, wgpu::BufferBindingType::Uniform),
            entry(1, ro),
            entry(2, ro),
        ];
        entries.extend((3..=8).map(|b| entry(b, rw)));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("group-by"),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("group-by"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = |native: bool| {
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(if native {
                    "group_native.wgsl"
                } else {
                    "group.wgsl"
                }),
                source: wgpu::ShaderSource::Wgsl(group_source(native).into()),
            })
        };
        let pipeline = |module: &wgpu::ShaderModule, entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let m = module(false);
        GroupKernels {
            init: pipeline(&m, "init_groups"),
            accumulate: pipeline(&m, "accumulate"),
            accumulate_lo: pipeline(&m, "accumulate_lo"),
            private_hi: pipeline(&m, "private_hi"),
            private_lo: pipeline(&m, "private_lo"),
            plan_sketch: pipeline(&m, "plan_sketch"),
            fill_sketch: pipeline(&m, "fill_sketch"),
            native: native.then(|| pipeline(&module(true), "accumulate_native")),
            layout,
        }
    }
}

/// Binding `binding` to the first `size` bytes of `buf` (at least 4).
pub(super) fn bind(buf: &wgpu::Buffer, size: u64, binding: u32) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: slice(buf, size.max(4)),
    }
}

/// How a group's sketch payload comes back (mirrors `plan_sketch`).
fn sketch_kind(s: &GroupStats) -> (u32, u32) {
    if s.count == 0 {
        return (0, 0);
    }
    if s.count > EXACT_LIMIT as u64 {
        let range = bucket_index(s.max) - bucket_index(s.min) + 1;
        if u64::from(range) <= s.count * u64::from(HIST_FACTOR) {
            return (KIND_HIST, range);
        }
    }
    (KIND_VALUES, s.count as u32)
}

impl Inner {
    /// Rows of one device batch: every per-row buffer fits one binding.
    fn group_batch_rows(&self, max_chunk_rows: Option<usize>) -> usize {
        let limit = usize::try_from(self.binding_limit).unwrap_or(usize::MAX);
        let per_row = 8 * HIST_FACTOR.max(2) as usize;
        let mut rows = (limit / per_row).min(MAX_BATCH_ROWS);
        if let Some(n) = max_chunk_rows {
            rows = rows.min(n.max(1));
        }
        rows.max(1)
    }

    /// See [`GpuContext::group_u64`](super::GpuContext::group_u64).
    pub fn group_u64(
        &self,
        keys: &[u32],
        values: &[u64],
        groups: usize,
        sketch: bool,
        native: bool,
        max_chunk_rows: Option<usize>,
    ) -> Result<Grouped, GpuError> {
        assert_eq!(keys.len(), values.len(), "keys and values differ in length");
        if groups as u64 * ACC_BYTES > self.binding_limit || groups > GROUP_MASK as usize {
            return Err(GpuError::Unsupported(
                "this many groups in one device buffer",
            ));
        }
        let batch = self.group_batch_rows(max_chunk_rows);
        let mut out: Option<Grouped> = None;
        for start in (0..keys.len().max(1)).step_by(batch) {
            let end = (start + batch).min(keys.len());
            let part = self.group_batch(
                &keys[start..end],
                &values[start..end],
                groups,
                sketch,
                native,
            )?;
            match &mut out {
                None => out = Some(part),
                Some(o) => {
                    for (a, b) in o.stats.iter_mut().zip(&part.stats) {
                        a.merge(b);
                    }
                    for (a, b) in o.sketches.iter_mut().zip(&part.sketches) {
                        a.merge(b);
                    }
                }
            }
        }
        Ok(out.unwrap_or_default())
    }

    fn group_batch(
        &self,
        keys: &[u32],
        values: &[u64],
        groups: usize,
        sketch: bool,
        native: bool,
    ) -> Result<Grouped, GpuError> {
        let prep = Instant::now();
        let rows = keys.len();
        if groups == 0 {
            return Ok(Grouped::default());
        }
        let k = &self.group_kernels;
        let native = native && k.native.is_some();
        let private = groups as u32 <= PRIV_GROUPS;
        let (g64, r64) = (groups as u64, rows as u64);
        let acc_bytes = g64 * ACC_BYTES;
        let offs_bytes = g64 * 4;
        let rb_bytes = acc_bytes + offs_bytes + 16;
        // Sketch buffers are only sized when used (16-byte dummies bind otherwise).
        let (values_cap, buckets_cap) = if sketch {
            (r64 * 8, r64 * u64::from(HIST_FACTOR) * 4)
        } else {
            (16, 16)
        };

        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let params = self.acquire(
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            16,
        );
        self.queue.write_buffer(
            &params,
            0,
            bytemuck::cast_slice(&[rows as u32, groups as u32, 0, 0]),
        );
        let key_buf = self.acquire(STORAGE, r64 * 4);
        let val_buf = self.acquire(STORAGE, r64 * 8);
        self.upload(&key_buf, bytemuck::cast_slice(keys));
        self.upload(&val_buf, bytemuck::cast_slice(values));
        let acc = self.acquire(STORAGE, acc_bytes);
        let offs = self.acquire(STORAGE, offs_bytes);
        let cursors = self.acquire(STORAGE, 16);
        let sk_values = self.acquire(STORAGE, values_cap);
        let buckets = self.acquire(STORAGE, buckets_cap);
        let meta = self.acquire(STORAGE, if sketch { g64 * 8 } else { 16 });
        let readback = self.acquire(READBACK, rb_bytes);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("group-by"),
            layout: &k.layout,
            entries: &[
                bind(&params, 16, 0),
                bind(&key_buf, r64 * 4, 1),
                bind(&val_buf, r64 * 8, 2),
                bind(&acc, acc_bytes, 3),
                bind(&offs, offs_bytes, 4),
                bind(&cursors, 16, 5),
                bind(&sk_values, values_cap, 6),
                bind(&buckets, buckets_cap, 7),
                bind(&meta, if sketch { g64 * 8 } else { 16 }, 8),
            ],
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.clear_buffer(&cursors, 0, Some(16));
        if sketch {
            encoder.clear_buffer(&buckets, 0, Some(buckets_cap));
        }
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("group-by"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &bind_group, &[]);
            pass.set_pipeline(&k.init);
            self.dispatch(&mut pass, groups);
            if rows > 0 {
                if private {
                    let tiles = rows.div_ceil(PRIV_ROWS as usize);
                    pass.set_pipeline(&k.private_hi);
                    self.dispatch(&mut pass, tiles);
                    pass.set_pipeline(&k.private_lo);
                    self.dispatch(&mut pass, tiles);
                } else if let (true, Some(p)) = (native, &k.native) {
                    pass.set_pipeline(p);
                    self.dispatch(&mut pass, rows);
                } else {
                    pass.set_pipeline(&k.accumulate);
                    self.dispatch(&mut pass, rows);
                    pass.set_pipeline(&k.accumulate_lo);
                    self.dispatch(&mut pass, rows);
                }
            }
            if sketch {
                pass.set_pipeline(&k.plan_sketch);
                self.dispatch(&mut pass, groups);
                if rows > 0 {
                    pass.set_pipeline(&k.fill_sketch);
                    self.dispatch(&mut pass, rows);
                }
            }
        }
        encoder.copy_buffer_to_buffer(&acc, 0, &readback, 0, acc_bytes);
        encoder.copy_buffer_to_buffer(&offs, 0, &readback, acc_bytes, offs_bytes);
        encoder.copy_buffer_to_buffer(&cursors, 0, &readback, acc_bytes + offs_bytes, 16);
        let submission = self.queue.submit(Some(encoder.finish()));
        let prep_ns = prep.elapsed().as_nanos() as u64;

        let errors = pollster::block_on(validation.pop()).or(pollster::block_on(oom.pop()));
        let mut held = vec![
            params, key_buf, val_buf, acc, offs, cursors, sk_values, buckets, meta,
        ];
        if let Some(err) = errors {
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
            self.release(held);
            return Err(GpuError::Device(err.to_string()));
        }
        let first = self.read_back(submission, &readback, rb_bytes);
        held.push(readback);
        let first = match first {
            Ok(bytes) => bytes,
            Err(e) => {
                self.release(held);
                return Err(e);
            }
        };
        let finish = Instant::now();
        let acc_words: &[AccWords] = bytemuck::cast_slice(&first[..acc_bytes as usize]);
        let stats: Vec<GroupStats> = acc_words
            .par_iter()
            .map(|w| GroupStats {
                count: u64::from(w.count),
                flagged: u64::from(w.flagged),
                sum: word_pair(w.sum),
                min: word_pair(w.min),
                max: word_pair(w.max),
            })
            .collect();
        let mut read_bytes = rb_bytes;
        let mut submits = 1;
        let mut sketches = Vec::new();
        if sketch {
            let offsets: Vec<u32> = bytemuck::pod_collect_to_vec(
                &first[acc_bytes as usize..(acc_bytes + offs_bytes) as usize],
            );
            let cur: [u32; 4] =
                bytemuck::pod_read_unaligned(&first[(acc_bytes + offs_bytes) as usize..]);
            let (n_values, n_buckets) = (u64::from(cur[0]), u64::from(cur[1]));
            if n_values > r64 || n_buckets > r64 * u64::from(HIST_FACTOR) {
                self.release(held);
                return Err(GpuError::Readback("sketch allocation out of range".into()));
            }
            let payload = self.read_payload(&held[6], n_values * 8, &held[7], n_buckets * 4);
            self.release(held);
            let (vals, counts) = payload?;
            read_bytes += n_values * 8 + n_buckets * 4;
            submits += 1;
            let vals: Vec<u64> = bytemuck::pod_collect_to_vec(&vals);
            let counts: Vec<u32> = bytemuck::pod_collect_to_vec(&counts);
            sketches = stats
                .par_iter()
                .zip(&offsets)
                .map(|(s, &off)| build_sketch(s, off as usize, &vals, &counts))
                .collect::<Result<Vec<_>, GpuError>>()?;
        } else {
            self.release(held);
        }
        let c = &self.counters;
        c.batches.fetch_add(1, Ordering::Relaxed);
        c.rows.fetch_add(r64, Ordering::Relaxed);
        c.bytes_uploaded.fetch_add(r64 * 12 + 16, Ordering::Relaxed);
        c.bytes_read_back.fetch_add(read_bytes, Ordering::Relaxed);
        c.submits.fetch_add(submits, Ordering::Relaxed);
        c.prep_ns.fetch_add(prep_ns, Ordering::Relaxed);
        c.finish_ns
            .fetch_add(finish.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(Grouped { stats, sketches })
    }

    /// A copy-only submit reading back the first `bytes` bytes of `buf`.
    pub(super) fn read_prefix(&self, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, GpuError> {
        self.read_payload(buf, bytes, buf, 0).map(|(b, _)| b)
    }

    /// The second, copy-only submit: the used prefixes of the sketch payloads.
    fn read_payload(
        &self,
        values: &wgpu::Buffer,
        value_bytes: u64,
        buckets: &wgpu::Buffer,
        bucket_bytes: u64,
    ) -> Result<(Vec<u8>, Vec<u8>), GpuError> {
        let total = value_bytes + bucket_bytes;
        if total == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        let readback = self.acquire(READBACK, total);
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        if value_bytes > 0 {
            encoder.copy_buffer_to_buffer(values, 0, &readback, 0, value_bytes);
        }
        if bucket_bytes > 0 {
            encoder.copy_buffer_to_buffer(buckets, 0, &readback, value_bytes, bucket_bytes);
        }
        let submission = self.queue.submit(Some(encoder.finish()));
        let bytes = self.read_back(submission, &readback, total);
        self.release([readback]);
        let mut bytes = bytes?;
        let counts = bytes.split_off(value_bytes as usize);
        Ok((bytes, counts))
    }
}

/// A group's sketch from its payload: raw values, or bucket counts over
/// `bucket(min)..=bucket(max)`.
fn build_sketch(
    s: &GroupStats,
    off: usize,
    values: &[u64],
    counts: &[u32],
) -> Result<DurationSketch, GpuError> {
    let bad = || GpuError::Readback("sketch payload out of range".into());
    match sketch_kind(s) {
        (0, _) => Ok(DurationSketch::new()),
        (KIND_HIST, range) => {
            let c = counts.get(off..off + range as usize).ok_or_else(bad)?;
            DurationSketch::from_bucket_counts(
                s.min,
                s.max,
                c.iter().map(|&x| u64::from(x)).collect(),
            )
            .ok_or_else(|| {
                GpuError::Readback("bucket counts disagree with the group's statistics".into())
            })
        }
        (_, n) => {
            let mut sk = DurationSketch::new();
            values
                .get(off..off + n as usize)
                .ok_or_else(bad)?
                .iter()
                .for_each(|&v| sk.add(v));
            Ok(sk)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::naga;

    /// Both group-by modules parse and validate without an adapter (the
    /// native one with 64-bit atomics), with the entry points the host binds.
    #[test]
    fn group_shaders_validate_without_a_device() {
        for (native, entries) in [
            (
                false,
                &[
                    "init_groups",
                    "accumulate",
                    "accumulate_lo",
                    "private_hi",
                    "private_lo",
                    "plan_sketch",
                    "fill_sketch",
                ][..],
            ),
            (true, &["accumulate_native"][..]),
        ] {
            let source = group_source(native);
            let module = naga::front::wgsl::parse_str(&source)
                .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&source)));
            let caps = if native {
                naga::valid::Capabilities::SHADER_INT64
                    | naga::valid::Capabilities::SHADER_INT64_ATOMIC_ALL_OPS
            } else {
                naga::valid::Capabilities::empty()
            };
            naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
                .validate(&module)
                .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&source)));
            let names: Vec<&str> = module
                .entry_points
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            assert_eq!(names, entries);
        }
    }

    /// The host's payload decision mirrors `plan_sketch`.
    #[test]
    fn sketch_kind_thresholds() {
        let s = |count, min, max| GroupStats {
            count,
            flagged: 0,
            sum: 0,
            min,
            max,
        };
        assert_eq!(sketch_kind(&s(0, u64::MAX, 0)), (0, 0));
        assert_eq!(sketch_kind(&s(64, 1, u64::MAX)), (KIND_VALUES, 64));
        // 65 values within 130 buckets: dense histogram; wider: raw values.
        assert_eq!(sketch_kind(&s(65, 0, 129)), (KIND_HIST, 130));
        assert_eq!(sketch_kind(&s(65, 0, 130)), (KIND_VALUES, 65));
    }
}
