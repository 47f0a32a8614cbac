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

use std::collections::{BTreeMap, VecDeque};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{
    span::{Event, Link, SpanKind},
    status::StatusCode,
    ResourceSpans, ScopeSpans, Span, Status,
};

use super::catalog::{self, kv_bool, kv_f64, kv_int, kv_str, Service, BASE_TIME_NS, NS_PER_MS};
use super::rng::{Rng, RngCore};

/// Deepest level (root = 0): five levels in all.
const MAX_DEPTH: u32 = 4;
const MAX_TRACE_SPANS: u64 = 30;

/// Span flags: sampled + "has is_remote" (W3C trace flags in the low byte).
const FLAGS_LOCAL_PARENT: u32 = 0x101;
/// ... and "is_remote": the parent lives in another process.
const FLAGS_REMOTE_PARENT: u32 = 0x301;

const SCOPE_HTTP: usize = 0;
const SCOPE_DB: usize = 1;
const SCOPE_MESSAGING: usize = 2;
const SCOPE_APP: usize = 3;

const TOPICS: &[&str] = &["orders", "events", "notifications"];

#[derive(Debug, Clone)]
enum Op {
    /// Serves `route` (index into the service's routes).
    Server {
        route: usize,
    },
    /// HTTP call into `target`'s `route`; its only child is the SERVER span there.
    Client {
        target: usize,
        route: usize,
    },
    Db {
        op: usize,
    },
    Internal {
        op: usize,
    },
    Producer {
        topic: usize,
    },
}

