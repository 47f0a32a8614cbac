//! Tests for the trace generator: exact span counts independent of the
//! batch size, and well-formed trees (one root, nesting in time, depth,
//! error rate, kinds, services).

use super::tree::MAX_DEPTH;
use super::*;
use std::collections::{HashMap, HashSet};

fn all_spans(seed: u64, spans: u64, batch: u64) -> Vec<(String, Span)> {
    let mut g = TraceGenerator::new(seed, spans, 6, 10);
    let mut out = Vec::new();
    while let Some((req, n)) = g.next_batch(batch) {
        let mut c = 0;
        for rs in &req.resource_spans {
            let svc = rs.resource.as_ref().unwrap().attributes[0]
                .value
                .clone()
                .unwrap();
            let svc = match svc.value.unwrap() {
                opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s) => s,
                _ => panic!(),
            };
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.push((svc.clone(), s.clone()));
                    c += 1;
                }
            }
        }
        assert_eq!(c, n);
        assert!(n <= batch);
    }
    out
}

#[test]
fn exact_count_and_batch_independent_content() {
    let a = all_spans(3, 1234, 100);
    let b = all_spans(3, 1234, 7);
    assert_eq!(a.len(), 1234);
    let ids = |v: &[(String, Span)]| {
        let mut s: Vec<Vec<u8>> = v.iter().map(|(_, s)| s.span_id.clone()).collect();
        s.sort();
        s
    };
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn trees_are_well_formed() {
    let spans = all_spans(11, 20_000, 1000);
    let mut by_trace: HashMap<Vec<u8>, Vec<&Span>> = HashMap::new();
    for (_, s) in &spans {
        by_trace.entry(s.trace_id.clone()).or_default().push(s);
    }
    let mut errors = 0;
    let mut kinds = HashSet::new();
    let mut max_depth = 0;
    for trace in by_trace.values() {
        assert!(trace.len() <= 30);
        let by_id: HashMap<&[u8], &Span> =
            trace.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
        assert_eq!(by_id.len(), trace.len(), "duplicate span ids");
        let roots = trace.iter().filter(|s| s.parent_span_id.is_empty()).count();
        assert_eq!(roots, 1);
        for s in trace {
            assert!(s.end_time_unix_nano > s.start_time_unix_nano);
            assert!(s.start_time_unix_nano > BASE_TIME_NS);
            kinds.insert(s.kind);
            if s.status.as_ref().map(|st| st.code) == Some(2) {
                errors += 1;
                assert!(!s.status.as_ref().unwrap().message.is_empty());
            }
            let mut depth = 0;
            let mut cur = *s;
            while !cur.parent_span_id.is_empty() {
                let p = by_id[cur.parent_span_id.as_slice()];
                assert!(p.start_time_unix_nano < cur.start_time_unix_nano);
                assert!(p.end_time_unix_nano > cur.end_time_unix_nano);
                cur = p;
                depth += 1;
            }
            max_depth = max_depth.max(depth);
            assert!(s.attributes.iter().any(|kv| kv.key == "tenant"));
        }
    }
    assert!(max_depth <= MAX_DEPTH);
    assert!(max_depth >= 3);
    let rate = errors as f64 / spans.len() as f64;
    assert!((0.01..=0.05).contains(&rate), "error rate {rate}");
    for k in [1, 2, 3] {
        assert!(kinds.contains(&k), "kind {k} missing");
    }
    let services: HashSet<&String> = spans.iter().map(|(s, _)| s).collect();
    assert_eq!(services.len(), 6);
}
