// Device-side group-by over unsorted rows (u32 atomics only; works on every
// adapter). Prepended by the host: WG_SIZE, PRIV_GROUPS, PRIV_ROWS,
// EXACT_LIMIT, HIST_FACTOR, GID_MASK, FLAG_BIT (see gpu/group.rs).
//
// Per row: `keys[row]` = group id | FLAG_BIT when the row is flagged (error
// spans), `vals[row]` = a u64 as (lo, hi). Per group, `acc` holds 8 words:
// count, flagged, sum_lo, sum_hi, min_lo, min_hi, max_lo, max_hi (the same
// bytes as group_native.wgsl's `Acc`). Sums wrap mod 2^64 via a carry from
// the low word; min / max in two passes: the high word first, then the low
// word among rows whose high word won. Every result is a pure function of
// the multiset of rows, so the order atomics land in does not matter.

struct Params {
    rows: u32,
    groups: u32,
    _pad0: u32,
    _pad1: u32,
}

const KIND_VALUES: u32 = 1u;
const KIND_HIST: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> vals: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> acc: array<atomic<u32>>;
// Per group: offset of its sketch payload (values or bucket counts).
@group(0) @binding(4) var<storage, read_write> offs: array<u32>;
// [0] values allocated, [1] bucket slots allocated.
@group(0) @binding(5) var<storage, read_write> cursors: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> sketch_values: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> buckets: array<atomic<u32>>;
// Per group: (kind << 16 | first bucket, values written so far).
@group(0) @binding(8) var<storage, read_write> gmeta: array<atomic<u32>>;

var<workgroup> p_count: array<atomic<u32>, PRIV_GROUPS>;
var<workgroup> p_flags: array<atomic<u32>, PRIV_GROUPS>;
var<workgroup> p_sum_lo: array<atomic<u32>, PRIV_GROUPS>;
var<workgroup> p_sum_hi: array<atomic<u32>, PRIV_GROUPS>;
var<workgroup> p_min: array<atomic<u32>, PRIV_GROUPS>;
var<workgroup> p_max: array<atomic<u32>, PRIV_GROUPS>;

fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
}

/// acc[base..base+2] += v (mod 2^64).
fn add64(base: u32, v: vec2<u32>) {
    let old = atomicAdd(&acc[base], v.x);
    let hi = v.y + select(0u, 1u, old + v.x < old);
    if (hi != 0u) {
        atomicAdd(&acc[base + 1u], hi);
    }
}

/// The log-linear bucket of sketch.rs's `bucket_index`, on (lo, hi) words.
fn bucket_index(v: vec2<u32>) -> u32 {
    if (v.y == 0u && v.x < 128u) {
        return v.x;
    }
    var e: u32;
    if (v.y != 0u) {
        e = 63u - countLeadingZeros(v.y);
    } else {
        e = 31u - countLeadingZeros(v.x);
    }
    let s = e - 7u;
    var m: u32;
    if (s >= 32u) {
        m = v.y >> (s - 32u);
    } else if (s == 0u) {
        m = v.x;
    } else {
        m = (v.x >> s) | (v.y << (32u - s));
    }
    return ((e - 6u) << 7u) | (m & 127u);
}

@compute @workgroup_size(WG_SIZE)
fn init_groups(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let g = flat_index(wid, nwg, lid);
    if (g >= params.groups) {
        return;
    }
    let b = g * 8u;
    for (var i = 0u; i < 8u; i++) {
        atomicStore(&acc[b + i], 0u);
    }
    atomicStore(&acc[b + 4u], 0xffffffffu);
    atomicStore(&acc[b + 5u], 0xffffffffu);
}

/// Many groups: straight to the global atomics (count, flagged, sum, high words of min / max).
@compute @workgroup_size(WG_SIZE)
fn accumulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let key = keys[row];
    let b = (key & GID_MASK) * 8u;
    let v = vals[row];
    atomicAdd(&acc[b], 1u);
    if ((key & FLAG_BIT) != 0u) {
        atomicAdd(&acc[b + 1u], 1u);
    }
    add64(b + 2u, v);
    atomicMin(&acc[b + 5u], v.y);
    atomicMax(&acc[b + 7u], v.y);
}

/// Second min / max pass: low words of rows whose high word is the group's.
@compute @workgroup_size(WG_SIZE)
fn accumulate_lo(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let b = (keys[row] & GID_MASK) * 8u;
    let v = vals[row];
    if (v.y == atomicLoad(&acc[b + 5u])) {
        atomicMin(&acc[b + 4u], v.x);
    }
    if (v.y == atomicLoad(&acc[b + 7u])) {
        atomicMax(&acc[b + 6u], v.x);
    }
}

