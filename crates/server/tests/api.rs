//! The Prometheus API over in-memory storage, in process.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{Engine, EngineOptions};
use telltale_server::{AppState, router};
use tower::ServiceExt;

fn state() -> AppState {
    let db = MemStorage::new();
    for (inst, base) in [("a:9100", 1.0), ("b:9100", 10.0)] {
        let l = Labels::from_pairs(&[("__name__", "up"), ("job", "node"), ("instance", inst)]);
        db.insert(l, (0..=20).map(|i| Sample::new(i * 15_000, base)));
        let c = Labels::from_pairs(&[
            ("__name__", "http_requests_total"),
            ("job", "api"),
            ("instance", inst),
        ]);
        db.insert(
            c,
            (0..=20).map(|i| Sample::new(i * 15_000, base * i as f64)),
        );
    }
    AppState::new(
        Arc::new(db),
        Arc::new(Engine::new(EngineOptions::default())),
    )
}

async fn call(st: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

async fn get(st: &AppState, uri: &str) -> (StatusCode, Value) {
    call(st, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post_form(st: &AppState, uri: &str, form: &str) -> (StatusCode, Value) {
    call(
        st,
        Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn instant_query_returns_vector_in_prometheus_shape() {
    let st = state();
    let (s, v) = get(&st, "/api/v1/query?query=up&time=300").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "vector");
    let r = v["data"]["result"].as_array().unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["metric"]["instance"], "a:9100");
    assert_eq!(r[0]["value"][0], 300);
    assert_eq!(r[0]["value"][1], "1");
}

#[tokio::test]
async fn grafana_style_post_form_range_query() {
    let st = state();
    let (s, v) = post_form(
        &st,
        "/api/v1/query_range",
        "query=sum(rate(http_requests_total%5B1m%5D))&start=60&end=300&step=60",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["resultType"], "matrix");
    let vals = v["data"]["result"][0]["values"].as_array().unwrap();
    assert_eq!(vals.len(), 5);
    // (1 + 10) per 15 s.
    assert_eq!(vals[0][1], "0.7333333333333333");
}

#[tokio::test]
async fn bad_queries_are_bad_data() {
    let st = state();
    let (s, v) = get(&st, "/api/v1/query?query=sum(").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["errorType"], "bad_data");
    assert!(v["error"].as_str().unwrap().len() > 5);
    let (s, v) = get(&st, "/api/v1/query_range?query=up&start=10&end=5&step=1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("end timestamp"));
    let (s, v) = get(
        &st,
        "/api/v1/query_range?query=up&start=0&end=100000&step=1",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("11,000"));
    let (s, v) = get(&st, "/api/v1/query?query=up&time=notatime").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("\"time\""));
}

#[tokio::test]
async fn series_labels_and_values() {
    let st = state();
    let (s, v) = get(&st, "/api/v1/series").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "no match[] parameter provided");
    let (s, v) = get(
        &st,
        "/api/v1/series?match[]=up&match[]=http_requests_total%7Binstance%3D%22a%3A9100%22%7D",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    let (_, v) = get(&st, "/api/v1/labels").await;
    assert_eq!(
        v["data"],
        serde_json::json!(["__name__", "instance", "job"])
    );
    let (_, v) = get(
        &st,
        "/api/v1/label/__name__/values?match[]=%7Bjob%3D%22node%22%7D",
    )
    .await;
    assert_eq!(v["data"], serde_json::json!(["up"]));
    let (_, v) = post_form(&st, "/api/v1/labels", "match%5B%5D=up").await;
    assert_eq!(
        v["data"],
        serde_json::json!(["__name__", "instance", "job"])
    );
    let (_, v) = get(&st, "/api/v1/label/instance/values?limit=1").await;
    assert_eq!(v["data"], serde_json::json!(["a:9100"]));
    assert_eq!(v["warnings"][0], "results truncated due to limit");
}

#[tokio::test]
async fn status_endpoints_answer() {
    let st = state();
    for p in [
        "/api/v1/status/buildinfo",
        "/api/v1/status/runtimeinfo",
        "/api/v1/status/flags",
        "/api/v1/status/config",
        "/api/v1/status/walreplay",
        "/api/v1/targets",
        "/api/v1/rules",
        "/api/v1/alerts",
        "/api/v1/alertmanagers",
        "/api/v1/metadata",
        "/api/v1/targets/metadata",
        "/api/v1/query_exemplars?query=up",
        "/api/v1/format_query?query=sum(up)by(job)",
        "/api/v1/parse_query?query=up",
    ] {
        let (s, v) = get(&st, p).await;
        assert_eq!(s, StatusCode::OK, "{p}: {v}");
        assert_eq!(v["status"], "success", "{p}");
    }
    let (_, v) = get(&st, "/api/v1/format_query?query=sum(up)by(job)").await;
    assert_eq!(v["data"], "sum by (job) (up)");
    let (s, v) = get(&st, "/api/v1/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn admin_is_off_by_default() {
    let st = state();
    let (s, v) = post_form(&st, "/api/v1/admin/tsdb/snapshot", "").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["errorType"], "unavailable");
}

#[tokio::test]
async fn federate_returns_latest_samples() {
    let st = state();
    let resp = router(st.clone())
        .oneshot(
            Request::get("/federate?match[]=up")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    // Data ends at 300 s, far in the past: nothing within the lookback of now.
    assert!(!text.contains("up{"), "{text}");
}

#[tokio::test]
async fn usage_endpoint_validates_parameters() {
    let st = state();
    let (s, v) = get(&st, "/avg_usage?start=0&end=100").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("resource"), "{v}");
    let (s, v) = get(&st, "/avg_usage?resource=gpu&range=1h").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"].as_str().unwrap().contains("cpu, memory, disk"),
        "{v}"
    );
    let (s, v) = get(&st, "/metrics_usage?resource=cpu&start=0&end=100&step=-1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}
