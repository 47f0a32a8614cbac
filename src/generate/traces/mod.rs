//! Synthetic traces: span trees across a service call graph.
//!
//! Each trace starts with a SERVER span at an entry service and grows to
//! 2–30 spans: INTERNAL work, CLIENT calls into downstream services (each
//! answered by a SERVER span there), database CLIENT calls and the odd
//! PRODUCER span, at most five levels deep. Durations are log-normal (heavy
//! tailed) at the leaves and built bottom-up, so every child starts after
//! and ends before its parent. About 1–5 % of spans end with status ERROR,
//! with `exception` events where the failure originates and propagation up
//! through the callers.
//!
//! Layout: [`tree`] shapes a trace (operations, errors, timing),
//! [`span_details`] names and describes each span; this module turns the
//! trees into spans and frames.

mod span_details;
#[cfg(test)]
mod tests;
mod tree;

use std::collections::{BTreeMap, VecDeque};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::{span::Link, ResourceSpans, ScopeSpans, Span};

use super::catalog::{self, kv_str, Service, BASE_TIME_NS, NS_PER_MS};
use super::grouping::group_by_outer_key;
use super::rng::{Rng, RngCore};
use tree::MAX_TRACE_SPANS;

/// Span flags: sampled + "has is_remote" (W3C trace flags in the low byte).
const FLAGS_LOCAL_PARENT: u32 = 0x101;
/// ... and "is_remote": the parent lives in another process.
const FLAGS_REMOTE_PARENT: u32 = 0x301;

/// The shared instrumentation scopes, by index; [`SCOPE_APP`] is each
/// service's own.
const SHARED_SCOPES: [&str; 3] = [
    "opentelemetry.instrumentation.http",
    "opentelemetry.instrumentation.sql",
    "opentelemetry.instrumentation.kafka",
];
const SCOPE_HTTP: usize = 0;
const SCOPE_DB: usize = 1;
const SCOPE_MESSAGING: usize = 2;
const SCOPE_APP: usize = 3;

/// Streams the spans of a dataset in frames of at most `batch` spans.
pub struct TraceGenerator {
    rng: Rng,
    services: Vec<Service>,
    downstream: Vec<Vec<usize>>,
    app_scopes: Vec<InstrumentationScope>,
    shared_scopes: [InstrumentationScope; 3],
    cardinality: u64,
    remaining: u64,
    pending: VecDeque<(usize, usize, Span)>,
    /// Offset of the latest trace start from `BASE_TIME_NS`.
    clock: u64,
    prev_root: Option<(Vec<u8>, Vec<u8>)>,
}

impl TraceGenerator {
    /// `spans` spans over `services` services, `cardinality` tenants.
    pub fn new(seed: u64, spans: u64, services: u32, cardinality: u32) -> Self {
        let services = catalog::services(services.max(1), seed);
        let mut topo = Rng::stream(seed, 0x7090);
        let n = services.len();
        let downstream = (0..n)
            .map(|i| {
                let mut d: Vec<usize> = (i + 1..n)
                    .filter(|j| topo.chance(if j - i <= 6 { 0.35 } else { 0.03 }))
                    .collect();
                if d.is_empty() && i + 1 < n {
                    d.push(i + 1);
                }
                d
            })
            .collect();
        let app_scopes = services.iter().map(catalog::app_scope).collect();
        Self {
            rng: Rng::stream(seed, 0x7_0001),
            services,
            downstream,
            app_scopes,
            shared_scopes: SHARED_SCOPES.map(catalog::instrumentation_scope),
            cardinality: cardinality.max(1) as u64,
            remaining: spans,
            pending: VecDeque::new(),
            clock: 0,
            prev_root: None,
        }
    }

