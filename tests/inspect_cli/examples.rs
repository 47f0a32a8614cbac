//! Exact totals of the official examples directory, as JSON and as the table format.

use std::path::Path;

use crate::decode_support::examples_dir;
use crate::fixtures::path_str as s;
use crate::{assert_has, counts, inspect_json, run, size, POINT_TIME, SPAN_END, SPAN_START};

#[test]
fn examples_directory_has_the_exact_totals() {
    let dir = examples_dir();
    let f = |name: &str| dir.join(name);
    let dir_arg = format!("{}/", dir.display());
    let (v, stderr) = inspect_json(&[&dir_arg], None);

    // README, LICENSE, SOURCE and the protobuf text files are skipped with a warning.
    for skipped in [
        "LICENSE",
        "README.md",
        "SOURCE.md",
        "metrics.protobuf-text",
        "trace.protobuf-text",
    ] {
        let line = format!(
            "warning: skipping {}: plain text, not OTLP data",
            dir.join(skipped).display()
        );
        // The walk joins names to the directory as given (with its trailing slash).
        let line_slash = format!("warning: skipping {dir_arg}{skipped}: plain text, not OTLP data");
        assert!(
            stderr.contains(&line) || stderr.contains(&line_slash),
            "{skipped}: {stderr}"
        );
    }

    let inputs = v["inputs"].as_array().expect("inputs array");
    let names: Vec<&str> = inputs
        .iter()
        .map(|i| i["path"].as_str().expect("path"))
        .map(|p| p.rsplit('/').next().expect("file name"))
        .collect();
    assert_eq!(
        names,
        [
            "events.json",
            "logs.json",
            "metrics.json",
            "metrics.protobuf-bin",
            "trace.json",
            "trace.protobuf-bin"
        ]
    );
    for i in inputs {
        let p = Path::new(i["path"].as_str().expect("path"));
        assert!(p.starts_with(&dir), "{}", p.display());
    }

    let point = (POINT_TIME, POINT_TIME);
    let span = (SPAN_START, SPAN_END);
    let want = [
        counts(1, size(&f("events.json")), 1, 1, 0, 0, [0; 5], 1, 1, point),
        counts(1, size(&f("logs.json")), 1, 1, 0, 0, [0; 5], 1, 1, point),
        counts(
            1,
            size(&f("metrics.json")),
            1,
            1,
            0,
            4,
            [1, 1, 1, 1, 0],
            0,
            1,
            point,
        ),
        counts(
            1,
            size(&f("metrics.protobuf-bin")),
            1,
            1,
            0,
            3,
            [1, 1, 1, 0, 0],
            0,
            1,
            point,
        ),
        counts(1, size(&f("trace.json")), 1, 1, 1, 0, [0; 5], 0, 1, span),
        counts(
            1,
            size(&f("trace.protobuf-bin")),
            1,
            1,
            1,
            0,
            [0; 5],
            0,
            1,
            span,
        ),
    ];
    for (got, want) in inputs.iter().zip(&want) {
        assert_has(got["path"].as_str().expect("path"), got, want);
    }
    // The files as committed upstream.
    assert_eq!(
        inputs
            .iter()
            .map(|i| i["bytes"].as_u64().expect("bytes"))
            .collect::<Vec<_>>(),
        [2130, 2718, 4134, 449, 1229, 214]
    );
    let total_bytes: u64 = want
        .iter()
        .map(|w| w["bytes"].as_u64().expect("bytes"))
        .sum();
    assert_eq!(total_bytes, 10_874);
    assert_has(
        "total",
        &v["total"],
        &counts(
            6,
            total_bytes,
            6,
            6,
            2,
            7,
            [2, 2, 2, 1, 0],
            2,
            1,
            (SPAN_START, SPAN_END),
        ),
    );
}

#[test]
fn table_format_prints_a_totals_block() {
    let dir = examples_dir();
    let r = run(&["inspect", s(&dir)], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = &r.stdout;
    let total_at = out.find("\nTOTAL\n").expect("TOTAL line");
    let total = &out[total_at..];
    assert!(
        total.contains("frames 6  bytes 10874  skipped frames 0"),
        "{total}"
    );
    assert!(
        total.contains("resources 6  scopes 6  services 1"),
        "{total}"
    );
    assert!(
        total.contains("spans 2  log records 2  metrics 7  data points 7"),
        "{total}"
    );
    assert!(
        total.contains("points by type: gauge 2, sum 2, histogram 2, exponential_histogram 1"),
        "{total}"
    );
    assert!(total.contains("time range 2018-12-13T14:51:00"), "{total}");
    assert!(total.contains("service names: my.service"), "{total}");
    // One block per input before the total.
    assert!(out.contains(&format!("{}\n", dir.join("trace.json").display())));
}
