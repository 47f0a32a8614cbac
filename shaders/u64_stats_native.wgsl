// Segmented sum / min / max of u64 values with native 64-bit integers
// (requires SHADER_INT64). Built as segments.wgsl + stats.wgsl + this file.
// Sums wrap on overflow (same as u64::wrapping_add on the CPU).

alias Value = u64;

fn identity() -> Partial {
    return Partial(0lu, 0xFFFFFFFFFFFFFFFFlu, 0lu);
}

fn add(a: Value, b: Value) -> Value {
    return a + b;
}

fn less(a: Value, b: Value) -> bool {
    return a < b;
}
