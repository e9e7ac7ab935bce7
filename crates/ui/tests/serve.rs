//! Every page and asset is served from the embedded files, in process.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap()
        .to_vec();
    (status, ct, body)
}

#[tokio::test]
async fn every_page_serves_the_index() {
    let app = telltale_ui::ui_router(None);
    for p in [
        "/",
        "/explore",
        "/explore?q=up",
        "/alerts",
        "/targets",
        "/status",
        "/dashboards",
        "/dashboards/host",
        "/dashboards/imported/x",
        "/graph",
    ] {
        let (s, ct, body) = get(&app, p).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(ct, "text/html; charset=utf-8", "{p}");
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("/ui/js/app.js"), "{p}");
    }
}

#[tokio::test]
async fn every_asset_is_served_with_its_content_type() {
    let app = telltale_ui::router();
    let list = telltale_ui::assets::list();
    assert!(list.len() >= 15, "{list:?}");
    for path in list {
        let (s, ct, body) = get(&app, &format!("/ui/{path}")).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(ct, telltale_ui::assets::content_type(&path), "{path}");
        assert_ne!(ct, "application/octet-stream", "{path}");
        assert!(!body.is_empty(), "{path}");
    }
    let (_, ct, _) = get(&app, "/ui/js/chart.js").await;
    assert_eq!(ct, "text/javascript; charset=utf-8");
    let (_, ct, _) = get(&app, "/ui/css/app.css").await;
    assert_eq!(ct, "text/css; charset=utf-8");
    let (s, _, _) = get(&app, "/ui/js/missing.js").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[test]
fn assets_are_compiled_into_the_binary() {
    // With `debug-embed` the bytes are static data in the binary, not read
    // from crates/ui/assets at run time: the binary needs no files beside it.
    for path in telltale_ui::assets::list() {
        let f = telltale_ui::assets::Assets::get(&path).unwrap();
        assert!(
            matches!(f.data, std::borrow::Cow::Borrowed(_)),
            "{path} is read from disk"
        );
    }
}

#[tokio::test]
async fn the_ui_claims_no_server_paths() {
    let app = telltale_ui::ui_router(None);
    for p in [
        "/api/v1/query",
        "/api/v2/alerts",
        "/metrics",
        "/federate",
        "/-/healthy",
        "/alert",
        "/avg_usage",
        "/metrics_usage",
    ] {
        let (s, _, _) = get(&app, p).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    }
    // And merging with a router that has those paths does not panic.
    let other = axum::Router::new()
        .route("/metrics", axum::routing::get(|| async { "m" }))
        .route("/api/v1/query", axum::routing::get(|| async { "q" }));
    let merged = other.merge(telltale_ui::ui_router(None));
    let (s, _, b) = get(&merged, "/metrics").await;
    assert_eq!((s, b.as_slice()), (StatusCode::OK, b"m".as_slice()));
}

#[tokio::test]
async fn dashboards_api_lists_gets_and_imports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/grafana-node.json"),
        dir.path().join("node.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "title: Mine\nrows:\n- panels:\n  - title: Up\n    type: stat\n    targets: [{expr: up}]\n",
    )
    .unwrap();
    let app = telltale_ui::ui_router(Some(dir.path().to_path_buf()));
    let (s, ct, body) = get(&app, "/ui/api/dashboards").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/json");
    let v: Value = serde_json::from_slice(&body).unwrap();
    let ids: Vec<&str> = v["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["host", "http-service", "mine", "test-node"]);
    let (s, _, body) = get(&app, "/ui/api/dashboards/test-node").await;
    assert_eq!(s, StatusCode::OK);
    let d: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(d["rows"][0]["panels"][0]["type"], "gauge");
    let (s, _, body) = get(&app, "/ui/api/dashboards/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let e: Value = serde_json::from_slice(&body).unwrap();
    assert!(e["error"].as_str().unwrap().contains("nope"));
    let (s, _, body) = get(&app, "/ui/api/dashboards/host/grafana").await;
    assert_eq!(s, StatusCode::OK);
    let g: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(g["schemaVersion"], 39);

    let import = |body: &'static str| {
        app.clone().oneshot(
            Request::post("/ui/api/dashboards/import")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let resp =
        import(r#"{"title":"G","panels":[{"type":"stat","title":"s","targets":[{"expr":"up"}]}]}"#)
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = serde_json::from_slice(
        &axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["id"], "imported");
    assert_eq!(v["rows"][0]["panels"][0]["type"], "stat");
    let resp = import("{\n  \"title\": ").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(
        &axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(v["error"].as_str().unwrap().contains("line 2"), "{v}");
}
