// Device-side group-by with native 64-bit atomics (SHADER_INT64 +
// SHADER_INT64_ATOMIC_ALL_OPS): one pass per row for count, flagged, sum,
// min and max. Same bindings and bytes as group.wgsl (whose u32 kernels do
// the rest: init, private tiles, sketches). Prepended: WG_SIZE, GID_MASK, FLAG_BIT.

struct Params {
    rows: u32,
    groups: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Acc {
    count: atomic<u32>,
    flagged: atomic<u32>,
    sum: atomic<u64>,
    min: atomic<u64>,
    max: atomic<u64>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> vals: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> acc: array<Acc>;

@compute @workgroup_size(WG_SIZE)
fn accumulate_native(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    let row = (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
    if (row >= params.rows) {
        return;
    }
    let key = keys[row];
    let g = key & GID_MASK;
    let w = vals[row];
    let v = u64(w.x) | (u64(w.y) << 32u);
    atomicAdd(&acc[g].count, 1u);
    if ((key & FLAG_BIT) != 0u) {
        atomicAdd(&acc[g].flagged, 1u);
    }
    atomicAdd(&acc[g].sum, v);
    atomicMin(&acc[g].min, v);
    atomicMax(&acc[g].max, v);
}
