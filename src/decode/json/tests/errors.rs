//! Errors name the offending field by its path; signal sniffing and JSON
//! syntax errors.

use super::*;

#[test]
fn wrong_types_name_the_field() {
    let doc = json!({"resourceSpans": [{"scopeSpans": [{}, {"spans": 5}]}]});
    let e = err(traces_from_value(&doc));
    assert_eq!(
        e,
        "resourceSpans[0].scopeSpans[1].spans: expected an array, got 5"
    );
    let e = err(traces_from_value(&span_doc(
        json!({"startTimeUnixNano": true}),
    )));
    let path = "resourceSpans[0].scopeSpans[0].spans[0]";
    assert_eq!(
        e,
        format!("{path}.startTimeUnixNano: expected an unsigned 64-bit integer, got true")
    );
    let e = err(traces_from_value(&span_doc(json!({"name": 3}))));
    assert_eq!(e, format!("{path}.name: expected a string, got 3"));
    let e = err(traces_from_value(&span_doc(json!({"events": [{}, "x"]}))));
    assert_eq!(
        e,
        format!("{path}.events[1]: expected an object, got \"x\"")
    );
    let e = err(traces_from_value(&span_doc(json!({"status": []}))));
    assert_eq!(
        e,
        format!("{path}.status: expected an object, got an array")
    );
    // Paths use the camelCase name even when the input was snake_case.
    let e = err(traces_from_value(&json!({"resource_spans": {}})));
    assert_eq!(e, "resourceSpans: expected an array, got an object");
    let e = err(traces_from_value(&json!([])));
    assert_eq!(e, "(root): expected an object, got an array");
    let body = json!({"kvlistValue": {"values": [{"key": "a"}, {"key": "b", "value": {"boolValue": "yes"}}]}});
    let e = err(logs_from_value(&log_doc(json!({"body": body}))));
    let path =
        "resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values[1].value.boolValue";
    assert_eq!(e, format!("{path}: expected a boolean, got \"yes\""));
    let long = "x".repeat(100);
    let e = err(traces_from_value(&span_doc(json!({"traceId": long}))));
    assert!(
        e.ends_with(&format!("invalid hex id \"{}\"…", "x".repeat(40))),
        "{e}"
    );
}

#[test]
fn metric_errors_name_the_field() {
    let err = |doc: &str| {
        metrics_from_value(&parse(doc.as_bytes()).unwrap())
            .unwrap_err()
            .to_string()
    };
    let prefix = "resourceMetrics[0].scopeMetrics[0].metrics[0]";
    let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"histogram": {"dataPoints": [{"bucketCounts": [1, "x"]}]}}]}]}]}"#;
    let expected =
        "histogram.dataPoints[0].bucketCounts[1]: expected an unsigned 64-bit integer, got \"x\"";
    assert_eq!(err(doc), format!("{prefix}.{expected}"));
    let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"sum": {"isMonotonic": "true"}}]}]}]}"#;
    assert_eq!(
        err(doc),
        format!("{prefix}.sum.isMonotonic: expected a boolean, got \"true\"")
    );
    let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"exponentialHistogram": {"dataPoints": [{"scale": 2147483648}]}}]}]}]}"#;
    let expected = "exponentialHistogram.dataPoints[0].scale: expected a signed 32-bit integer, got 2147483648";
    assert_eq!(err(doc), format!("{prefix}.{expected}"));
    let doc = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"gauge": {"dataPoints": [{"exemplars": [{"traceId": "0g"}]}]}}]}]}]}"#;
    let expected = "gauge.dataPoints[0].exemplars[0].traceId: invalid hex id \"0g\"";
    assert_eq!(err(doc), format!("{prefix}.{expected}"));
}

#[test]
fn sniff_signal_and_parse() {
    let sniff = |v: Value| sniff_signal(&v);
    assert_eq!(
        sniff(json!({"resourceSpans": []})).unwrap(),
        JsonSignal::Traces
    );
    assert_eq!(
        sniff(json!({"resource_metrics": []})).unwrap(),
        JsonSignal::Metrics
    );
    assert_eq!(
        sniff(json!({"x": 1, "resourceLogs": []})).unwrap(),
        JsonSignal::Logs
    );
    for bad in [
        json!({}),
        json!({"resourceSpans": null}),
        json!([]),
        json!("resourceSpans"),
    ] {
        assert!(matches!(sniff(bad), Err(JsonError::UnknownSignal)));
    }
    let msg = JsonError::UnknownSignal.to_string();
    assert_eq!(
        msg,
        "unknown signal: expected a top-level resourceSpans, resourceMetrics or resourceLogs key"
    );

    let e = parse(b"{\n  \"resourceSpans\": [,]\n}").unwrap_err();
    assert!(matches!(&e, JsonError::Syntax(_)));
    assert!(
        e.to_string().starts_with("invalid JSON: ") && e.to_string().contains("line 2 column"),
        "{e}"
    );
    assert!(matches!(parse(b""), Err(JsonError::Syntax(_))));
    assert!(matches!(parse(&[0xff, 0xfe]), Err(JsonError::Syntax(_))));
}
