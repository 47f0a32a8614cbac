// Segmented sum / min / max of f64 values (requires SHADER_F64). Built as
// segments.wgsl + stats.wgsl + this file.
//
// NaN handling relies on ordered comparisons only: `less` is false when
// either side is NaN, so min / max skip NaN inputs (like f64::min /
// f64::max). A group whose inputs are all NaN therefore ends with mn = +inf
// and mx = -inf; the host turns that into NaN for non-empty groups. Sums
// propagate NaN / inf naturally. Summation order is fixed by the work-item
// layout, so results are deterministic.

alias Value = f64;

// [+inf, -inf]: WGSL has no infinity literal, so the host supplies them.
@group(0) @binding(6) var<storage, read> infinities: array<f64, 2>;

fn identity() -> Partial {
    return Partial(0.0lf, infinities[0], infinities[1]);
}

fn add(a: Value, b: Value) -> Value {
    return a + b;
}

fn less(a: Value, b: Value) -> bool {
    return a < b;
}
