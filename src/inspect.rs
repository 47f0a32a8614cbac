//! `inspect`: what is in a dump, per input and in total.

use std::io::Write;

use serde_json::{json, Map, Value};

use crate::cli::{InspectArgs, InspectFormat};
use crate::decode::{FrameStats, PointType};
use crate::error::{Error, Result};
use crate::input::{expand_inputs_with, InputSource};
use crate::pipeline::{self, Event, PipelineOptions};

/// Counts for one input (or the total).
#[derive(Debug, Clone, Default)]
pub struct InspectCounts {
    pub frames: u64,
    pub bytes: u64,
    pub skipped_frames: u64,
    pub stats: FrameStats,
}

impl InspectCounts {
    fn merge(&mut self, o: &InspectCounts) {
        self.frames += o.frames;
        self.bytes += o.bytes;
        self.skipped_frames += o.skipped_frames;
        self.stats.merge(&o.stats);
    }

    pub fn to_json(&self) -> Value {
        let s = &self.stats;
        let by_type: Map<String, Value> = PointType::ALL
            .iter()
            .map(|t| (t.name().to_owned(), json!(s.points[*t as usize])))
            .collect();
        json!({
            "frames": self.frames,
            "bytes": self.bytes,
            "skipped_frames": self.skipped_frames,
            "resources": s.resources,
            "scopes": s.scopes,
            "spans": s.spans,
            "metrics": s.metrics,
            "data_points": s.data_points(),
            "data_points_by_type": by_type,
            "log_records": s.log_records,
            "services": s.services.len(),
            "service_names": s.services.iter().collect::<Vec<_>>(),
            "time_min": s.time_min,
            "time_max": s.time_max,
        })
    }
}

pub struct InspectReport {
    pub inputs: Vec<(InputSource, InspectCounts)>,
    pub total: InspectCounts,
}

/// Counts every input through the pipeline (no columns are built).
pub fn inspect(args: &InspectArgs) -> Result<InspectReport> {
    let sources = expand_inputs_with(&args.input.inputs, args.input.walk())?;
    let mut opts = PipelineOptions::from_args(&args.input);
    opts.build_columns = false;
    // Parquet input is still read as columns: counts need no attribute maps.
    opts.projection = crate::columns::Projection::LEAN;
    opts.forced_signal = args.signal.map(Into::into);
    let mut per_input = vec![InspectCounts::default(); sources.len()];
    pipeline::run(
        &sources,
        &opts,
        |_| Ok(()),
        |event| {
            match event {
                Event::Frame { input, decoded, .. } => {
                    per_input[input].frames += 1;
                    per_input[input].stats.merge(&decoded.stats);
                }
                Event::Skipped { input, .. } => per_input[input].skipped_frames += 1,
                Event::InputEnd { input, bytes, .. } => {
                    per_input[input].bytes = bytes;
                    if per_input[input].frames == 0 && per_input[input].skipped_frames == 0 {
                        eprintln!("warning: {}: empty input", sources[input].display());
                    }
                }
            }
            Ok(())
        },
    )?;
    let mut total = InspectCounts::default();
    per_input.iter().for_each(|c| total.merge(c));
    let records = total.stats.spans + total.stats.data_points() + total.stats.log_records;
    if records == 0 && total.stats.resources == 0 && total.skipped_frames == 0 {
        let names: Vec<String> = sources.iter().map(InputSource::display).collect();
        return Err(Error::NoData(names.join(", ")));
    }
    Ok(InspectReport {
        inputs: sources.into_iter().zip(per_input).collect(),
        total,
    })
}

fn time_text(t: Option<u64>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| crate::export::format::rfc3339_nanos(t as i64),
    )
}

pub fn write_report(
    report: &InspectReport,
    format: InspectFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        InspectFormat::Json => {
            let inputs: Vec<Value> = report
                .inputs
                .iter()
                .map(|(src, c)| {
                    let mut v = c.to_json();
                    v["path"] = json!(src.display());
                    v
                })
                .collect();
            writeln!(
                out,
                "{}",
                json!({ "total": report.total.to_json(), "inputs": inputs })
            )
        }
        InspectFormat::Table => {
            let mut rows: Vec<(String, &InspectCounts)> = report
                .inputs
                .iter()
                .map(|(s, c)| (s.display(), c))
                .collect();
            rows.push(("TOTAL".to_owned(), &report.total));
            for (name, c) in rows {
                let s = &c.stats;
                writeln!(out, "{name}")?;
                writeln!(
                    out,
                    "  frames {}  bytes {}  skipped frames {}",
                    c.frames, c.bytes, c.skipped_frames
                )?;
                writeln!(
                    out,
                    "  resources {}  scopes {}  services {}",
                    s.resources,
                    s.scopes,
                    s.services.len()
                )?;
                writeln!(
                    out,
                    "  spans {}  log records {}  metrics {}  data points {}",
                    s.spans,
                    s.log_records,
                    s.metrics,
                    s.data_points()
                )?;
                let by_type: Vec<String> = PointType::ALL
                    .iter()
                    .filter(|t| s.points[**t as usize] > 0)
                    .map(|t| format!("{} {}", t.name(), s.points[*t as usize]))
                    .collect();
                if !by_type.is_empty() {
                    writeln!(out, "  points by type: {}", by_type.join(", "))?;
                }
                writeln!(
                    out,
                    "  time range {} .. {}",
                    time_text(s.time_min),
                    time_text(s.time_max)
                )?;
                if !s.services.is_empty() {
                    let names: Vec<&str> = s.services.iter().map(String::as_str).collect();
                    writeln!(out, "  service names: {}", names.join(", "))?;
                }
            }
            Ok(())
        }
    }
}
