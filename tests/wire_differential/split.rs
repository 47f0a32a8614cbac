//! One large request split at its resource records across a rayon pool
//! (protobuf: runs of field 1; OTLP/JSON: runs of the signal key's
//! elements) decodes to the rows, counts and problems of the whole request.

use otlp_analytics::columns::Projection;
use otlp_analytics::decode::{decode_frame_split, decode_message, DecodedFrame};
use otlp_analytics::error::FrameProblem;
use proptest::prelude::*;

use super::decode_support::json_value;
use super::json::{assert_same_rows, json_text};
use super::rewrite::{rewrite, TestRng};
use super::{mutate, opts, proto_bytes, root, strategies};

type Decoded = Result<DecodedFrame, FrameProblem>;

fn same(what: &str, split: &Decoded, whole: &Decoded) {
    match (split, whole) {
        (Ok(s), Ok(w)) => assert_same_rows(what, s, w),
        (Err(s), Err(w)) => assert_eq!(s, w, "{what}"),
        (s, w) => panic!(
            "{what}: split {:?}, whole {:?}",
            s.as_ref().map(|d| &d.stats),
            w.as_ref().map(|d| &d.stats)
        ),
    }
}

/// Split (every request, on 3 threads) against whole, for every projection.
fn check(what: &str, bytes: &[u8], signal: otlp_analytics::decode::Signal) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("pool");
    for projection in [Some(Projection::ALL), Some(Projection::LEAN), None] {
        for forced in [Some(signal), None] {
            let o = opts(forced, projection, 2);
            let whole = decode_frame_split(bytes, &o, usize::MAX);
            let split = pool.install(|| decode_frame_split(bytes, &o, 0));
            same(
                &format!("{what}, {projection:?}, {forced:?}"),
                &split,
                &whole,
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn split_requests_decode_like_whole_ones(
        req in strategies::request(),
        seed in any::<u64>(),
        spelling in 0u8..16,
        mutations in 0usize..3,
    ) {
        let signal = req.signal();
        let mut rng = TestRng::new(seed);
        let mut bytes = rewrite(&proto_bytes(&req), root(signal), &mut rng);
        let reference = decode_message(&proto_bytes(&req), Some(signal)).expect("prost").expect("request");
        let mut text = json_text(&json_value(&reference), spelling, seed);
        for _ in 0..mutations {
            mutate(&mut bytes, &mut rng);
            mutate(&mut text, &mut rng);
        }
        check("protobuf", &bytes, signal);
        check(&format!("JSON {}", String::from_utf8_lossy(&text)), &text, signal);
    }
}
