//! The metric catalog: which metrics exist, their point kind, scope and
//! histogram bounds, and the order in which series are assigned to them.

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    CounterInt,
    CounterDouble,
    DeltaSumInt,
    UpDownInt,
    GaugeDouble,
    GaugeInt,
    Histogram(&'static [f64]),
    ExpHistogram { signed: bool },
    Summary,
}

pub(super) struct MetricDef {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    pub(super) unit: &'static str,
    pub(super) kind: Kind,
    /// Index into [`SCOPES`], or [`SCOPE_APP`].
    pub(super) scope: usize,
    /// Carries `http.method` / `http.route` attributes.
    pub(super) http: bool,
}

pub(super) const HTTP_BOUNDS: &[f64] = &[5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
const DB_BOUNDS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// The instrumentation scopes shared by every service.
pub(super) const SCOPES: &[&str] = &[
    "opentelemetry.instrumentation.http",
    "opentelemetry.instrumentation.system_metrics",
    "opentelemetry.instrumentation.runtime",
    "opentelemetry.instrumentation.kafka",
    "opentelemetry.instrumentation.sql",
    "opentelemetry.instrumentation.grpc",
];
/// Index of the per-service application scope.
pub(super) const SCOPE_APP: usize = 6;

pub(super) const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "http.server.requests",
        description: "Number of HTTP requests served",
        unit: "{request}",
        kind: Kind::CounterInt,
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "http.server.duration",
        description: "Duration of HTTP server requests",
        unit: "ms",
        kind: Kind::Histogram(HTTP_BOUNDS),
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "system.cpu.utilization",
        description: "CPU utilization",
        unit: "1",
        kind: Kind::GaugeDouble,
        scope: 1,
        http: false,
    },
    MetricDef {
        name: "process.memory.usage",
        description: "Resident memory of the process",
        unit: "By",
        kind: Kind::GaugeInt,
        scope: 2,
        http: false,
    },
    MetricDef {
        name: "process.cpu.time",
        description: "CPU time used by the process",
        unit: "s",
        kind: Kind::CounterDouble,
        scope: 2,
        http: false,
    },
    MetricDef {
        name: "messaging.messages.processed",
        description: "Messages processed in the interval",
        unit: "{message}",
        kind: Kind::DeltaSumInt,
        scope: 3,
        http: false,
    },
    MetricDef {
        name: "db.client.connections.usage",
        description: "Connections in use",
        unit: "{connection}",
        kind: Kind::UpDownInt,
        scope: 4,
        http: false,
    },
    MetricDef {
        name: "http.server.request.body.size",
        description: "Size of HTTP request bodies",
        unit: "By",
        kind: Kind::ExpHistogram { signed: false },
        scope: 0,
        http: true,
    },
    MetricDef {
        name: "db.client.operation.duration",
        description: "Duration of database operations",
        unit: "ms",
        kind: Kind::Histogram(DB_BOUNDS),
        scope: 4,
        http: false,
    },
    MetricDef {
        name: "rpc.server.latency",
        description: "RPC server latency",
        unit: "ms",
        kind: Kind::Summary,
        scope: 5,
        http: false,
    },
    MetricDef {
        name: "app.clock.drift",
        description: "Difference between local and reference clock",
        unit: "ms",
        kind: Kind::ExpHistogram { signed: true },
        scope: SCOPE_APP,
        http: false,
    },
];

/// Order in which series are assigned metrics: every metric once, then the
/// common ones again (so summaries stay a few).
pub(super) const ASSIGNMENT: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 0];
