//! The OTLP receiver over HTTP: content types, gzip, partial success.

mod common;

use std::io::Write;
use std::sync::Arc;

use common::*;
use telltale_model::{Matcher, MemStorage, Queryable, SelectHints};
use telltale_remote::otlp_router;

const BODY: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"svc"}}]},
  "scopeMetrics":[{"metrics":[
    {"name":"jobs.done","sum":{"aggregationTemporality":2,"isMonotonic":true,
      "dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":"7"}]}},
    {"name":"jobs.delta","sum":{"aggregationTemporality":1,"isMonotonic":true,
      "dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":"1"}]}}]}]}]}"#;

#[tokio::test]
async fn json_gzip_protobuf_and_errors_over_http() {
    let db = Arc::new(MemStorage::new());
    let addr = serve(otlp_router(db.clone())).await;
    let url = format!("http://{addr}/api/v1/otlp/v1/metrics");
    let c = client();

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(BODY.as_bytes()).unwrap();
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["partialSuccess"]["rejectedDataPoints"], "1", "{v}");
    assert!(
        v["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("delta")
    );

    let q = db.querier(0, i64::MAX).unwrap();
    let mut s = q
        .select(
            &SelectHints::default(),
            &[Matcher::equal("__name__", "jobs_done_total")],
        )
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].labels.get("job"), "svc");
    assert_eq!(s[0].samples.collect_all().unwrap()[0].v, 7.0);

    // An empty protobuf request is valid and answers an empty response.
    let r = c
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-protobuf");

    let r = c
        .post(&url)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("JSON"));
    // Only rejected points: 400 with the reason.
    let only_delta = BODY.replace(
        "\"aggregationTemporality\":2",
        "\"aggregationTemporality\":1",
    );
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(only_delta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("delta temporality"));
}
