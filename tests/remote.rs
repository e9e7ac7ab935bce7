//! Scale-out paths in the binary: one Telltale remote-writes its samples to
//! another, which stores them; OTLP and remote read answer on the server.

mod common;

use std::time::{Duration, Instant};

use common::{Server, enc, http};

#[test]
fn remote_write_out_reaches_another_telltale() {
    let central = Server::start(&["--no-host-metrics", "--no-default-rules"]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("telltale.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  external_labels: {{site: edge1}}\nremote_write:\n  - url: http://{}/api/v1/write\n    queue_config: {{batch_send_deadline: 1s}}\n",
            central.addr
        ),
    )
    .unwrap();
    let edge = Server::start(&[
        "--no-default-rules",
        "--collect-interval",
        "1s",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let (st, _) = http(
        &edge.addr,
        "PUT",
        "/metrics/job/batch",
        &[],
        b"edge_value 7\n",
    )
    .unwrap();
    assert!((200..300).contains(&st));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = central.get(&format!(
            "/api/v1/query?query={}",
            enc("edge_value{site=\"edge1\"}")
        ));
        let (_, host) = central.get(&format!(
            "/api/v1/query?query={}",
            enc("node_load1{site=\"edge1\"}")
        ));
        if body.contains("\"7\"") && host.contains("node_load1") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "central never got the edge's samples: {body} {host}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let (st, body) = edge.get("/metrics");
    assert_eq!(st, 200);
    assert!(
        body.contains("remote"),
        "no remote write counters on /metrics"
    );
}

#[test]
fn otlp_json_metrics_are_stored() {
    let s = Server::start(&["--no-host-metrics", "--no-default-rules"]);
    let now_ns = (common::now_secs() * 1e9) as u64;
    let body = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"checkout"}}}}]}},"scopeMetrics":[{{"metrics":[{{"name":"queue.size","gauge":{{"dataPoints":[{{"asDouble":12,"timeUnixNano":"{now_ns}"}}]}}}}]}}]}}]}}"#
    );
    let (st, resp) = http(
        &s.addr,
        "POST",
        "/api/v1/otlp/v1/metrics",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&resp));
    let (_, q) = s.get(&format!(
        "/api/v1/query?query={}",
        enc("queue_size{job=\"checkout\"}")
    ));
    assert!(q.contains("\"12\""), "{q}");
}
