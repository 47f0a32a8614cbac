//! The per-trace checker: every integrity rule over the spans of one trace.
//!
//! Semantics (DESIGN.md fixes the rule names and how they count):
//! - a root has an empty or all-zero parent id; every other span must find
//!   its parent among the span ids of its trace, or it is an orphan;
//! - span ids that are empty or all-zero cannot be referred to: they are not
//!   looked up as parents and not counted as duplicates (they are
//!   `invalid_id`); ids of the wrong length are kept and match byte for byte;
//! - when a span id occurs more than once, parents resolve to its first
//!   occurrence in input order, and the second occurrence is the example;
//! - a span in a parent cycle has a parent, so it is never an orphan; spans
//!   that hang below a cycle are neither orphans nor in the cycle;
//! - a trace without a root (only orphans or a cycle) is not `multiple_roots`;
//! - `child_starts_before_parent` compares with the resolved parent:
//!   child start + skew < parent start;
//! - `end_before_start` is end < start, with times as unsigned nanoseconds.

use super::record::SpanRecord;

/// The integrity rules, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    DuplicateSpanId,
    EndBeforeStart,
    InvalidId,
    OrphanSpan,
    MultipleRoots,
    ParentCycle,
    ChildStartsBeforeParent,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::DuplicateSpanId,
        Rule::EndBeforeStart,
        Rule::InvalidId,
        Rule::OrphanSpan,
        Rule::MultipleRoots,
        Rule::ParentCycle,
        Rule::ChildStartsBeforeParent,
    ];

    /// The name used in every output.
    pub fn name(self) -> &'static str {
        match self {
            Rule::DuplicateSpanId => "duplicate_span_id",
            Rule::EndBeforeStart => "end_before_start",
            Rule::InvalidId => "invalid_id",
            Rule::OrphanSpan => "orphan_span",
            Rule::MultipleRoots => "multiple_roots",
            Rule::ParentCycle => "parent_cycle",
            Rule::ChildStartsBeforeParent => "child_starts_before_parent",
        }
    }
}

const NO_PARENT: u32 = u32::MAX;

/// Checks traces one at a time, reusing its scratch buffers.
pub(crate) struct TraceChecker {
    skew: u64,
    /// Indices of referable spans, sorted by (span id, input order).
    by_id: Vec<u32>,
    /// Resolved parent index per span, or `NO_PARENT`.
    parent: Vec<u32>,
    /// Cycle search: 0 unseen, 1 on the current path, 2 done.
    state: Vec<u8>,
    path: Vec<u32>,
}

