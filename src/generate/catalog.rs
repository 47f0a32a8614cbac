//! The fictional system the generators describe: services with their
//! routes, databases and internal operations, resources, scopes and
//! attribute helpers shared by all three signals.

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;

/// 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch: every generated
/// timestamp is this plus a generated offset (no wall-clock time).
pub const BASE_TIME_NS: u64 = 1_767_225_600_000_000_000;

pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.24.0";

pub const NS_PER_MS: f64 = 1_000_000.0;

/// A database a service talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pub system: &'static str,
    pub name: &'static str,
    /// (span name, statement) pairs.
    pub ops: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub version: String,
    pub host: String,
    pub language: &'static str,
    /// HTTP routes served: (method, route).
    pub routes: Vec<(&'static str, String)>,
    pub internal_ops: Vec<&'static str>,
    pub db: Option<Db>,
    pub resource: Resource,
}

const NAMED: &[&str] = &[
    "frontend",
    "checkout",
    "cart",
    "payment",
    "shipping",
    "currency",
    "email",
    "recommendation",
    "ad",
    "product-catalog",
    "quote",
    "fraud-detection",
    "accounting",
    "inventory",
    "auth",
    "search",
    "notification",
    "user",
    "review",
    "gateway",
];

const LANGUAGES: &[&str] = &["go", "java", "python", "nodejs", "dotnet", "rust"];

/// Name of service `i`: the well-known ones first, then `service-N`.
pub fn service_name(i: usize) -> String {
    NAMED
        .get(i)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("service-{i}"))
}

fn routes_for(name: &str) -> Vec<(&'static str, String)> {
    let r: &[(&'static str, &str)] = match name {
        "frontend" => &[
            ("GET", "/"),
            ("GET", "/api/products"),
            ("GET", "/api/products/{id}"),
            ("GET", "/api/cart"),
            ("POST", "/api/cart"),
            ("POST", "/api/checkout"),
            ("GET", "/api/recommendations"),
        ],
        "checkout" => &[("POST", "/checkout"), ("GET", "/checkout/{id}")],
        "cart" => &[
            ("GET", "/cart/{user}"),
            ("POST", "/cart/{user}/items"),
            ("DELETE", "/cart/{user}"),
        ],
        "payment" => &[("POST", "/charge"), ("POST", "/refund")],
        "shipping" => &[("POST", "/quote"), ("POST", "/ship")],
        "currency" => &[("GET", "/currencies"), ("POST", "/convert")],
        "email" => &[("POST", "/send_order_confirmation")],
        "recommendation" => &[("GET", "/recommendations")],
        "ad" => &[("GET", "/ads")],
        "product-catalog" => &[
            ("GET", "/products"),
            ("GET", "/products/{id}"),
            ("GET", "/products/search"),
        ],
        "quote" => &[("POST", "/getquote")],
        "fraud-detection" => &[("POST", "/score")],
        "accounting" => &[("POST", "/ledger/entries")],
        "inventory" => &[("GET", "/stock/{sku}"), ("POST", "/reserve")],
        "auth" => &[("POST", "/login"), ("POST", "/token/verify")],
        "search" => &[("GET", "/search")],
        "notification" => &[("POST", "/notify")],
        "user" => &[("GET", "/users/{id}"), ("PUT", "/users/{id}")],
        "review" => &[("GET", "/reviews/{product}"), ("POST", "/reviews")],
        "gateway" => &[("GET", "/v1/{path}"), ("POST", "/v1/{path}")],
        _ => &[
            ("GET", "/api/items"),
            ("GET", "/api/items/{id}"),
            ("POST", "/api/items"),
        ],
    };
    r.iter().map(|(m, p)| (*m, p.to_string())).collect()
}

fn internal_ops_for(name: &str) -> Vec<&'static str> {
    match name {
        "frontend" => vec!["render_page", "load_session", "serialize_response"],
        "checkout" => vec!["prepare_order", "compute_total", "validate_address"],
        "cart" => vec!["load_cart", "merge_items"],
        "payment" => vec!["validate_card", "tokenize"],
        "recommendation" => vec!["score_candidates", "rank"],
        _ => vec!["process", "validate_request", "serialize_response"],
    }
}

