// Segmented sum / min / max of u64 values with native 64-bit integers
// (requires SHADER_INT64). No atomics: every work item reduces its own
// contiguous range sequentially and writes one private partial to its slot.
//
// Entry points:
//   reduce_rows    — pass 1: a work item covers at most TILE rows of `values`
//                    (never more than one group).
//   merge_partials — pass 2 (hierarchical): a work item combines a run of
//                    consecutive partials of one group from `partials_in`.
// A work item's `dst` says where its partial goes: with FINAL_BIT set it is
// the group's final slot in `finals`, otherwise a slot in `partials_out`
// that the next merge level reads.
// Sums wrap on overflow (same as u64::wrapping_add on the CPU).

struct Item {
    start: u32,
    end: u32,
    dst: u32,
}

struct Partial {
    sum: u64,
    mn: u64,
    mx: u64,
}

const WG_SIZE: u32 = 64u;
const FINAL_BIT: u32 = 0x80000000u;

@group(0) @binding(0) var<storage, read> values: array<u64>;
@group(0) @binding(2) var<storage, read> partials_in: array<Partial>;
@group(0) @binding(3) var<storage, read> items: array<Item>;
@group(0) @binding(4) var<storage, read_write> partials_out: array<Partial>;
@group(0) @binding(5) var<storage, read_write> finals: array<Partial>;

// Linear work-item index of a (possibly 2D) dispatch.
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
    var sum = 0lu;
    var mn = 0xFFFFFFFFFFFFFFFFlu;
    var mx = 0lu;
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
    var acc = Partial(0lu, 0xFFFFFFFFFFFFFFFFlu, 0lu);
    for (var k = it.start; k < end; k += 1u) {
        acc = combine(acc, partials_in[k]);
    }
    store(it.dst, acc);
}
