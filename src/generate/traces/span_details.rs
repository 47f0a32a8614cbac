//! What each span says: its name, kind, scope and attributes by operation,
//! and for failed spans the status, error message and `exception` event.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::{
    span::{Event, SpanKind},
    status::StatusCode,
    Status,
};

use super::tree::{Node, Op, TOPICS};
use super::{TraceGenerator, SCOPE_APP, SCOPE_DB, SCOPE_HTTP, SCOPE_MESSAGING};
use crate::generate::catalog::{kv_bool, kv_f64, kv_int, kv_str};
use crate::generate::rng::RngCore;

impl TraceGenerator {
    /// Name, kind, scope and attributes of the span for `node`.
    pub(super) fn describe(
        &mut self,
        node: &Node,
        tenant: &str,
    ) -> (String, SpanKind, usize, Vec<KeyValue>) {
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

    /// The span's events and status: for a failed span an ERROR status and,
    /// where the failure originates (or at a server half the time), an
    /// `exception` event; otherwise the odd cache-miss event.
    pub(super) fn events_and_status(
        &mut self,
        node: &Node,
        index: usize,
        start: u64,
        end: u64,
    ) -> (Vec<Event>, Option<Status>) {
        let mut events = Vec::new();
        let mut status = None;
        if node.error {
            let message = self.error_message(node);
            if node.origin_error || (matches!(node.op, Op::Server { .. }) && self.rng.chance(0.5)) {
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
                                40 + index
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
        (events, status)
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
