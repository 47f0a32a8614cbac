//! Whole reports: traces checked whole across frames and files, independent of
//! the thread count, limited examples, and the official example.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::json;

use crate::{
    example, expected, official_trace, request, sid, span, tid, validate, validate_json,
    write_proto, write_stream,
};

/// `traces` traces, each a chain 12 deep with 28 more spans hanging off it,
/// spread over frames so that children often come before their parents.
fn deep_traces(traces: u8) -> Vec<ExportTraceServiceRequest> {
    let mut frames: Vec<Vec<Span>> = vec![Vec::new(); 3];
    for t in 1..=traces {
        for i in 1..=40u8 {
            let parent = match i {
                1 => 0,
                2..=12 => i - 1,
                _ => i % 12 + 1,
            };
            let s = span(t, i, parent, &format!("op {i}"), u64::from(i));
            frames[usize::from(i % 3)].push(s);
        }
    }
    frames
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, spans)| request(&format!("svc{i}"), spans))
        .collect()
}

#[test]
fn clean_deep_trees_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_stream(dir.path(), "deep.otlp", &deep_traces(5));
    let (code, v) = validate_json(&path, &[]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(5, 200, &[]));
    let run = validate([path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("checked 5 traces, 200 spans: ok\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_trace_split_over_two_files_is_checked_whole() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = <[ExportTraceServiceRequest; 3]>::try_from(deep_traces(2)).unwrap();
    let first = write_stream(dir.path(), "1.otlp", &[a, b]);
    let second = write_proto(dir.path(), "2.pb", &c);
    let run = validate([
        "--format",
        "json",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json(), expected(2, 80, &[]));
    // A directory is read whole too.
    let (code, v) = validate_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(v, expected(2, 80, &[]));
    // Read alone, the second file's spans lose the parents that live in the
    // first: it holds spans i = 3, 6, ..., 39 and each of their parents
    // (i - 1, or i % 12 + 1) is not a multiple of 3, so all 13 are orphans.
    let (code, v) = validate_json(&second, &["--examples", "0"]);
    assert_eq!(code, 1);
    assert_eq!(v["violations"]["orphan_span"], 2 * 13);
    assert_eq!(v["violations"]["multiple_roots"], 0);
    assert_eq!(v["traces_checked"], 2);
    assert_eq!(v["examples"]["orphan_span"], json!([]));
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut frames = Vec::new();
    for f in 0..6u8 {
        // Broken on purpose: every trace is split over frames, many spans are orphans.
        let spans = (0..50u8)
            .map(|i| {
                let parent = (u16::from(i) * 7 % 60) as u8;
                span(
                    i % 13,
                    f * 40 + i % 40,
                    parent,
                    &format!("op {f}/{i}"),
                    u64::from(i),
                )
            })
            .collect();
        frames.push(request(&format!("svc{f}"), spans));
    }
    let path = write_stream(dir.path(), "messy.otlp", &frames);
    let outputs: Vec<String> = ["1", "2", "7"]
        .iter()
        .map(|threads| {
            validate([
                "--format",
                "json",
                "--threads",
                threads,
                path.to_str().unwrap(),
            ])
            .stdout
        })
        .collect();
    assert!(outputs[0].contains("orphan_span"));
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn examples_are_limited_and_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let spans = (1..=10u8)
        .rev()
        .map(|t| span(t, 2, 1, &format!("orphan {t}"), 0))
        .collect();
    let path = write_proto(dir.path(), "t.pb", &request("svc", spans));
    let (code, v) = validate_json(&path, &["--examples", "2"]);
    assert_eq!(code, 1);
    let ex = vec![
        example(&tid(10), &sid(2), "svc", "orphan 10"),
        example(&tid(9), &sid(2), "svc", "orphan 9"),
    ];
    assert_eq!(v, expected(10, 10, &[("orphan_span", 10, ex)]));
}

#[test]
fn official_example_has_one_orphan() {
    // Its single span names parent eee19b7ec3c1b173, which the file does not hold.
    let (code, v) = validate_json(&official_trace(), &[]);
    assert_eq!(code, 1);
    let ex = json!({
        "trace_id": "5b8efff798038103d269b633813fc60c",
        "span_id": "eee19b7ec3c1b174",
        "service": "my.service",
        "name": "I'm a server span",
    });
    assert_eq!(v, expected(1, 1, &[("orphan_span", 1, vec![ex])]));

    let run = validate([official_trace()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("checked 1 trace, 1 span: 1 violation\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "orphan_span:\n  trace 5b8efff798038103d269b633813fc60c  span eee19b7ec3c1b174  service my.service  name \"I'm a server span\"\n"
    ));
}
