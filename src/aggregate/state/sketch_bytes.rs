//! The canonical bytes of a `DurationSketch` in partial state: a function of
//! the multiset of durations only (the sketch's representation is), little-endian.
//!
//! `[version u8 = 1][count u64][min u64][max u64]` then, in exact mode
//! `[0u8][n u32][n × value u64]`, in bucket mode `[1u8][offset u32][n u32][n × count u64]`.

use crate::aggregate::sketch::DurationSketch;

const VERSION: u8 = 1;

pub fn encode(sketch: &DurationSketch, out: &mut Vec<u8>) {
    out.clear();
    let (values, offset, counts) = sketch.raw_parts();
    out.push(VERSION);
    out.extend_from_slice(&sketch.count().to_le_bytes());
    out.extend_from_slice(&sketch.min().unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&sketch.max().unwrap_or(0).to_le_bytes());
    if counts.is_empty() {
        out.push(0);
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    } else {
        out.push(1);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(counts.len() as u32).to_le_bytes());
        counts
            .iter()
            .for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        if self.0.len() < N {
            return Err("duration sketch bytes end early".into());
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        let mut b = [0u8; N];
        b.copy_from_slice(head);
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.bytes::<8>()?))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes::<4>()?))
    }

    fn u64s(&mut self) -> Result<Vec<u64>, String> {
        let n = self.u32()? as usize;
        if self.0.len() / 8 < n {
            return Err("duration sketch bytes end early".into());
        }
        (0..n).map(|_| self.u64()).collect()
    }
}

pub fn decode(bytes: &[u8]) -> Result<DurationSketch, String> {
    let mut r = Reader(bytes);
    let version = r.bytes::<1>()?[0];
    if version != VERSION {
        return Err(format!(
            "duration sketch version {version} (expected {VERSION})"
        ));
    }
    let (count, min, max) = (r.u64()?, r.u64()?, r.u64()?);
    let mode = r.bytes::<1>()?[0];
    let (values, offset, counts) = match mode {
        0 => (r.u64s()?, 0, Vec::new()),
        1 => {
            let offset = r.u32()?;
            (Vec::new(), offset, r.u64s()?)
        }
        m => return Err(format!("duration sketch mode {m}")),
    };
    if !r.0.is_empty() {
        return Err("trailing bytes after a duration sketch".into());
    }
    DurationSketch::from_raw_parts(count, min, max, values, offset, counts)
        .ok_or_else(|| "inconsistent duration sketch".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bytes_round_trip_and_split_merges_give_the_same_bytes(
            values in proptest::collection::vec(0u64..1u64 << 40, 0..300),
            cut in 0usize..300,
        ) {
            let mut whole = DurationSketch::new();
            values.iter().for_each(|&v| whole.add(v));
            let (mut a, mut b) = (DurationSketch::new(), DurationSketch::new());
            let cut = cut.min(values.len());
            values[..cut].iter().for_each(|&v| a.add(v));
            values[cut..].iter().for_each(|&v| b.add(v));
            let (mut ba, mut bb, mut bw) = (Vec::new(), Vec::new(), Vec::new());
            encode(&a, &mut ba);
            encode(&b, &mut bb);
            let mut merged = decode(&bb).unwrap();
            merged.merge(&decode(&ba).unwrap());
            let mut bm = Vec::new();
            encode(&merged, &mut bm);
            encode(&whole, &mut bw);
            prop_assert_eq!(bm, bw);
            prop_assert_eq!(merged, whole);
        }
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        let mut s = DurationSketch::new();
        (0..100u64).for_each(|v| s.add(v * 1000));
        let mut good = Vec::new();
        encode(&s, &mut good);
        assert_eq!(decode(&good).unwrap(), s);
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong_count = good.clone();
        wrong_count[1] ^= 1;
        assert_eq!(
            decode(&wrong_count).unwrap_err(),
            "inconsistent duration sketch"
        );
        assert!(decode(&[2]).unwrap_err().contains("version"));
    }
}
