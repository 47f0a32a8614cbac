//! Synthetic logs: records from templates, mostly INFO with some DEBUG,
//! WARN and ERROR, occasionally structured (kvlist) bodies, about half
//! correlated with a trace, times increasing with jitter, the observed time
//! slightly after the event time, and a few records without a time (only
//! the observed time, as collectors see from sources without timestamps).

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};

use super::catalog::{self, any_str, kv, kv_bool, kv_f64, kv_int, kv_str, Service, BASE_TIME_NS};
use super::grouping::group_by_outer_key;
use super::rng::{Rng, RngCore};

const COMPONENTS: [&str; 3] = ["http", "db", "app"];
const SCOPE_HTTP: usize = 0;
const SCOPE_DB: usize = 1;
const SCOPE_APP: usize = 2;

const ERRORS: &[&str] = &[
    "insufficient stock",
    "address validation failed",
    "context deadline exceeded",
    "unique constraint violated",
];

/// Streams `logs` log records in frames of at most `batch` records.
pub struct LogGenerator {
    rng: Rng,
    services: Vec<Service>,
    scopes: Vec<[InstrumentationScope; 3]>,
    cardinality: u64,
    remaining: u64,
    clock: u64,
}

impl LogGenerator {
    pub fn new(seed: u64, logs: u64, services: u32, cardinality: u32) -> Self {
        let services = catalog::services(services.max(1), seed);
        let scopes = services
            .iter()
            .map(|s| {
                COMPONENTS
                    .map(|c| catalog::scope(format!("com.example.{}.{c}", s.name), &s.version))
            })
            .collect();
        Self {
            rng: Rng::stream(seed, 0x1065),
            services,
            scopes,
            cardinality: cardinality.max(1) as u64,
            remaining: logs,
            clock: 0,
        }
    }

    /// The next frame: up to `batch` records grouped by service and logger
    /// scope; `None` once every record is out.
    pub fn next_batch(&mut self, batch: u64) -> Option<(ExportLogsServiceRequest, u64)> {
        let n = batch.max(1).min(self.remaining);
        if n == 0 {
            return None;
        }
        self.remaining -= n;
        let mut groups: BTreeMap<(usize, usize), Vec<LogRecord>> = BTreeMap::new();
        for _ in 0..n {
            let (svc, scope, rec) = self.record();
            groups.entry((svc, scope)).or_default().push(rec);
        }
        let resource_logs = group_by_outer_key(groups)
            .into_iter()
            .map(|(svc, scopes)| ResourceLogs {
                resource: Some(self.services[svc].resource.clone()),
                scope_logs: scopes
                    .into_iter()
                    .map(|(scope, log_records)| ScopeLogs {
                        scope: Some(self.scopes[svc][scope].clone()),
                        log_records,
                        schema_url: String::new(),
                    })
                    .collect(),
                schema_url: catalog::SCHEMA_URL.to_string(),
            })
            .collect();
        Some((ExportLogsServiceRequest { resource_logs }, n))
    }

