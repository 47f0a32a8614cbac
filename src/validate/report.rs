//! What `validate` found, and how it is printed: a text report or one JSON object.

use std::fmt::Write as _;
use std::io::Write;

use serde_json::{json, Map, Value};

use super::check::Rule;
use crate::cli::ValidateFormat;

/// One span that stands for a violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub service: Option<String>,
    pub name: String,
}

impl Example {
    fn to_json(&self) -> Value {
        json!({
            "trace_id": hex(&self.trace_id),
            "span_id": hex(&self.span_id),
            "service": self.service,
            "name": self.name,
        })
    }
}

/// A rule's count and its first examples in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFindings {
    pub rule: Rule,
    pub count: u64,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateReport {
    pub traces_checked: u64,
    pub spans_checked: u64,
    /// One entry per rule, in `Rule::ALL` order.
    pub rules: Vec<RuleFindings>,
}

impl ValidateReport {
    pub fn is_clean(&self) -> bool {
        self.violations() == 0
    }

    pub fn violations(&self) -> u64 {
        self.rules.iter().map(|r| r.count).sum()
    }

    pub fn count(&self, rule: Rule) -> u64 {
        self.rules
            .iter()
            .find(|r| r.rule == rule)
            .map_or(0, |r| r.count)
    }

    pub fn to_json(&self) -> Value {
        let violations: Map<String, Value> = self
            .rules
            .iter()
            .map(|r| (r.rule.name().to_owned(), json!(r.count)))
            .collect();
        let examples: Map<String, Value> = self
            .rules
            .iter()
            .map(|r| {
                (
                    r.rule.name().to_owned(),
                    Value::Array(r.examples.iter().map(Example::to_json).collect()),
                )
            })
            .collect();
        json!({
            "traces_checked": self.traces_checked,
            "spans_checked": self.spans_checked,
            "violations": violations,
            "examples": examples,
        })
    }
}

pub fn write_report(
    report: &ValidateReport,
    format: ValidateFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ValidateFormat::Json => writeln!(out, "{}", report.to_json()),
        ValidateFormat::Text => out.write_all(text(report).as_bytes()),
    }
}

fn text(report: &ValidateReport) -> String {
    let mut s = String::new();
    let total = report.violations();
    let verdict = if total == 0 {
        "ok".to_owned()
    } else {
        format!("{total} {}", plural(total, "violation"))
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "checked {} {}, {} {}: {verdict}",
        report.traces_checked,
        plural(report.traces_checked, "trace"),
        report.spans_checked,
        plural(report.spans_checked, "span")
    );
    let width = Rule::ALL.iter().map(|r| r.name().len()).max().unwrap_or(0);
    let _ = writeln!(s, "\n{:width$}  {:>8}", "rule", "count");
    for r in &report.rules {
        let _ = writeln!(s, "{:width$}  {:>8}", r.rule.name(), r.count);
    }
    for r in report.rules.iter().filter(|r| !r.examples.is_empty()) {
        let shown = if (r.examples.len() as u64) < r.count {
            format!(" (first {} of {})", r.examples.len(), r.count)
        } else {
            String::new()
        };
        let _ = writeln!(s, "\n{}{shown}:", r.rule.name());
        for e in &r.examples {
            let _ = writeln!(
                s,
                "  trace {}  span {}  service {}  name {:?}",
                id_text(&e.trace_id),
                id_text(&e.span_id),
                e.service.as_deref().unwrap_or("-"),
                e.name
            );
        }
    }
    s
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn id_text(id: &[u8]) -> String {
    if id.is_empty() {
        "(empty)".to_owned()
    } else {
        hex(id)
    }
}

/// Lowercase hex, as OTLP/JSON writes ids.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(orphans: u64) -> ValidateReport {
        let rules = Rule::ALL
            .iter()
            .map(|&rule| {
                let (count, examples) = if rule == Rule::OrphanSpan && orphans > 0 {
                    let e = Example {
                        trace_id: vec![0xab; 16],
                        span_id: vec![],
                        service: None,
                        name: "GET /".into(),
                    };
                    (orphans, vec![e])
                } else {
                    (0, vec![])
                };
                RuleFindings {
                    rule,
                    count,
                    examples,
                }
            })
            .collect();
        ValidateReport {
            traces_checked: 1,
            spans_checked: 3,
            rules,
        }
    }

    #[test]
    fn json_lists_every_rule() {
        let v = report(2).to_json();
        assert_eq!(v["violations"].as_object().map(|o| o.len()), Some(7));
        assert_eq!(v["violations"]["orphan_span"], 2);
        assert_eq!(v["examples"]["parent_cycle"], json!([]));
        assert_eq!(
            v["examples"]["orphan_span"],
            json!([{"trace_id": "ab".repeat(16), "span_id": "", "service": null, "name": "GET /"}])
        );
    }

    #[test]
    fn text_names_counts_and_examples() {
        let t = text(&report(2));
        assert!(
            t.starts_with("checked 1 trace, 3 spans: 2 violations\n"),
            "{t}"
        );
        let line = format!(
            "  trace {}  span (empty)  service -  name \"GET /\"\n",
            "ab".repeat(16)
        );
        assert!(
            t.contains(&format!("orphan_span (first 1 of 2):\n{line}")),
            "{t}"
        );
        assert!(text(&report(0)).starts_with("checked 1 trace, 3 spans: ok\n"));
        assert!(report(0).is_clean() && !report(1).is_clean());
    }
}
