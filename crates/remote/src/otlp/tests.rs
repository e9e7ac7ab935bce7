use prost::Message;
use telltale_model::{Labels, is_stale_nan};

use super::proto::*;
use super::{OtlpSample, convert, decode_request};

/// A payload in the shape the OpenTelemetry JS and collector JSON
/// exporters send: camelCase, 64-bit integers as strings, enums as numbers.
const SDK_JSON: &str = r#"{
  "resourceMetrics": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "checkout"}},
      {"key": "service.namespace", "value": {"stringValue": "shop"}},
      {"key": "service.instance.id", "value": {"stringValue": "pod-7"}},
      {"key": "host.name", "value": {"stringValue": "node-1"}},
      {"key": "telemetry.sdk.language", "value": {"stringValue": "nodejs"}}
    ]},
    "scopeMetrics": [{
      "scope": {"name": "checkout-meter", "version": "1.0.0"},
      "metrics": [
        {"name": "http.server.request.count", "unit": "{requests}", "sum": {
          "aggregationTemporality": 2, "isMonotonic": true,
          "dataPoints": [{"attributes": [{"key": "http.method", "value": {"stringValue": "GET"}},
                                         {"key": "http.status_code", "value": {"intValue": "200"}}],
                          "startTimeUnixNano": "1700000000000000000",
                          "timeUnixNano": "1700000060000000000", "asInt": "42"}]}},
        {"name": "process.memory.usage", "unit": "By", "gauge": {
          "dataPoints": [{"timeUnixNano": "1700000060000000000", "asDouble": 1048576.5}]}},
        {"name": "queue.depth", "sum": {"aggregationTemporality": 2, "isMonotonic": false,
          "dataPoints": [{"timeUnixNano": 1700000060000000000, "asInt": 3}]}},
        {"name": "http.server.duration", "unit": "ms", "histogram": {
          "aggregationTemporality": 2,
          "dataPoints": [{"attributes": [{"key": "http.route", "value": {"stringValue": "/pay"}}],
                          "timeUnixNano": "1700000060000000000", "count": "6", "sum": 123.5,
                          "bucketCounts": ["1", "2", "3"], "explicitBounds": [10, 100]}]}},
        {"name": "rpc.latency", "unit": "s", "summary": {
          "dataPoints": [{"timeUnixNano": "1700000060000000000", "count": "10", "sum": 2.5,
                          "quantileValues": [{"quantile": 0.5, "value": 0.2}, {"quantile": 0.99, "value": 0.9}]}]}},
        {"name": "deltas", "sum": {"aggregationTemporality": 1, "isMonotonic": true,
          "dataPoints": [{"timeUnixNano": "1700000060000000000", "asInt": "1"}]}},
        {"name": "exp", "exponentialHistogram": {"aggregationTemporality": 2,
          "dataPoints": [{"timeUnixNano": "1700000060000000000", "count": "1", "scale": 3}]}}
      ]
    }]
  }]
}"#;

fn find<'a>(out: &'a [OtlpSample], pairs: &[(&str, &str)]) -> &'a OtlpSample {
    let want = Labels::from_pairs(pairs);
    out.iter().find(|s| s.labels == want).unwrap_or_else(|| {
        panic!(
            "no series {want}; have {:?}",
            out.iter().map(|s| s.labels.to_string()).collect::<Vec<_>>()
        )
    })
}

