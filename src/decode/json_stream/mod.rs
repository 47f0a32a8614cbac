//! The streaming OTLP/JSON parser: serde visitors over the frame's text
//! (serde_json, strings borrowed unless escaped) that append straight into
//! the column builders the protobuf parser fills; no `serde_json::Value`
//! tree, no prost messages. Keys are lowerCamelCase or snake_case, 64-bit
//! integers strings or numbers, enums names or numbers, ids hex; unknown
//! keys are skipped and `null` is absent. A field error names its path
//! (`resourceSpans[0].scopeSpans[0].spans[3].kind`).
//!
//! The text is read once. A resource's and a scope's own fields (and a
//! metric's name, a sum's temporality) may follow their records, so records
//! are appended without them and the builders fill those columns when the
//! enclosing object closes (`common::ResourceFields`).
//!
//! Where the OTLP/JSON is not well-formed the tree decoder (`json`) and this
//! parser may differ in which of two values they keep: a key given twice or
//! in both spellings (here the last non-null scalar wins and repeated fields
//! concatenate), or a oneof with several members (here the first data kind
//! of a metric wins).

mod common;
mod logs;
mod metrics;
mod scalar;
mod split;
#[cfg(test)]
mod tests;
mod traces;
mod visit;

use std::fmt::Write as _;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};

use crate::columns::metrics::MetricBuilders;
use crate::columns::{logs::LogBuilder, spans::SpanBuilder, Projection, Table, TableBatch};
use crate::decode::to_columns::flush_metrics;
use crate::decode::{DecodedFrame, Signal};
use crate::error::FrameProblem;

use scalar::{Scalar, ScalarSeed};
use visit::{leaf_items, obj_items, List, Obj};

const NOT_AN_OBJECT: &str = "an export request must be a JSON object";

/// Decodes one OTLP/JSON request into columns (`projection` None: counts
/// only; `only_signal`: build columns only for that signal). `forced` names
/// the signal the request must hold (an object with no signal key is then an
/// empty request of it).
pub fn decode(
    data: &[u8],
    forced: Option<Signal>,
    projection: Option<Projection>,
    only_signal: Option<Signal>,
    batch_rows: usize,
) -> Result<DecodedFrame, FrameProblem> {
    let params = Params {
        forced,
        wanted: projection,
        only_signal,
        batch_rows: batch_rows.max(1),
    };
    decode_split(data, params, crate::decode::split::SPLIT_MIN_BYTES)
}

/// What a frame is decoded for; a split request's runs share it.
#[derive(Clone, Copy)]
pub(crate) struct Params {
    pub forced: Option<Signal>,
    /// Columns asked for (None: counts only).
    pub wanted: Option<Projection>,
    pub only_signal: Option<Signal>,
    pub batch_rows: usize,
}

/// `decode`, reading a request of at least `split_min_bytes` on every
/// thread of the current rayon pool (see `split`).
pub(crate) fn decode_split(
    data: &[u8],
    params: Params,
    split_min_bytes: usize,
) -> Result<DecodedFrame, FrameProblem> {
    // Checked once here, so that skipped values are valid UTF-8 too and
    // serde_json reads the strings it parses without checking them again.
    let text = std::str::from_utf8(data).map_err(|e| {
        FrameProblem::InvalidJson(format!("invalid UTF-8 at byte {}", e.valid_up_to()))
    })?;
    let threads = rayon::current_num_threads();
    if text.len() >= split_min_bytes && threads > 1 {
        return split::decode(text, params, threads);
    }
    decode_whole(text, params)
}

/// Reads a request's text on this thread.
fn decode_whole(text: &str, params: Params) -> Result<DecodedFrame, FrameProblem> {
    let mut ctx = Ctx::new(params);
    read_request(&mut ctx, text, &mut common::Request)?;
    ctx.finish();
    Ok(ctx.out)
}

/// Reads a whole request's text with `fields` for its top-level keys.
fn read_request<'de, F: Fields<'de>>(
    ctx: &mut Ctx,
    text: &'de str,
    fields: &mut F,
) -> Result<(), FrameProblem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Obj {
        ctx: &mut *ctx,
        fields,
    }
    .deserialize(&mut de)
    .and_then(|present| {
        if !present {
            return Err(ctx.problem(FrameProblem::InvalidJson(NOT_AN_OBJECT.into())));
        }
        de.end()
    });
    if let Err(e) = parsed {
        // A syntax error's text is serde_json's, with line and column.
        return Err(ctx
            .error
            .take()
            .unwrap_or_else(|| FrameProblem::InvalidJson(e.to_string())));
    }
    if let (Some(forced), false, Some(found)) = (ctx.forced, ctx.forced_seen, ctx.other_seen) {
        // The tree decoder reads the signal from the keys present: another one.
        return Err(FrameProblem::SignalMismatch { forced, found });
    }
    Ok(())
}

