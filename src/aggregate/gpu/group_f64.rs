//! Device-side group-by of an f64 column (`shaders/group_f64.wgsl`): count,
//! NaN-skipping min / max and exact sums as fixed-point integer limbs, so the
//! result is the CPU's [`ExactSum`] value bit for bit, whatever the row order
//! or batch split. One compute submit per batch; a second, copy-only submit
//! only when some rows did not fit a group's fixed-point window (their row
//! indices come back and the host adds those values itself).

use std::sync::atomic::Ordering;
use std::time::Instant;

use rayon::prelude::*;

use super::exec::{Inner, READBACK, STORAGE};
use super::group::bind;
use super::GpuError;
use crate::aggregate::exact_sum::ExactSum;

/// 32-bit limbs per accumulator: a 192-bit window per group.
const LIMBS: u32 = 6;
/// Bits above a group's largest value for carries (2^32 rows per batch).
const HEADROOM: i32 = 32;
/// Values with a biased exponent at or above this (|v| >= 2^983, and every
/// NaN / infinity) are exceptions: the window's top stays below 2^1024.
const MAX_BIASED_EXP: u32 = 983 + 1023;
/// Words per group: count, max exponent, exceptions, pad, min, max, limbs.
const ACC_WORDS: u32 = 8 + 2 * LIMBS;
/// Rows per device batch (row indices and counts stay in u32).
const MAX_BATCH_ROWS: usize = 1 << 30;

/// Per-group result of [`GpuContext::group_f64`](super::GpuContext::group_f64).
#[derive(Debug, Clone, Default)]
pub struct F64Group {
    /// Rows, NaN included.
    pub count: u64,
    pub sum: ExactSum,
    /// None when the group has no non-NaN value.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl F64Group {
    fn merge(&mut self, o: &F64Group) {
        self.count += o.count;
        self.sum.merge(&o.sum);
        self.min = match (self.min, o.min) {
            (Some(a), Some(b)) => Some(if b < a { b } else { a }),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, o.max) {
            (Some(a), Some(b)) => Some(if b > a { b } else { a }),
            (a, b) => a.or(b),
        };
    }
}

const F64_WGSL: &str = include_str!("../../../shaders/group_f64.wgsl");

pub(super) fn f64_source() -> String {
    format!(
        "const WG_SIZE: u32 = {}u;\nconst LIMBS: u32 = {LIMBS}u;\nconst HEADROOM: u32 = {HEADROOM}u;\n\
         const MAX_BIASED_EXP: u32 = {MAX_BIASED_EXP}u;\nconst ACC_WORDS: u32 = {ACC_WORDS}u;\n\n{F64_WGSL}",
        super::exec::WG_SIZE
    )
}

pub(super) struct F64Kernels {
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    scan: wgpu::ComputePipeline,
    scan_lo: wgpu::ComputePipeline,
    sum: wgpu::ComputePipeline,
}

impl F64Kernels {
    pub fn new(device: &wgpu::Device) -> F64Kernels {
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
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("group-by f64"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, ro),
                entry(2, ro),
                entry(3, rw),
                entry(4, rw),
                entry(5, rw),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("group-by f64"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("group_f64.wgsl"),
            source: wgpu::ShaderSource::Wgsl(f64_source().into()),
        });
        let pipeline = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        F64Kernels {
            init: pipeline("init_f64"),
            scan: pipeline("scan_f64"),
            scan_lo: pipeline("scan_lo_f64"),
            sum: pipeline("sum_f64"),
            layout,
        }
    }
}

/// Mirrors `window_bottom` in group_f64.wgsl.
fn window_bottom(emax: u32) -> i32 {
    let top = emax.max(1) as i32 - 1075 + 53 + HEADROOM;
    (top - 32 * LIMBS as i32).max(-1074)
}

/// `2^k` for `-1074 <= k <= 1023`.
fn pow2(k: i32) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// Inverse of `ordered` in the shader.
fn from_ordered(o: u64) -> f64 {
    if o >> 63 == 1 {
        f64::from_bits(o & !(1 << 63))
    } else {
        f64::from_bits(!o)
    }
}

