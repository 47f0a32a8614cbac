// Segmented "last value by time" with native u64 times (requires
// SHADER_INT64). Built as segments.wgsl + last.wgsl + this file.

alias Time = u64;

fn time_ge(a: Time, b: Time) -> bool {
    return a >= b;
}
