//! The objects every signal shares: the request, the `ResourceX` and
//! `ScopeX` envelopes, `Resource`, `InstrumentationScope`, `KeyValue` and
//! `AnyValue`. Records stream into the builders as they are read; the
//! resource and scope columns of a resource's rows are filled when its
//! object closes, since OTLP/JSON may give them after the records.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess};

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::value::AnyRef;
use crate::decode::Signal;
use crate::error::FrameProblem;

use super::metrics::MetricRun;
use super::{is, leaf_items, obj_items, scalar, skip, Ctx, Fields, Items, Obj, Sink};

/// The top-level object: `resourceSpans`, `resourceMetrics` or
/// `resourceLogs`; any other key is ignored (an object with none of them is
/// an empty request).
pub(super) struct Request;

impl<'de> Fields<'de> for Request {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let Some((signal, name)) = signal_of_key(key) else {
            return skip(map);
        };
        ctx.list(map, name, &mut Resources { signal })?;
        Ok(())
    }
}

/// The signal a top-level key holds, and its camelCase name for paths.
pub(super) fn signal_of_key(key: &str) -> Option<(Signal, &'static str)> {
    if is(key, "resourceSpans", "resource_spans") {
        Some((Signal::Traces, "resourceSpans"))
    } else if is(key, "resourceMetrics", "resource_metrics") {
        Some((Signal::Metrics, "resourceMetrics"))
    } else if is(key, "resourceLogs", "resource_logs") {
        Some((Signal::Logs, "resourceLogs"))
    } else {
        None
    }
}

/// The keys naming a signal's scope groups and records.
struct Names {
    scopes: (&'static str, &'static str),
    records: (&'static str, &'static str),
}

fn names(signal: Signal) -> Names {
    match signal {
        Signal::Traces => Names {
            scopes: ("scopeSpans", "scope_spans"),
            records: ("spans", "spans"),
        },
        Signal::Metrics => Names {
            scopes: ("scopeMetrics", "scope_metrics"),
            records: ("metrics", "metrics"),
        },
        Signal::Logs => Names {
            scopes: ("scopeLogs", "scope_logs"),
            records: ("logRecords", "log_records"),
        },
    }
}

/// The elements of `resourceSpans` etc.: the signal is decided when the
/// array starts (a `null` one is absent).
struct Resources {
    signal: Signal,
}

impl<'de> Items<'de> for Resources {
    fn begin(&mut self, ctx: &mut Ctx) -> Result<bool, FrameProblem> {
        ctx.signal_key(self.signal)
    }

    fn item<A: SeqAccess<'de>>(&mut self, ctx: &mut Ctx, seq: &mut A) -> Result<bool, A::Error> {
        let element = ResourceElement {
            ctx,
            signal: self.signal,
        };
        Ok(seq.next_element_seed(element)?.is_some())
    }
}

/// Reads one element of `resourceSpans` etc. (the text of one resource
/// record, as a split request's runs hold them); the path is the caller's.
pub(super) fn read_resource_text(
    ctx: &mut Ctx,
    text: &str,
    signal: Signal,
) -> Result<(), FrameProblem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let element = ResourceElement {
        ctx: &mut *ctx,
        signal,
    };
    let read = element.deserialize(&mut de).and_then(|()| de.end());
    read.map_err(|e| {
        ctx.error
            .take()
            .unwrap_or_else(|| FrameProblem::InvalidJson(e.to_string()))
    })
}

/// One resource record, read into the sink; `null` is an error, as in a list of messages.
struct ResourceElement<'c> {
    ctx: &'c mut Ctx,
    signal: Signal,
}

impl<'de> DeserializeSeed<'de> for ResourceElement<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let ctx = self.ctx;
        let render = ctx.projection.is_some_and(|p| {
            // Metric series ids hash the resource attributes.
            p.resource_attributes || self.signal == Signal::Metrics
        });
        let mut r = ResourceFields {
            signal: self.signal,
            render,
            resource: ResourceContext::default(),
            scopes: Vec::new(),
        };
        let present = Obj {
            ctx: &mut *ctx,
            fields: &mut r,
        }
        .deserialize(d)?;
        if !present {
            return Err(ctx.fail(None, scalar::expected("an object", &scalar::Scalar::Null)));
        }
        close_resource(ctx, r);
        Ok(())
    }
}

