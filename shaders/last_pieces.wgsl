// Segmented "last value by time" without SHADER_INT64: u64 times are read as
// little-endian (lo, hi) u32 pairs and compared lexicographically on (hi, lo).
// Same memory layout as the native kernel. Built as segments.wgsl + last.wgsl
// + this file.

alias Time = vec2<u32>;

// a >= b as unsigned 64-bit integers.
fn time_ge(a: Time, b: Time) -> bool {
    return a.y > b.y || (a.y == b.y && a.x >= b.x);
}
