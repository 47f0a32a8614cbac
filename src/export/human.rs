//! Cell texts for people: durations with units, floats to four significant
//! digits, RFC 3339 times at the precision a column needs.

use crate::export::format::rfc3339_nanos;

/// Nanoseconds as a duration with its unit: integer `ns` below 1 µs, else
/// three significant digits in the largest unit (`µs`, `ms`, `s`, `min`, `h`)
/// that keeps the number at or above 1 (`812 ns`, `4.20 µs`, `1.81 ms`,
/// `2.33 s`, `1.50 min`, `26.0 h`).
pub fn duration(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    if ns < 1_000 {
        return format!("{sign}{ns} ns");
    }
    const UNITS: [(&str, f64); 5] = [
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("min", 60e9),
        ("h", 3600e9),
    ];
    let mut text = String::new();
    for (i, (unit, factor)) in UNITS.iter().enumerate() {
        let digits = three_significant(ns as f64 / factor);
        let shown: f64 = digits.parse().unwrap_or(f64::INFINITY);
        text = format!("{sign}{digits} {unit}");
        // Rounding may reach the next unit (999.6 µs shows as 1.00 ms).
        match UNITS.get(i + 1) {
            Some((_, next)) if shown * factor >= *next => continue,
            _ => break,
        }
    }
    text
}

/// Three significant digits (more for 1000 and up), trailing zeros kept so
/// a column reads evenly; decided after rounding (9.996 → `10.0`).
fn three_significant(x: f64) -> String {
    for (decimals, limit) in [(2usize, 10.0), (1, 100.0)] {
        let text = format!("{x:.decimals$}");
        if text.parse::<f64>().is_ok_and(|r| r < limit) {
            return text;
        }
    }
    format!("{x:.0}")
}

/// A float to four significant digits without trailing zeros; integer digits
/// are never dropped (123456.7 → `123457`), and magnitudes below 1e-4 or
/// from 1e15 use scientific notation (`1.235e-5`).
pub fn float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let exponent = v.abs().log10().floor() as i32;
    if !(-4..15).contains(&exponent) {
        let text = format!("{v:.3e}");
        return match text.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_fraction(mantissa)),
            None => text,
        };
    }
    let decimals = (3 - exponent).max(0) as usize;
    trim_fraction(&format!("{v:.decimals$}")).to_owned()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Fraction digits (0, 3, 6 or 9) that show every time of a column exactly.
pub fn time_digits(nanos: impl Iterator<Item = i64>) -> usize {
    nanos
        .map(|t| match t.rem_euclid(1_000_000_000) {
            0 => 0,
            f if f % 1_000_000 == 0 => 3,
            f if f % 1_000 == 0 => 6,
            _ => 9,
        })
        .max()
        .unwrap_or(0)
}

/// RFC 3339 UTC with `digits` fraction digits (0 drops the fraction).
pub fn time(nanos: i64, digits: usize) -> String {
    let full = rfc3339_nanos(nanos); // …:SS.nnnnnnnnnZ
    match full.split_once('.') {
        Some((seconds, _)) if digits == 0 => format!("{seconds}Z"),
        Some((seconds, fraction)) => format!("{seconds}.{}Z", &fraction[..digits.min(9)]),
        None => full,
    }
}

/// Control characters escaped so a value cannot break the table's lines.
pub fn text(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit_and_three_digits() {
        let cases: [(i128, &str); 18] = [
            (0, "0 ns"),
            (812, "812 ns"),
            (999, "999 ns"),
            (1_000, "1.00 µs"),
            (4_200, "4.20 µs"),
            (9_996, "10.0 µs"),
            (99_960, "100 µs"),
            (999_600, "1.00 ms"),
            (1_812_345, "1.81 ms"),
            (10_000_000, "10.0 ms"),
            (100_000_000, "100 ms"),
            (2_333_688_930, "2.33 s"),
            (59_960_000_000, "1.00 min"),
            (90_000_000_000, "1.50 min"),
            (3_600_000_000_000, "1.00 h"),
            (93_600_000_000_000, "26.0 h"),
            (3_600_000_000_000_000, "1000 h"),
            (-1_500, "-1.50 µs"),
        ];
        for (ns, want) in cases {
            assert_eq!(duration(ns), want, "{ns} ns");
        }
    }

    #[test]
    fn floats_keep_four_significant_digits() {
        let cases: [(f64, &str); 14] = [
            (47.846000000000004, "47.85"),
            (0.1 + 0.2, "0.3"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (123_456.7, "123457"),
            (9.99996, "10"),
            (0.000_123_46, "0.0001235"),
            (0.000_012_346, "1.235e-5"),
            (2.0e20, "2e20"),
            (-0.0, "0"),
            (0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(float(v), want, "{v:?}");
        }
    }

    #[test]
    fn times_use_the_precision_the_column_needs() {
        let t = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z
        assert_eq!(time_digits([t, t + 60_000_000_000].into_iter()), 0);
        assert_eq!(time_digits([t, t + 5_000_000].into_iter()), 3);
        assert_eq!(time_digits([t + 5_000].into_iter()), 6);
        assert_eq!(time_digits([t + 1].into_iter()), 9);
        assert_eq!(time(t, 0), "2026-01-01T00:00:00Z");
        assert_eq!(time(t + 5_000_000, 3), "2026-01-01T00:00:00.005Z");
        assert_eq!(time(t + 1, 9), "2026-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(text("GET /a"), "GET /a");
        assert_eq!(text("a\nb\tc"), "a\\nb\\tc");
    }
}
