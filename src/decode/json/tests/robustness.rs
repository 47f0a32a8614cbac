//! Robustness: arbitrary bytes, text and JSON trees, and examples with one
//! node replaced by garbage, never make the decoder panic.

use super::super::scalars::decode_base64;
use super::*;
use proptest::prelude::*;

/// Standard base64 encoder, only to property-test the decoder.
fn encode_base64(bytes: &[u8], pad: bool) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
        if pad {
            out.push_str(&"=="[..3 - chunk.len()]);
        }
    }
    out
}

fn field_names() -> impl Strategy<Value = String> {
    const NAMES: &str = "resourceSpans scopeSpans spans resource_logs scopeLogs logRecords \
        resourceMetrics scopeMetrics metrics attributes key value values stringValue intValue \
        doubleValue bytesValue arrayValue kvlistValue traceId spanId kind status code body sum \
        gauge histogram exponentialHistogram summary dataPoints asInt asDouble bucketCounts \
        positive quantileValues exemplars startTimeUnixNano severityNumber";
    let names: Vec<&str> = NAMES.split_whitespace().collect();
    prop_oneof![
        prop::sample::select(names).prop_map(String::from),
        "[a-z_]{0,8}"
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9a-fA-Fz=+/_-]{0,12}".prop_map(Value::from),
        prop::sample::select(&["NaN", "-Infinity", "SPAN_KIND_SERVER", "-1", "1e400", "é"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field_names(), inner), 0..4)
                .prop_map(|kvs| Value::Object(kvs.into_iter().collect())),
        ]
    })
}

/// JSON pointers to every node of `v`.
fn pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                pointers(x, format!("{prefix}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                pointers(
                    x,
                    format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
    out.push(prefix);
}

fn decode_all(v: &Value) {
    let _ = sniff_signal(v);
    let _ = traces_from_value(v);
    let _ = metrics_from_value(v);
    let _ = logs_from_value(v);
}

proptest! {
    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..40), pad: bool) {
        prop_assert_eq!(decode_base64(&encode_base64(&bytes, pad)), Some(bytes));
    }

    #[test]
    fn garbage_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(v) = parse(&bytes) {
            decode_all(&v);
        }
    }

    #[test]
    fn garbage_text_never_panics(text in r#"[\[\]{}:,"0-9a-fA-F .eE+-]{0,80}"#) {
        if let Ok(v) = parse(text.as_bytes()) {
            decode_all(&v);
        }
    }

    #[test]
    fn garbage_values_never_panic(v in arb_json()) {
        decode_all(&v);
        let wrapped = json!({"resourceSpans": [&v], "resourceMetrics": [&v], "resourceLogs": [v]});
        decode_all(&wrapped);
    }

    /// Replaces one node of an example with garbage: every field converter gets a turn.
    #[test]
    fn mutated_examples_never_panic(
        example in 0usize..5,
        node in any::<prop::sample::Index>(),
        junk in arb_json(),
    ) {
        let texts = [
            example!("trace.json"),
            example!("metrics.json"),
            example!("logs.json"),
            example!("events.json"),
            super::metrics_sample::SAMPLE,
        ];
        let mut doc: Value = serde_json::from_str(texts[example]).unwrap();
        let mut ptrs = Vec::new();
        pointers(&doc, String::new(), &mut ptrs);
        if let Some(slot) = doc.pointer_mut(node.get(&ptrs).as_str()) {
            *slot = junk;
        }
        decode_all(&doc);
    }
}
