//! Series identity: a stable 64-bit hash of resource + scope + metric + point
//! attributes. Stable across runs and builds (no std hasher), order-independent
//! over attributes, so parallel decoders agree without a shared dictionary.

use opentelemetry_proto::tonic::common::v1::KeyValue;

use super::attributes::AttrText;
use super::value::{attribute_hash, prost_attributes};

#[derive(Debug, Clone, Default)]
pub struct SeriesHasher {
    state: u64,
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finalizer: spreads FNV's weak low bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Order-independent hash of a key-value set (a sum of per-pair hashes).
fn attribute_set_hash(attrs: &[KeyValue]) -> u64 {
    prost_attributes(attrs).fold(0u64, |acc, (k, v)| {
        acc.wrapping_add(attribute_hash(k, Some(&v)))
    })
}

impl SeriesHasher {
    pub fn add_str(&mut self, s: &str) {
        self.state = mix(self.state.rotate_left(5) ^ fnv1a(s.as_bytes()));
    }

    pub fn add_rendered(&mut self, attrs: &[AttrText]) {
        let set = attrs.iter().fold(0u64, |acc, a| {
            let tag = fnv1a(a.type_tag.unwrap_or("string").as_bytes());
            acc.wrapping_add(mix(fnv1a(a.key.as_bytes())
                ^ fnv1a(a.value.as_bytes()).rotate_left(23)
                ^ tag))
        });
        self.state = mix(self.state.rotate_left(5) ^ set);
    }

    pub fn finish_with_attributes(self, attrs: &[KeyValue]) -> u64 {
        self.finish_with_set_hash(attribute_set_hash(attrs))
    }

    /// Finishes with the summed `value::attribute_hash` of the point attributes.
    pub fn finish_with_set_hash(self, set: u64) -> u64 {
        mix(self.state.rotate_left(5) ^ set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue};

    fn kv(k: &str, v: Value) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    #[test]
    fn attribute_order_does_not_change_the_series() {
        let a = vec![
            kv("a", Value::StringValue("1".into())),
            kv("b", Value::IntValue(2)),
        ];
        let b = vec![a[1].clone(), a[0].clone()];
        let h = SeriesHasher::default();
        assert_eq!(
            h.clone().finish_with_attributes(&a),
            h.finish_with_attributes(&b)
        );
    }

    #[test]
    fn int_and_string_values_are_different_series() {
        let h = SeriesHasher::default();
        let s = h
            .clone()
            .finish_with_attributes(&[kv("a", Value::StringValue("2".into()))]);
        let i = h.finish_with_attributes(&[kv("a", Value::IntValue(2))]);
        assert_ne!(s, i);
    }
}
