// Device-side group-by of an f64 column (u32 atomics only): count, NaN-
// skipping min / max and an exact sum. Prepended by the host: WG_SIZE,
// LIMBS, HEADROOM, MAX_BIASED_EXP, ACC_WORDS (see gpu/group_f64.rs).
//
// Exact sums: each group accumulates its values as fixed-point integers in
// two LIMBS-word accumulators (positive and negative values), anchored at
// the group's largest exponent: bits from `bottom` to `bottom + 32 * LIMBS`,
// with HEADROOM bits above the largest value for carries. Integer addition
// is associative, so the limbs are the exact sum whatever the order; the
// host turns them into an exactly rounded `ExactSum`, bit-identical to the
// CPU. Values that do not fit the window (NaN, infinities, magnitudes of
// 2^(MAX_BIASED_EXP - 1023) and more, or low bits below the window) go to an
// exception list the host adds itself.
//
// acc per group (ACC_WORDS words): count, max biased exponent, exceptions,
// pad, min (lo, hi), max (lo, hi) of the order-preserving u64 encoding of
// the value, positive limbs [8, 8 + LIMBS), negative limbs after them.

struct Params {
    rows: u32,
    groups: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> vals: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> acc: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> exceptions: array<u32>;
@group(0) @binding(5) var<storage, read_write> cursors: array<atomic<u32>>;

fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
}

fn is_nan(v: vec2<u32>) -> bool {
    return (v.y & 0x7ff00000u) == 0x7ff00000u && ((v.y & 0xfffffu) | v.x) != 0u;
}

/// Order-preserving encoding: as unsigned integers, encoded values compare
/// like the floats (-0.0 below +0.0).
fn ordered(v: vec2<u32>) -> vec2<u32> {
    if ((v.y & 0x80000000u) != 0u) {
        return vec2<u32>(~v.x, ~v.y);
    }
    return vec2<u32>(v.x, v.y | 0x80000000u);
}

@compute @workgroup_size(WG_SIZE)
fn init_f64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let g = flat_index(wid, nwg, lid);
    if (g >= params.groups) {
        return;
    }
    let b = g * ACC_WORDS;
    for (var i = 0u; i < ACC_WORDS; i++) {
        atomicStore(&acc[b + i], 0u);
    }
    atomicStore(&acc[b + 4u], 0xffffffffu);
    atomicStore(&acc[b + 5u], 0xffffffffu);
}

/// Count, largest exponent, high words of min / max.
@compute @workgroup_size(WG_SIZE)
fn scan_f64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let b = keys[row] * ACC_WORDS;
    let v = vals[row];
    atomicAdd(&acc[b], 1u);
    let e = (v.y >> 20u) & 0x7ffu;
    if (e < MAX_BIASED_EXP) {
        atomicMax(&acc[b + 1u], e);
    }
    if (!is_nan(v)) {
        let o = ordered(v);
        atomicMin(&acc[b + 5u], o.y);
        atomicMax(&acc[b + 7u], o.y);
    }
}

/// Low words of min / max among rows whose high word won.
@compute @workgroup_size(WG_SIZE)
fn scan_lo_f64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let b = keys[row] * ACC_WORDS;
    let v = vals[row];
    if (is_nan(v)) {
        return;
    }
    let o = ordered(v);
    if (o.y == atomicLoad(&acc[b + 5u])) {
        atomicMin(&acc[b + 4u], o.x);
    }
    if (o.y == atomicLoad(&acc[b + 7u])) {
        atomicMax(&acc[b + 6u], o.x);
    }
}

/// The window's lowest bit (as a power of two) for a group whose largest
/// biased exponent is `emax`; mirrored by the host.
fn window_bottom(emax: u32) -> i32 {
    let top = i32(max(emax, 1u)) - 1075 + 53 + i32(HEADROOM);
    return max(top - i32(32u * LIMBS), -1074);
}

fn exception(row: u32, b: u32) {
    let i = atomicAdd(&cursors[0], 1u);
    exceptions[i] = row;
    atomicAdd(&acc[b + 2u], 1u);
}

/// Adds `w` (up to three words) at limb `i` of the accumulator at `base`, with carries.
fn add_words(base: u32, i: u32, w: array<u32, 3>) {
    var carry = 0u;
    var j = i;
    for (var k = 0u; k < 3u; k++) {
        if (j >= LIMBS) {
            return;
        }
        let a = w[k] + carry;
        var c = select(0u, 1u, a < w[k]);
        if (a != 0u) {
            let old = atomicAdd(&acc[base + j], a);
            c += select(0u, 1u, old + a < old);
        }
        carry = c;
        j++;
    }
    while (carry != 0u && j < LIMBS) {
        let old = atomicAdd(&acc[base + j], 1u);
        carry = select(0u, 1u, old == 0xffffffffu);
        j++;
    }
}

@compute @workgroup_size(WG_SIZE)
fn sum_f64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let b = keys[row] * ACC_WORDS;
    let v = vals[row];
    let e = (v.y >> 20u) & 0x7ffu;
    if (e >= MAX_BIASED_EXP) {
        exception(row, b);
        return;
    }
    var m_hi = v.y & 0xfffffu;
    var m_lo = v.x;
    if (e == 0u && (m_hi | m_lo) == 0u) {
        return; // ±0 adds nothing
    }
    if (e != 0u) {
        m_hi |= 0x100000u;
    }
    // value = m * 2^lsb
    var lsb = i32(max(e, 1u)) - 1075;
    let bottom = window_bottom(atomicLoad(&acc[b + 1u]));
    if (lsb < bottom) {
        // Drop trailing zero bits if that makes the value fit.
        var tz = countTrailingZeros(m_lo);
        if (m_lo == 0u) {
            tz = 32u + countTrailingZeros(m_hi);
        }
        let need = u32(bottom - lsb);
        if (tz < need) {
            exception(row, b);
            return;
        }
        if (need >= 32u) {
            m_lo = m_hi >> (need - 32u);
            m_hi = 0u;
        } else if (need > 0u) {
            m_lo = (m_lo >> need) | (m_hi << (32u - need));
            m_hi = m_hi >> need;
        }
        lsb = bottom;
    }
    let shift = u32(lsb - bottom);
    let limb = shift / 32u;
    let off = shift % 32u;
    var w: array<u32, 3>;
    if (off == 0u) {
        w = array<u32, 3>(m_lo, m_hi, 0u);
    } else {
        w = array<u32, 3>(m_lo << off, (m_lo >> (32u - off)) | (m_hi << off), m_hi >> (32u - off));
    }
    let base = b + 8u + select(0u, LIMBS, (v.y & 0x80000000u) != 0u);
    add_words(base, limb, w);
}
