// Shared prelude of the segmented-reduction kernels. WGSL has no #include:
// exec.rs (`shader_source`) builds each shader module once, at pipeline
// creation, by concatenating
//     host constants (WG_SIZE, FINAL_BIT, from exec.rs / plan.rs)
//   + this file                  work items, bindings 2..=5, entry points
//   + stats.wgsl or last.wgsl    the family's Partial and fold
//   + the kernel file            value type and primitive operations.
// Module-scope declarations may come in any order, so this file uses
// `Partial` and the hooks below before the later parts define them.
//
// No atomics: every work item reduces its own contiguous range sequentially
// and writes one private partial to its slot.
//
// Entry points:
//   reduce_rows    — pass 1: a work item covers at most TILE_ROWS (exec.rs)
//                    rows of the row inputs (never more than one group).
//   merge_partials — pass 2 (hierarchical): a work item combines a run of
//                    consecutive partials of one group from `partials_in`.
// A work item's `dst` says where its partial goes: with FINAL_BIT set it is
// the group's final slot in `finals`, otherwise a slot in `partials_out`
// that the next merge level reads. Both passes fold in row order, so results
// depend only on the layout (deterministic).
//
// Bindings (group 0): 0, 1 — row inputs and 6 — extras, declared by the
// family / kernel file; 2..=5 below, filled by the host for every kernel. An entry point
// only binds what it statically uses: reduce_rows never touches
// `partials_in`, merge_partials never touches the row inputs (which is why
// the two fold loops below stay separate instead of sharing one function).
//
// The family and kernel files provide:
//   struct Partial                         — one work item's result
//   fn rows_len() -> u32                   — rows every row input holds
//   fn row_partial(k: u32) -> Partial      — row k as a partial
//   fn seed(first: Partial) -> Partial     — accumulator holding one element
//   fn combine(acc: Partial, next: Partial) -> Partial
//                                          — fold `next` (later rows) into `acc`
//   fn store_empty(dst: u32)               — what an empty work item writes

struct Item {
    start: u32,
    end: u32,
    dst: u32,
}

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

@compute @workgroup_size(WG_SIZE)
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
    let end = min(it.end, rows_len());
    if (it.start >= end) {
        store_empty(it.dst);
        return;
    }
    var acc = seed(row_partial(it.start));
    for (var k = it.start + 1u; k < end; k += 1u) {
        acc = combine(acc, row_partial(k));
    }
    store(it.dst, acc);
}

@compute @workgroup_size(WG_SIZE)
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
        store_empty(it.dst);
        return;
    }
    var acc = seed(partials_in[it.start]);
    for (var k = it.start + 1u; k < end; k += 1u) {
        acc = combine(acc, partials_in[k]);
    }
    store(it.dst, acc);
}