    fn record(&mut self) -> (usize, usize, LogRecord) {
        let rng = &mut self.rng;
        self.clock += rng.exponential(2_000_000.0).round() as u64 + 1;
        let time = BASE_TIME_NS + self.clock;
        let observed = time + (rng.lognormal(5.0, 0.8) * 1e6).round() as u64 + 1;
        let nsvc = self.services.len() as u64;
        let svc_idx = {
            let u = rng.next_f64();
            ((u * u * nsvc as f64) as u64).min(nsvc - 1) as usize
        };
        let svc = &self.services[svc_idx];
        let u = rng.next_f64();
        let severity = if u < 0.06 {
            SeverityNumber::Debug
        } else if u < 0.86 {
            SeverityNumber::Info
        } else if u < 0.95 {
            SeverityNumber::Warn
        } else {
            SeverityNumber::Error
        };
        let tenant = catalog::tenant(catalog::pick_tenant(rng, self.cardinality));
        let mut attributes = vec![
            kv_str("tenant", tenant),
            kv_int("thread.id", rng.range_inclusive(1, 64) as i64),
        ];
        let mut event_name = "";
        let (method, route) = &svc.routes[rng.below(svc.routes.len() as u64) as usize];
        let downstream = catalog::service_name(rng.below(nsvc) as usize);
        let ms = (rng.lognormal(20.0, 1.0) * 10.0).round() / 10.0;
        let id = rng.range_inclusive(100_000, 999_999);
        let (scope, body) = match severity {
            SeverityNumber::Debug => {
                if rng.chance(0.5) {
                    (
                        SCOPE_APP,
                        any_str(format!(
                            "cache lookup key=item:{} hit={}",
                            rng.below(10_000),
                            rng.chance(0.7)
                        )),
                    )
                } else {
                    (
                        SCOPE_DB,
                        any_str(format!("query executed in {ms} ms rows={}", rng.below(500))),
                    )
                }
            }
            SeverityNumber::Info => match rng.below(100) {
                0..=3 => {
                    let mut fields = vec![
                        kv_str("message", format!("handled {method} {route}")),
                        kv_int("user.id", rng.below(100_000) as i64),
                        kv_bool("success", rng.chance(0.95)),
                        kv_f64("latency_ms", ms),
                        kv(
                            "tags",
                            any_value::Value::ArrayValue(ArrayValue {
                                values: vec![any_str("api"), any_str(svc.name.clone())],
                            }),
                        ),
                    ];
                    if rng.chance(0.3) {
                        let mut digest = vec![0u8; 8];
                        rng.fill_id(&mut digest);
                        fields.push(kv("digest", any_value::Value::BytesValue(digest)));
                    }
                    (
                        SCOPE_HTTP,
                        AnyValue {
                            value: Some(any_value::Value::KvlistValue(KeyValueList {
                                values: fields,
                            })),
                        },
                    )
                }
                4..=59 => {
                    let status = if rng.chance(0.97) { 200 } else { 404 };
                    attributes.push(kv_str("http.route", route.clone()));
                    (
                        SCOPE_HTTP,
                        any_str(format!(
                            "request completed method={method} route={route} status={status} duration_ms={ms}"
                        )),
                    )
                }
                60..=74 => {
                    event_name = "user.login";
                    (
                        SCOPE_APP,
                        any_str(format!("user {} logged in", rng.below(100_000))),
                    )
                }
                75..=89 => {
                    event_name = "order.placed";
                    let total = (rng.lognormal(60.0, 0.8) * 100.0).round() / 100.0;
                    (
                        SCOPE_APP,
                        any_str(format!(
                            "order {id} placed total={total} items={}",
                            rng.range_inclusive(1, 9)
                        )),
                    )
                }
                _ => (
                    SCOPE_APP,
                    any_str(format!("cache refreshed entries={}", rng.below(50_000))),
                ),
            },
            SeverityNumber::Warn => match rng.below(3) {
                0 => {
                    attributes.push(kv_str("http.route", route.clone()));
                    (
                        SCOPE_HTTP,
                        any_str(format!(
                            "slow request route={route} duration_ms={}",
                            (ms * 20.0).round()
                        )),
                    )
                }
                1 => (
                    SCOPE_HTTP,
                    any_str(format!(
                        "retrying call to {downstream} attempt={}",
                        rng.range_inclusive(1, 3)
                    )),
                ),
                _ => (
                    SCOPE_DB,
                    any_str(format!(
                        "connection pool {}% utilized",
                        rng.range_inclusive(80, 99)
                    )),
                ),
            },
            _ => {
                let (ty, body) = match rng.below(3) {
                    0 => (
                        "OrderProcessingError",
                        format!(
                            "failed to process order {id}: {}",
                            ERRORS[rng.below(ERRORS.len() as u64) as usize]
                        ),
                    ),
                    1 => (
                        "UpstreamError",
                        format!("upstream {downstream} returned 503"),
                    ),
                    _ => (
                        "PaymentDeclined",
                        format!("payment declined for card ending {:04}", rng.below(10_000)),
                    ),
                };
                attributes.push(kv_str("exception.type", ty));
                (SCOPE_APP, any_str(body))
            }
        };
        let (trace_id, span_id, flags) = if rng.chance(0.5) {
            (rng.trace_id(), rng.span_id(), 1)
        } else {
            (vec![], vec![], 0)
        };
        let time_unix_nano = if rng.chance(0.02) { 0 } else { time };
        let severity_text = match severity {
            SeverityNumber::Debug => "DEBUG",
            SeverityNumber::Info => "INFO",
            SeverityNumber::Warn => "WARN",
            _ => "ERROR",
        };
        let record = LogRecord {
            time_unix_nano,
            observed_time_unix_nano: observed,
            severity_number: severity as i32,
            severity_text: severity_text.to_string(),
            body: Some(body),
            attributes,
            dropped_attributes_count: 0,
            flags,
            trace_id,
            span_id,
            event_name: event_name.to_string(),
        };
        (svc_idx, scope, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_severities_and_times() {
        let mut g = LogGenerator::new(4, 5000, 5, 10);
        let mut recs = Vec::new();
        while let Some((req, n)) = g.next_batch(700) {
            let c: usize = req
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .map(|s| s.log_records.len())
                .sum();
            assert_eq!(c as u64, n);
            recs.extend(
                req.resource_logs
                    .into_iter()
                    .flat_map(|r| r.scope_logs)
                    .flat_map(|s| s.log_records),
            );
        }
        assert_eq!(recs.len(), 5000);
        let count = |n: i32| recs.iter().filter(|r| r.severity_number == n).count();
        assert!(count(9) > 3000);
        assert!(count(5) > 0 && count(13) > 0 && count(17) > 0);
        let with_trace = recs.iter().filter(|r| r.trace_id.len() == 16).count();
        assert!((2000..3000).contains(&with_trace));
        assert!(recs.iter().any(|r| r.time_unix_nano == 0));
        assert!(recs.iter().any(|r| matches!(
            r.body.as_ref().unwrap().value,
            Some(any_value::Value::KvlistValue(_))
        )));
        for r in &recs {
            assert!(r.observed_time_unix_nano > r.time_unix_nano);
            let text = match r.severity_number {
                5 => "DEBUG",
                9 => "INFO",
                13 => "WARN",
                17 => "ERROR",
                _ => panic!("unexpected severity"),
            };
            assert_eq!(r.severity_text, text);
        }
    }
}