#[test]
fn sdk_json_maps_like_prometheus() {
    let req = decode_request(SDK_JSON.as_bytes(), true).unwrap();
    let mut out = Vec::new();
    let rej = convert(&req, 1000, &mut out).unwrap();
    let t = 1_700_000_060_000;
    let base = [("job", "shop/checkout"), ("instance", "pod-7")];
    let with = |name: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut v = vec![("__name__", name)];
        v.extend_from_slice(&base);
        v.extend_from_slice(extra);
        v
    };
    let c = find(
        &out,
        &with(
            "http_server_request_count_total",
            &[("http_method", "GET"), ("http_status_code", "200")],
        ),
    );
    assert_eq!((c.t, c.v), (t, 42.0));
    assert_eq!(
        find(&out, &with("process_memory_usage_bytes", &[])).v,
        1048576.5
    );
    assert_eq!(find(&out, &with("queue_depth", &[])).v, 3.0);
    let h = "http_server_duration_milliseconds_bucket";
    assert_eq!(
        find(&out, &with(h, &[("http_route", "/pay"), ("le", "10")])).v,
        1.0
    );
    assert_eq!(
        find(&out, &with(h, &[("http_route", "/pay"), ("le", "100")])).v,
        3.0
    );
    assert_eq!(
        find(&out, &with(h, &[("http_route", "/pay"), ("le", "+Inf")])).v,
        6.0
    );
    assert_eq!(
        find(
            &out,
            &with(
                "http_server_duration_milliseconds_sum",
                &[("http_route", "/pay")]
            )
        )
        .v,
        123.5
    );
    assert_eq!(
        find(
            &out,
            &with(
                "http_server_duration_milliseconds_count",
                &[("http_route", "/pay")]
            )
        )
        .v,
        6.0
    );
    assert_eq!(
        find(&out, &with("rpc_latency_seconds", &[("quantile", "0.99")])).v,
        0.9
    );
    assert_eq!(find(&out, &with("rpc_latency_seconds_sum", &[])).v, 2.5);
    assert_eq!(find(&out, &with("rpc_latency_seconds_count", &[])).v, 10.0);
    let info = find(
        &out,
        &with(
            "target_info",
            &[
                ("host_name", "node-1"),
                ("telemetry_sdk_language", "nodejs"),
            ],
        ),
    );
    assert_eq!((info.t, info.v), (t, 1.0));
    assert_eq!(out.len(), 3 + 5 + 4 + 1);
    assert_eq!(rej.delta, 1);
    assert_eq!(rej.exponential_histogram, 1);
    assert!(
        rej.messages.iter().any(|m| m.contains("delta temporality")),
        "{:?}",
        rej.messages
    );
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    }
}

#[test]
fn protobuf_request_round_trips_and_converts() {
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "api")],
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: None,
                metrics: vec![Metric {
                    name: "cpu.utilization".into(),
                    description: String::new(),
                    unit: "1".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: vec![
                            NumberDataPoint {
                                attributes: vec![kv("cpu", "0"), kv("cpu.state", "idle")],
                                start_time_unix_nano: 0,
                                time_unix_nano: 2_000_000_000,
                                value: Some(number_data_point::Value::AsDouble(0.25)),
                                flags: 0,
                            },
                            NumberDataPoint {
                                attributes: vec![kv("cpu", "0"), kv("cpu.state", "idle")],
                                start_time_unix_nano: 0,
                                time_unix_nano: 3_000_000_000,
                                value: None,
                                flags: FLAG_NO_RECORDED_VALUE,
                            },
                        ],
                    })),
                }],
            }],
        }],
    };
    let body = req.encode_to_vec();
    let got = decode_request(&body, false).unwrap();
    assert_eq!(got, req);
    let mut out = Vec::new();
    let rej = convert(&got, 10, &mut out).unwrap();
    assert_eq!(rej.total(), 0);
    // No target_info: the resource has only service.name.
    assert_eq!(out.len(), 2);
    let want = Labels::from_pairs(&[
        ("__name__", "cpu_utilization_ratio"),
        ("cpu", "0"),
        ("cpu_state", "idle"),
        ("job", "api"),
    ]);
    assert_eq!(out[0].labels, want);
    assert_eq!((out[0].t, out[0].v), (2_000, 0.25));
    assert!(is_stale_nan(out[1].v));
}

#[test]
fn colliding_attribute_names_are_joined_in_key_order() {
    let json = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[
        {"attributes":[{"key":"a/b","value":{"stringValue":"2"}},{"key":"a.b","value":{"stringValue":"1"}}],
         "timeUnixNano":"1000000","asDouble":"NaN"}]}}]}]}]}"#;
    let req = decode_request(json.as_bytes(), true).unwrap();
    let mut out = Vec::new();
    convert(&req, 10, &mut out).unwrap();
    assert_eq!(
        out[0].labels,
        Labels::from_pairs(&[("__name__", "g"), ("a_b", "1;2")])
    );
    assert!(out[0].v.is_nan() && !is_stale_nan(out[0].v));
}

#[test]
fn sample_limit_and_garbage_are_errors() {
    let req = decode_request(SDK_JSON.as_bytes(), true).unwrap();
    let e = convert(&req, 3, &mut Vec::new()).unwrap_err();
    assert!(e.contains("more than 3 samples"), "{e}");
    assert!(
        decode_request(b"{\"resourceMetrics\": 5}", true)
            .unwrap_err()
            .contains("JSON")
    );
    assert!(
        decode_request(&[0xff, 0xff, 0xff], false)
            .unwrap_err()
            .contains("protobuf")
    );
    // An unknown metric kind and unknown fields are skipped, not errors.
    let r = decode_request(br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","weird":{}}]}]}],"extra":1}"#, true).unwrap();
    let rej = convert(&r, 10, &mut Vec::new()).unwrap();
    assert_eq!(rej.invalid, 1);
}
