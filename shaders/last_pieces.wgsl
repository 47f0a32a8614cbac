// Segmented "last value by time" without SHADER_INT64: u64 times are read as
// little-endian (lo, hi) u32 pairs and compared lexicographically on (hi, lo).
// f64 values travel as raw bits (vec2<u32>). Ties go to the later row; see
// last_native.wgsl for the scheme. Same memory layout as the native kernel.

struct Item {
    start: u32,
    end: u32,
    dst: u32,
}

struct Partial {
    time: vec2<u32>,
    value: vec2<u32>,
}

const WG_SIZE: u32 = 64u;
const FINAL_BIT: u32 = 0x80000000u;

@group(0) @binding(0) var<storage, read> values: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> times: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> partials_in: array<Partial>;
@group(0) @binding(3) var<storage, read> items: array<Item>;
@group(0) @binding(4) var<storage, read_write> partials_out: array<Partial>;
@group(0) @binding(5) var<storage, read_write> finals: array<Partial>;

fn item_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
}

fn store(dst: u32, p: Partial) {
    if ((dst & FINAL_BIT) != 0u) {
        let slot = dst & ~FINAL_BIT;
        if (slot < arrayLength(&finals)) {
            finals[slot] = p;
        }
    } else if (dst < arrayLength(&partials_out)) {
        partials_out[dst] = p;
    }
}

// a >= b as unsigned 64-bit integers.
fn ge64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y > b.y || (a.y == b.y && a.x >= b.x);
}

@compute @workgroup_size(64)
fn reduce_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = item_index(wid, nwg, lid);
    if (i >= arrayLength(&items)) {
        return;
    }
    let it = items[i];
    let end = min(min(it.end, arrayLength(&values)), arrayLength(&times));
    if (it.start >= end) {
        return;
    }
    var best = Partial(times[it.start], values[it.start]);
    for (var k = it.start + 1u; k < end; k += 1u) {
        let t = times[k];
        if (ge64(t, best.time)) {
            best = Partial(t, values[k]);
        }
    }
    store(it.dst, best);
}

@compute @workgroup_size(64)
fn merge_partials(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = item_index(wid, nwg, lid);
    if (i >= arrayLength(&items)) {
        return;
    }
    let it = items[i];
    let end = min(it.end, arrayLength(&partials_in));
    if (it.start >= end) {
        return;
    }
    var best = partials_in[it.start];
    for (var k = it.start + 1u; k < end; k += 1u) {
        let p = partials_in[k];
        if (ge64(p.time, best.time)) {
            best = p;
        }
    }
    store(it.dst, best);
}
