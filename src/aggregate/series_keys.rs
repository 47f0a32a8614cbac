//! Metric group keys resolved once per series. Every metric key but the
//! window (service, resource and point attributes, scope, metric name and
//! type) is part of a point's series identity, so a series always has the
//! same key "class": the map stage renders and interns a series' key parts
//! the first time any worker meets it, and afterwards a point costs one
//! lookup of its 64-bit series id. Groups are then (class, window) pairs,
//! and the consumer turns each class into global part codes once.
//!
//! Class ids depend on which worker saw a series first; they never reach
//! the output, which is built from the consumer's own [`GroupTable`].
//! Rows without a series id are rendered every time. Like the per-series
//! state of the reducer, this trusts series ids to be unique (64-bit hashes).

use std::sync::{Arc, RwLock};

use arrow::array::{Array, PrimitiveArray, RecordBatch, UInt32Array};
use arrow::datatypes::{TimestampNanosecondType, UInt64Type};
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

use super::groups::{resolve_rows, GroupTable};
use super::keys::{put_int, KeyKind, KeySpec};
use super::metric_series::SeriesIdBuildHasher;
use crate::error::{Error, Result};

/// Series id → key class, shared by the map workers and the consumer.
#[derive(Debug, Default)]
pub struct SeriesKeys {
    keys: Vec<KeySpec>,
    /// The window width when the last key is the window.
    window: Option<u64>,
    inner: RwLock<Classes>,
}

#[derive(Debug, Default)]
struct Classes {
    by_series: HashMap<u64, u32, SeriesIdBuildHasher>,
    /// Class `c` is group `c` of this table: the key parts without the window.
    table: GroupTable,
}

/// One frame's groups: local group `g` is `(class[g], window[g])`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClassGroups {
    pub class: Vec<u32>,
    /// Window start in ns (0 without a window key).
    pub window: Vec<u64>,
}

impl ClassGroups {
    pub fn len(&self) -> usize {
        self.class.len()
    }

    pub fn is_empty(&self) -> bool {
        self.class.is_empty()
    }
}

/// A class's local group in the current `resolve` call: the one of the
/// window it was last seen in (a series' points mostly share a window), so
/// most rows cost an array read instead of a hash probe.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    call: u32,
    window: u64,
    id: u32,
}

/// Per-thread slots, indexed by class, reused across calls.
#[derive(Debug, Default)]
struct LocalSlots {
    call: u32,
    slots: Vec<Slot>,
}

impl LocalSlots {
    /// Begins a call over classes below `classes`; slots of earlier calls are stale.
    fn start_call(&mut self, classes: usize) -> u32 {
        self.call = self.call.wrapping_add(1);
        if self.call == 0 {
            self.slots.fill(Slot::default());
            self.call = 1;
        }
        if self.slots.len() < classes {
            self.slots.resize(classes, Slot::default());
        }
        self.call
    }
}

thread_local! {
    static LOCAL_SLOTS: std::cell::RefCell<LocalSlots> = std::cell::RefCell::default();
}

/// The point-table columns a metric key can read (see `KeyColumns::new`).
const KEY_COLUMNS: &[&str] = &[
    "service_name",
    "resource_attributes",
    "resource_attribute_types",
    "attributes",
    "attribute_types",
    "scope_name",
    "metric_name",
];

impl SeriesKeys {
    /// A cache for the metric group keys `keys` (a window, if any, last).
    pub fn new(keys: &[KeySpec]) -> Self {
        let window = match keys.last().map(|k| &k.kind) {
            Some(KeyKind::Window(w)) => Some((*w).max(1)),
            _ => None,
        };
        let class_len = keys.len() - usize::from(window.is_some());
        Self {
            keys: keys[..class_len].to_vec(),
            window,
            inner: RwLock::default(),
        }
    }

