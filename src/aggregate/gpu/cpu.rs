//! CPU reference implementations of the GPU reductions: used by tests and as
//! the caller's fallback. Same semantics as the GPU paths (sums wrap / are
//! plain sequential f64 sums; min / max skip NaN; last-by-time ties go to the
//! later row).

use super::{F64Stats, U64Stats};

/// Checks the segment layout and returns the number of groups.
///
/// # Panics
/// If `offsets` is not a valid layout for `rows` rows: `offsets[0] == 0`,
/// nondecreasing, last == `rows` (an empty `offsets` means zero groups and
/// requires `rows == 0`).
pub(super) fn check_offsets(offsets: &[usize], rows: usize) -> usize {
    if offsets.is_empty() {
        assert!(rows == 0, "empty offsets with {rows} values");
        return 0;
    }
    assert!(offsets[0] == 0, "offsets[0] must be 0, got {}", offsets[0]);
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "offsets must be nondecreasing"
    );
    let last = offsets[offsets.len() - 1];
    assert!(
        last == rows,
        "offsets end at {last} but there are {rows} values"
    );
    offsets.len() - 1
}

/// Per group: wrapping sum, min and max (empty group: 0, u64::MAX, 0).
pub fn reduce_u64_cpu(offsets: &[usize], values: &[u64]) -> Vec<U64Stats> {
    let groups = check_offsets(offsets, values.len());
    (0..groups)
        .map(|g| {
            let mut s = U64Stats::EMPTY;
            for &v in &values[offsets[g]..offsets[g + 1]] {
                s.sum = s.sum.wrapping_add(v);
                s.min = s.min.min(v);
                s.max = s.max.max(v);
            }
            s
        })
        .collect()
}

/// Per group: sequential sum, min and max ignoring NaN (empty group: 0, +inf,
/// -inf; a non-empty group of only NaN: min = max = NaN). Among values that
/// compare equal (0.0 and -0.0) min / max keep the first one, like the GPU.
pub fn reduce_f64_cpu(offsets: &[usize], values: &[f64]) -> Vec<F64Stats> {
    let groups = check_offsets(offsets, values.len());
    (0..groups)
        .map(|g| {
            let rows = &values[offsets[g]..offsets[g + 1]];
            let mut s = F64Stats::EMPTY;
            for &v in rows {
                s.sum += v;
                if v < s.min {
                    s.min = v;
                }
                if v > s.max {
                    s.max = v;
                }
            }
            finish_f64(&mut s, rows.len());
            s
        })
        .collect()
}

/// After all values are folded in with NaN-skipping comparisons: a non-empty
/// group whose min / max were never set held only NaN.
pub(super) fn finish_f64(s: &mut F64Stats, rows: usize) {
    if rows > 0 && s.min == f64::INFINITY && s.max == f64::NEG_INFINITY {
        s.min = f64::NAN;
        s.max = f64::NAN;
    }
}

/// Per group: the value at the greatest time; ties go to the later row.
/// `None` for an empty group.
///
/// # Panics
/// If `times` and `values` differ in length or `offsets` is invalid.
pub fn last_by_time_cpu(offsets: &[usize], times: &[u64], values: &[f64]) -> Vec<Option<f64>> {
    assert_eq!(
        times.len(),
        values.len(),
        "times and values differ in length"
    );
    let groups = check_offsets(offsets, values.len());
    (0..groups)
        .map(|g| {
            let mut best: Option<(u64, f64)> = None;
            for k in offsets[g]..offsets[g + 1] {
                if best.is_none_or(|(t, _)| times[k] >= t) {
                    best = Some((times[k], values[k]));
                }
            }
            best.map(|(_, v)| v)
        })
        .collect()
}