/// Few groups (at most PRIV_GROUPS): each workgroup folds a tile of
/// WG_SIZE * PRIV_ROWS rows into workgroup-memory partials, then adds them
/// to the global ones once per group, so a hot group costs one global atomic
/// per tile instead of one per row.
@compute @workgroup_size(WG_SIZE)
fn private_hi(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    for (var i = lid; i < PRIV_GROUPS; i += WG_SIZE) {
        atomicStore(&p_count[i], 0u);
        atomicStore(&p_flags[i], 0u);
        atomicStore(&p_sum_lo[i], 0u);
        atomicStore(&p_sum_hi[i], 0u);
        atomicStore(&p_min[i], 0xffffffffu);
        atomicStore(&p_max[i], 0u);
    }
    workgroupBarrier();
    let tile = (wid.y * nwg.x + wid.x) * WG_SIZE * PRIV_ROWS;
    for (var k = 0u; k < PRIV_ROWS; k++) {
        let row = tile + k * WG_SIZE + lid;
        if (row < params.rows) {
            let key = keys[row];
            let g = key & GID_MASK;
            let v = vals[row];
            atomicAdd(&p_count[g], 1u);
            if ((key & FLAG_BIT) != 0u) {
                atomicAdd(&p_flags[g], 1u);
            }
            let old = atomicAdd(&p_sum_lo[g], v.x);
            let hi = v.y + select(0u, 1u, old + v.x < old);
            if (hi != 0u) {
                atomicAdd(&p_sum_hi[g], hi);
            }
            atomicMin(&p_min[g], v.y);
            atomicMax(&p_max[g], v.y);
        }
    }
    workgroupBarrier();
    for (var g = lid; g < params.groups; g += WG_SIZE) {
        let c = atomicLoad(&p_count[g]);
        if (c == 0u) {
            continue;
        }
        let b = g * 8u;
        atomicAdd(&acc[b], c);
        let f = atomicLoad(&p_flags[g]);
        if (f != 0u) {
            atomicAdd(&acc[b + 1u], f);
        }
        add64(b + 2u, vec2<u32>(atomicLoad(&p_sum_lo[g]), atomicLoad(&p_sum_hi[g])));
        atomicMin(&acc[b + 5u], atomicLoad(&p_min[g]));
        atomicMax(&acc[b + 7u], atomicLoad(&p_max[g]));
    }
}

/// The low-word pass of `private_hi` (p_min / p_max now hold low words).
@compute @workgroup_size(WG_SIZE)
fn private_lo(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    for (var i = lid; i < PRIV_GROUPS; i += WG_SIZE) {
        atomicStore(&p_count[i], 0u);
        atomicStore(&p_min[i], 0xffffffffu);
        atomicStore(&p_max[i], 0u);
    }
    workgroupBarrier();
    let tile = (wid.y * nwg.x + wid.x) * WG_SIZE * PRIV_ROWS;
    for (var k = 0u; k < PRIV_ROWS; k++) {
        let row = tile + k * WG_SIZE + lid;
        if (row < params.rows) {
            let g = keys[row] & GID_MASK;
            let b = g * 8u;
            let v = vals[row];
            atomicStore(&p_count[g], 1u);
            if (v.y == atomicLoad(&acc[b + 5u])) {
                atomicMin(&p_min[g], v.x);
            }
            if (v.y == atomicLoad(&acc[b + 7u])) {
                atomicMax(&p_max[g], v.x);
            }
        }
    }
    workgroupBarrier();
    for (var g = lid; g < params.groups; g += WG_SIZE) {
        if (atomicLoad(&p_count[g]) == 0u) {
            continue;
        }
        let b = g * 8u;
        atomicMin(&acc[b + 4u], atomicLoad(&p_min[g]));
        atomicMax(&acc[b + 6u], atomicLoad(&p_max[g]));
    }
}

/// Per group, after the statistics: how its duration sketch comes back.
/// At most EXACT_LIMIT rows, or a bucket range wider than HIST_FACTOR times
/// its rows: the raw values (the host builds the exact / sparse sketch);
/// otherwise a dense count array over bucket(min)..=bucket(max), exactly the
/// range sketch.rs keeps. Space is taken by bumping a cursor, so offsets
/// vary between runs but every group's payload does not.
@compute @workgroup_size(WG_SIZE)
fn plan_sketch(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let g = flat_index(wid, nwg, lid);
    if (g >= params.groups) {
        return;
    }
    let b = g * 8u;
    let c = atomicLoad(&acc[b]);
    atomicStore(&gmeta[g * 2u + 1u], 0u);
    if (c == 0u) {
        atomicStore(&gmeta[g * 2u], 0u);
        return;
    }
    var kind = KIND_VALUES;
    var first = 0u;
    var len = c;
    if (c > EXACT_LIMIT) {
        let lo = bucket_index(vec2<u32>(atomicLoad(&acc[b + 4u]), atomicLoad(&acc[b + 5u])));
        let hi = bucket_index(vec2<u32>(atomicLoad(&acc[b + 6u]), atomicLoad(&acc[b + 7u])));
        let range = hi - lo + 1u;
        if (range <= c * HIST_FACTOR) {
            kind = KIND_HIST;
            first = lo;
            len = range;
        }
    }
    offs[g] = atomicAdd(&cursors[select(0u, 1u, kind == KIND_HIST)], len);
    atomicStore(&gmeta[g * 2u], (kind << 16u) | first);
}

@compute @workgroup_size(WG_SIZE)
fn fill_sketch(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let row = flat_index(wid, nwg, lid);
    if (row >= params.rows) {
        return;
    }
    let g = keys[row] & GID_MASK;
    let v = vals[row];
    let m = atomicLoad(&gmeta[g * 2u]);
    let kind = m >> 16u;
    if (kind == KIND_VALUES) {
        let p = atomicAdd(&gmeta[g * 2u + 1u], 1u);
        sketch_values[offs[g] + p] = v;
    } else if (kind == KIND_HIST) {
        atomicAdd(&buckets[offs[g] + bucket_index(v) - (m & 0xffffu)], 1u);
    }
}
