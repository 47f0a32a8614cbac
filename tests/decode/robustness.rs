//! Garbage never panics: arbitrary bytes, mutated streams and JSON with a node
//! replaced either decode or report a frame problem.

use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{decode_message, unwrap_frame, Signal};
use otlp_analytics::error::FrameProblem;
use otlp_analytics::input::framing::FrameReader;
use proptest::prelude::*;
use prost::Message;
use serde_json::Value;

use crate::decode_support::*;
use crate::{json_text, otlp_fixtures, variant, SIGNALS};

/// Reads, unwraps and decodes every frame of `bytes` with each signal choice;
/// returns (good frames, bad frames). Must never panic.
fn chew(bytes: &[u8]) -> (usize, usize) {
    let (mut good, mut bad) = (0, 0);
    let reader = match FrameReader::new(bytes) {
        Ok(r) => r,
        Err(_) => return (0, 1),
    };
    for item in reader {
        let Ok(frame) = item else {
            bad += 1;
            continue;
        };
        let Ok(data) = unwrap_frame(frame.data) else {
            bad += 1;
            continue;
        };
        for forced in [
            None,
            Some(Signal::Traces),
            Some(Signal::Metrics),
            Some(Signal::Logs),
        ] {
            match decode_message(&data, forced) {
                Ok(Some(req)) => {
                    let cols = to_columns(&req, 7, true);
                    let rows: usize = cols.tables.iter().map(|t| t.batch.num_rows()).sum();
                    let records =
                        cols.stats.spans + cols.stats.log_records + cols.stats.data_points();
                    assert_eq!(rows as u64, records, "every record becomes one row");
                    if forced.is_none() {
                        good += 1;
                    }
                }
                Ok(None) => {
                    if forced.is_none() {
                        good += 1;
                    }
                }
                Err(_) => {
                    if forced.is_none() {
                        bad += 1;
                    }
                }
            }
        }
    }
    (good, bad)
}

fn small_stream() -> Vec<u8> {
    let mut t = otlp_fixtures::traces_request();
    t.resource_spans.truncate(1);
    let m = otlp_fixtures::metrics_request();
    let mut stream = length_prefixed(&[t.encode_to_vec(), t.encode_to_vec()]);
    // A per-message-compressed frame too.
    stream.extend(per_message_zstd(&[m.encode_to_vec()]));
    stream
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        chew(&bytes);
        // The same bytes as a bare message, a JSON-looking message and a zstd-looking frame.
        for forced in [None, Some(Signal::Traces), Some(Signal::Metrics), Some(Signal::Logs)] {
            let _ = decode_message(&bytes, forced);
        }
        let mut json = b"{".to_vec();
        json.extend_from_slice(&bytes);
        let _ = decode_message(&json, None);
        let mut z = vec![0x28, 0xb5, 0x2f, 0xfd];
        z.extend_from_slice(&bytes);
        let _ = unwrap_frame(z);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_prefix_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        start in prop::sample::select(vec![0x0a_u8, 0x00, b'{']),
    ) {
        let mut input = vec![start];
        input.extend_from_slice(&bytes);
        chew(&input);
    }

}

proptest! {
    // Each case runs the whole pipeline twice over a temporary file.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_streams_decode_or_report_a_frame_problem(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        wrap in 0u8..3,
    ) {
        let clean = small_stream();
        let mut bytes = clean.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let bytes = match wrap {
            0 => bytes,
            1 => gzip(&bytes),
            _ => zstd(&bytes),
        };
        let _ = chew(&bytes);

        // Through the pipeline: with --skip-invalid nothing aborts and every
        // frame is either delivered or counted as skipped.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.otlp");
        std::fs::write(&path, &bytes).expect("write");
        let mut o = opts(2, 3);
        o.skip_invalid = true;
        let got = run_file(&path, &o);
        prop_assert!(got.is_ok(), "{:?}", got.err().map(|e| e.to_string()));
        let strict = run_file(&path, &opts(2, 3));
        if let Err(e) = strict {
            let text = e.to_string();
            prop_assert!(text.starts_with(&format!("{}: frame ", path.display())), "{}", text);
        }
    }

    #[test]
    fn json_with_a_node_replaced_never_panics(
        signal in prop::sample::select(SIGNALS.to_vec()),
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(vec![
            Value::Null, Value::Bool(true), Value::from(0), Value::from(-1), Value::from(1.5),
            Value::from(u64::MAX), Value::from("x"), Value::from(""), Value::from("-1"),
            Value::from("Infinity"), Value::Array(vec![]), serde_json::json!({}),
            serde_json::json!([{}]), Value::from(1e300),
        ]),
    ) {
        let mut json = json_value(&variant(signal, 0));
        let mut pointers = Vec::new();
        collect_pointers(&json, String::new(), &mut pointers);
        let target = pointers[at.index(pointers.len())].clone();
        if let Some(node) = json.pointer_mut(&target) {
            *node = replacement;
        }
        let bytes = json_text(&json);
        match decode_message(&bytes, None) {
            Ok(Some(req)) => { let _ = to_columns(&req, 5, true); }
            Ok(None) => {}
            Err(FrameProblem::InvalidJson(_) | FrameProblem::UnknownSignal) => {}
            Err(other) => prop_assert!(false, "unexpected problem {}", other),
        }
    }
}

/// JSON pointers of every node below the root.
fn collect_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    if !at.is_empty() {
        out.push(at.clone());
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                collect_pointers(x, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                collect_pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}
