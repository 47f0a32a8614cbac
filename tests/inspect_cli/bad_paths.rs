//! Bad paths: empty files, unreadable files and directories without OTLP data
//! exit 2 naming them (an empty file next to data is only a warning).

use crate::decode_support::length_prefixed;
use crate::fixtures::path_str as s;
use crate::{inspect_fails, inspect_json, trace_frames};

#[test]
fn empty_file_warns_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("empty.otlp");
    std::fs::write(&p, b"").expect("write");
    let err = inspect_fails(&[s(&p)], None);
    assert!(
        err.contains(&format!("warning: {}: empty input", p.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("error: no OTLP data in {}", p.display())),
        "{err}"
    );
    // An empty stdin alike.
    let err = inspect_fails(&["-"], Some(Vec::new()));
    assert!(err.contains("error: no OTLP data in <stdin>"), "{err}");
}

#[test]
fn an_empty_file_next_to_data_is_only_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("a-empty.otlp");
    let data = dir.path().join("b-data.otlp");
    std::fs::write(&empty, b"").expect("write");
    std::fs::write(&data, length_prefixed(&trace_frames(1))).expect("write");
    let (v, stderr) = inspect_json(&[s(dir.path())], None);
    assert!(
        stderr.contains(&format!("warning: {}: empty input", empty.display())),
        "{stderr}"
    );
    assert_eq!(v["inputs"][0]["frames"], 0);
    assert_eq!(v["inputs"][0]["bytes"], 0);
    assert_eq!(v["total"]["spans"], 2);
}

#[test]
fn unreadable_paths_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("does-not-exist.otlp");
    let err = inspect_fails(&[s(&missing)], None);
    assert!(
        err.contains(&format!("error: {}: ", missing.display())),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");

    // A file without read permission (root reads everything: skipped there).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.otlp");
        std::fs::write(&locked, length_prefixed(&trace_frames(1))).expect("write");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::File::open(&locked).is_err() {
            let err = inspect_fails(&[s(&locked)], None);
            assert!(
                err.contains(&format!("error: {}: ", locked.display())),
                "{err}"
            );
            assert!(err.contains("Permission denied"), "{err}");
        }
    }
}

#[test]
fn a_directory_without_otlp_files_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("notes");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(sub.join("README.txt"), b"just some notes\n").expect("write");
    std::fs::create_dir(sub.join("nested")).expect("mkdir");
    let err = inspect_fails(&[s(&sub)], None);
    assert!(err.contains("warning: skipping"), "{err}");
    assert!(
        err.contains("README.txt: plain text, not OTLP data"),
        "{err}"
    );
    assert!(
        err.contains(&format!("error: no OTLP data in {}", sub.display())),
        "{err}"
    );
    // A directory with nothing at all.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = inspect_fails(&[s(&empty)], None);
    assert!(
        err.contains(&format!("error: no OTLP data in {}", empty.display())),
        "{err}"
    );
}