impl TraceChecker {
    pub fn new(skew: u64) -> Self {
        Self {
            skew,
            by_id: Vec::new(),
            parent: Vec::new(),
            state: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Checks the spans of one trace, given in input order (all with the same
    /// trace id), and calls `emit(rule, index)` once per violation with the
    /// index of the span that stands for it.
    pub fn check(&mut self, spans: &[SpanRecord], emit: &mut dyn FnMut(Rule, usize)) {
        let Some(first) = spans.first() else { return };
        // Indices are u32; a single trace of 4 billion spans is not a trace.
        debug_assert!(spans.len() < NO_PARENT as usize);
        let trace_valid = first.trace_id.is_valid();
        for (i, s) in spans.iter().enumerate() {
            if !trace_valid || !s.span_id.is_valid() || s.parent_span_id.is_wrong_length() {
                emit(Rule::InvalidId, i);
            }
            if s.end < s.start {
                emit(Rule::EndBeforeStart, i);
            }
        }
        self.index_ids(spans, emit);
        self.resolve_parents(spans, emit);
        self.find_cycles(emit);
        for (i, &p) in self.parent.iter().enumerate() {
            if p != NO_PARENT && spans[i].start.saturating_add(self.skew) < spans[p as usize].start
            {
                emit(Rule::ChildStartsBeforeParent, i);
            }
        }
    }

    /// Sorts referable span ids and reports each id that occurs more than once.
    fn index_ids(&mut self, spans: &[SpanRecord], emit: &mut dyn FnMut(Rule, usize)) {
        self.by_id.clear();
        self.by_id
            .extend((0..spans.len() as u32).filter(|&i| !spans[i as usize].span_id.is_unset()));
        // Stable: equal ids stay in input order, so the first of a run is the first occurrence.
        self.by_id
            .sort_by(|&a, &b| spans[a as usize].span_id.cmp(&spans[b as usize].span_id));
        for run in self
            .by_id
            .chunk_by(|&a, &b| spans[a as usize].span_id == spans[b as usize].span_id)
        {
            if let [_, second, ..] = run {
                emit(Rule::DuplicateSpanId, *second as usize);
            }
        }
    }

    fn resolve_parents(&mut self, spans: &[SpanRecord], emit: &mut dyn FnMut(Rule, usize)) {
        self.parent.clear();
        let mut roots = 0usize;
        for (i, s) in spans.iter().enumerate() {
            if s.parent_span_id.is_unset() {
                roots += 1;
                if roots == 2 {
                    emit(Rule::MultipleRoots, i);
                }
                self.parent.push(NO_PARENT);
                continue;
            }
            let want = &s.parent_span_id;
            let at = self
                .by_id
                .partition_point(|&j| spans[j as usize].span_id < *want);
            match self.by_id.get(at) {
                Some(&j) if spans[j as usize].span_id == *want => self.parent.push(j),
                _ => {
                    emit(Rule::OrphanSpan, i);
                    self.parent.push(NO_PARENT);
                }
            }
        }
    }

    /// Each span has at most one parent, so the parent links form chains that
    /// either end (at a root or an orphan) or run into exactly one loop.
    fn find_cycles(&mut self, emit: &mut dyn FnMut(Rule, usize)) {
        self.state.clear();
        self.state.resize(self.parent.len(), 0);
        for start in 0..self.parent.len() {
            self.path.clear();
            let mut at = start as u32;
            while at != NO_PARENT && self.state[at as usize] == 0 {
                self.state[at as usize] = 1;
                self.path.push(at);
                at = self.parent[at as usize];
            }
            if at != NO_PARENT && self.state[at as usize] == 1 {
                // Closed a new loop: it is the path from `at` to its end.
                let from = self.path.iter().position(|&p| p == at).unwrap_or(0);
                let first = self.path[from..].iter().copied().min().unwrap_or(at);
                emit(Rule::ParentCycle, first as usize);
            }
            for &p in &self.path {
                self.state[p as usize] = 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::record::{SpanId, TraceId};

    const T: [u8; 16] = [0xab; 16];

    fn id(n: u8) -> Vec<u8> {
        if n == 0 {
            Vec::new()
        } else {
            vec![n; 8]
        }
    }

    /// A span of trace `T`: id `n` (0 = empty), parent `p` (0 = root), times.
    fn span(n: u8, p: u8, start: u64, end: u64) -> SpanRecord {
        raw(&T, &id(n), &id(p), start, end)
    }

    fn raw(trace: &[u8], span: &[u8], parent: &[u8], start: u64, end: u64) -> SpanRecord {
        SpanRecord {
            trace_id: TraceId::from_slice(trace),
            span_id: SpanId::from_slice(span),
            parent_span_id: SpanId::from_slice(parent),
            start,
            end,
            seq: 0,
            label: 0,
        }
    }

    fn check_with(skew: u64, spans: &[SpanRecord]) -> Vec<(Rule, usize)> {
        let mut found = Vec::new();
        TraceChecker::new(skew).check(spans, &mut |r, i| found.push((r, i)));
        found.sort();
        found
    }

    fn check(spans: &[SpanRecord]) -> Vec<(Rule, usize)> {
        check_with(0, spans)
    }

    #[test]
    fn a_clean_tree_has_no_findings() {
        let spans = [
            span(1, 0, 10, 100),
            span(2, 1, 20, 50),
            span(3, 2, 30, 40),
            span(4, 1, 60, 90),
        ];
        assert_eq!(check(&spans), vec![]);
        // Children before their parents in input order resolve just the same.
        let reversed: Vec<_> = spans.iter().rev().cloned().collect();
        assert_eq!(check(&reversed), vec![]);
    }

    #[test]
    fn duplicates_count_once_per_id_and_resolve_to_the_first() {
        let spans = [
            span(1, 0, 10, 20),
            span(2, 1, 10, 20),
            span(2, 1, 10, 20),
            span(2, 1, 10, 20),
            span(3, 2, 5, 20),
        ];
        // One duplicate id (example: its second occurrence); span 3's parent is span 1,
        // the first occurrence of id 2, which starts after it.
        assert_eq!(
            check(&spans),
            vec![
                (Rule::DuplicateSpanId, 2),
                (Rule::ChildStartsBeforeParent, 4)
            ]
        );
    }

    #[test]
    fn end_before_start_compares_unsigned_times() {
        assert_eq!(
            check(&[span(1, 0, 10, 9), span(2, 1, 10, 10)]),
            vec![(Rule::EndBeforeStart, 0)]
        );
    }

    #[test]
    fn invalid_ids_count_once_per_span() {
        let zero_trace = [0u8; 16];
        let spans = [
            raw(&zero_trace, &id(1), &[], 1, 2),
            raw(&zero_trace, &[0; 8], &id(1), 1, 2),
            raw(&zero_trace, &[], &id(1), 1, 2),
        ];
        assert_eq!(
            check(&spans),
            vec![
                (Rule::InvalidId, 0),
                (Rule::InvalidId, 1),
                (Rule::InvalidId, 2)
            ]
        );
        // Wrong lengths: span id, parent id (no such span: also an orphan), trace id.
        let spans = [
            raw(&T, &[1; 3], &[], 1, 2),
            raw(&T, &id(2), &[1; 3], 1, 2),
            raw(&T, &id(3), &[9; 5], 1, 2),
        ];
        assert_eq!(
            check(&spans),
            vec![
                (Rule::InvalidId, 0),
                (Rule::InvalidId, 1),
                (Rule::InvalidId, 2),
                (Rule::OrphanSpan, 2)
            ]
        );
        let spans = [
            raw(&[1; 15], &id(1), &[], 1, 2),
            raw(&[1; 15], &id(2), &id(1), 1, 2),
        ];
        assert_eq!(
            check(&spans),
            vec![(Rule::InvalidId, 0), (Rule::InvalidId, 1)]
        );
    }

    #[test]
    fn unset_span_ids_are_not_duplicates_nor_parents() {
        let spans = [
            span(1, 0, 1, 2),
            span(0, 1, 1, 2),
            span(0, 1, 1, 2),
            raw(&T, &[0; 8], &id(1), 1, 2),
        ];
        let invalid: Vec<_> = (1..4).map(|i| (Rule::InvalidId, i)).collect();
        assert_eq!(check(&spans), invalid);
    }

    #[test]
    fn all_zero_parent_is_a_root() {
        let spans = [raw(&T, &id(1), &[0; 8], 1, 2), span(2, 0, 1, 2)];
        assert_eq!(check(&spans), vec![(Rule::MultipleRoots, 1)]);
    }

    #[test]
    fn orphans_are_not_roots() {
        // Only orphans: zero roots, which is not multiple_roots.
        assert_eq!(
            check(&[span(2, 1, 1, 2), span(3, 1, 1, 2)]),
            vec![(Rule::OrphanSpan, 0), (Rule::OrphanSpan, 1)]
        );
        // One root and an orphan subtree.
        let spans = [span(1, 0, 1, 9), span(3, 2, 1, 9), span(4, 3, 1, 9)];
        assert_eq!(check(&spans), vec![(Rule::OrphanSpan, 1)]);
    }

    #[test]
    fn multiple_roots_count_once_per_trace() {
        let spans = [
            span(1, 0, 1, 2),
            span(2, 0, 1, 2),
            span(3, 0, 1, 2),
            span(4, 3, 1, 2),
        ];
        assert_eq!(check(&spans), vec![(Rule::MultipleRoots, 1)]);
    }

    #[test]
    fn cycles_count_once_each_and_are_not_orphans() {
        let spans = [
            span(1, 0, 1, 9),
            // Loop 2 -> 3 -> 4 -> 2, with 5 hanging below it.
            span(3, 2, 1, 9),
            span(2, 4, 1, 9),
            span(4, 3, 1, 9),
            span(5, 4, 1, 9),
            // Self-parent.
            span(6, 6, 1, 9),
            // Loop 7 <-> 8.
            span(8, 7, 1, 9),
            span(7, 8, 1, 9),
        ];
        assert_eq!(
            check(&spans),
            vec![
                (Rule::ParentCycle, 1),
                (Rule::ParentCycle, 5),
                (Rule::ParentCycle, 6)
            ]
        );
    }

    #[test]
    fn a_cycle_in_a_trace_without_root() {
        assert_eq!(
            check(&[span(5, 4, 1, 9), span(1, 2, 1, 9), span(2, 1, 1, 9)]),
            vec![(Rule::OrphanSpan, 0), (Rule::ParentCycle, 1)]
        );
    }

    #[test]
    fn skew_tolerates_children_starting_slightly_early() {
        let spans = [
            span(1, 0, 100, 200),
            span(2, 1, 95, 150),
            span(3, 1, 90, 150),
            span(4, 1, 100, 150),
        ];
        assert_eq!(
            check_with(0, &spans),
            vec![
                (Rule::ChildStartsBeforeParent, 1),
                (Rule::ChildStartsBeforeParent, 2)
            ]
        );
        assert_eq!(
            check_with(5, &spans),
            vec![(Rule::ChildStartsBeforeParent, 2)]
        );
        assert_eq!(check_with(10, &spans), vec![]);
        assert_eq!(check_with(u64::MAX, &spans), vec![]);
    }

    #[test]
    fn wrong_length_span_ids_resolve_byte_for_byte() {
        let spans = [
            span(1, 0, 1, 9),
            raw(&T, &[2; 4], &id(1), 1, 9),
            raw(&T, &id(3), &[2; 4], 1, 9),
        ];
        assert_eq!(
            check(&spans),
            vec![(Rule::InvalidId, 1), (Rule::InvalidId, 2)]
        );
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        let n = 200_000u32;
        let spans: Vec<_> = (0..n)
            .map(|i| {
                let me = (i + 1).to_be_bytes().repeat(2);
                let parent = if i == 0 {
                    Vec::new()
                } else {
                    i.to_be_bytes().repeat(2)
                };
                raw(&T, &me, &parent, u64::from(i), u64::from(n) * 2)
            })
            .collect();
        assert_eq!(check(&spans), vec![]);
        let mut looped = spans;
        looped[0].parent_span_id = SpanId::from_slice(&n.to_be_bytes().repeat(2));
        assert_eq!(
            check(&looped),
            vec![(Rule::ParentCycle, 0), (Rule::ChildStartsBeforeParent, 0)]
        );
    }
}