/// Builders of the frame's signal, created when the signal is known.
enum Sink {
    None,
    Traces(Box<SpanBuilder>),
    Logs(Box<LogBuilder>),
    Metrics(Box<MetricBuilders>),
}

#[derive(Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Parser state shared by every visitor: where it is, the first field
/// error, and the column sink.
struct Ctx {
    path: Vec<Seg>,
    /// The problem to report; a serde error only unwinds the parse.
    error: Option<FrameProblem>,
    forced: Option<Signal>,
    /// Whether the forced signal's key was present.
    forced_seen: bool,
    /// The first-ranked other signal key seen under a forced signal.
    other_seen: Option<Signal>,
    /// Columns asked for, and those built for the frame's signal.
    wanted: Option<Projection>,
    projection: Option<Projection>,
    only_signal: Option<Signal>,
    batch_rows: usize,
    sink: Sink,
    out: DecodedFrame,
}

impl Ctx {
    fn new(p: Params) -> Ctx {
        let mut ctx = Ctx {
            path: Vec::new(),
            error: None,
            forced: p.forced,
            forced_seen: false,
            other_seen: None,
            wanted: p.wanted,
            projection: None,
            only_signal: p.only_signal,
            batch_rows: p.batch_rows,
            sink: Sink::None,
            out: DecodedFrame::default(),
        };
        if let Some(s) = p.forced {
            ctx.begin(s);
        }
        ctx
    }

    /// Builders for `signal`, replacing whatever was read before.
    fn begin(&mut self, signal: Signal) {
        self.out = DecodedFrame {
            signal: Some(signal),
            ..DecodedFrame::default()
        };
        self.projection = self
            .wanted
            .filter(|_| self.only_signal.is_none_or(|s| s == signal));
        let p = self.projection.unwrap_or(Projection::LEAN);
        self.sink = match signal {
            Signal::Traces => Sink::Traces(Box::new(SpanBuilder::new(p))),
            Signal::Logs => Sink::Logs(Box::new(LogBuilder::new(p))),
            Signal::Metrics => Sink::Metrics(Box::new(MetricBuilders::new(p))),
        };
    }

    /// A non-null signal key: whether its records are read. As in the tree
    /// decoder, the first of traces, metrics, logs present is the signal
    /// (`Signal`'s order) and the other keys are ignored.
    fn signal_key(&mut self, signal: Signal) -> Result<bool, FrameProblem> {
        if let Some(forced) = self.forced {
            if signal == forced {
                self.forced_seen = true;
                return Ok(true);
            }
            if signal < forced {
                return Err(FrameProblem::SignalMismatch {
                    forced,
                    found: signal,
                });
            }
            self.other_seen = Some(self.other_seen.map_or(signal, |s| s.min(signal)));
            return Ok(false);
        }
        match self.out.signal {
            Some(current) if current == signal => Ok(true),
            Some(current) if current < signal => Ok(false),
            _ => {
                self.begin(signal);
                Ok(true)
            }
        }
    }

    fn build(&self) -> bool {
        self.projection.is_some()
    }

    /// A record's time must fit a Timestamp(ns); the problem is the protobuf parser's.
    fn time(&mut self, field: &'static str, value: u64) -> Result<u64, String> {
        crate::decode::wire::check_time(field, value).map_err(|p| {
            let message = p.to_string();
            self.error.get_or_insert(p);
            message
        })
    }

    /// Emits the last partial batches.
    fn finish(&mut self) {
        self.flush(1);
    }

    /// Emits the batches holding at least `rows` rows (all their columns filled).
    fn flush(&mut self, rows: usize) {
        let tables = &mut self.out.tables;
        match &mut self.sink {
            Sink::None => {}
            Sink::Traces(b) if b.len() >= rows => tables.push(TableBatch {
                table: Table::Spans,
                batch: b.finish(),
            }),
            Sink::Logs(b) if b.len() >= rows => tables.push(TableBatch {
                table: Table::Logs,
                batch: b.finish(),
            }),
            Sink::Metrics(b) => flush_metrics(b, rows, tables),
            _ => {}
        }
    }