fn group_result(w: &[u32]) -> F64Group {
    let pair = |i: usize| u64::from(w[i]) | (u64::from(w[i + 1]) << 32);
    let (min, max) = (pair(4), pair(6));
    let mut sum = ExactSum::new();
    let bottom = window_bottom(w[1]);
    let limbs = LIMBS as usize;
    for (i, (&p, &n)) in w[8..8 + limbs].iter().zip(&w[8 + limbs..]).enumerate() {
        // Exact: at most 32 significant bits at a power of two inside f64's range.
        let scale = pow2(bottom + 32 * i as i32);
        if p != 0 {
            sum.add(f64::from(p) * scale);
        }
        if n != 0 {
            sum.add(-(f64::from(n) * scale));
        }
    }
    F64Group {
        count: u64::from(w[0]),
        sum,
        // The identities mean "no non-NaN value".
        min: (min != u64::MAX).then(|| from_ordered(min)),
        max: (max != 0).then(|| from_ordered(max)),
    }
}

impl Inner {
    /// See [`GpuContext::group_f64`](super::GpuContext::group_f64).
    pub fn group_f64(
        &self,
        keys: &[u32],
        values: &[f64],
        groups: usize,
        max_chunk_rows: Option<usize>,
    ) -> Result<Vec<F64Group>, GpuError> {
        assert_eq!(keys.len(), values.len(), "keys and values differ in length");
        let acc_bytes = groups as u64 * u64::from(ACC_WORDS) * 4;
        if acc_bytes > self.binding_limit || groups > u32::MAX as usize / ACC_WORDS as usize {
            return Err(GpuError::Unsupported(
                "this many groups in one device buffer",
            ));
        }
        let limit = usize::try_from(self.binding_limit / 8).unwrap_or(usize::MAX);
        let batch = limit
            .min(MAX_BATCH_ROWS)
            .min(max_chunk_rows.unwrap_or(usize::MAX))
            .max(1);
        let mut out = vec![F64Group::default(); groups];
        for start in (0..keys.len()).step_by(batch) {
            let end = (start + batch).min(keys.len());
            let part = self.group_f64_batch(&keys[start..end], &values[start..end], groups)?;
            out.par_iter_mut().zip(&part).for_each(|(a, b)| a.merge(b));
        }
        Ok(out)
    }