#[derive(Debug)]
struct Node {
    parent: Option<usize>,
    service: usize,
    op: Op,
    depth: u32,
    children: Vec<usize>,
    origin_error: bool,
    error: bool,
    /// HTTP status code for SERVER and HTTP CLIENT spans.
    http_status: i64,
    duration: u64,
    /// Start, relative to the trace start.
    start: u64,
    /// Start offsets of the children relative to this span's start.
    child_offsets: Vec<u64>,
}

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
        let app_scopes = services
            .iter()
            .map(|s| catalog::scope(format!("com.example.{}", s.name), &s.version))
            .collect();
        Self {
            rng: Rng::stream(seed, 0x7_0001),
            services,
            downstream,
            app_scopes,
            shared_scopes: [
                catalog::scope("opentelemetry.instrumentation.http", "0.48b0"),
                catalog::scope("opentelemetry.instrumentation.sql", "0.48b0"),
                catalog::scope("opentelemetry.instrumentation.kafka", "0.48b0"),
            ],
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
        let mut resource_spans: Vec<ResourceSpans> = Vec::new();
        let mut current: Option<usize> = None;
        for ((svc, scope), spans) in groups {
            if current != Some(svc) {
                resource_spans.push(ResourceSpans {
                    resource: Some(self.services[svc].resource.clone()),
                    scope_spans: vec![],
                    schema_url: catalog::SCHEMA_URL.to_string(),
                });
                current = Some(svc);
            }
            let scope_msg = if scope == SCOPE_APP {
                self.app_scopes[svc].clone()
            } else {
                self.shared_scopes[scope].clone()
            };
            resource_spans
                .last_mut()
                .expect("resource")
                .scope_spans
                .push(ScopeSpans {
                    scope: Some(scope_msg),
                    spans,
                    schema_url: catalog::SCHEMA_URL.to_string(),
                });
        }
        Some((ExportTraceServiceRequest { resource_spans }, count))
    }

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
            let mut events = Vec::new();
            let mut links = Vec::new();
            let mut status = None;
            if node.error {
                let message = self.error_message(node);
                if node.origin_error
                    || (matches!(node.op, Op::Server { .. }) && self.rng.chance(0.5))
                {
                    let at = start + (node.duration as f64 * self.rng.uniform(0.5, 1.0)) as u64;
                    events.push(Event {
                        time_unix_nano: at.min(end),
                        name: "exception".to_string(),
                        attributes: vec![
                            kv_str("exception.type", exception_type(&node.op)),
                            kv_str("exception.message", message.clone()),
                            kv_str(
                                "exception.stacktrace",
                                format!(
                                    "{}: {}\n\tat {}.handle({}.go:{})",
                                    exception_type(&node.op),
                                    message,
                                    self.services[node.service].name,
                                    self.services[node.service].name,
                                    40 + i
                                ),
                            ),
                        ],
                        dropped_attributes_count: 0,
                    });
                }
                status = Some(Status {
                    message,
                    code: StatusCode::Error as i32,
                });
            } else if matches!(node.op, Op::Internal { .. }) && self.rng.chance(0.05) {
                events.push(Event {
                    time_unix_nano: start + node.duration / 2,
                    name: "cache.miss".to_string(),
                    attributes: vec![kv_str(
                        "cache.key",
                        format!("item:{}", self.rng.below(10_000)),
                    )],
                    dropped_attributes_count: 0,
                });
            }
            if node.parent.is_none() {
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
            }
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

    /// Builds the tree shape: parents always precede their children.
    fn grow_tree(&mut self, n: usize) -> Vec<Node> {
        let nsvc = self.services.len();
        let entry = if nsvc == 1 || self.rng.chance(0.7) {
            0
        } else {
            self.rng.below(nsvc as u64) as usize
        };
        let route = self.rng.below(self.services[entry].routes.len() as u64) as usize;
        let mut nodes = vec![new_node(None, entry, Op::Server { route }, 0)];
        let mut eligible: Vec<usize> = Vec::with_capacity(n);
        while nodes.len() < n {
            eligible.clear();
            eligible.extend(
                nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, nd)| {
                        nd.depth < MAX_DEPTH
                            && matches!(nd.op, Op::Server { .. } | Op::Internal { .. })
                    })
                    .map(|(i, _)| i),
            );
            let parent = eligible[self.rng.below(eligible.len() as u64) as usize];
            let (svc, depth) = (nodes[parent].service, nodes[parent].depth);
            let left = n - nodes.len();
            let r = self.rng.next_f64();
            let down = &self.downstream[svc];
            if left >= 2 && depth + 2 <= MAX_DEPTH && !down.is_empty() && r < 0.45 {
                let target = down[self.rng.below(down.len() as u64) as usize];
                let route = self.rng.below(self.services[target].routes.len() as u64) as usize;
                let c = nodes.len();
                nodes.push(new_node(
                    Some(parent),
                    svc,
                    Op::Client { target, route },
                    depth + 1,
                ));
                nodes[parent].children.push(c);
                nodes.push(new_node(Some(c), target, Op::Server { route }, depth + 2));
                nodes[c].children.push(c + 1);
            } else {
                let op = match &self.services[svc].db {
                    Some(db) if r < 0.75 => Op::Db {
                        op: self.rng.below(db.ops.len() as u64) as usize,
                    },
                    _ if r < 0.8 => Op::Producer {
                        topic: self.rng.below(TOPICS.len() as u64) as usize,
                    },
                    _ => Op::Internal {
                        op: self.rng.below(self.services[svc].internal_ops.len() as u64) as usize,
                    },
                };
                let c = nodes.len();
                nodes.push(new_node(Some(parent), svc, op, depth + 1));
                nodes[parent].children.push(c);
            }
        }
        nodes
    }

    /// Failures start at a few spans and travel up to the callers; HTTP
    /// status codes follow.
    fn decide_errors(&mut self, nodes: &mut [Node]) {
        for i in (0..nodes.len()).rev() {
            let p_origin = match nodes[i].op {
                Op::Server { .. } if !nodes[i].children.is_empty() => 0.004,
                Op::Client { .. } => 0.0,
                _ => 0.012,
            };
            let origin = self.rng.chance(p_origin);
            let mut error = origin;
            let mut child_status = 0;
            for &c in &nodes[i].children {
                child_status = nodes[c].http_status;
                if nodes[c].error
                    && (matches!(nodes[i].op, Op::Client { .. }) || self.rng.chance(0.5))
                {
                    error = true;
                }
            }
            let node = &mut nodes[i];
            match node.op {
                Op::Server { .. } => {
                    node.http_status = if error {
                        if self.rng.chance(0.8) {
                            500
                        } else {
                            503
                        }
                    } else if self.rng.chance(0.015) {
                        404
                    } else {
                        200
                    };
                }
                Op::Client { .. } => {
                    node.http_status = child_status;
                    error |= child_status >= 400;
                }
                _ => {}
            }
            node.error = error;
            node.origin_error = origin;
        }
    }

    /// Durations bottom-up (log-normal leaves, callers wrap their callees
    /// with self time), then start offsets top-down.
    fn layout(&mut self, nodes: &mut [Node]) {
        for i in (0..nodes.len()).rev() {
            let mut offsets = Vec::with_capacity(nodes[i].children.len());
            let duration = if nodes[i].children.is_empty() {
                let (median_ms, sigma) = match &nodes[i].op {
                    Op::Server { .. } => (2.0, 1.0),
                    Op::Client { .. } => (1.0, 0.8),
                    Op::Db { .. } => match self.services[nodes[i].service].db.as_ref() {
                        Some(db) if db.system == "redis" => (0.3, 0.7),
                        Some(db) if db.system == "elasticsearch" => (8.0, 0.9),
                        _ => (1.5, 1.1),
                    },
                    Op::Internal { .. } => (0.2, 1.2),
                    Op::Producer { .. } => (0.8, 0.6),
                };
                let (median_ms, sigma) =
                    if nodes[i].origin_error && !matches!(nodes[i].op, Op::Internal { .. }) {
                        // failures are often timeouts
                        if self.rng.chance(0.3) {
                            (1000.0, 0.3)
                        } else {
                            (median_ms, sigma)
                        }
                    } else {
                        (median_ms, sigma)
                    };
                ns(self.rng.lognormal(median_ms, sigma))
            } else if let Op::Client { .. } = nodes[i].op {
                let child = nodes[i].children[0];
                let out = ns(self.rng.lognormal(0.25, 0.5));
                let back = ns(self.rng.lognormal(0.2, 0.5));
                offsets.push(out);
                out + nodes[child].duration + back
            } else {
                let mut cursor = ns(self.rng.lognormal(0.15, 0.8));
                let mut prev_start: Option<u64> = None;
                for &c in &nodes[i].children {
                    let start = match prev_start {
                        Some(p) if self.rng.chance(0.25) => p + ns(self.rng.lognormal(0.01, 0.5)),
                        _ => cursor + ns(self.rng.lognormal(0.015, 0.5)),
                    };
                    offsets.push(start);
                    cursor = cursor.max(start + nodes[c].duration);
                    prev_start = Some(start);
                }
                cursor + ns(self.rng.lognormal(0.1, 0.8))
            };
            nodes[i].duration = duration;
            nodes[i].child_offsets = offsets;
        }
        for i in 0..nodes.len() {
            let start = nodes[i].start;
            for k in 0..nodes[i].children.len() {
                let c = nodes[i].children[k];
                nodes[c].start = start + nodes[i].child_offsets[k];
            }
        }
    }

    fn describe(&mut self, node: &Node, tenant: &str) -> (String, SpanKind, usize, Vec<KeyValue>) {
        let rng = &mut self.rng;
        let svc = &self.services[node.service];
        match &node.op {
            Op::Server { route } => {
                let (method, path) = &svc.routes[*route];
                let mut attrs = vec![
                    kv_str("http.method", *method),
                    kv_str("http.route", path.clone()),
                    kv_int("http.status_code", node.http_status),
                ];
                if node.parent.is_none() {
                    attrs.push(kv_str("http.scheme", "https"));
                }
                attrs.push(kv_str("tenant", tenant));
                (
                    format!("{method} {path}"),
                    SpanKind::Server,
                    SCOPE_HTTP,
                    attrs,
                )
            }
            Op::Client { target, route } => {
                let t = &self.services[*target];
                let (method, path) = &t.routes[*route];
                let attrs = vec![
                    kv_str("http.method", *method),
                    kv_str("http.url", format!("http://{}:8080{}", t.name, path)),
                    kv_int("http.status_code", node.http_status),
                    kv_str("net.peer.name", t.name.clone()),
                    kv_str("tenant", tenant),
                ];
                (
                    format!("{method} {path}"),
                    SpanKind::Client,
                    SCOPE_HTTP,
                    attrs,
                )
            }
            Op::Db { op } => {
                let db = svc.db.as_ref().expect("db op on a service with a db");
                let (name, statement) = &db.ops[*op];
                let operation = name.split(' ').next().unwrap_or(name).to_string();
                let attrs = vec![
                    kv_str("db.system", db.system),
                    kv_str("db.name", db.name),
                    kv_str("db.statement", statement.clone()),
                    kv_str("db.operation", operation),
                    kv_str("net.peer.name", format!("{}.{}.svc", db.system, svc.name)),
                    kv_str("tenant", tenant),
                ];
                (name.clone(), SpanKind::Client, SCOPE_DB, attrs)
            }
            Op::Internal { op } => {
                let name = svc.internal_ops[*op];
                let mut attrs = vec![kv_str("code.function", name)];
                if rng.chance(0.3) {
                    attrs.push(kv_bool("cache.hit", rng.chance(0.7)));
                }
                if name == "compute_total" {
                    let amount = (rng.lognormal(60.0, 0.8) * 100.0).round() / 100.0;
                    attrs.push(kv_f64("order.amount", amount));
                }
                attrs.push(kv_str("tenant", tenant));
                (name.to_string(), SpanKind::Internal, SCOPE_APP, attrs)
            }
            Op::Producer { topic } => {
                let topic = TOPICS[*topic];
                let attrs = vec![
                    kv_str("messaging.system", "kafka"),
                    kv_str("messaging.destination.name", topic),
                    kv_str("messaging.operation", "publish"),
                    kv_str("tenant", tenant),
                ];
                (
                    format!("{topic} publish"),
                    SpanKind::Producer,
                    SCOPE_MESSAGING,
                    attrs,
                )
            }
        }
    }

    fn error_message(&mut self, node: &Node) -> String {
        const DB: &[&str] = &[
            "connection reset by peer",
            "deadlock detected",
            "canceling statement due to statement timeout",
            "too many connections",
        ];
        const INTERNAL: &[&str] = &[
            "order.items is null",
            "invalid literal for int() with base 10: ''",
            "index out of range [3] with length 3",
            "context deadline exceeded",
        ];
        match node.op {
            Op::Server { .. } => {
                if node.http_status == 503 {
                    "Service Unavailable".to_string()
                } else {
                    "Internal Server Error".to_string()
                }
            }
            Op::Client { .. } => format!("HTTP {}", node.http_status),
            Op::Db { .. } => DB[self.rng.below(DB.len() as u64) as usize].to_string(),
            Op::Internal { .. } => {
                INTERNAL[self.rng.below(INTERNAL.len() as u64) as usize].to_string()
            }
            Op::Producer { .. } => "kafka: broker not available".to_string(),
        }
    }
}

