//! Generic serde visitors the OTLP types are read with: an object by its
//! `Fields`, an array by its `Items` (objects of one type, or leaves), and
//! object keys borrowed from the text.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::FrameProblem;

use super::scalar::{self, Scalar, ScalarSeed};
use super::{Ctx, Fields, Items, Seg, NOT_AN_OBJECT};

/// Reads a JSON object with `fields`; `null` is absent (false).
pub(super) struct Obj<'c, F> {
    pub ctx: &'c mut Ctx,
    pub fields: &'c mut F,
}

impl<'de, F: Fields<'de>> DeserializeSeed<'de> for Obj<'_, F> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

/// Visitor methods for the JSON types a seed does not take: null is absent,
/// anything else a field error.
macro_rules! wrong_type {
    ($what:literal) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            self.wrong(&Scalar::Bool(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            self.wrong(&Scalar::U64(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            self.wrong(&Scalar::I64(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
            self.wrong(&Scalar::F64(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            self.wrong(&Scalar::Str(v.into()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str($what)
        }
    };
}

impl<F> Obj<'_, F> {
    fn wrong<E: de::Error>(self, got: &Scalar<'_>) -> Result<bool, E> {
        if self.ctx.path.is_empty() {
            return Err(self
                .ctx
                .problem(FrameProblem::InvalidJson(NOT_AN_OBJECT.into())));
        }
        Err(self.ctx.fail(None, scalar::expected("an object", got)))
    }
}

impl<'de, F: Fields<'de>> Visitor<'de> for Obj<'_, F> {
    type Value = bool;
    wrong_type!("an object");

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        self.wrong(&Scalar::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            self.fields.field(self.ctx, &key.0, &mut map)?;
        }
        Ok(true)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads a JSON array with `items`; `null` is absent (false).
pub(super) struct List<'c, I> {
    pub ctx: &'c mut Ctx,
    pub items: &'c mut I,
}

impl<'de, I: Items<'de>> DeserializeSeed<'de> for List<'_, I> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<I> List<'_, I> {
    fn wrong<E: de::Error>(self, got: &Scalar<'_>) -> Result<bool, E> {
        Err(self.ctx.fail(None, scalar::expected("an array", got)))
    }
}

impl<'de, I: Items<'de>> Visitor<'de> for List<'_, I> {
    type Value = bool;
    wrong_type!("an array");

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        self.wrong(&Scalar::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let read = self
            .items
            .begin(self.ctx)
            .map_err(|p| self.ctx.problem::<A::Error>(p))?;
        if !read {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(true);
        }
        let mut index = 0;
        loop {
            self.ctx.path.push(Seg::Index(index));
            let more = self.items.item(self.ctx, &mut seq)?;
            self.ctx.path.pop();
            if !more {
                return Ok(true);
            }
            index += 1;
        }
    }
}

/// Elements that are objects of one type, each read by a fresh `F` and then
/// handed to `done` (an error message there names the element).
pub(super) struct ObjItems<N, D> {
    new: N,
    done: D,
}

pub(super) fn obj_items<'de, F, N, D>(new: N, done: D) -> ObjItems<N, D>
where
    F: Fields<'de>,
    N: FnMut() -> F,
    D: FnMut(&mut Ctx, F) -> Result<(), String>,
{
    ObjItems { new, done }
}

impl<'de, F, N, D> Items<'de> for ObjItems<N, D>
where
    F: Fields<'de>,
    N: FnMut() -> F,
    D: FnMut(&mut Ctx, F) -> Result<(), String>,
{
    fn item<A: SeqAccess<'de>>(&mut self, ctx: &mut Ctx, seq: &mut A) -> Result<bool, A::Error> {
        let mut f = (self.new)();
        let Some(present) = seq.next_element_seed(Obj {
            ctx,
            fields: &mut f,
        })?
        else {
            return Ok(false);
        };
        if !present {
            return Err(ctx.fail(None, scalar::expected("an object", &Scalar::Null)));
        }
        (self.done)(ctx, f).map_err(|m| ctx.fail(None, m))?;
        Ok(true)
    }
}

/// Elements that are leaves, each converted by `conv` and passed to `each`.
pub(super) struct LeafItems<C, E> {
    what: &'static str,
    conv: C,
    each: E,
}

pub(super) fn leaf_items<'de, T, C, E>(what: &'static str, conv: C, each: E) -> LeafItems<C, E>
where
    C: Fn(&Scalar<'de>) -> Option<T>,
    E: FnMut(&mut Ctx, T),
{
    LeafItems { what, conv, each }
}

impl<'de, T, C, E> Items<'de> for LeafItems<C, E>
where
    C: Fn(&Scalar<'de>) -> Option<T>,
    E: FnMut(&mut Ctx, T),
{
    fn item<A: SeqAccess<'de>>(&mut self, ctx: &mut Ctx, seq: &mut A) -> Result<bool, A::Error> {
        let Some(v) = seq.next_element_seed(ScalarSeed)? else {
            return Ok(false);
        };
        match (self.conv)(&v) {
            Some(t) => {
                (self.each)(ctx, t);
                Ok(true)
            }
            None => Err(ctx.fail(None, scalar::expected(self.what, &v))),
        }
    }
}