/// A resource's records are all read: its counts, then the columns its rows lack.
fn close_resource(ctx: &mut Ctx, r: ResourceFields<'_>) {
    let stats = &mut ctx.out.stats;
    stats.resources += 1;
    stats.scopes += r.scopes.len() as u64;
    stats.services.extend(r.resource.service_name.clone());
    if !ctx.build() {
        return;
    }
    for s in &r.scopes {
        match &mut ctx.sink {
            Sink::Traces(b) => b.append_context(&r.resource, &s.scope, s.rows),
            Sink::Logs(b) => b.append_context(&r.resource, &s.scope, s.rows),
            Sink::Metrics(b) => {
                super::metrics::append_metrics(b, &r.resource, &s.scope, &s.metrics)
            }
            Sink::None => {}
        }
    }
    ctx.flush(ctx.batch_rows);
}

/// A scope group whose rows wait for their resource's columns.
struct PendingScope<'de> {
    scope: ScopeContext,
    /// Span or log rows appended.
    rows: usize,
    /// Metrics with their points appended, in order.
    metrics: Vec<MetricRun<'de>>,
}

struct ResourceFields<'de> {
    signal: Signal,
    /// Whether resource attributes are rendered (else only `service.name` is noted).
    render: bool,
    resource: ResourceContext,
    scopes: Vec<PendingScope<'de>>,
}

impl<'de> Fields<'de> for ResourceFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let n = names(self.signal);
        if key == "resource" {
            let mut fields = Resource {
                r: &mut self.resource,
                render: self.render,
            };
            ctx.object(map, "resource", &mut fields)?;
        } else if is(key, n.scopes.0, n.scopes.1) {
            let (signal, scopes) = (self.signal, &mut self.scopes);
            let mut items = obj_items(
                || ScopeFields {
                    signal,
                    scope: ScopeContext::default(),
                    rows: 0,
                    metrics: Vec::new(),
                },
                |_: &mut Ctx, s: ScopeFields<'de>| {
                    scopes.push(PendingScope {
                        scope: s.scope,
                        rows: s.rows,
                        metrics: s.metrics,
                    });
                    Ok(())
                },
            );
            ctx.list(map, n.scopes.0, &mut items)?;
        } else if is(key, "schemaUrl", "schema_url") {
            self.resource.schema_url = ctx.string(map, "schemaUrl")?.into_owned();
        } else {
            skip(map)?;
        }
        Ok(())
    }
}

struct ScopeFields<'de> {
    signal: Signal,
    scope: ScopeContext,
    rows: usize,
    metrics: Vec<MetricRun<'de>>,
}

/// Rows appended so far to a span or log sink.
fn rows(ctx: &Ctx) -> usize {
    match &ctx.sink {
        Sink::Traces(b) => b.len(),
        Sink::Logs(b) => b.len(),
        Sink::Metrics(_) | Sink::None => 0,
    }
}

impl<'de> Fields<'de> for ScopeFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let n = names(self.signal);
        if key == "scope" {
            let render = ctx.projection.is_some_and(|p| p.scope_attributes);
            let mut fields = Scope {
                s: &mut self.scope,
                render,
            };
            ctx.object(map, "scope", &mut fields)?;
        } else if is(key, n.records.0, n.records.1) {
            let before = rows(ctx);
            match self.signal {
                Signal::Traces => super::traces::records(ctx, map)?,
                Signal::Logs => super::logs::records(ctx, map)?,
                Signal::Metrics => super::metrics::records(ctx, map, &mut self.metrics)?,
            }
            self.rows += rows(ctx) - before;
        } else if is(key, "schemaUrl", "schema_url") {
            self.scope.schema_url = ctx.string(map, "schemaUrl")?.into_owned();
        } else {
            skip(map)?;
        }
        Ok(())
    }
}

struct Resource<'r> {
    r: &'r mut ResourceContext,
    render: bool,
}

