//! End to end: a pushed value crosses a rule's threshold, the alert goes
//! pending, fires, reaches the built-in notifier, is delivered to our own
//! `/alert` receiver, and resolves when the value recovers.

mod common;

use std::time::{Duration, Instant};

use common::{Server, http};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn push(s: &Server, v: f64) {
    let body = format!("# TYPE e2e_value gauge\ne2e_value {v}\n");
    let (st, b) = http(&s.addr, "PUT", "/metrics/job/e2e", &[], body.as_bytes()).unwrap();
    assert!(
        st == 200 || st == 202,
        "{st} {}",
        String::from_utf8_lossy(&b)
    );
}

fn wait_until(what: &str, max: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + max;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn alert_fires_reaches_alert_endpoint_and_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let rules = tmp.path().join("e2e.rules.yml");
    std::fs::write(
        &rules,
        "groups:\n  - name: e2e\n    interval: 1s\n    rules:\n      - alert: E2eValueHigh\n        expr: e2e_value > 50\n        for: 2s\n        labels: {severity: page}\n        annotations: {summary: 'value is {{ $value }}'}\n",
    )
    .unwrap();
    let am = tmp.path().join("alertmanager.yml");
    std::fs::write(
        &am,
        format!("route:\n  receiver: self\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: self\n    webhook_configs:\n      - url: http://127.0.0.1:{port}/alert\n        send_resolved: true\n"),
    )
    .unwrap();
    let cfg = tmp.path().join("telltale.yml");
    std::fs::write(&cfg, "rule_files: ['*.rules.yml']\n").unwrap();
    let dir = tmp.path().join("data");
    let cmd_args = vec![
        "--no-host-metrics".to_string(),
        "--no-default-rules".to_string(),
        "--config".to_string(),
        cfg.display().to_string(),
        "--alertmanager-config".to_string(),
        am.display().to_string(),
    ];
    let s = Server::start_in_at(&dir, &format!("127.0.0.1:{port}"), &cmd_args);
    push(&s, 100.0);

    wait_until("the alert to fire", Duration::from_secs(30), || {
        let (_, b) = s.get("/api/v1/alerts");
        b.contains("E2eValueHigh") && b.contains("\"firing\"")
    });
    let received = |status: &str| {
        let (_, b) = s.get("/alert");
        let v: Value = serde_json::from_str(&b).unwrap_or(Value::Null);
        v["alerts"]
            .as_array()
            .map(|a| {
                a.iter().any(|x| {
                    x.to_string().contains("E2eValueHigh") && x.to_string().contains(status)
                })
            })
            .unwrap_or(false)
    };
    wait_until(
        "the firing alert on /alert",
        Duration::from_secs(30),
        || received("firing"),
    );
    let (_, b) = s.get("/api/v2/alerts");
    assert!(b.contains("E2eValueHigh"), "{b}");
    let (_, b) = s.get("/api/v1/query?query=ALERTS%7Balertname%3D%22E2eValueHigh%22%7D");
    assert!(b.contains("\"alertstate\":\"firing\""), "{b}");

    push(&s, 1.0);
    wait_until(
        "the resolved notification on /alert",
        Duration::from_secs(30),
        || received("resolved"),
    );
}