    fn group_f64_batch(
        &self,
        keys: &[u32],
        values: &[f64],
        groups: usize,
    ) -> Result<Vec<F64Group>, GpuError> {
        let prep = Instant::now();
        let k = &self.f64_kernels;
        let (g64, r64) = (groups as u64, keys.len() as u64);
        if groups == 0 {
            return Ok(Vec::new());
        }
        let acc_bytes = g64 * u64::from(ACC_WORDS) * 4;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let params = self.acquire(
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            16,
        );
        self.queue.write_buffer(
            &params,
            0,
            bytemuck::cast_slice(&[keys.len() as u32, groups as u32, 0, 0]),
        );
        let key_buf = self.acquire(STORAGE, r64 * 4);
        let val_buf = self.acquire(STORAGE, r64 * 8);
        self.upload(&key_buf, bytemuck::cast_slice(keys));
        self.upload(&val_buf, bytemuck::cast_slice(values));
        let acc = self.acquire(STORAGE, acc_bytes);
        let exceptions = self.acquire(STORAGE, r64 * 4);
        let cursors = self.acquire(STORAGE, 16);
        let rb_bytes = acc_bytes + 16;
        let readback = self.acquire(READBACK, rb_bytes);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("group-by f64"),
            layout: &k.layout,
            entries: &[
                bind(&params, 16, 0),
                bind(&key_buf, r64 * 4, 1),
                bind(&val_buf, r64 * 8, 2),
                bind(&acc, acc_bytes, 3),
                bind(&exceptions, r64 * 4, 4),
                bind(&cursors, 16, 5),
            ],
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.clear_buffer(&cursors, 0, Some(16));
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("group-by f64"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &bind_group, &[]);
            pass.set_pipeline(&k.init);
            self.dispatch(&mut pass, groups);
            if r64 > 0 {
                for p in [&k.scan, &k.scan_lo, &k.sum] {
                    pass.set_pipeline(p);
                    self.dispatch(&mut pass, keys.len());
                }
            }
        }
        encoder.copy_buffer_to_buffer(&acc, 0, &readback, 0, acc_bytes);
        encoder.copy_buffer_to_buffer(&cursors, 0, &readback, acc_bytes, 16);
        let submission = self.queue.submit(Some(encoder.finish()));
        let prep_ns = prep.elapsed().as_nanos() as u64;
        let errors = pollster::block_on(validation.pop()).or(pollster::block_on(oom.pop()));
        let mut held = vec![params, key_buf, val_buf, acc, cursors];
        if let Some(err) = errors {
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
            held.extend([exceptions, readback]);
            self.release(held);
            return Err(GpuError::Device(err.to_string()));
        }
        let first = self.read_back(submission, &readback, rb_bytes);
        held.push(readback);
        let first = match first {
            Ok(b) => b,
            Err(e) => {
                held.push(exceptions);
                self.release(held);
                return Err(e);
            }
        };
        let finish = Instant::now();
        let n_exc = u64::from(bytemuck::pod_read_unaligned::<u32>(
            &first[acc_bytes as usize..acc_bytes as usize + 4],
        ));
        let mut submits = 1;
        let exc_rows: Vec<u32> = if n_exc == 0 {
            Vec::new()
        } else if n_exc > r64 {
            held.push(exceptions);
            self.release(held);
            return Err(GpuError::Readback("exception count out of range".into()));
        } else {
            submits += 1;
            match self.read_prefix(&exceptions, n_exc * 4) {
                Ok(b) => bytemuck::pod_collect_to_vec(&b),
                Err(e) => {
                    held.push(exceptions);
                    self.release(held);
                    return Err(e);
                }
            }
        };
        held.push(exceptions);
        self.release(held);
        let words: &[u32] = bytemuck::cast_slice(&first[..acc_bytes as usize]);
        let mut out: Vec<F64Group> = words
            .par_chunks(ACC_WORDS as usize)
            .map(group_result)
            .collect();
        for &r in &exc_rows {
            let r = r as usize;
            let (Some(&g), Some(&v)) = (keys.get(r), values.get(r)) else {
                return Err(GpuError::Readback("exception row out of range".into()));
            };
            out.get_mut(g as usize)
                .ok_or_else(|| GpuError::Readback("exception group out of range".into()))?
                .sum
                .add(v);
        }
        let c = &self.counters;
        c.batches.fetch_add(1, Ordering::Relaxed);
        c.rows.fetch_add(r64, Ordering::Relaxed);
        c.bytes_uploaded.fetch_add(r64 * 12 + 16, Ordering::Relaxed);
        c.bytes_read_back
            .fetch_add(rb_bytes + n_exc * 4, Ordering::Relaxed);
        c.submits.fetch_add(submits, Ordering::Relaxed);
        c.prep_ns.fetch_add(prep_ns, Ordering::Relaxed);
        c.finish_ns
            .fetch_add(finish.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::naga;

    #[test]
    fn f64_shader_validates_without_a_device() {
        let source = f64_source();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&source)));
    }

    #[test]
    fn helpers_round_trip() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-1074), f64::from_bits(1));
        assert_eq!(pow2(-1022), f64::MIN_POSITIVE);
        for v in [
            0.0,
            -0.0,
            1.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            -f64::MIN_POSITIVE,
        ] {
            let b = v.to_bits();
            let o = if b >> 63 == 1 { !b } else { b | 1 << 63 };
            assert_eq!(from_ordered(o).to_bits(), b);
        }
        // 1.0 has biased exponent 1023: the window tops at 2^(1 + 32).
        assert_eq!(window_bottom(1023), 1 + 32 - 192);
        assert_eq!(window_bottom(0), -1074);
    }
}
