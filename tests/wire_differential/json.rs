//! Differential tests of the streaming OTLP/JSON parser: the random requests
//! of `strategies`, written as OTLP/JSON in every spelling (camelCase or
//! snake_case keys, 64-bit integers as strings or numbers, enums as names or
//! numbers, keys in any order), give the columns and counts of the prost
//! reference; mutated JSON never panics, and whatever the tree decoder reads
//! the streaming parser reads the same.

use std::collections::BTreeMap;

use otlp_analytics::columns::{Projection, Table};
use otlp_analytics::decode::to_columns::to_columns_projected;
use otlp_analytics::decode::{decode_frame, decode_json_reference, decode_message, DecodedFrame};
use otlp_analytics::error::FrameProblem;
use proptest::prelude::*;
use serde_json::Value;

use super::decode_support::{
    add_tables, assert_tables_eq, concat, enums_as_names, int64_as_numbers, json_value,
    snake_case_keys, Tables,
};
use super::rewrite::TestRng;
use super::{mutate, opts, proto_bytes, strategies, PROJECTIONS};

fn tables(d: &DecodedFrame) -> BTreeMap<Table, arrow::array::RecordBatch> {
    let mut t = Tables::new();
    add_tables(&mut t, &d.tables);
    concat(&t)
}

/// Same signal, counts and rows per table (batch boundaries may differ: the
/// streaming parser closes batches at resource boundaries).
pub(super) fn assert_same_rows(what: &str, got: &DecodedFrame, want: &DecodedFrame) {
    assert_eq!(got.signal, want.signal, "{what}: signal");
    assert_eq!(got.stats, want.stats, "{what}: counts");
    assert_tables_eq(what, &tables(got), &tables(want));
    for t in &got.tables {
        assert!(t.batch.num_rows() > 0, "{what}: empty batch");
    }
}

/// Writes `v` as JSON text with every object's keys in a random order
/// (serde_json's map is sorted; real exporters write other orders, and
/// OTLP/JSON allows any).
fn shuffled_text(v: &Value, rng: &mut TestRng, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, rng.range(0, i as u64 + 1) as usize);
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                shuffled_text(v, rng, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                shuffled_text(v, rng, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The request as OTLP/JSON text in the spelling `spelling` picks (bits:
/// ints as numbers, enums as names, snake_case keys, shuffled key order).
pub(super) fn json_text(v: &Value, spelling: u8, seed: u64) -> Vec<u8> {
    let mut v = v.clone();
    if spelling & 1 != 0 {
        v = int64_as_numbers(&v);
    }
    if spelling & 2 != 0 {
        v = enums_as_names(&v);
    }
    if spelling & 4 != 0 {
        v = snake_case_keys(&v);
    }
    if spelling & 8 == 0 {
        return serde_json::to_vec(&v).expect("json");
    }
    let mut out = String::new();
    shuffled_text(&v, &mut TestRng::new(seed), &mut out);
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// The same requests as OTLP/JSON give the columns of the protobuf
    /// reference, with every projection, forced or sniffed.
    #[test]
    fn json_columns_equal_the_reference(
        req in strategies::request(),
        spelling in 0u8..16,
        seed in any::<u64>(),
        batch_rows in 1usize..5,
    ) {
        let signal = req.signal();
        let reference = decode_message(&proto_bytes(&req), Some(signal)).expect("prost").expect("request");
        let text = json_text(&json_value(&reference), spelling, seed);
        for projection in PROJECTIONS {
            let want = to_columns_projected(&reference, batch_rows, projection);
            let got = decode_frame(&text, &opts(Some(signal), projection, batch_rows))
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&text)));
            assert_same_rows(&format!("JSON {spelling}, {projection:?}"), &got, &want);
            // Sniffed from the top-level key, too.
            let got = decode_frame(&text, &opts(None, projection, batch_rows)).expect("sniffed");
            assert_same_rows(&format!("JSON {spelling} sniffed, {projection:?}"), &got, &want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Mutated OTLP/JSON never panics; every failure is a frame problem;
    /// whatever the tree decoder reads, the streaming parser reads the same,
    /// and what it rejects is rejected.
    #[test]
    fn mutated_json_decodes_like_the_tree_decoder_or_reports_a_problem(
        req in strategies::request(),
        spelling in 0u8..16,
        seed in any::<u64>(),
        mutations in 1usize..4,
    ) {
        let signal = req.signal();
        let reference = decode_message(&proto_bytes(&req), Some(signal)).expect("prost").expect("request");
        let mut text = json_text(&json_value(&reference), spelling, seed);
        let mut rng = TestRng::new(seed ^ 0x5eed);
        for _ in 0..mutations {
            mutate(&mut text, &mut rng);
        }
        for forced in [Some(signal), None] {
            let o = opts(forced, Some(Projection::ALL), 3);
            let got = decode_frame(&text, &o);
            if text.first() != Some(&b'{') {
                // No longer JSON to the sniffer (protobuf, or JSON after whitespace): no panic is enough.
                continue;
            }
            match (got, decode_json_reference(&text, &o)) {
                (Ok(got), Ok(want)) => assert_same_rows("mutated", &got, &want),
                (Err(got), Err(_)) => prop_assert!(
                    matches!(
                        got,
                        FrameProblem::InvalidJson(_)
                            | FrameProblem::SignalMismatch { .. }
                            | FrameProblem::TimeOutOfRange { .. }
                    ),
                    "{got:?}"
                ),
                (got, want) => panic!(
                    "streaming {:?}, tree decoder {:?}: {}",
                    got.map(|d| d.stats),
                    want.map(|d| d.stats),
                    String::from_utf8_lossy(&text)
                ),
            }
        }
    }
}
