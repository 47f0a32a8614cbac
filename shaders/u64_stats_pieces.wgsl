// Segmented sum / min / max of u64 values without SHADER_INT64: each u64 is
// read as a little-endian (lo, hi) pair of u32 (vec2<u32>: x = lo, y = hi),
// sums use a manual carry (wrapping at 2^64 like u64::wrapping_add) and
// min / max compare lexicographically on (hi, lo). The memory layout of values
// and partials is identical to the native-u64 kernel, so the host side is
// shared. Built as segments.wgsl + stats.wgsl + this file.

alias Value = vec2<u32>;

const U64_MAX: vec2<u32> = vec2<u32>(0xFFFFFFFFu, 0xFFFFFFFFu);
const ZERO: vec2<u32> = vec2<u32>(0u, 0u);

fn identity() -> Partial {
    return Partial(ZERO, U64_MAX, ZERO);
}

// (a + b) mod 2^64.
fn add(a: Value, b: Value) -> Value {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

// a < b as unsigned 64-bit integers.
fn less(a: Value, b: Value) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}
