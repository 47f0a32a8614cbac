//! The protobuf wire parser: walks an export request once, borrowing slices
//! of the frame, and appends straight into the column builders. Unknown
//! fields are skipped by wire type; packed and unpacked repeated fields and
//! fields in any order are accepted; malformed data is a bad frame naming the
//! byte offset. The reader here knows the wire format only; `common`,
//! `traces`, `logs` and `metrics` know the OTLP messages.

mod common;
mod logs;
mod metrics;
mod traces;

use crate::columns::Projection;
use crate::error::FrameProblem;

use super::{DecodedFrame, Signal};

pub(crate) type Result<T> = std::result::Result<T, FrameProblem>;

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const I32: u8 = 5;

/// Nesting limit, as prost's: deeper messages are a bad frame, never a stack overflow.
const MAX_DEPTH: u32 = 100;

/// Largest time a Timestamp(ns) column can hold.
const MAX_TIME: u64 = i64::MAX as u64;

/// Decodes one protobuf export request of `signal` into columns (`projection`
/// None: counts only), in batches of at most `batch_rows` rows.
pub fn decode(
    data: &[u8],
    signal: Signal,
    projection: Option<Projection>,
    batch_rows: usize,
) -> Result<DecodedFrame> {
    decode_at(data, 0, signal, projection, batch_rows)
}

/// `decode` of a request's bytes that start at `base` in their frame (a
/// run of its resource records), so that problems name frame offsets.
pub(crate) fn decode_at(
    data: &[u8],
    base: usize,
    signal: Signal,
    projection: Option<Projection>,
    batch_rows: usize,
) -> Result<DecodedFrame> {
    let root = Msg {
        data,
        offset: base,
        depth: 0,
    };
    let mut out = DecodedFrame {
        signal: Some(signal),
        ..DecodedFrame::default()
    };
    let batch_rows = batch_rows.max(1);
    match signal {
        Signal::Traces => traces::decode(root, projection, batch_rows, &mut out)?,
        Signal::Logs => logs::decode(root, projection, batch_rows, &mut out)?,
        Signal::Metrics => metrics::decode(root, projection, batch_rows, &mut out)?,
    }
    Ok(out)
}

/// Checks that `data` is a well-formed message on the wire with at least one
/// resource record (field 1, length-delimited), without looking inside them.
pub fn is_well_formed_request(data: &[u8]) -> bool {
    walks_cleanly(data, true)
}

/// Checks that `head`, the first bytes of a stream, begin with a complete,
/// well-formed resource record (field 1): what a protobuf request looks like
/// even when its length byte happens to be `{` or whitespace.
pub fn starts_like_request(head: &[u8]) -> bool {
    let mut f = Msg {
        data: head,
        offset: 0,
        depth: 0,
    }
    .fields();
    matches!(f.key(), Ok((1, LEN)))
        && f.len_value()
            .is_ok_and(|record| walks_cleanly(record.data, false))
}

/// Byte ranges of `data` that each hold whole top-level fields, cut before a
/// resource record (field 1) once a range holds `target` bytes. None when the
/// top level is not well-formed (the caller decodes it whole, which reports why).
pub(crate) fn resource_runs(data: &[u8], target: usize) -> Option<Vec<std::ops::Range<usize>>> {
    let mut fields = Msg {
        data,
        offset: 0,
        depth: 0,
    }
    .fields();
    let (mut runs, mut start) = (Vec::new(), 0);
    while fields.pos < data.len() {
        let at = fields.pos;
        let (num, wire) = fields.key().ok()?;
        if num == 1 && at - start >= target {
            runs.push(start..at);
            start = at;
        }
        if matches!(wire, START_GROUP | END_GROUP) {
            return None;
        }
        fields.value(wire).ok()?;
    }
    runs.push(start..data.len());
    Some(runs)
}

/// Whether `data` is a sequence of fields ending exactly at its end, with no
/// groups (OTLP has none); with `request`, field 1 must be length-delimited
/// and present.
fn walks_cleanly(data: &[u8], request: bool) -> bool {
    let mut fields = Msg {
        data,
        offset: 0,
        depth: 0,
    }
    .fields();
    let mut any = false;
    while fields.pos < data.len() {
        let Ok((num, wire)) = fields.key() else {
            return false;
        };
        if matches!(wire, START_GROUP | END_GROUP) || (request && num == 1 && wire != LEN) {
            return false;
        }
        if fields.value(wire).is_err() {
            return false;
        }
        any |= num == 1;
    }
    any || !request
}

fn invalid(offset: usize, what: impl std::fmt::Display) -> FrameProblem {
    FrameProblem::InvalidProtobuf(format!("{what} at byte {offset}"))
}

/// A time field of a record: one at or past 2^63 ns cannot be a Timestamp(ns).
pub(crate) fn check_time(field: &'static str, value: u64) -> Result<u64> {
    if value > MAX_TIME {
        return Err(FrameProblem::TimeOutOfRange { field, value });
    }
    Ok(value)
}

