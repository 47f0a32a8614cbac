//! `ExportLogsServiceRequest` on the wire → the `logs` table.

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::logs::{LogBuilder, LogFields};
use crate::columns::value::AnyRef;
use crate::columns::{Projection, Table, TableBatch};
use crate::decode::DecodedFrame;

use super::common::{any_value, attribute, walk, RecordVisitor, RenderContext};
use super::{check_time, Msg, Result};

struct Logs<'o> {
    builder: LogBuilder,
    build: bool,
    batch_rows: usize,
    out: &'o mut DecodedFrame,
}

pub(super) fn decode(
    root: Msg<'_>,
    projection: Option<Projection>,
    batch_rows: usize,
    out: &mut DecodedFrame,
) -> Result<()> {
    let p = projection.unwrap_or(Projection::LEAN);
    let render = RenderContext {
        resource: projection.is_some() && p.resource_attributes,
        scope: projection.is_some() && p.scope_attributes,
    };
    let mut stats = std::mem::take(&mut out.stats);
    let mut v = Logs {
        builder: LogBuilder::new(p),
        build: projection.is_some(),
        batch_rows,
        out,
    };
    walk(
        root,
        ["ResourceLogs", "ScopeLogs", "LogRecord"],
        render,
        &mut stats,
        &mut v,
    )?;
    stats.merge(&v.out.stats);
    v.out.stats = stats;
    if !v.builder.is_empty() {
        let batch = v.builder.finish();
        v.out.tables.push(TableBatch {
            table: Table::Logs,
            batch,
        });
    }
    Ok(())
}

impl<'a> RecordVisitor<'a> for Logs<'_> {
    fn record(&mut self, r: &ResourceContext, s: &ScopeContext, m: Msg<'a>) -> Result<()> {
        let b = &mut self.builder;
        let keep_attributes = self.build && b.keeps_attributes();
        let mut log = LogFields::default();
        let mut f = m.fields();
        while let Some(fld) = f.next()? {
            match fld.num {
                1 => log.time_unix_nano = fld.fixed64("LogRecord.time_unix_nano")?,
                11 => {
                    log.observed_time_unix_nano =
                        fld.fixed64("LogRecord.observed_time_unix_nano")?
                }
                2 => log.severity_number = fld.i32("LogRecord.severity_number")?,
                3 => log.severity_text = fld.str("LogRecord.severity_text")?,
                5 => any_value(
                    fld.msg("LogRecord.body")?,
                    log.body.get_or_insert(AnyRef::Empty),
                )?,
                6 => {
                    let m = fld.msg("LogRecord.attributes")?;
                    if keep_attributes {
                        let (k, v) = attribute(m)?;
                        b.attribute(k, &v);
                    }
                }
                7 => {
                    log.dropped_attributes_count = fld.u32("LogRecord.dropped_attributes_count")?
                }
                8 => log.flags = fld.fixed32("LogRecord.flags")?,
                9 => log.trace_id = fld.bytes("LogRecord.trace_id")?,
                10 => log.span_id = fld.bytes("LogRecord.span_id")?,
                12 => log.event_name = fld.str("LogRecord.event_name")?,
                _ => {}
            }
        }
        let stats = &mut self.out.stats;
        stats.log_records += 1;
        let time = check_time("time_unix_nano", log.time_unix_nano)?;
        let observed = check_time("observed_time_unix_nano", log.observed_time_unix_nano)?;
        stats.see_time(if time != 0 { time } else { observed });
        if self.build {
            b.end_record(r, s, &log);
            if b.len() >= self.batch_rows {
                let batch = b.finish();
                self.out.tables.push(TableBatch {
                    table: Table::Logs,
                    batch,
                });
            }
        }
        Ok(())
    }
}