    /// Resolves every row of `batch` to a local group of `out`, appending
    /// the local ids to `ids`. `suffix` is the metric type of a row.
    pub fn resolve(
        &self,
        batch: &RecordBatch,
        series: &PrimitiveArray<UInt64Type>,
        time: &PrimitiveArray<TimestampNanosecondType>,
        suffix: &dyn Fn(usize) -> &'static str,
        out: &mut ClassGroups,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        let rows = batch.num_rows();
        let mut class = vec![u32::MAX; rows];
        // Rows to render: the first row of each new series, every row without an id.
        let mut fresh: Vec<u32> = Vec::new();
        // Later rows of new series, with the row that renders their series.
        let mut repeats: Vec<(u32, u32)> = Vec::new();
        let mut new_series: HashMap<u64, u32, SeriesIdBuildHasher> = HashMap::default();
        {
            let known = self.read();
            for (row, c) in class.iter_mut().enumerate() {
                if !series.is_valid(row) {
                    fresh.push(row as u32);
                    continue;
                }
                let id = series.value(row);
                match known.by_series.get(&id) {
                    Some(&k) => *c = k,
                    None => match new_series.entry(id) {
                        Entry::Occupied(first) => repeats.push((row as u32, *first.get())),
                        Entry::Vacant(v) => {
                            v.insert(row as u32);
                            fresh.push(row as u32);
                        }
                    },
                }
            }
        }
        if !fresh.is_empty() {
            self.add_classes(batch, series, suffix, &fresh, &mut class)?;
        }
        for (row, first) in repeats {
            class[row as usize] = class[first as usize];
        }
        let window = self.window;
        let classes = class.iter().max().map_or(0, |&c| c as usize + 1);
        let mut local: HashMap<(u32, u64), u32, SeriesIdBuildHasher> = HashMap::default();
        ids.reserve(rows);
        LOCAL_SLOTS.with_borrow_mut(|slots| {
            let call = slots.start_call(classes);
            for (row, &c) in class.iter().enumerate() {
                let w = window.map_or(0, |w| {
                    let t = time.value(row) as u64;
                    t - t % w
                });
                let slot = &mut slots.slots[c as usize];
                let id = if slot.call == call && slot.window == w {
                    slot.id
                } else {
                    let next = out.class.len() as u32;
                    let id = *local.entry((c, w)).or_insert_with(|| {
                        out.class.push(c);
                        out.window.push(w);
                        next
                    });
                    *slot = Slot {
                        call,
                        window: w,
                        id,
                    };
                    id
                };
                ids.push(id);
            }
        });
        Ok(())
    }

