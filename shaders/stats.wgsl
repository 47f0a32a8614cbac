// Sum / min / max fold shared by the stats kernels, between segments.wgsl
// and the kernel file (u64_stats_native / u64_stats_pieces / f64_stats),
// which provides:
//   alias Value                          — how one 8-byte value is read
//   fn identity() -> Partial             — (0, max, min) of Value
//   fn add(a: Value, b: Value) -> Value  — the sum step
//   fn less(a: Value, b: Value) -> bool  — the order of min / max
// A fold starts from the identity (seed = combine(identity, first), never
// `first` itself: for f64 that keeps NaN out of mn / mx and a sum of -0.0s at
// +0.0), so an empty work item writes the identity.

struct Partial {
    sum: Value,
    mn: Value,
    mx: Value,
}

@group(0) @binding(0) var<storage, read> values: array<Value>;

fn rows_len() -> u32 {
    return arrayLength(&values);
}

fn row_partial(k: u32) -> Partial {
    let v = values[k];
    return Partial(v, v, v);
}

fn seed(first: Partial) -> Partial {
    return combine(identity(), first);
}

fn store_empty(dst: u32) {
    store(dst, identity());
}

fn combine(a: Partial, b: Partial) -> Partial {
    var r = a;
    r.sum = add(a.sum, b.sum);
    if (less(b.mn, r.mn)) {
        r.mn = b.mn;
    }
    if (less(r.mx, b.mx)) {
        r.mx = b.mx;
    }
    return r;
}