/// One message's bytes and where they start in the frame.
#[derive(Clone, Copy)]
pub(crate) struct Msg<'a> {
    pub data: &'a [u8],
    pub offset: usize,
    depth: u32,
}

/// A field's value as the wire type gives it.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(Msg<'a>),
}

impl<'a> Msg<'a> {
    pub fn fields(self) -> Fields<'a> {
        Fields { msg: self, pos: 0 }
    }

    /// Validated UTF-8 text (proto3 `string`).
    pub fn str(self, field: &'static str) -> Result<&'a str> {
        std::str::from_utf8(self.data).map_err(|e| {
            invalid(
                self.offset + e.valid_up_to(),
                format_args!("{field}: invalid UTF-8"),
            )
        })
    }
}

/// Walks the fields of one message in wire order.
pub(crate) struct Fields<'a> {
    msg: Msg<'a>,
    pos: usize,
}

impl<'a> Fields<'a> {
    fn at(&self) -> usize {
        self.msg.offset + self.pos
    }

    fn varint(&mut self) -> Result<u64> {
        let data = self.msg.data;
        if let Some(&b) = data.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        let start = self.at();
        let mut v = 0u64;
        for i in 0..10 {
            let Some(&b) = data.get(self.pos) else {
                return Err(invalid(start, "truncated varint"));
            };
            self.pos += 1;
            // The tenth byte may only carry the top bit of a u64.
            if i == 9 && b > 1 {
                return Err(invalid(start, "varint longer than 64 bits"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(invalid(start, "varint longer than 64 bits"))
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        let at = self.at();
        let bytes = self
            .msg
            .data
            .get(self.pos..self.pos + N)
            .ok_or_else(|| invalid(at, format_args!("truncated {}-bit value", N * 8)))?;
        self.pos += N;
        // The slice has exactly N bytes.
        Ok(bytes.try_into().expect("N bytes"))
    }

    fn len_value(&mut self) -> Result<Msg<'a>> {
        let at = self.at();
        let len = self.varint()?;
        let left = self.msg.data.len() - self.pos;
        if len > left as u64 {
            return Err(invalid(
                at,
                format_args!("length {len} runs past the end of its message ({left} bytes left)"),
            ));
        }
        let len = len as usize;
        let depth = self.msg.depth + 1;
        if depth > MAX_DEPTH {
            return Err(invalid(at, "messages nested too deep"));
        }
        let m = Msg {
            data: &self.msg.data[self.pos..self.pos + len],
            offset: self.msg.offset + self.pos,
            depth,
        };
        self.pos += len;
        Ok(m)
    }

    /// Skips a group (deprecated, but legal for unknown fields) up to its end tag.
    fn skip_group(&mut self, field: u32, depth: u32) -> Result<()> {
        let at = self.at();
        if depth > MAX_DEPTH {
            return Err(invalid(at, "groups nested too deep"));
        }
        loop {
            if self.pos >= self.msg.data.len() {
                return Err(invalid(at, "unterminated group"));
            }
            let (f, wire) = self.key()?;
            match wire {
                END_GROUP if f == field => return Ok(()),
                END_GROUP => return Err(invalid(at, "unexpected end-group tag")),
                START_GROUP => self.skip_group(f, depth + 1)?,
                _ => {
                    self.value(wire)?;
                }
            }
        }
    }

    fn key(&mut self) -> Result<(u32, u8)> {
        let at = self.at();
        let key = self.varint()?;
        if key > u64::from(u32::MAX) {
            return Err(invalid(at, format_args!("invalid key {key}")));
        }
        let (field, wire) = ((key >> 3) as u32, (key & 7) as u8);
        if field == 0 {
            return Err(invalid(at, "field number 0"));
        }
        Ok((field, wire))
    }

    fn value(&mut self, wire: u8) -> Result<Value<'a>> {
        Ok(match wire {
            VARINT => Value::Varint(self.varint()?),
            I64 => Value::Fixed64(u64::from_le_bytes(self.fixed::<8>()?)),
            LEN => Value::Len(self.len_value()?),
            I32 => Value::Fixed32(u32::from_le_bytes(self.fixed::<4>()?)),
            w => return Err(invalid(self.at(), format_args!("invalid wire type {w}"))),
        })
    }

    /// The next field, or None at the end of the message. Groups are skipped.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Field<'a>>> {
        loop {
            if self.pos >= self.msg.data.len() {
                return Ok(None);
            }
            let at = self.at();
            let (num, wire) = self.key()?;
            match wire {
                START_GROUP => self.skip_group(num, self.msg.depth + 1)?,
                END_GROUP => return Err(invalid(at, "unexpected end-group tag")),
                w => {
                    let value = self.value(w)?;
                    return Ok(Some(Field { num, value, at }));
                }
            }
        }
    }
}

fn wire_name(v: &Value<'_>) -> &'static str {
    match v {
        Value::Varint(_) => "varint",
        Value::Fixed64(_) => "64-bit",
        Value::Fixed32(_) => "32-bit",
        Value::Len(_) => "length-delimited",
    }
}

fn wrong(field: &'static str, v: &Value<'_>, expected: &str, at: usize) -> FrameProblem {
    invalid(
        at,
        format_args!(
            "{field}: {} value where {expected} is expected",
            wire_name(v)
        ),
    )
}

/// One field read from the wire: its number, value and offset in the frame.
#[derive(Clone, Copy)]
pub(crate) struct Field<'a> {
    pub num: u32,
    pub value: Value<'a>,
    pub at: usize,
}

/// Typed reads of a known field; another wire type is a bad frame (as prost).
impl<'a> Field<'a> {
    pub fn varint(self, field: &'static str) -> Result<u64> {
        self.value.varint(field, self.at)
    }
    pub fn fixed64(self, field: &'static str) -> Result<u64> {
        self.value.fixed64(field, self.at)
    }
    pub fn double(self, field: &'static str) -> Result<f64> {
        self.value.double(field, self.at)
    }
    pub fn fixed32(self, field: &'static str) -> Result<u32> {
        self.value.fixed32(field, self.at)
    }
    pub fn msg(self, field: &'static str) -> Result<Msg<'a>> {
        self.value.msg(field, self.at)
    }
    pub fn str(self, field: &'static str) -> Result<&'a str> {
        self.value.str(field, self.at)
    }
    pub fn bytes(self, field: &'static str) -> Result<&'a [u8]> {
        self.value.bytes(field, self.at)
    }
    /// A `uint32` (prost truncates the varint).
    pub fn u32(self, field: &'static str) -> Result<u32> {
        Ok(self.varint(field)? as u32)
    }
    /// An `int32` or enum (prost truncates the varint).
    pub fn i32(self, field: &'static str) -> Result<i32> {
        Ok(self.varint(field)? as i32)
    }
    pub fn repeated_fixed64(self, field: &'static str, each: impl FnMut(u64)) -> Result<()> {
        repeated_fixed64(self.value, field, self.at, each)
    }
    pub fn repeated_varint(self, field: &'static str, each: impl FnMut(u64)) -> Result<()> {
        repeated_varint(self.value, field, self.at, each)
    }
}

impl<'a> Value<'a> {
    pub fn varint(self, field: &'static str, at: usize) -> Result<u64> {
        match self {
            Value::Varint(v) => Ok(v),
            v => Err(wrong(field, &v, "a varint", at)),
        }
    }

    pub fn fixed64(self, field: &'static str, at: usize) -> Result<u64> {
        match self {
            Value::Fixed64(v) => Ok(v),
            v => Err(wrong(field, &v, "a 64-bit value", at)),
        }
    }

    pub fn double(self, field: &'static str, at: usize) -> Result<f64> {
        self.fixed64(field, at).map(f64::from_bits)
    }

    pub fn fixed32(self, field: &'static str, at: usize) -> Result<u32> {
        match self {
            Value::Fixed32(v) => Ok(v),
            v => Err(wrong(field, &v, "a 32-bit value", at)),
        }
    }

    pub fn msg(self, field: &'static str, at: usize) -> Result<Msg<'a>> {
        match self {
            Value::Len(m) => Ok(m),
            v => Err(wrong(field, &v, "a length-delimited value", at)),
        }
    }

    pub fn str(self, field: &'static str, at: usize) -> Result<&'a str> {
        self.msg(field, at)?.str(field)
    }

    pub fn bytes(self, field: &'static str, at: usize) -> Result<&'a [u8]> {
        Ok(self.msg(field, at)?.data)
    }
}

/// Elements of a repeated fixed64 field, packed or not, passed to `each`.
fn repeated_fixed64(
    v: Value<'_>,
    field: &'static str,
    at: usize,
    mut each: impl FnMut(u64),
) -> Result<()> {
    match v {
        Value::Fixed64(x) => each(x),
        Value::Len(m) => {
            if m.data.len() % 8 != 0 {
                return Err(invalid(
                    m.offset,
                    format_args!(
                        "{field}: packed length {} is not a multiple of 8",
                        m.data.len()
                    ),
                ));
            }
            for c in m.data.chunks_exact(8) {
                // chunks_exact yields 8-byte slices.
                each(u64::from_le_bytes(c.try_into().expect("8 bytes")));
            }
        }
        v => return Err(wrong(field, &v, "a 64-bit value or a packed list", at)),
    }
    Ok(())
}

/// Elements of a repeated varint field, packed or not, passed to `each`.
fn repeated_varint(
    v: Value<'_>,
    field: &'static str,
    at: usize,
    mut each: impl FnMut(u64),
) -> Result<()> {
    match v {
        Value::Varint(x) => each(x),
        Value::Len(m) => {
            let mut f = m.fields();
            while f.pos < m.data.len() {
                each(f.varint()?);
            }
        }
        v => return Err(wrong(field, &v, "a varint or a packed list", at)),
    }
    Ok(())
}

/// Zigzag decoding of a `sint32` (prost truncates the varint to 32 bits first).
pub(crate) fn sint32(v: u64) -> i32 {
    let v = v as u32;
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}