    /// The next frame: up to `batch` spans grouped by service (one
    /// `ResourceSpans` each) and scope; `None` once every span is out.
    pub fn next_batch(&mut self, batch: u64) -> Option<(ExportTraceServiceRequest, u64)> {
        let mut groups: BTreeMap<(usize, usize), Vec<Span>> = BTreeMap::new();
        let mut count = 0u64;
        while count < batch.max(1) {
            if self.pending.is_empty() {
                if self.remaining == 0 {
                    break;
                }
                self.generate_trace();
            }
            let (svc, scope, span) = self.pending.pop_front().expect("pending span");
            groups.entry((svc, scope)).or_default().push(span);
            count += 1;
        }
        if count == 0 {
            return None;
        }
        let resource_spans = group_by_outer_key(groups)
            .into_iter()
            .map(|(svc, scopes)| ResourceSpans {
                resource: Some(self.services[svc].resource.clone()),
                scope_spans: scopes
                    .into_iter()
                    .map(|(scope, spans)| ScopeSpans {
                        scope: Some(self.scope(svc, scope).clone()),
                        spans,
                        schema_url: catalog::SCHEMA_URL.to_string(),
                    })
                    .collect(),
                schema_url: catalog::SCHEMA_URL.to_string(),
            })
            .collect();
        Some((ExportTraceServiceRequest { resource_spans }, count))
    }

    /// Scope number `scope` (a shared one or [`SCOPE_APP`]) of service `svc`.
    fn scope(&self, svc: usize, scope: usize) -> &InstrumentationScope {
        if scope == SCOPE_APP {
            &self.app_scopes[svc]
        } else {
            &self.shared_scopes[scope]
        }
    }

    /// Draws one whole trace and queues its spans.
    fn generate_trace(&mut self) {
        let n = {
            let drawn = self.rng.lognormal(7.0, 0.6).round() as u64;
            drawn.clamp(2, MAX_TRACE_SPANS).min(self.remaining)
        };
        self.remaining -= n;
        let mut nodes = self.grow_tree(n as usize);
        self.decide_errors(&mut nodes);
        self.layout(&mut nodes);

        self.clock += self.rng.exponential(25.0 * NS_PER_MS).round() as u64 + 1;
        let trace_start = BASE_TIME_NS + self.clock;
        let trace_id = self.rng.trace_id();
        let tenant = catalog::tenant(catalog::pick_tenant(&mut self.rng, self.cardinality));
        let trace_state = if self.rng.chance(0.1) {
            "ot=th:0".to_string()
        } else {
            String::new()
        };
        let span_ids: Vec<Vec<u8>> = (0..nodes.len()).map(|_| self.rng.span_id()).collect();

        for (i, node) in nodes.iter().enumerate() {
            let start = trace_start + node.start;
            let end = start + node.duration;
            let remote_parent = node
                .parent
                .map(|p| nodes[p].service != node.service)
                .unwrap_or(false);
            let (name, kind, scope, attributes) = self.describe(node, &tenant);
            let (events, status) = self.events_and_status(node, i, start, end);
            let links = if node.parent.is_none() {
                self.link_to_previous_root()
            } else {
                Vec::new()
            };
            // now and then an SDK attribute limit dropped one
            let dropped_attributes_count = u32::from(self.rng.chance(0.001));
            let span = Span {
                trace_id: trace_id.clone(),
                span_id: span_ids[i].clone(),
                trace_state: trace_state.clone(),
                parent_span_id: node.parent.map(|p| span_ids[p].clone()).unwrap_or_default(),
                flags: if remote_parent {
                    FLAGS_REMOTE_PARENT
                } else {
                    FLAGS_LOCAL_PARENT
                },
                name,
                kind: kind as i32,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes,
                dropped_attributes_count,
                events,
                dropped_events_count: 0,
                links,
                dropped_links_count: 0,
                status,
            };
            self.pending.push_back((node.service, scope, span));
        }
        self.prev_root = Some((trace_id, span_ids[0].clone()));
    }

    /// Now and then, a root span's "follows from" link to the previous
    /// trace's root.
    fn link_to_previous_root(&mut self) -> Vec<Link> {
        let mut links = Vec::new();
        if let Some((tid, sid)) = &self.prev_root {
            if self.rng.chance(0.02) {
                links.push(Link {
                    trace_id: tid.clone(),
                    span_id: sid.clone(),
                    trace_state: String::new(),
                    attributes: vec![kv_str("link.reason", "follows_from")],
                    dropped_attributes_count: 0,
                    flags: FLAGS_LOCAL_PARENT,
                });
            }
        }
        links
    }
}
