//! Directory inputs walked as ripgrep does: symlinked directories are not
//! entered unless `--follow` (then loops are detected and reported), a
//! symlinked file is read once, and long runs of skipped files are summarised.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::{length_prefixed, run_measured, trace_frame, Cmd, COMMANDS, THREADS};

/// `root/data/` holds one dump (2 traces) plus `self -> .`, `up -> ..` and
/// `other -> ../elsewhere`; `root/outside.otlp` and `root/elsewhere/x.otlp`
/// (1 trace each) lie outside it. Returns `root/data`.
fn looping_dir(root: &Path) -> PathBuf {
    let data = root.join("data");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::write(
        data.join("dump.otlp"),
        length_prefixed(&[trace_frame(0), trace_frame(1)]),
    )
    .expect("write");
    std::fs::write(
        root.join("outside.otlp"),
        length_prefixed(&[trace_frame(2)]),
    )
    .expect("write");
    std::fs::write(elsewhere.join("x.otlp"), length_prefixed(&[trace_frame(3)])).expect("write");
    symlink(".", data.join("self")).expect("symlink");
    symlink("..", data.join("up")).expect("symlink");
    symlink("../elsewhere", data.join("other")).expect("symlink");
    data
}

fn input_paths(stdout: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("json");
    v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["path"].as_str().expect("path").to_string())
        .collect()
}

#[test]
fn symlinked_directories_are_not_followed_by_default() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = looping_dir(root.path());
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&data], threads, &[], out.path()));
            let what = format!("{cmd:?} --threads {threads}");
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            // Only the dump inside: 2 traces of 2 spans, nothing from outside.
            assert_eq!(cmd.spans_read(&r, out.path()), 4, "{what}");
            for link in ["other", "self", "up"] {
                let line = format!(
                    "warning: skipping {}: symlinked directory, not followed (use --follow)",
                    data.join(link).display()
                );
                assert!(r.stderr.contains(&line), "{what}: {}", r.stderr);
            }
            if let Cmd::Inspect = cmd {
                assert_eq!(
                    input_paths(&r.stdout),
                    [data.join("dump.otlp").display().to_string()]
                );
            }
        }
    }
}

#[test]
fn follow_enters_symlinked_directories_and_reports_loops() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = looping_dir(root.path());
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&data], threads, &["--follow"], out.path()));
            let what = format!("{cmd:?} --threads {threads}");
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            // `self` leads back to data/, `up` to its parent (an ancestor of the walk's root).
            let canonical = root.path().canonicalize().expect("canonical root");
            for (link, ancestor) in [("self", data.clone()), ("up", canonical)] {
                let line = format!(
                    "warning: skipping {}: symlink loop (leads back to {}), not followed",
                    data.join(link).display(),
                    ancestor.display()
                );
                assert!(r.stderr.contains(&line), "{what}: {}", r.stderr);
            }
            // The dump once, and elsewhere/x.otlp through `other` (as asked); not outside.otlp.
            assert_eq!(cmd.spans_read(&r, out.path()), 6, "{what}");
            if let Cmd::Inspect = cmd {
                assert_eq!(
                    input_paths(&r.stdout),
                    [
                        data.join("dump.otlp").display().to_string(),
                        data.join("other").join("x.otlp").display().to_string()
                    ]
                );
            }
        }
    }
}

#[test]
fn a_symlinked_file_is_read_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::write(data.join("a.otlp"), length_prefixed(&[trace_frame(0)])).expect("write");
    symlink("a.otlp", data.join("b.otlp")).expect("symlink");
    std::fs::write(elsewhere.join("c.otlp"), length_prefixed(&[trace_frame(1)])).expect("write");
    symlink(elsewhere.join("c.otlp"), data.join("c-link.otlp")).expect("symlink");
    symlink("missing.otlp", data.join("dangling.otlp")).expect("symlink");
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&data], threads, &[], out.path()));
            let what = format!("{cmd:?} --threads {threads}");
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            // a.otlp once (not again as b.otlp) and c.otlp through its link.
            assert_eq!(cmd.spans_read(&r, out.path()), 4, "{what}");
            let same = format!(
                "warning: skipping {}: same file as one already read",
                data.join("b.otlp").display()
            );
            assert!(r.stderr.contains(&same), "{what}: {}", r.stderr);
            let broken = format!(
                "warning: skipping {}: broken symlink",
                data.join("dangling.otlp").display()
            );
            assert!(r.stderr.contains(&broken), "{what}: {}", r.stderr);
        }
    }
    // A file given by name and found again in a directory is read once too.
    let out = tempfile::tempdir().expect("tempdir");
    let r = run_measured(&Cmd::Inspect.args(&[&data.join("a.otlp"), &data], 1, &[], out.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(Cmd::Inspect.spans_read(&r, out.path()), 4);
}

#[test]
fn a_long_run_of_skipped_files_is_summarised() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    for i in 0..40 {
        std::fs::write(
            data.join(format!("note-{i:02}.txt")),
            b"not OTLP, just notes\n",
        )
        .expect("write");
    }
    for i in 0..3 {
        std::fs::create_dir(root.path().join(format!("sub{i}"))).expect("mkdir");
        symlink(
            root.path().join(format!("sub{i}")),
            data.join(format!("z-link{i}")),
        )
        .expect("symlink");
    }
    std::fs::write(data.join("dump.otlp"), length_prefixed(&[trace_frame(0)])).expect("write");
    for cmd in COMMANDS {
        for threads in THREADS {
            let out = tempfile::tempdir().expect("tempdir");
            let r = run_measured(&cmd.args(&[&data], threads, &[], out.path()));
            let what = format!("{cmd:?} --threads {threads}");
            assert_eq!(r.code, 0, "{what}: {}", r.stderr);
            assert_eq!(cmd.spans_read(&r, out.path()), 2, "{what}");
            let named: Vec<&str> = r
                .stderr
                .lines()
                .filter(|l| l.starts_with("warning: skipping"))
                .collect();
            assert_eq!(named.len(), 8, "{what}: {}", r.stderr);
            assert!(
                named[0].ends_with("note-00.txt: plain text, not OTLP data"),
                "{what}: {}",
                r.stderr
            );
            assert!(
                r.stderr.contains(
                    "warning: … and 35 more skipped (32 plain text, 3 symlinked directories)"
                ),
                "{what}: {}",
                r.stderr
            );
        }
    }
}
