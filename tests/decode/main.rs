//! The input and decode layer end to end: the official OTLP examples decode to
//! the values they hold; every framing (single protobuf, fileexporter stream,
//! whole-file gzip/zstd, per-message zstd, OTLP/JSON documents and lines in all
//! spellings) yields exactly the columns and counts of decoding the original
//! messages directly; `--signal` overrides sniffing; garbage never panics.

#[path = "../decode_support/mod.rs"]
mod decode_support;
#[path = "../otlp_fixtures/mod.rs"]
mod otlp_fixtures;

mod bad_frames;
mod columns;
mod examples;
mod robustness;
mod round_trips;
mod signals;

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use decode_support::*;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use otlp_analytics::columns::Table;
use otlp_analytics::decode::to_columns::to_columns;
use otlp_analytics::decode::{decode_message, unwrap_frame, DecodedFrame, Request, Signal};
use otlp_analytics::input::framing::FrameReader;
use serde_json::Value;

// ---- decoding to columns -----------------------------------------------------------

/// All frames of a byte stream, unwrapped and decoded (no pipeline).
fn decode_stream(bytes: &[u8], forced: Option<Signal>) -> Vec<Request> {
    let reader = FrameReader::new(bytes).expect("framing");
    reader
        .map(|f| {
            let f = f.expect("frame");
            let data = unwrap_frame(f.data).expect("unwrap");
            decode_message(&data, forced)
                .expect("decode")
                .expect("non-empty request")
        })
        .collect()
}

fn decode_one(bytes: &[u8]) -> DecodedFrame {
    let reqs = decode_stream(bytes, None);
    assert_eq!(reqs.len(), 1, "one message");
    to_columns(&reqs[0], 65_536, true)
}

fn table(frame: &DecodedFrame, t: Table) -> RecordBatch {
    let batches: Vec<RecordBatch> = frame
        .tables
        .iter()
        .filter(|b| b.table == t)
        .map(|b| b.batch.clone())
        .collect();
    arrow::compute::concat_batches(&t.schema(), &batches).expect("concat")
}

fn tables_of(frame: &DecodedFrame) -> BTreeMap<Table, RecordBatch> {
    let mut all = Tables::new();
    add_tables(&mut all, &frame.tables);
    concat(&all)
}

// ---- the rich fixtures, varied per frame -------------------------------------------

fn rename_service(resource: &mut Option<Resource>, suffix: &str) {
    if let Some(r) = resource {
        for kv in &mut r.attributes {
            if kv.key == "service.name" {
                if let Some(AnyValue {
                    value: Some(any_value::Value::StringValue(s)),
                }) = &mut kv.value
                {
                    s.push_str(suffix);
                }
            }
        }
    }
}

/// The rich fixture of a signal, changed per frame so frames differ.
fn variant(signal: Signal, i: u64) -> Request {
    let suffix = if i == 0 {
        String::new()
    } else {
        format!("-{i}")
    };
    let shift = i * 1_000_000_007;
    match signal {
        Signal::Traces => {
            let mut r = otlp_fixtures::traces_request();
            for rs in &mut r.resource_spans {
                rename_service(&mut rs.resource, &suffix);
                for ss in &mut rs.scope_spans {
                    for s in &mut ss.spans {
                        s.start_time_unix_nano += shift;
                        s.end_time_unix_nano += shift;
                    }
                }
            }
            Request::Traces(r)
        }
        Signal::Metrics => {
            let mut r = otlp_fixtures::metrics_request();
            for rm in &mut r.resource_metrics {
                rename_service(&mut rm.resource, &suffix);
            }
            Request::Metrics(r)
        }
        Signal::Logs => {
            let mut r = otlp_fixtures::logs_request();
            for rl in &mut r.resource_logs {
                rename_service(&mut rl.resource, &suffix);
                for sl in &mut rl.scope_logs {
                    for l in &mut sl.log_records {
                        l.observed_time_unix_nano += shift;
                        if l.time_unix_nano != 0 {
                            l.time_unix_nano += shift;
                        }
                    }
                }
            }
            Request::Logs(r)
        }
    }
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

fn json_text(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}
