//! The messages every signal shares: `AnyValue`, `KeyValue`, `Resource`,
//! `InstrumentationScope`, and the walk over resource and scope records that
//! hands each record to its signal's parser.

use crate::columns::context::{ResourceContext, ScopeContext};
use crate::columns::value::AnyRef;
use crate::decode::FrameStats;

use super::{Msg, Result};

/// Parses an `AnyValue` into `v`, merging as prost does when the message or a
/// field repeats (the last scalar wins; arrays and kvlists of a repeated
/// field are concatenated).
pub(super) fn any_value<'a>(m: Msg<'a>, v: &mut AnyRef<'a>) -> Result<()> {
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => *v = AnyRef::Str(fld.str("AnyValue.string_value")?),
            2 => *v = AnyRef::Bool(fld.varint("AnyValue.bool_value")? != 0),
            3 => *v = AnyRef::Int(fld.varint("AnyValue.int_value")? as i64),
            4 => *v = AnyRef::Double(fld.double("AnyValue.double_value")?),
            5 => {
                let arr = fld.msg("AnyValue.array_value")?;
                if !matches!(v, AnyRef::Array(_)) {
                    *v = AnyRef::Array(Vec::new());
                }
                if let AnyRef::Array(items) = v {
                    let mut af = arr.fields();
                    while let Some(item) = af.next()? {
                        if item.num == 1 {
                            let mut e = AnyRef::Empty;
                            any_value(item.msg("ArrayValue.values")?, &mut e)?;
                            items.push(e);
                        }
                    }
                }
            }
            6 => {
                let list = fld.msg("AnyValue.kvlist_value")?;
                if !matches!(v, AnyRef::Kvlist(_)) {
                    *v = AnyRef::Kvlist(Vec::new());
                }
                if let AnyRef::Kvlist(entries) = v {
                    let mut lf = list.fields();
                    while let Some(item) = lf.next()? {
                        if item.num == 1 {
                            entries.push(key_value(item.msg("KeyValueList.values")?)?);
                        }
                    }
                }
            }
            7 => *v = AnyRef::Bytes(fld.bytes("AnyValue.bytes_value")?),
            8 => *v = AnyRef::Strindex(fld.i32("AnyValue.string_value_strindex")?),
            _ => {}
        }
    }
    Ok(())
}

/// A `KeyValue`: its key and value (None when the value field is absent).
pub(super) fn key_value(m: Msg<'_>) -> Result<(&str, Option<AnyRef<'_>>)> {
    let mut key = "";
    let mut value: Option<AnyRef> = None;
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => key = fld.str("KeyValue.key")?,
            2 => any_value(
                fld.msg("KeyValue.value")?,
                value.get_or_insert(AnyRef::Empty),
            )?,
            3 => {
                fld.varint("KeyValue.key_strindex")?;
            }
            _ => {}
        }
    }
    Ok((key, value))
}

/// An attribute for the sink: an absent value is an empty one.
pub(super) fn attribute(m: Msg<'_>) -> Result<(&str, AnyRef<'_>)> {
    let (k, v) = key_value(m)?;
    Ok((k, v.unwrap_or(AnyRef::Empty)))
}

/// A `Resource` merged into `r`; attributes are rendered only when `render`
/// (else only `service.name` is looked for).
fn resource(m: Msg<'_>, r: &mut ResourceContext, render: bool) -> Result<()> {
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => {
                let (k, v) = attribute(fld.msg("Resource.attributes")?)?;
                if render {
                    r.add_attribute(k, &v);
                } else {
                    r.note_attribute(k, &v);
                }
            }
            2 => r.dropped_attributes_count = fld.u32("Resource.dropped_attributes_count")?,
            3 => {
                fld.msg("Resource.entity_refs")?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn scope(m: Msg<'_>, s: &mut ScopeContext, render: bool) -> Result<()> {
    let mut f = m.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => s.name = fld.str("InstrumentationScope.name")?.to_owned(),
            2 => s.version = fld.str("InstrumentationScope.version")?.to_owned(),
            3 => {
                let (k, v) = attribute(fld.msg("InstrumentationScope.attributes")?)?;
                if render {
                    s.add_attribute(k, &v);
                }
            }
            4 => {
                s.dropped_attributes_count =
                    fld.u32("InstrumentationScope.dropped_attributes_count")?
            }
            _ => {}
        }
    }
    Ok(())
}

/// What a signal's parser does with the records of a request.
pub(super) trait RecordVisitor<'a> {
    /// Called once per scope record, before its records.
    fn scope(&mut self, _r: &ResourceContext, _s: &ScopeContext) -> Result<()> {
        Ok(())
    }
    /// One record (span, metric, log record) under its resource and scope.
    fn record(&mut self, r: &ResourceContext, s: &ScopeContext, m: Msg<'a>) -> Result<()>;
}

/// Which context attributes to render: (resource, scope).
#[derive(Clone, Copy)]
pub(super) struct RenderContext {
    pub resource: bool,
    pub scope: bool,
}

/// Walks `ResourceX` (field 1 of the request) → `ScopeX` (field 2) → records
/// (field 2). A resource's and a scope's own fields are read first, wherever
/// they sit among the records, so each record sees its complete context.
pub(super) fn walk<'a>(
    root: Msg<'a>,
    names: [&'static str; 3],
    render: RenderContext,
    stats: &mut FrameStats,
    visitor: &mut impl RecordVisitor<'a>,
) -> Result<()> {
    let [resources_name, scopes_name, records_name] = names;
    let mut rf = root.fields();
    while let Some(fld) = rf.next()? {
        if fld.num != 1 {
            continue;
        }
        let rm = fld.msg(resources_name)?;
        stats.resources += 1;
        let mut r = ResourceContext::default();
        let mut f = rm.fields();
        while let Some(fld) = f.next()? {
            match fld.num {
                1 => resource(fld.msg("resource")?, &mut r, render.resource)?,
                2 => {
                    fld.msg(scopes_name)?;
                }
                3 => r.schema_url = fld.str("schema_url")?.to_owned(),
                _ => {}
            }
        }
        stats.services.extend(r.service_name.clone());
        let mut f = rm.fields();
        while let Some(fld) = f.next()? {
            if fld.num == 2 {
                walk_scope(
                    fld.msg(scopes_name)?,
                    records_name,
                    &r,
                    render,
                    stats,
                    visitor,
                )?;
            }
        }
    }
    Ok(())
}

fn walk_scope<'a>(
    sm: Msg<'a>,
    records_name: &'static str,
    r: &ResourceContext,
    render: RenderContext,
    stats: &mut FrameStats,
    visitor: &mut impl RecordVisitor<'a>,
) -> Result<()> {
    stats.scopes += 1;
    let mut s = ScopeContext::default();
    let mut f = sm.fields();
    while let Some(fld) = f.next()? {
        match fld.num {
            1 => scope(fld.msg("scope")?, &mut s, render.scope)?,
            2 => {
                fld.msg(records_name)?;
            }
            3 => s.schema_url = fld.str("schema_url")?.to_owned(),
            _ => {}
        }
    }
    visitor.scope(r, &s)?;
    let mut f = sm.fields();
    while let Some(fld) = f.next()? {
        if fld.num == 2 {
            visitor.record(r, &s, fld.msg(records_name)?)?;
        }
    }
    Ok(())
}
