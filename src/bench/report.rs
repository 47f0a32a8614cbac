//! What `bench` measured and how it is printed: a table for people, one JSON
//! object for scripts. Throughputs are taken from the median time.

use std::io::Write;

use serde_json::{json, Value};

/// One stage (and backend) timed over several iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct StageResult {
    /// `read`, `decode`, `aggregate` or `write`.
    pub stage: &'static str,
    /// `cpu` / `gpu` for `aggregate`, None for the others.
    pub backend: Option<&'static str>,
    pub rows: u64,
    pub bytes: u64,
    /// Wall-clock seconds of each iteration.
    pub seconds: Vec<f64>,
}

/// Shortest time a throughput is divided by, so a stage too fast for the clock stays finite.
const MIN_SECONDS: f64 = 1e-9;

impl StageResult {
    pub fn seconds_min(&self) -> f64 {
        self.seconds
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(0.0)
    }

    pub fn seconds_median(&self) -> f64 {
        let mut s = self.seconds.clone();
        s.sort_by(f64::total_cmp);
        match s.len() {
            0 => 0.0,
            n if n % 2 == 1 => s[n / 2],
            n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
        }
    }

    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.seconds_median().max(MIN_SECONDS)
    }

    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds_median().max(MIN_SECONDS)
    }

    fn to_json(&self) -> Value {
        json!({
            "stage": self.stage,
            "backend": self.backend,
            "rows": self.rows,
            "bytes": self.bytes,
            "seconds_min": self.seconds_min(),
            "seconds_median": self.seconds_median(),
            "rows_per_s": self.rows_per_s(),
            "mb_per_s": self.mb_per_s(),
        })
    }
}

/// The whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub signal: crate::decode::Signal,
    pub iterations: usize,
    pub threads: usize,
    /// The GPU adapter, when one was found.
    pub adapter: Option<String>,
    /// Whether the adapter is a CPU emulation (e.g. Mesa lavapipe).
    pub adapter_software: bool,
    pub inputs: usize,
    pub frames: u64,
    /// Bytes of the frames after whole-file decompression (the OTLP payload).
    pub frame_bytes: u64,
    pub skipped_frames: u64,
    /// CPU and GPU aggregates agree (true when only the CPU ran).
    pub results_equal: bool,
    /// Why they do not agree, or why the GPU did not run.
    pub note: Option<String>,
    pub stages: Vec<StageResult>,
}

impl BenchReport {
    pub fn to_json(&self) -> Value {
        json!({
            "adapter": self.adapter,
            "threads": self.threads,
            "results_equal": self.results_equal,
            "signal": self.signal.to_string(),
            "iterations": self.iterations,
            "frames": self.frames,
            "frame_bytes": self.frame_bytes,
            "skipped_frames": self.skipped_frames,
            "stages": self.stages.iter().map(StageResult::to_json).collect::<Vec<_>>(),
        })
    }

    pub fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let adapter = match &self.adapter {
            Some(name) if self.adapter_software => {
                format!("{name} (software: a CPU emulation of a GPU)")
            }
            Some(name) => name.clone(),
            None => "none (GPU stage skipped)".to_owned(),
        };
        writeln!(
            out,
            "signal {}, {} inputs, {} frames ({} skipped) holding {} bytes of OTLP, {} iterations",
            self.signal,
            self.inputs,
            self.frames,
            self.skipped_frames,
            self.frame_bytes,
            self.iterations
        )?;
        writeln!(out, "threads: {}   GPU adapter: {adapter}", self.threads)?;
        writeln!(
            out,
            "{:<10} {:<8} {:>12} {:>14} {:>10} {:>10} {:>14} {:>10}",
            "stage", "backend", "rows", "bytes", "min s", "median s", "rows/s", "MB/s"
        )?;
        for s in &self.stages {
            writeln!(
                out,
                "{:<10} {:<8} {:>12} {:>14} {:>10.4} {:>10.4} {:>14.0} {:>10.1}",
                s.stage,
                s.backend.unwrap_or("-"),
                s.rows,
                s.bytes,
                s.seconds_min(),
                s.seconds_median(),
                s.rows_per_s(),
                s.mb_per_s()
            )?;
        }
        writeln!(
            out,
            "bytes: read/decode/aggregate = input bytes read from disk; write = Parquet bytes written"
        )?;
        let verdict = match (&self.note, self.results_equal) {
            (Some(note), false) => format!("CPU and GPU results DIFFER: {note}"),
            (Some(note), true) => note.clone(),
            (None, _) if self.adapter.is_some() => "CPU and GPU results are equal".to_owned(),
            (None, _) => "CPU only (no GPU adapter)".to_owned(),
        };
        writeln!(out, "{verdict}")
    }
}

/// Prints the report as a table, or with `json` as one JSON object.
pub fn write_report(report: &BenchReport, json: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if json {
        writeln!(out, "{}", report.to_json())
    } else {
        report.write_table(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_throughput() {
        let s = StageResult {
            stage: "decode",
            backend: None,
            rows: 100,
            bytes: 2_000_000,
            seconds: vec![3.0, 1.0, 2.0, 4.0],
        };
        assert_eq!(s.seconds_min(), 1.0);
        assert_eq!(s.seconds_median(), 2.5);
        assert_eq!(s.rows_per_s(), 40.0);
        assert_eq!(s.mb_per_s(), 0.8);
        let odd = StageResult {
            seconds: vec![5.0, 1.0, 2.0],
            ..s
        };
        assert_eq!(odd.seconds_median(), 2.0);
    }
}
