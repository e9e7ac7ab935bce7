//! A real Prometheus reads, through remote read, data that only we hold.

mod common;

use std::sync::Arc;

use common::*;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_remote::{ReadLimits, remote_read_router};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_answers_queries_over_remote_read() {
    let Some(bin) = peer("/usr/bin/prometheus") else {
        return;
    };
    let now = now_ms();
    let db = MemStorage::new();
    for inst in ["h1", "h2"] {
        db.insert(
            Labels::from_pairs(&[("__name__", "only_here"), ("instance", inst), ("job", "rr")]),
            (0..40).map(|i| Sample::new(now - 600_000 + i * 15_000, i as f64)),
        );
    }
    let addr = serve(remote_read_router(Arc::new(db), ReadLimits::default())).await;

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1h\nremote_read:\n  - url: http://{addr}/api/v1/read\n    read_recent: true\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let _prom = spawn(
        &bin,
        &[
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/-/ready"), 30).await;

    let c = client();
    let t = (now - 600_000 + 39 * 15_000) as f64 / 1000.0;
    let v: serde_json::Value = c
        .get(url_with(
            &format!("{base}/api/v1/query"),
            &[
                ("query", "sum by (job) (only_here)"),
                ("time", &t.to_string()),
            ],
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "success", "{v}");
    let r = &v["data"]["result"];
    assert_eq!(r.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(r[0]["metric"]["job"], "rr");
    assert_eq!(r[0]["value"][1], "78");

    // A range query over the whole span sees every sample.
    let start = (now - 600_000) as f64 / 1000.0;
    let v: serde_json::Value = c
        .get(url_with(
            &format!("{base}/api/v1/query_range"),
            &[
                ("query", "only_here{instance=\"h2\"}"),
                ("start", &start.to_string()),
                ("end", &t.to_string()),
                ("step", "15"),
            ],
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values = v["data"]["result"][0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 40, "{v}");
    assert_eq!(values[39][1], "39");
}
