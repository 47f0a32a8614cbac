//! Re-encodes a prost-encoded request the ways other encoders (or hostile
//! ones) may: fields in another order (same-number fields keep their order,
//! so prost reads the same message), unknown fields of every wire type in
//! every message, packed fields written unpacked, and varints (lengths and
//! values) in overlong but legal encodings.

/// A small deterministic generator (SplitMix64), seeded by proptest.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dp {
    Number,
    Hist,
    Exp,
    Summary,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum M {
    TracesReq,
    ResourceSpans,
    ScopeSpans,
    Span,
    Event,
    Link,
    Status,
    LogsReq,
    ResourceLogs,
    ScopeLogs,
    LogRecord,
    MetricsReq,
    ResourceMetrics,
    ScopeMetrics,
    Metric,
    /// A metric's data message, by the type of its points.
    Points(Dp),
    NumberDp,
    HistDp,
    ExpDp,
    Buckets,
    SummaryDp,
    Quantile,
    Exemplar,
    Resource,
    Scope,
    KeyValue,
    AnyValue,
    ArrayValue,
    KvList,
}

/// The message type of a length-delimited field (None: a string, bytes or packed list).
fn child(m: M, field: u32) -> Option<M> {
    use M::*;
    Some(match (m, field) {
        (TracesReq, 1) => ResourceSpans,
        (LogsReq, 1) => ResourceLogs,
        (MetricsReq, 1) => ResourceMetrics,
        (ResourceSpans | ResourceLogs | ResourceMetrics, 1) => Resource,
        (ResourceSpans, 2) => ScopeSpans,
        (ResourceLogs, 2) => ScopeLogs,
        (ResourceMetrics, 2) => ScopeMetrics,
        (ScopeSpans | ScopeLogs | ScopeMetrics, 1) => Scope,
        (ScopeSpans, 2) => Span,
        (ScopeLogs, 2) => LogRecord,
        (ScopeMetrics, 2) => Metric,
        (Span, 9) | (Event, 3) | (Link, 4) | (LogRecord, 6) | (Resource, 1) | (Scope, 3) => {
            KeyValue
        }
        (Metric, 12) | (NumberDp, 7) | (HistDp, 9) | (ExpDp, 1) | (SummaryDp, 7) => KeyValue,
        (Exemplar, 7) | (KvList, 1) => KeyValue,
        (Span, 11) => Event,
        (Span, 13) => Link,
        (Span, 15) => Status,
        (LogRecord, 5) | (KeyValue, 2) | (ArrayValue, 1) => AnyValue,
        (AnyValue, 5) => ArrayValue,
        (AnyValue, 6) => KvList,
        (Metric, 5 | 7) => Points(Dp::Number),
        (Metric, 9) => Points(Dp::Hist),
        (Metric, 10) => Points(Dp::Exp),
        (Metric, 11) => Points(Dp::Summary),
        (Points(Dp::Number), 1) => NumberDp,
        (Points(Dp::Hist), 1) => HistDp,
        (Points(Dp::Exp), 1) => ExpDp,
        (Points(Dp::Summary), 1) => SummaryDp,
        (NumberDp | HistDp | ExpDp, 5 | 8 | 11) if exemplar_field(m, field) => Exemplar,
        (ExpDp, 8 | 9) => Buckets,
        (SummaryDp, 6) => Quantile,
        _ => return None,
    })
}

fn exemplar_field(m: M, field: u32) -> bool {
    matches!(
        (m, field),
        (M::NumberDp, 5) | (M::HistDp, 8) | (M::ExpDp, 11)
    )
}

/// Packed repeated scalars: (message, field) → element width (0 = varint).
fn packed(m: M, field: u32) -> Option<usize> {
    match (m, field) {
        (M::HistDp, 6 | 7) => Some(8),
        (M::Buckets, 2) => Some(0),
        _ => None,
    }
}

