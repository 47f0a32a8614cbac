//! Hostile and awkward inputs through the real binary, in every reading
//! command (`inspect`, `aggregate` with and without `--window`, `convert`,
//! `validate`) at 1, 2 and 8 threads: zstd bombs stopped at
//! `--max-frame-bytes` in bounded memory, and directory walks over symlinks.

#[path = "../fixtures/mod.rs"]
mod fixtures;

mod bombs;
mod budget;
mod large_json;
mod walk;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use fixtures::{resource, span, traces, SEC, T0};
use prost::Message;
use serde_json::Value;

const THREADS: [usize; 3] = [1, 2, 8];

/// One finished run of the binary, with its peak resident memory.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    max_rss_bytes: u64,
}

/// Runs the binary and reaps it with `wait4`, which reports that one child's
/// peak RSS (`getrusage(RUSAGE_CHILDREN)` would mix in other tests' children).
fn run_measured(args: &[String]) -> Run {
    #[expect(clippy::zombie_processes, reason = "reaped by wait4 below")]
    let mut child = Command::new(env!("CARGO_BIN_EXE_otlp-analytics"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start binary");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            r.read_to_string(&mut s).expect("utf-8 output");
            s
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills both out-parameters for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status),
        "{args:?} was killed (status {status})"
    );
    Run {
        code: libc::WEXITSTATUS(status),
        stdout: stdout.join().expect("stdout thread"),
        stderr: stderr.join().expect("stderr thread"),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: u64::try_from(usage.ru_maxrss).expect("rss") * 1024,
    }
}

/// The reading commands under test.
#[derive(Debug, Clone, Copy)]
enum Cmd {
    Inspect,
    Aggregate,
    AggregateWindow,
    Convert,
    Validate,
}

const COMMANDS: [Cmd; 5] = [
    Cmd::Inspect,
    Cmd::Aggregate,
    Cmd::AggregateWindow,
    Cmd::Convert,
    Cmd::Validate,
];

impl Cmd {
    /// The command line; `out` is a fresh directory for `convert`'s tables.
    fn args(self, inputs: &[&Path], threads: usize, extra: &[&str], out: &Path) -> Vec<String> {
        let mut a: Vec<String> = match self {
            Cmd::Inspect => vec!["inspect", "--format", "json"],
            Cmd::Aggregate => vec![
                "aggregate",
                "--signal",
                "traces",
                "--format",
                "json",
                "--backend",
                "cpu",
            ],
            Cmd::AggregateWindow => vec![
                "aggregate",
                "--signal",
                "traces",
                "--format",
                "json",
                "--backend",
                "cpu",
                "--window",
                "1m",
            ],
            Cmd::Convert => vec!["convert", "-o"],
            Cmd::Validate => vec!["validate", "--format", "json"],
        }
        .into_iter()
        .map(String::from)
        .collect();
        if let Cmd::Convert = self {
            a.push(out.join("tables").display().to_string());
        }
        a.extend(inputs.iter().map(|p| p.display().to_string()));
        a.extend(["--threads".to_string(), threads.to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// How many spans the command saw, from its own output.
    fn spans_read(self, run: &Run, out: &Path) -> u64 {
        let json = || -> Value { serde_json::from_str(&run.stdout).expect("one JSON object") };
        match self {
            Cmd::Inspect => json()["total"]["spans"].as_u64().expect("spans"),
            Cmd::Aggregate | Cmd::AggregateWindow => run
                .stdout
                .lines()
                .map(|l| {
                    let row: Value = serde_json::from_str(l).expect("JSON row");
                    if let Cmd::AggregateWindow = self {
                        assert!(row["window_start"].is_u64(), "{row}");
                    }
                    row["span_count"].as_u64().expect("span_count")
                })
                .sum(),
            Cmd::Convert => {
                let file =
                    std::fs::File::open(out.join("tables/spans.parquet")).expect("spans.parquet");
                let reader =
                    parquet::file::reader::SerializedFileReader::new(file).expect("parquet");
                let rows = parquet::file::reader::FileReader::metadata(&reader)
                    .file_metadata()
                    .num_rows();
                u64::try_from(rows).expect("rows")
            }
            Cmd::Validate => {
                let v = json();
                assert_eq!(
                    v["traces_checked"].as_u64().map(|t| t * 2),
                    v["spans_checked"].as_u64()
                );
                v["spans_checked"].as_u64().expect("spans_checked")
            }
        }
    }
}

/// Frame `i` of a clean trace stream: trace `i + 1` with a root and one child,
/// `i` seconds after T0 (so validate finds nothing and `--window 1m` has rows).
fn trace_frame(i: u8) -> Vec<u8> {
    let start = T0 + u64::from(i) * SEC;
    let spans = vec![
        span(i + 1, 1, 0, "root", 2, start, 500, false),
        span(i + 1, 2, 1, "child", 3, start + 10, 100, false),
    ];
    traces(vec![(resource("svc", vec![]), spans)]).encode_to_vec()
}

/// Length-prefixed stream ([u32 BE length][message]...), as the fileexporter writes.
fn length_prefixed(msgs: &[Vec<u8>]) -> Vec<u8> {
    fixtures::frames(msgs)
}

/// `trace_frame(i)` padded with an unknown field (number 15, LEN), which the
/// decoder skips, to at least `pad` bytes more.
fn padded_trace_frame(i: u8, pad: usize) -> Vec<u8> {
    let mut frame = trace_frame(i);
    frame.push(0x7a);
    let mut n = pad;
    while n >= 0x80 {
        frame.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    frame.push(n as u8);
    frame.resize(frame.len() + pad, b'x');
    frame
}

/// zstd as a streaming encoder writes it: no decompressed size in the header.
fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}
