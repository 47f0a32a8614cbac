// Segmented sum / min / max of f64 values (requires SHADER_F64). No atomics:
// see u64_stats_native.wgsl for the work-item scheme.
//
// NaN handling relies on ordered comparisons only: `v < mn` and `v > mx` are
// false for a NaN `v`, so min / max skip NaN inputs (like f64::min / f64::max).
// A group whose inputs are all NaN therefore ends with mn = +inf and
// mx = -inf; the host turns that into NaN for non-empty groups. Sums
// propagate NaN / inf naturally. Summation order is fixed by the work-item
// layout, so results are deterministic.

struct Item {
    start: u32,
    end: u32,
    dst: u32,
}

struct Partial {
    sum: f64,
    mn: f64,
    mx: f64,
}

const WG_SIZE: u32 = 64u;
const FINAL_BIT: u32 = 0x80000000u;

@group(0) @binding(0) var<storage, read> values: array<f64>;
@group(0) @binding(2) var<storage, read> partials_in: array<Partial>;
@group(0) @binding(3) var<storage, read> items: array<Item>;
@group(0) @binding(4) var<storage, read_write> partials_out: array<Partial>;
@group(0) @binding(5) var<storage, read_write> finals: array<Partial>;
// [+inf, -inf]: WGSL has no infinity literal, so the host supplies them.
@group(0) @binding(6) var<storage, read> infinities: array<f64, 2>;

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

fn combine(a: Partial, b: Partial) -> Partial {
    var r = a;
    r.sum = a.sum + b.sum;
    if (b.mn < r.mn) {
        r.mn = b.mn;
    }
    if (b.mx > r.mx) {
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
    var sum = 0.0lf;
    var mn = infinities[0];
    var mx = infinities[1];
    for (var k = it.start; k < end; k += 1u) {
        let v = values[k];
        sum = sum + v;
        if (v < mn) {
            mn = v;
        }
        if (v > mx) {
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
    var acc = Partial(0.0lf, infinities[0], infinities[1]);
    for (var k = it.start; k < end; k += 1u) {
        acc = combine(acc, partials_in[k]);
    }
    store(it.dst, acc);
}