    fn render_path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        if out.is_empty() {
            out.push_str("(root)");
        }
        out
    }

    /// Records a field error at the current path (plus `key`, when given).
    fn fail<E: de::Error>(&mut self, key: Option<&'static str>, message: impl Into<String>) -> E {
        if self.error.is_none() {
            key.into_iter().for_each(|k| self.path.push(Seg::Key(k)));
            let problem =
                FrameProblem::InvalidJson(format!("{}: {}", self.render_path(), message.into()));
            self.error = Some(problem);
        }
        E::custom("invalid OTLP/JSON field")
    }

    fn problem<E: de::Error>(&mut self, problem: FrameProblem) -> E {
        self.error.get_or_insert(problem);
        E::custom("invalid frame")
    }

    /// Converts the value of `key` with `conv` (None when null); a wrong
    /// value is an error naming the field and `what` was expected.
    fn leaf<'de, T, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: &'static str,
        what: &'static str,
        conv: impl FnOnce(&Scalar<'de>) -> Option<T>,
    ) -> Result<Option<T>, A::Error> {
        let v = map.next_value_seed(ScalarSeed)?;
        if v.is_null() {
            return Ok(None);
        }
        match conv(&v) {
            Some(t) => Ok(Some(t)),
            None => Err(self.fail(Some(key), scalar::expected(what, &v))),
        }
    }

    fn u64<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<u64, A::Error> {
        let v = self.leaf(m, key, "an unsigned 64-bit integer", Scalar::u64)?;
        Ok(v.unwrap_or(0))
    }

    fn u32<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<u32, A::Error> {
        let v = self.leaf(m, key, "an unsigned 32-bit integer", Scalar::u32)?;
        Ok(v.unwrap_or(0))
    }

    fn i32<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<Option<i32>, A::Error> {
        self.leaf(m, key, "a signed 32-bit integer", Scalar::i32)
    }

    fn i64<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<Option<i64>, A::Error> {
        self.leaf(m, key, "a signed 64-bit integer", Scalar::i64)
    }

    fn f64<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<Option<f64>, A::Error> {
        self.leaf(m, key, "a number", Scalar::f64)
    }

    fn bool<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<bool, A::Error> {
        Ok(self
            .leaf(m, key, "a boolean", Scalar::bool)?
            .unwrap_or(false))
    }

    fn enumeration<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
        by_name: fn(&str) -> Option<i32>,
    ) -> Result<i32, A::Error> {
        let v = self.leaf(m, key, "an enum name or number", |v| v.enumeration(by_name))?;
        Ok(v.unwrap_or(0))
    }

    /// A string field ("" when null).
    fn string<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<std::borrow::Cow<'de, str>, A::Error> {
        match m.next_value_seed(ScalarSeed)? {
            Scalar::Null => Ok(std::borrow::Cow::Borrowed("")),
            Scalar::Str(s) => Ok(s),
            v => Err(self.fail(Some(key), scalar::expected("a string", &v))),
        }
    }

    /// A hex id field (empty when null); any length is kept.
    fn id<'de, A: MapAccess<'de>>(
        &mut self,
        m: &mut A,
        key: &'static str,
    ) -> Result<scalar::Id, A::Error> {
        let v = m.next_value_seed(ScalarSeed)?;
        scalar::Id::parse(&v).map_err(|e| self.fail(Some(key), e))
    }

    /// A nested object field, read by `fields`; false when null.
    fn object<'de, A: MapAccess<'de>, F: Fields<'de>>(
        &mut self,
        map: &mut A,
        key: &'static str,
        fields: &mut F,
    ) -> Result<bool, A::Error> {
        self.path.push(Seg::Key(key));
        let present = map.next_value_seed(Obj { ctx: self, fields })?;
        self.path.pop();
        Ok(present)
    }

    /// A list field whose elements `items` reads; false when null.
    fn list<'de, A: MapAccess<'de>, I: Items<'de>>(
        &mut self,
        map: &mut A,
        key: &'static str,
        items: &mut I,
    ) -> Result<bool, A::Error> {
        self.path.push(Seg::Key(key));
        let present = map.next_value_seed(List { ctx: self, items })?;
        self.path.pop();
        Ok(present)
    }
}

/// Skips a value unread (still checked to be JSON).
fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// The keys of one JSON object type.
trait Fields<'de> {
    /// Reads (or skips) the value of `key`.
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// The elements of one JSON array type.
trait Items<'de> {
    /// Called when the array starts; false skips its elements unread.
    fn begin(&mut self, _ctx: &mut Ctx) -> Result<bool, FrameProblem> {
        Ok(true)
    }

    /// Reads the next element; false at the end of the array.
    fn item<A: SeqAccess<'de>>(&mut self, ctx: &mut Ctx, seq: &mut A) -> Result<bool, A::Error>;
}

/// Whether `key` is a field in either spelling: lowerCamelCase or snake_case.
fn is(key: &str, camel: &str, snake: &str) -> bool {
    key == camel || key == snake
}