fn db_for(i: usize, name: &str) -> Option<Db> {
    let sql = |table: &str| -> Vec<(String, String)> {
        vec![
            (
                format!("SELECT {table}"),
                format!("SELECT * FROM {table} WHERE id = ?"),
            ),
            (
                format!("INSERT {table}"),
                format!("INSERT INTO {table} VALUES (?, ?, ?)"),
            ),
            (
                format!("UPDATE {table}"),
                format!("UPDATE {table} SET status = ? WHERE id = ?"),
            ),
        ]
    };
    match name {
        "frontend" | "email" | "currency" | "quote" | "gateway" => None,
        "cart" => Some(Db {
            system: "redis",
            name: "0",
            ops: vec![
                ("HGET".into(), "HGET cart:?".into()),
                ("HSET".into(), "HSET cart:? ? ?".into()),
                ("EXPIRE".into(), "EXPIRE cart:? 3600".into()),
            ],
        }),
        "checkout" => Some(Db {
            system: "postgresql",
            name: "orders",
            ops: sql("orders"),
        }),
        "payment" | "accounting" => Some(Db {
            system: "postgresql",
            name: "ledger",
            ops: sql("transactions"),
        }),
        "product-catalog" | "inventory" | "review" => Some(Db {
            system: "mysql",
            name: "catalog",
            ops: sql("products"),
        }),
        "shipping" => Some(Db {
            system: "postgresql",
            name: "shipping",
            ops: sql("shipments"),
        }),
        "user" | "auth" => Some(Db {
            system: "postgresql",
            name: "users",
            ops: sql("users"),
        }),
        "search" | "recommendation" => Some(Db {
            system: "elasticsearch",
            name: "products",
            ops: vec![("search products".into(), "GET /products/_search".into())],
        }),
        _ if i % 3 == 2 => None,
        _ => Some(Db {
            system: "postgresql",
            name: "app",
            ops: sql("items"),
        }),
    }
}

/// An attribute holding `value`.
pub fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

pub fn kv_str(key: &str, v: impl Into<String>) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}

pub fn kv_int(key: &str, v: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(v))
}

pub fn kv_f64(key: &str, v: f64) -> KeyValue {
    kv(key, any_value::Value::DoubleValue(v))
}

pub fn kv_bool(key: &str, v: bool) -> KeyValue {
    kv(key, any_value::Value::BoolValue(v))
}

pub fn any_str(s: impl Into<String>) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(s.into())),
    }
}

/// A tenant index in [0, cardinality): half the draws uniform (so every
/// value shows up), half skewed towards the low numbers (a few big tenants).
pub fn pick_tenant(rng: &mut impl super::rng::RngCore, cardinality: u64) -> u64 {
    if rng.chance(0.5) {
        rng.below(cardinality)
    } else {
        let u = rng.next_f64();
        ((cardinality as f64 * u * u) as u64).min(cardinality - 1)
    }
}

/// Value `k` of the `tenant` attribute.
pub fn tenant(k: u64) -> String {
    format!("tenant-{k}")
}

/// The services of a dataset; names, versions and hosts depend only on the
/// index (and the seed for the host suffix).
pub fn services(n: u32, seed: u64) -> Vec<Service> {
    (0..n as usize)
        .map(|i| {
            let name = service_name(i);
            let version = format!(
                "1.{}.{}",
                (i * 7 + 3) % 10,
                (i * 3 + (seed as usize % 5)) % 7
            );
            let suffix = super::rng::derive_seed(seed, 0x5e7_0000 + i as u64) & 0xff_ffff;
            let host = format!("{name}-{suffix:06x}");
            let language = LANGUAGES[i % LANGUAGES.len()];
            let resource = Resource {
                attributes: vec![
                    kv_str("service.name", name.clone()),
                    kv_str("service.namespace", "shop"),
                    kv_str("service.version", version.clone()),
                    kv_str("host.name", host.clone()),
                    kv_str("deployment.environment", "production"),
                    kv_str("telemetry.sdk.name", "opentelemetry"),
                    kv_str("telemetry.sdk.language", language),
                ],
                dropped_attributes_count: 0,
                entity_refs: vec![],
            };
            Service {
                routes: routes_for(&name),
                internal_ops: internal_ops_for(&name),
                db: db_for(i, &name),
                name,
                version,
                host,
                language,
                resource,
            }
        })
        .collect()
}

pub fn scope(name: impl Into<String>, version: &str) -> InstrumentationScope {
    InstrumentationScope {
        name: name.into(),
        version: version.to_string(),
        attributes: vec![],
        dropped_attributes_count: 0,
    }
}

/// Version of the shared instrumentation libraries' scopes.
const INSTRUMENTATION_VERSION: &str = "0.48b0";

/// The scope of a shared instrumentation library (HTTP, SQL, Kafka, ...).
pub fn instrumentation_scope(name: &str) -> InstrumentationScope {
    scope(name, INSTRUMENTATION_VERSION)
}

/// A service's own application scope, `com.example.<service>`.
pub fn app_scope(service: &Service) -> InstrumentationScope {
    scope(format!("com.example.{}", service.name), &service.version)
}
