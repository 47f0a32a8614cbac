// Segmented sum / min / max of u64 values without SHADER_INT64: each u64 is
// read as a little-endian (lo, hi) pair of u32 (vec2<u32>: x = lo, y = hi),
// sums use a manual carry (wrapping at 2^64 like u64::wrapping_add) and
// min / max compare lexicographically on (hi, lo). The memory layout of values
// and partials is identical to the native-u64 kernel, so the host side is
// shared. No atomics: see u64_stats_native.wgsl for the work-item scheme.

struct Item {
    start: u32,
    end: u32,
    dst: u32,
}

struct Partial {
    sum: vec2<u32>,
    mn: vec2<u32>,
    mx: vec2<u32>,
}

const WG_SIZE: u32 = 64u;
const FINAL_BIT: u32 = 0x80000000u;
const U64_MAX: vec2<u32> = vec2<u32>(0xFFFFFFFFu, 0xFFFFFFFFu);
const ZERO: vec2<u32> = vec2<u32>(0u, 0u);

@group(0) @binding(0) var<storage, read> values: array<vec2<u32>>;
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

// (a + b) mod 2^64.
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

// a < b as unsigned 64-bit integers.
fn lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}

fn combine(a: Partial, b: Partial) -> Partial {
    var r = a;
    r.sum = add64(a.sum, b.sum);
    if (lt64(b.mn, r.mn)) {
        r.mn = b.mn;
    }
    if (lt64(r.mx, b.mx)) {
        r.mx = b.mx;
    }
    return r;
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
    let end = min(it.end, arrayLength(&values));
    var sum = ZERO;
    var mn = U64_MAX;
    var mx = ZERO;
    for (var k = it.start; k < end; k += 1u) {
        let v = values[k];
        sum = add64(sum, v);
        if (lt64(v, mn)) {
            mn = v;
        }
        if (lt64(mx, v)) {
            mx = v;
        }
    }
    store(it.dst, Partial(sum, mn, mx));
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
    var acc = Partial(ZERO, U64_MAX, ZERO);
    for (var k = it.start; k < end; k += 1u) {
        acc = combine(acc, partials_in[k]);
    }
    store(it.dst, acc);
}