    /// Interns the key parts of the `fresh` rows (series not seen yet, or
    /// without a series id) into the shared class table.
    fn add_classes(
        &self,
        batch: &RecordBatch,
        series: &PrimitiveArray<UInt64Type>,
        suffix: &dyn Fn(usize) -> &'static str,
        fresh: &[u32],
        class: &mut [u32],
    ) -> Result<()> {
        // Render only the new rows, unless most rows are new anyway.
        let whole = fresh.len() * 2 > batch.num_rows();
        let subset = if whole {
            batch.clone()
        } else {
            key_rows(batch, fresh)?
        };
        let at = |r: usize| if whole { r } else { fresh[r] as usize };
        let mut scratch = GroupTable::default();
        let mut local_ids = Vec::new();
        resolve_rows(
            &self.keys,
            &subset,
            crate::columns::metrics::TIME,
            None,
            Some(&|r| suffix(at(r))),
            &mut scratch,
            &mut local_ids,
        )?;
        let mut known = self.write();
        let global = known.table.remap(&scratch);
        for (r, &l) in local_ids.iter().enumerate() {
            let row = at(r);
            if class[row] != u32::MAX {
                continue; // known already (the whole batch was rendered)
            }
            let c = global[l as usize];
            class[row] = c;
            if series.is_valid(row) {
                known.by_series.insert(series.value(row), c);
            }
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Classes> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Classes> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A frame's local groups.
#[derive(Debug, Clone)]
pub enum FrameGroups {
    /// (series key class, window) pairs: what `map_points` makes.
    Classes(ClassGroups),
    /// Whole keys (partial states read back, frames built by hand in tests).
    Table(GroupTable),
}

impl Default for FrameGroups {
    fn default() -> Self {
        FrameGroups::Table(GroupTable::default())
    }
}

impl FrameGroups {
    pub fn len(&self) -> usize {
        match self {
            FrameGroups::Classes(c) => c.len(),
            FrameGroups::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole-key table of a frame that has one (never a map-stage frame).
    pub(crate) fn table(&self) -> &GroupTable {
        match self {
            FrameGroups::Table(t) => t,
            FrameGroups::Classes(_) => unreachable!("map-stage frames are only remapped"),
        }
    }

    /// [`FrameGroups::table`], mutable.
    pub(crate) fn table_mut(&mut self) -> &mut GroupTable {
        match self {
            FrameGroups::Table(t) => t,
            FrameGroups::Classes(_) => unreachable!("map-stage frames are only remapped"),
        }
    }
}

/// The key columns of `batch` at `rows`.
fn key_rows(batch: &RecordBatch, rows: &[u32]) -> Result<RecordBatch> {
    let schema = batch.schema();
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| KEY_COLUMNS.contains(&schema.field(i).name().as_str()))
        .collect();
    let err = |e: arrow::error::ArrowError| Error::Aggregate(format!("metric keys: {e}"));
    let keyed = batch.project(&keep).map_err(err)?;
    arrow::compute::take_record_batch(&keyed, &UInt32Array::from(rows.to_vec())).map_err(err)
}

/// Frames' local group ids → ids of one global table, whose parts are every
/// key (the window in its place) plus the metric type.
#[derive(Debug, Default)]
pub struct GroupRemap {
    series_keys: Arc<SeriesKeys>,
    classes: ClassResolver,
}

impl GroupRemap {
    pub fn new(series_keys: Arc<SeriesKeys>) -> Self {
        Self {
            series_keys,
            classes: ClassResolver::default(),
        }
    }

    pub fn series_keys(&self) -> &Arc<SeriesKeys> {
        &self.series_keys
    }

    /// Global ids of `frame`'s local groups, interned into `global`.
    pub fn remap(&mut self, frame: &FrameGroups, global: &mut GroupTable) -> Vec<u32> {
        match frame {
            FrameGroups::Classes(c) => self.classes.resolve(&self.series_keys, c, global),
            FrameGroups::Table(t) => global.remap(t),
        }
    }
}

/// Classes and windows to global ids (see [`GroupRemap`]).
#[derive(Debug, Default)]
struct ClassResolver {
    /// Global part codes of each class seen, `n_class_parts` per class.
    codes: Vec<u32>,
    known: Vec<bool>,
    last_window: Option<(u64, u32)>,
    buf: Vec<u8>,
    tuple: Vec<u32>,
}

impl ClassResolver {
    /// Global ids of a frame's local groups.
    fn resolve(
        &mut self,
        shared: &SeriesKeys,
        groups: &ClassGroups,
        global: &mut GroupTable,
    ) -> Vec<u32> {
        let class_parts = shared.keys.len() + 1;
        let window_at = shared.window.map(|_| shared.keys.len());
        global.ensure_parts(class_parts + usize::from(window_at.is_some()));
        self.learn(groups, shared, global, class_parts, window_at);
        groups
            .class
            .iter()
            .zip(&groups.window)
            .map(|(&c, &w)| {
                let codes = &self.codes[c as usize * class_parts..(c as usize + 1) * class_parts];
                self.tuple.clear();
                match window_at {
                    Some(at) => {
                        let wc = match self.last_window {
                            Some((lw, code)) if lw == w => code,
                            _ => {
                                self.buf.clear();
                                put_int(&mut self.buf, Some(w as i64));
                                let code = global.part_mut(at).intern(&self.buf);
                                self.last_window = Some((w, code));
                                code
                            }
                        };
                        self.tuple.extend_from_slice(&codes[..at]);
                        self.tuple.push(wc);
                        self.tuple.extend_from_slice(&codes[at..]);
                    }
                    None => self.tuple.extend_from_slice(codes),
                }
                global.intern_codes(&self.tuple)
            })
            .collect()
    }

    /// Global part codes for the classes of `groups` not seen before.
    fn learn(
        &mut self,
        groups: &ClassGroups,
        shared: &SeriesKeys,
        global: &mut GroupTable,
        class_parts: usize,
        window_at: Option<usize>,
    ) {
        let unknown = |c: &u32| !self.known.get(*c as usize).copied().unwrap_or(false);
        if !groups.class.iter().any(unknown) {
            return;
        }
        let classes = shared.read();
        let n = classes.table.len();
        self.known.resize(n, false);
        self.codes.resize(n * class_parts, 0);
        for &c in &groups.class {
            let c = c as usize;
            if self.known[c] {
                continue;
            }
            for (p, &code) in classes.table.codes(c).iter().enumerate() {
                let to = match window_at {
                    Some(at) if p >= at => p + 1,
                    _ => p,
                };
                let value = classes.table.part(p).get(code);
                self.codes[c * class_parts + p] = global.part_mut(to).intern(value);
            }
            self.known[c] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, AsArray, UInt64Array};
    use prost::Message;

    use super::*;
    use crate::aggregate::keys::parse_keys;
    use crate::aggregate::metrics::map_points;
    use crate::columns::{Projection, Table, TableBatch};
    use crate::decode::{decode_frame, DecodeOptions, PointType, Signal};
    use crate::generate::metrics::MetricGenerator;

    /// Generated metric frames decoded with every column; every third
    /// series id nulled in `null_series` mode (foreign Parquet may lack them).
    fn frames(null_series: bool) -> Vec<Vec<TableBatch>> {
        let mut g = MetricGenerator::new(3, 200, 10, 3, 4);
        let opts = DecodeOptions {
            forced: None,
            only_signal: None,
            projection: Some(Projection::ALL),
            batch_rows: 97,
        };
        let mut out = Vec::new();
        while let Some((request, _)) = g.next_batch(150) {
            let frame = decode_frame(&request.encode_to_vec(), &opts).expect("decodes");
            let tables = frame.tables.into_iter().map(|mut t| {
                if null_series {
                    let at = t.batch.schema().index_of("series_id").expect("series_id");
                    let ids = t.batch.column(at).as_primitive::<UInt64Type>();
                    let nulled: UInt64Array = (0..ids.len())
                        .map(|r| (r % 3 != 0).then(|| ids.value(r)))
                        .collect();
                    let mut cols: Vec<ArrayRef> = t.batch.columns().to_vec();
                    cols[at] = Arc::new(nulled);
                    let mut fields: Vec<_> = t.batch.schema().fields().iter().cloned().collect();
                    fields[at] = Arc::new(fields[at].as_ref().clone().with_nullable(true));
                    let schema = Arc::new(arrow::datatypes::Schema::new(fields));
                    t.batch = RecordBatch::try_new(schema, cols).expect("same columns");
                }
                t
            });
            out.push(tables.collect());
        }
        out
    }

    fn type_of(t: &TableBatch, row: usize) -> &'static str {
        let ty = match t.table {
            Table::HistogramPoints => PointType::Histogram,
            Table::ExpHistogramPoints => PointType::ExponentialHistogram,
            Table::SummaryPoints => PointType::Summary,
            _ => match t
                .batch
                .column_by_name("metric_type")
                .map(|c| c.as_string::<i32>())
            {
                Some(types) if types.value(row) == "gauge" => PointType::Gauge,
                _ => PointType::Sum,
            },
        };
        ty.name()
    }

    /// Every point's whole key per table kind, rendered row by row (the reference).
    fn reference(keys: &[KeySpec], frames: &[Vec<TableBatch>]) -> Vec<(Table, Vec<u8>)> {
        let mut global = GroupTable::default();
        let mut out = Vec::new();
        for tables in frames {
            for t in tables {
                let (mut local, mut ids) = (GroupTable::default(), Vec::new());
                let suffix = |row: usize| type_of(t, row);
                resolve_rows(
                    keys,
                    &t.batch,
                    crate::columns::metrics::TIME,
                    None,
                    Some(&suffix),
                    &mut local,
                    &mut ids,
                )
                .expect("resolves");
                let remap = global.remap(&local);
                out.extend(
                    ids.iter()
                        .map(|&l| (t.table, global.key(remap[l as usize] as usize))),
                );
            }
        }
        out.sort_by_key(|a| a.0 as u8);
        out
    }

    /// The same through the series cache, in `map_points`' point order.
    fn cached(keys: &[KeySpec], frames: &[Vec<TableBatch>]) -> Vec<(Table, Vec<u8>)> {
        let shared = Arc::new(SeriesKeys::new(keys));
        let mut remap = GroupRemap::new(Arc::clone(&shared));
        let mut global = GroupTable::default();
        let mut out = Vec::new();
        for tables in frames {
            let rows = map_points(&shared, tables).expect("maps");
            let ids = remap.remap(&rows.groups, &mut global);
            let mut key = |t: Table, g: u32| out.push((t, global.key(ids[g as usize] as usize)));
            rows.numbers
                .iter()
                .for_each(|(m, _)| key(Table::MetricPoints, m.group));
            rows.histograms
                .iter()
                .for_each(|p| key(Table::HistogramPoints, p.meta.group));
            let exp = Table::ExpHistogramPoints;
            rows.exp_histograms
                .iter()
                .for_each(|p| key(exp, p.meta.group));
            rows.summaries
                .iter()
                .for_each(|p| key(Table::SummaryPoints, p.meta.group));
        }
        out.sort_by_key(|a| a.0 as u8);
        out
    }

    /// Every frame's tables of one kind in one batch: new series then repeat
    /// within a batch, so only their first row is rendered.
    fn merged(frames: &[Vec<TableBatch>]) -> Vec<Vec<TableBatch>> {
        let mut kinds: Vec<(Table, Vec<RecordBatch>)> = Vec::new();
        for t in frames.iter().flatten() {
            match kinds.iter_mut().find(|(k, _)| *k == t.table) {
                Some((_, batches)) => batches.push(t.batch.clone()),
                None => kinds.push((t.table, vec![t.batch.clone()])),
            }
        }
        let tables = kinds.into_iter().map(|(table, batches)| TableBatch {
            table,
            batch: arrow::compute::concat_batches(&batches[0].schema(), &batches)
                .expect("one schema per table"),
        });
        vec![tables.collect()]
    }

    #[test]
    fn series_cache_gives_every_point_the_key_rendered_per_row() {
        for (null_series, merge) in [(false, false), (true, false), (false, true), (true, true)] {
            let frames = match merge {
                false => frames(null_series),
                true => merged(&frames(null_series)),
            };
            for (by, window) in [
                (None, None),
                (None, Some(7_000_000_000)),
                (Some("service.name"), None),
                (
                    Some("attr.http.route,resource.host.name"),
                    Some(60_000_000_000),
                ),
                (Some("scope.name,metric.name"), Some(1)),
            ] {
                let keys = parse_keys(by, Signal::Metrics, window).expect("keys");
                let want = reference(&keys, &frames);
                assert!(want.len() > 1000, "{} points", want.len());
                let got = cached(&keys, &frames);
                assert!(
                    got == want,
                    "--by {by:?} window {window:?} nulls {null_series} merged {merge}"
                );
            }
        }
    }
}