fn exception_type(op: &Op) -> &'static str {
    match op {
        Op::Server { .. } => "InternalServerError",
        Op::Client { .. } => "HttpError",
        Op::Db { .. } => "DatabaseError",
        Op::Internal { .. } => "RuntimeError",
        Op::Producer { .. } => "KafkaError",
    }
}

fn new_node(parent: Option<usize>, service: usize, op: Op, depth: u32) -> Node {
    Node {
        parent,
        service,
        op,
        depth,
        children: Vec::new(),
        origin_error: false,
        error: false,
        http_status: 0,
        duration: 0,
        start: 0,
        child_offsets: Vec::new(),
    }
}

/// Milliseconds → whole nanoseconds, at least 1 µs.
fn ns(ms: f64) -> u64 {
    ((ms * NS_PER_MS).round() as u64).max(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn all_spans(seed: u64, spans: u64, batch: u64) -> Vec<(String, Span)> {
        let mut g = TraceGenerator::new(seed, spans, 6, 10);
        let mut out = Vec::new();
        while let Some((req, n)) = g.next_batch(batch) {
            let mut c = 0;
            for rs in &req.resource_spans {
                let svc = rs.resource.as_ref().unwrap().attributes[0]
                    .value
                    .clone()
                    .unwrap();
                let svc = match svc.value.unwrap() {
                    opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s) => s,
                    _ => panic!(),
                };
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        out.push((svc.clone(), s.clone()));
                        c += 1;
                    }
                }
            }
            assert_eq!(c, n);
            assert!(n <= batch);
        }
        out
    }

    #[test]
    fn exact_count_and_batch_independent_content() {
        let a = all_spans(3, 1234, 100);
        let b = all_spans(3, 1234, 7);
        assert_eq!(a.len(), 1234);
        let ids = |v: &[(String, Span)]| {
            let mut s: Vec<Vec<u8>> = v.iter().map(|(_, s)| s.span_id.clone()).collect();
            s.sort();
            s
        };
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn trees_are_well_formed() {
        let spans = all_spans(11, 20_000, 1000);
        let mut by_trace: HashMap<Vec<u8>, Vec<&Span>> = HashMap::new();
        for (_, s) in &spans {
            by_trace.entry(s.trace_id.clone()).or_default().push(s);
        }
        let mut errors = 0;
        let mut kinds = HashSet::new();
        let mut max_depth = 0;
        for trace in by_trace.values() {
            assert!(trace.len() <= 30);
            let by_id: HashMap<&[u8], &Span> =
                trace.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
            assert_eq!(by_id.len(), trace.len(), "duplicate span ids");
            let roots = trace.iter().filter(|s| s.parent_span_id.is_empty()).count();
            assert_eq!(roots, 1);
            for s in trace {
                assert!(s.end_time_unix_nano > s.start_time_unix_nano);
                assert!(s.start_time_unix_nano > BASE_TIME_NS);
                kinds.insert(s.kind);
                if s.status.as_ref().map(|st| st.code) == Some(2) {
                    errors += 1;
                    assert!(!s.status.as_ref().unwrap().message.is_empty());
                }
                let mut depth = 0;
                let mut cur = *s;
                while !cur.parent_span_id.is_empty() {
                    let p = by_id[cur.parent_span_id.as_slice()];
                    assert!(p.start_time_unix_nano < cur.start_time_unix_nano);
                    assert!(p.end_time_unix_nano > cur.end_time_unix_nano);
                    cur = p;
                    depth += 1;
                }
                max_depth = max_depth.max(depth);
                assert!(s.attributes.iter().any(|kv| kv.key == "tenant"));
            }
        }
        assert!(max_depth <= MAX_DEPTH);
        assert!(max_depth >= 3);
        let rate = errors as f64 / spans.len() as f64;
        assert!((0.01..=0.05).contains(&rate), "error rate {rate}");
        for k in [1, 2, 3] {
            assert!(kinds.contains(&k), "kind {k} missing");
        }
        let services: HashSet<&String> = spans.iter().map(|(s, _)| s).collect();
        assert_eq!(services.len(), 6);
    }
}
