//! Text forms shared by printers: RFC 3339 timestamps and durations parsed from flags.

/// Nanoseconds since the epoch as RFC 3339 UTC with nanosecond precision.
pub fn rfc3339_nanos(nanos: i64) -> String {
    let mut out = Vec::with_capacity(30);
    write_rfc3339_nanos(&mut out, nanos);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `nanos` as RFC 3339 (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`), digit by
/// digit: CSV output writes one per group and window.
pub fn write_rfc3339_nanos(out: &mut Vec<u8>, nanos: i64) {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000) as u64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u64;
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        put_digits(out, y as u64, 4);
    } else {
        out.extend_from_slice(format!("{y:04}").as_bytes());
    }
    for (sep, v, width) in [
        (b'-', u64::from(m), 2),
        (b'-', u64::from(d), 2),
        (b'T', sod / 3600, 2),
        (b':', sod / 60 % 60, 2),
        (b':', sod % 60, 2),
        (b'.', frac, 9),
    ] {
        out.push(sep);
        put_digits(out, v, width);
    }
    out.push(b'Z');
}

/// `v` in exactly `width` decimal digits (`v` < 10^width).
fn put_digits(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses a duration flag such as `500ms`, `30s`, `1m`, `2h` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 30s, 1m, 1h"))?;
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => {
            return Err(format!(
                "invalid duration unit in {text:?}: use ns, us, ms, s, m, h or d"
            ))
        }
    };
    Ok((value * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339_nanos(1_544_712_660_300_000_000),
            "2018-12-13T14:51:00.300000000Z"
        );
        assert_eq!(
            rfc3339_nanos(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
        assert_eq!(rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(rfc3339_nanos(i64::MAX), "2262-04-11T23:47:16.854775807Z");
        assert_eq!(rfc3339_nanos(i64::MIN), "1677-09-21T00:12:43.145224192Z");
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("1m"), Ok(60_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("m").is_err());
    }
}
