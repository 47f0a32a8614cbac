// Segmented "last value by time" (gauge last value) fold, between
// segments.wgsl and the kernel file (last_native / last_pieces), which provides:
//   alias Time                               — how one u64 time is read
//   fn time_ge(a: Time, b: Time) -> bool     — a >= b as u64
// Per group: the value at the greatest time; ties go to the later row.
// Values are f64 but only moved, never computed on, so they travel as raw
// bits (vec2<u32>) and no SHADER_F64 is needed.
//
// Ties: segments.wgsl folds rows, then partials, in row order and `combine`
// takes `next` when its time is >= the accumulator's, so the later row (or
// the later partial = later rows) wins. There is no identity: a fold starts
// from its first element, and an empty work item writes nothing (work items
// are never empty).

struct Partial {
    time: Time,
    value: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> values: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> times: array<Time>;

fn rows_len() -> u32 {
    return min(arrayLength(&values), arrayLength(&times));
}

fn row_partial(k: u32) -> Partial {
    return Partial(times[k], values[k]);
}

fn seed(first: Partial) -> Partial {
    return first;
}

fn store_empty(dst: u32) {}

fn combine(acc: Partial, next: Partial) -> Partial {
    if (time_ge(next.time, acc.time)) {
        return next;
    }
    return acc;
}
