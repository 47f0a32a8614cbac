//! The shape of a trace: which operations call which (a tree of at most
//! five levels), where failures start and how far they travel, and when
//! each span starts and ends relative to the trace start.

use super::TraceGenerator;
use crate::generate::catalog::NS_PER_MS;
use crate::generate::rng::RngCore;

/// Deepest level (root = 0): five levels in all.
pub(super) const MAX_DEPTH: u32 = 4;
pub(super) const MAX_TRACE_SPANS: u64 = 30;

/// Kafka topics a PRODUCER span publishes to.
pub(super) const TOPICS: &[&str] = &["orders", "events", "notifications"];

/// What a span does.
#[derive(Debug, Clone)]
pub(super) enum Op {
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

/// One span of a trace under construction.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) parent: Option<usize>,
    pub(super) service: usize,
    pub(super) op: Op,
    pub(super) depth: u32,
    pub(super) children: Vec<usize>,
    pub(super) origin_error: bool,
    pub(super) error: bool,
    /// HTTP status code for SERVER and HTTP CLIENT spans.
    pub(super) http_status: i64,
    pub(super) duration: u64,
    /// Start, relative to the trace start.
    pub(super) start: u64,
    /// Start offsets of the children relative to this span's start.
    pub(super) child_offsets: Vec<u64>,
}

impl TraceGenerator {
    /// Builds the tree shape: parents always precede their children.
    pub(super) fn grow_tree(&mut self, n: usize) -> Vec<Node> {
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
    pub(super) fn decide_errors(&mut self, nodes: &mut [Node]) {
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
    pub(super) fn layout(&mut self, nodes: &mut [Node]) {
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