impl<'de> Fields<'de> for Resource<'_> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key == "attributes" {
            let (r, render) = (&mut *self.r, self.render);
            attributes(ctx, map, "attributes", |_, k, v| {
                if render {
                    r.add_attribute(k, v);
                } else {
                    r.note_attribute(k, v);
                }
            })?;
        } else if is(key, "droppedAttributesCount", "dropped_attributes_count") {
            self.r.dropped_attributes_count = ctx.u32(map, "droppedAttributesCount")?;
        } else if is(key, "entityRefs", "entity_refs") {
            // No column holds them; read only to reject what the tree decoder rejects.
            let mut items = obj_items(|| EntityRef, |_: &mut Ctx, _| Ok(()));
            ctx.list(map, "entityRefs", &mut items)?;
        } else {
            skip(map)?;
        }
        Ok(())
    }
}

struct EntityRef;

impl<'de> Fields<'de> for EntityRef {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let list = if is(key, "schemaUrl", "schema_url") {
            return ctx.string(map, "schemaUrl").map(drop);
        } else if key == "type" {
            return ctx.string(map, "type").map(drop);
        } else if is(key, "idKeys", "id_keys") {
            "idKeys"
        } else if is(key, "descriptionKeys", "description_keys") {
            "descriptionKeys"
        } else {
            return skip(map);
        };
        let is_str = |v: &scalar::Scalar<'de>| matches!(v, scalar::Scalar::Str(_)).then_some(());
        let mut items = leaf_items("a string", is_str, |_: &mut Ctx, ()| {});
        ctx.list(map, list, &mut items).map(drop)
    }
}

struct Scope<'s> {
    s: &'s mut ScopeContext,
    render: bool,
}

impl<'de> Fields<'de> for Scope<'_> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "name" => self.s.name = ctx.string(map, "name")?.into_owned(),
            "version" => self.s.version = ctx.string(map, "version")?.into_owned(),
            "attributes" if self.render => {
                let s = &mut *self.s;
                attributes(ctx, map, "attributes", |_, k, v| s.add_attribute(k, v))?;
            }
            k if is(k, "droppedAttributesCount", "dropped_attributes_count") => {
                self.s.dropped_attributes_count = ctx.u32(map, "droppedAttributesCount")?
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// An attribute list: each key and value is handed to `each` (with the
/// context, so it can reach the builders).
pub(super) fn attributes<'de, A: MapAccess<'de>>(
    ctx: &mut Ctx,
    map: &mut A,
    key: &'static str,
    mut each: impl FnMut(&mut Ctx, &str, &AnyRef<'_>),
) -> Result<(), A::Error> {
    let mut items = obj_items(KeyValue::default, |ctx: &mut Ctx, kv: KeyValue<'de>| {
        let value = kv.value.as_ref().map_or(AnyRef::Empty, Any::to_ref);
        each(ctx, &kv.key, &value);
        Ok(())
    });
    ctx.list(map, key, &mut items)?;
    Ok(())
}

/// An `AnyValue` as parsed: borrowed strings where the text has no escapes.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) enum Any<'de> {
    #[default]
    Empty,
    Str(Cow<'de, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Strindex(i32),
    Array(Vec<Any<'de>>),
    Kvlist(Vec<(Cow<'de, str>, Option<Any<'de>>)>),
}

impl Any<'_> {
    pub fn to_ref(&self) -> AnyRef<'_> {
        match self {
            Any::Empty => AnyRef::Empty,
            Any::Str(s) => AnyRef::Str(s),
            Any::Bool(b) => AnyRef::Bool(*b),
            Any::Int(i) => AnyRef::Int(*i),
            Any::Double(d) => AnyRef::Double(*d),
            Any::Bytes(b) => AnyRef::Bytes(b),
            Any::Strindex(i) => AnyRef::Strindex(*i),
            Any::Array(items) => AnyRef::Array(items.iter().map(Any::to_ref).collect()),
            Any::Kvlist(entries) => AnyRef::Kvlist(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_ref().map(Any::to_ref)))
                    .collect(),
            ),
        }
    }
}

#[derive(Default)]
pub(super) struct KeyValue<'de> {
    pub key: Cow<'de, str>,
    pub value: Option<Any<'de>>,
}

