//! Size limits on input: the largest frame accepted (`--max-frame-bytes`) and
//! the bytes allowed in flight, with parsing and display of byte sizes.

use std::fmt;

/// A frame larger than this once decompressed is bad input: far above what the
/// Collector sends (its gRPC receiver's default cap is 4 MiB per request).
pub const DEFAULT_MAX_FRAME_BYTES: u64 = 256 << 20;

/// Bytes of frames allowed between the reader and the ordered consumer.
pub const DEFAULT_QUEUE_BYTES: u64 = 256 << 20;

const UNITS: [(&str, u64); 4] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("B", 1),
];

/// Bytes shown in the largest binary unit that divides them exactly (`256 MiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, scale) = UNITS
            .iter()
            .find(|(_, scale)| self.0 != 0 && self.0.is_multiple_of(*scale))
            .copied()
            .unwrap_or(("B", 1));
        if scale == 1 {
            write!(f, "{} bytes", self.0)
        } else {
            write!(f, "{} {unit}", self.0 / scale)
        }
    }
}

/// Parses `268435456`, `256MiB`, `256M`, `1g`, `64 KiB` (binary units; `B` optional).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 268435456, 256MiB, 1GiB)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("`{text}`: unknown unit (use KiB, MiB, GiB)")),
    };
    let bytes = n
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the size must be at least 1 byte".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_byte_size("268435456"), Ok(268_435_456));
        assert_eq!(parse_byte_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_byte_size("256M"), Ok(256 << 20));
        assert_eq!(parse_byte_size("1g"), Ok(1 << 30));
        assert_eq!(parse_byte_size("64 KiB"), Ok(64 << 10));
        assert!(parse_byte_size("0").is_err());
        assert!(parse_byte_size("12XB").is_err());
        assert!(parse_byte_size("MiB").is_err());
        assert!(parse_byte_size("99999999999T").is_err());
    }

    #[test]
    fn sizes_display_in_the_largest_exact_unit() {
        assert_eq!(ByteSize(256 << 20).to_string(), "256 MiB");
        assert_eq!(ByteSize(3 << 30).to_string(), "3 GiB");
        assert_eq!(ByteSize(1536).to_string(), "1536 bytes");
        assert_eq!(ByteSize(2048).to_string(), "2 KiB");
        assert_eq!(ByteSize(1000).to_string(), "1000 bytes");
        assert_eq!(ByteSize(0).to_string(), "0 bytes");
    }
}
