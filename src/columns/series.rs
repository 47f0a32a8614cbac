//! Series identity: a stable 64-bit hash of resource + scope + metric + point
//! attributes. Stable across runs and builds (no std hasher), order-independent
//! over attributes, so parallel decoders agree without a shared dictionary.

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};

use super::attributes::AttrText;

#[derive(Debug, Clone, Default)]
pub struct SeriesHasher {
    state: u64,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finalizer: spreads FNV's weak low bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn any_value_hash(v: Option<&AnyValue>) -> u64 {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => fnv1a(s.as_bytes()),
        Some(Value::BoolValue(b)) => mix(1 ^ u64::from(*b)),
        Some(Value::IntValue(i)) => mix(2u64.wrapping_add(*i as u64).rotate_left(7)),
        Some(Value::DoubleValue(d)) => mix(3 ^ d.to_bits()),
        Some(Value::BytesValue(b)) => mix(4 ^ fnv1a(b)),
        Some(Value::StringValueStrindex(i)) => mix(8 ^ (*i as u64)),
        Some(Value::ArrayValue(a)) => a
            .values
            .iter()
            .fold(mix(5), |acc, v| mix(acc ^ any_value_hash(Some(v)))),
        Some(Value::KvlistValue(kv)) => mix(6 ^ attribute_set_hash(&kv.values)),
        None => mix(7),
    }
}

/// Order-independent hash of a key-value set (a sum of per-pair hashes).
fn attribute_set_hash(attrs: &[KeyValue]) -> u64 {
    attrs.iter().fold(0u64, |acc, kv| {
        acc.wrapping_add(mix(
            fnv1a(kv.key.as_bytes()) ^ any_value_hash(kv.value.as_ref()).rotate_left(23)
        ))
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
        mix(self.state.rotate_left(5) ^ attribute_set_hash(attrs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