impl<'de> Fields<'de> for KeyValue<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            "key" => self.key = ctx.string(map, "key")?,
            "value" => {
                let mut v = AnyValue::default();
                if ctx.object(map, "value", &mut v)? {
                    self.value = Some(v.value());
                }
            }
            k if is(k, "keyStrindex", "key_strindex") => {
                ctx.i32(map, "keyStrindex")?;
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// The `AnyValue` oneof: of several variants, the first in the tree
/// decoder's order wins; none is an empty value.
#[derive(Default)]
pub(super) struct AnyValue<'de> {
    best: Option<(u8, Any<'de>)>,
}

impl<'de> AnyValue<'de> {
    pub fn value(self) -> Any<'de> {
        self.best.map_or(Any::Empty, |(_, v)| v)
    }

    fn offer(&mut self, rank: u8, v: Option<Any<'de>>) {
        if let Some(v) = v {
            if self.best.as_ref().is_none_or(|(r, _)| rank < *r) {
                self.best = Some((rank, v));
            }
        }
    }
}

impl<'de> Fields<'de> for AnyValue<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let (rank, v) = if is(key, "stringValue", "string_value") {
            let v = map.next_value_seed(scalar::ScalarSeed)?;
            let v = match v {
                scalar::Scalar::Null => None,
                scalar::Scalar::Str(s) => Some(Any::Str(s)),
                v => return Err(ctx.fail(Some("stringValue"), scalar::expected("a string", &v))),
            };
            (0, v)
        } else if is(key, "boolValue", "bool_value") {
            (
                1,
                ctx.leaf(map, "boolValue", "a boolean", scalar::Scalar::bool)?
                    .map(Any::Bool),
            )
        } else if is(key, "intValue", "int_value") {
            (2, ctx.i64(map, "intValue")?.map(Any::Int))
        } else if is(key, "doubleValue", "double_value") {
            (3, ctx.f64(map, "doubleValue")?.map(Any::Double))
        } else if is(key, "arrayValue", "array_value") {
            let mut a = NestedValues::default();
            let present = ctx.object(map, "arrayValue", &mut a)?;
            (4, present.then_some(Any::Array(a.items)))
        } else if is(key, "kvlistValue", "kvlist_value") {
            let mut l = NestedValues {
                kvlist: true,
                ..NestedValues::default()
            };
            let present = ctx.object(map, "kvlistValue", &mut l)?;
            (5, present.then_some(Any::Kvlist(l.entries)))
        } else if is(key, "bytesValue", "bytes_value") {
            let v = map.next_value_seed(scalar::ScalarSeed)?;
            let b = if v.is_null() {
                None
            } else {
                let b =
                    scalar::bytes(&v).map_err(|e| ctx.fail::<A::Error>(Some("bytesValue"), e))?;
                Some(b)
            };
            (6, b.map(Any::Bytes))
        } else if is(key, "stringValueStrindex", "string_value_strindex") {
            (7, ctx.i32(map, "stringValueStrindex")?.map(Any::Strindex))
        } else {
            return skip(map);
        };
        self.offer(rank, v);
        Ok(())
    }
}

/// `ArrayValue` / `KeyValueList`: a `values` list of values or key-values.
#[derive(Default)]
struct NestedValues<'de> {
    kvlist: bool,
    items: Vec<Any<'de>>,
    entries: Vec<(Cow<'de, str>, Option<Any<'de>>)>,
}

impl<'de> Fields<'de> for NestedValues<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key != "values" {
            return skip(map);
        }
        if self.kvlist {
            let entries = &mut self.entries;
            let mut items = obj_items(KeyValue::default, |_: &mut Ctx, kv: KeyValue<'de>| {
                entries.push((kv.key, kv.value));
                Ok(())
            });
            ctx.list(map, "values", &mut items)?;
        } else {
            let values = &mut self.items;
            let mut items = obj_items(AnyValue::default, |_: &mut Ctx, v: AnyValue<'de>| {
                values.push(v.value());
                Ok(())
            });
            ctx.list(map, "values", &mut items)?;
        }
        Ok(())
    }
}