fn read_varint(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let x = b[*pos];
        *pos += 1;
        v |= u64::from(x & 0x7f) << shift;
        if x < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// A varint, sometimes overlong (padded with zero groups, at most 10 bytes).
fn write_varint(out: &mut Vec<u8>, mut v: u64, rng: &mut TestRng) {
    let mut groups = Vec::new();
    loop {
        groups.push((v & 0x7f) as u8);
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    if rng.one_in(8) {
        let extra = rng.range(0, 11 - groups.len() as u64) as usize;
        groups.extend(std::iter::repeat_n(0, extra));
    }
    let last = groups.len() - 1;
    for (i, g) in groups.into_iter().enumerate() {
        out.push(if i < last { g | 0x80 } else { g });
    }
}

struct RawField {
    num: u32,
    wire: u8,
    /// Varint value, or the raw bytes of fixed and length-delimited values.
    varint: u64,
    bytes: Vec<u8>,
}

fn split(b: &[u8]) -> Vec<RawField> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < b.len() {
        let key = read_varint(b, &mut pos);
        let (num, wire) = ((key >> 3) as u32, (key & 7) as u8);
        let mut f = RawField {
            num,
            wire,
            varint: 0,
            bytes: Vec::new(),
        };
        match wire {
            0 => f.varint = read_varint(b, &mut pos),
            1 => {
                f.bytes = b[pos..pos + 8].to_vec();
                pos += 8;
            }
            5 => {
                f.bytes = b[pos..pos + 4].to_vec();
                pos += 4;
            }
            2 => {
                let len = read_varint(b, &mut pos) as usize;
                f.bytes = b[pos..pos + len].to_vec();
                pos += len;
            }
            w => panic!("prost wrote wire type {w}"),
        }
        out.push(f);
    }
    out
}

fn unknown_field(out: &mut Vec<u8>, rng: &mut TestRng) {
    let num = rng.range(100, 2000) as u32;
    let wire = [0u8, 1, 2, 5][rng.range(0, 4) as usize];
    write_varint(out, u64::from(num) << 3 | u64::from(wire), rng);
    match wire {
        0 => {
            let v = rng.next();
            write_varint(out, v, rng)
        }
        1 => out.extend_from_slice(&rng.next().to_le_bytes()),
        5 => out.extend_from_slice(&(rng.next() as u32).to_le_bytes()),
        _ => {
            let n = rng.range(0, 6);
            write_varint(out, n, rng);
            for _ in 0..n {
                out.push(rng.next() as u8);
            }
        }
    }
}

/// Rewrites message `b` of type `m`.
pub fn rewrite(b: &[u8], m: M, rng: &mut TestRng) -> Vec<u8> {
    let mut fields = split(b);
    // A random rank per field number; a stable sort keeps same-number order.
    let mut ranks: Vec<(u32, u32)> = Vec::new();
    for f in &fields {
        if !ranks.iter().any(|(n, _)| *n == f.num) {
            ranks.push((f.num, rng.next() as u32));
        }
    }
    let rank = |n: u32| ranks.iter().find(|(x, _)| *x == n).map_or(0, |r| r.1);
    fields.sort_by_key(|f| rank(f.num));
    let mut out = Vec::new();
    for f in fields {
        if rng.one_in(6) {
            unknown_field(&mut out, rng);
        }
        let key = |out: &mut Vec<u8>, wire: u8, rng: &mut TestRng| {
            write_varint(out, u64::from(f.num) << 3 | u64::from(wire), rng)
        };
        match f.wire {
            0 => {
                key(&mut out, 0, rng);
                write_varint(&mut out, f.varint, rng);
            }
            2 => {
                match (child(m, f.num), packed(m, f.num)) {
                    (_, Some(width)) if rng.one_in(2) => {
                        // Unpacked: one field per element.
                        let mut pos = 0;
                        while pos < f.bytes.len() {
                            if width == 0 {
                                key(&mut out, 0, rng);
                                let v = read_varint(&f.bytes, &mut pos);
                                write_varint(&mut out, v, rng);
                            } else {
                                key(&mut out, 1, rng);
                                out.extend_from_slice(&f.bytes[pos..pos + 8]);
                                pos += 8;
                            }
                        }
                    }
                    (Some(c), _) => {
                        let inner = rewrite(&f.bytes, c, rng);
                        key(&mut out, 2, rng);
                        write_varint(&mut out, inner.len() as u64, rng);
                        out.extend_from_slice(&inner);
                    }
                    (None, _) => {
                        key(&mut out, 2, rng);
                        write_varint(&mut out, f.bytes.len() as u64, rng);
                        out.extend_from_slice(&f.bytes);
                    }
                }
            }
            w => {
                key(&mut out, w, rng);
                out.extend_from_slice(&f.bytes);
            }
        }
    }
    if rng.one_in(4) {
        unknown_field(&mut out, rng);
    }
    out
}
