//! One case per rule, with the exact report and exit code.

use crate::{example, expected, raw_span, request, sid, span, tid, validate_json, write_proto};

#[test]
fn duplicate_span_id_counts_once_per_id() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 2, 1, "first", 1),
        span(1, 2, 1, "second", 2),
        span(1, 2, 1, "third", 3),
        span(1, 3, 2, "child of 2", 4),
        // The same span id in another trace is no duplicate.
        span(2, 2, 0, "other trace", 0),
    ];
    let path = write_proto(dir.path(), "dup.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![example(&tid(1), &sid(2), "svc", "second")];
    assert_eq!(v, expected(2, 6, &[("duplicate_span_id", 1, ex)]));
}

#[test]
fn end_before_start_counts_each_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = span(1, 2, 1, "backwards", 5);
    bad.end_time_unix_nano = bad.start_time_unix_nano - 1;
    let mut instant = span(1, 3, 1, "instant", 5);
    instant.end_time_unix_nano = instant.start_time_unix_nano;
    let path = write_proto(
        dir.path(),
        "t.pb",
        &request("svc", vec![span(1, 1, 0, "root", 0), bad, instant]),
    );
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![example(&tid(1), &sid(2), "svc", "backwards")];
    assert_eq!(v, expected(1, 3, &[("end_before_start", 1, ex)]));
}

#[test]
fn invalid_id_counts_each_offending_span_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = tid(1);
    let spans = vec![
        raw_span(&t, &sid(1), &[], "root", 0),
        raw_span(&t, &[7, 7, 7], &sid(1), "short span id", 1),
        raw_span(&t, &[], &sid(1), "empty span id", 1),
        raw_span(&t, &[0; 8], &sid(1), "zero span id", 1),
        // A parent of the wrong length is invalid; this one names the short span, so it is no orphan.
        raw_span(&t, &sid(5), &[7, 7, 7], "short parent id", 2),
        raw_span(&[0; 16], &sid(1), &[], "zero trace id", 0),
        raw_span(&[9; 8], &sid(1), &[], "short trace id", 0),
        raw_span(&[], &sid(1), &[], "empty trace id", 0),
        // Two bad ids on one span still count once.
        raw_span(&[], &[1], &[], "everything wrong", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &["--examples", "4"]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&t, &[7, 7, 7], "svc", "short span id"),
        example(&t, &[], "svc", "empty span id"),
        example(&t, &[0; 8], "svc", "zero span id"),
        example(&t, &sid(5), "svc", "short parent id"),
    ];
    // Spans with an empty trace id are one trace (two roots there).
    let roots = vec![example(&[], &[1], "svc", "everything wrong")];
    assert_eq!(
        v,
        expected(4, 9, &[("invalid_id", 8, ex), ("multiple_roots", 1, roots)])
    );
}

#[test]
fn orphans_are_spans_whose_parent_is_not_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 3, 2, "lost child", 1),
        span(1, 4, 3, "grandchild", 2),
        // Only orphans: no root at all, which is not multiple_roots.
        span(2, 5, 9, "orphan a", 0),
        span(2, 6, 9, "orphan b", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(3), "svc", "lost child"),
        example(&tid(2), &sid(5), "svc", "orphan a"),
        example(&tid(2), &sid(6), "svc", "orphan b"),
    ];
    assert_eq!(v, expected(2, 5, &[("orphan_span", 3, ex)]));
}

#[test]
fn multiple_roots_count_once_per_trace() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root a", 0),
        span(1, 2, 0, "root b", 0),
        span(1, 3, 0, "root c", 0),
        raw_span(&tid(2), &sid(1), &[0; 8], "zero parent root", 0),
        span(2, 2, 0, "empty parent root", 0),
        span(3, 1, 0, "single root", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(2), "svc", "root b"),
        example(&tid(2), &sid(2), "svc", "empty parent root"),
    ];
    assert_eq!(v, expected(3, 6, &[("multiple_roots", 2, ex)]));
}

#[test]
fn parent_cycles_count_once_each_and_are_not_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 0),
        span(1, 2, 3, "loop a", 0),
        span(1, 3, 4, "loop b", 0),
        span(1, 4, 2, "loop c", 0),
        span(1, 5, 4, "below the loop", 0),
        span(1, 6, 6, "own parent", 0),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(1), &sid(2), "svc", "loop a"),
        example(&tid(1), &sid(6), "svc", "own parent"),
    ];
    assert_eq!(v, expected(1, 6, &[("parent_cycle", 2, ex)]));
}

#[test]
fn child_starts_before_parent_honours_skew() {
    let dir = tempfile::tempdir().unwrap();
    let spans = vec![
        span(1, 1, 0, "root", 100),
        span(1, 2, 1, "5ms early", 95),
        span(1, 3, 1, "on time", 100),
        span(1, 4, 3, "20ms early", 80),
    ];
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let early = example(&tid(1), &sid(2), "svc", "5ms early");
    let very_early = example(&tid(1), &sid(4), "svc", "20ms early");

    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        expected(
            1,
            4,
            &[(
                "child_starts_before_parent",
                2,
                vec![early, very_early.clone()]
            )]
        )
    );
    let (code, v) = validate_json(&path, &["--skew", "5ms"]);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        expected(1, 4, &[("child_starts_before_parent", 1, vec![very_early])])
    );
    let (code, v) = validate_json(&path, &["--skew", "20ms"]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(1, 4, &[]));
}
