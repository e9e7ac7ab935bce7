//! The Alertmanager sink: the request it sends, and (when the binary is
//! installed) a real Alertmanager showing the alerts.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use telltale_rules::{Alert, AlertSink, AlertmanagerSink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn alert(name: &str) -> Alert {
    Alert {
        labels: BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("severity".to_string(), "page".to_string()),
        ]),
        annotations: BTreeMap::from([("summary".to_string(), "it broke".to_string())]),
        starts_at_ms: 1_700_000_000_000,
        ends_at_ms: 4_102_444_800_000,
        generator_url: "http://telltale/graph?g0.expr=up&g0.tab=1".into(),
    }
}

/// Accepts one HTTP request and returns its request line and body.
async fn one_request(l: TcpListener) -> (String, String) {
    let (mut s, _) = l.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|h| {
                    let (k, v) = h.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .unwrap();
                let line = text.lines().next().unwrap_or("").to_string();
                return (line, text[end + 4..end + 4 + len].to_string());
            }
        }
    }
    (String::new(), String::new())
}

#[tokio::test]
async fn sink_posts_postable_alerts_json() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = tokio::spawn(one_request(l));
    let sink =
        AlertmanagerSink::new(vec![format!("http://{addr}/")], Duration::from_secs(5)).unwrap();
    sink.send(vec![alert("A"), alert("B")]);
    let (line, body) = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(line, "POST /api/v2/alerts HTTP/1.1");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["labels"]["alertname"], "A");
    assert_eq!(arr[0]["annotations"]["summary"], "it broke");
    assert_eq!(arr[0]["startsAt"], "2023-11-14T22:13:20Z");
    assert_eq!(arr[0]["endsAt"], "2100-01-01T00:00:00Z");
    assert_eq!(
        arr[0]["generatorURL"],
        "http://telltale/graph?g0.expr=up&g0.tab=1"
    );
    assert_eq!(
        sink.stats()
            .queued
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn real_alertmanager_shows_our_alerts() {
    let bin =
        std::env::var("ALERTMANAGER").unwrap_or_else(|_| "/usr/bin/prometheus-alertmanager".into());
    if Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        println!("skipping Alertmanager interop: {bin} is not installed (set ALERTMANAGER)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("am.yml");
    std::fs::write(
        &cfg,
        "route:\n  receiver: none\nreceivers:\n  - name: none\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _am = Kill(
        Command::new(&bin)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.path={}", dir.path().display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let sink = AlertmanagerSink::new(vec![base.clone()], Duration::from_secs(5)).unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/-/ready")).send().await
            && r.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "Alertmanager did not become ready");
    // The alert comes from a rule evaluated by the manager.
    let db = telltale_model::MemStorage::new();
    let engine = Arc::new(telltale_promql::Engine::new(Default::default()));
    let q = Arc::new(telltale_rules::EngineQuery::new(
        engine,
        Arc::new(db.clone()),
    ));
    let opts = telltale_rules::GroupOptions::new(q, Arc::new(db.clone()), Arc::new(db.clone()));
    let manager = telltale_rules::RuleManager::new(opts, Some(Arc::new(sink)));
    let rules = "groups:\n- name: interop\n  rules:\n  - alert: TelltaleInterop\n    expr: vector(1)\n    labels:\n      severity: page\n    annotations:\n      summary: it broke\n";
    manager.update(
        telltale_rules::file::parse_rule_file("i.yml", rules).unwrap(),
        false,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    manager.eval_all(now);
    let mut found = serde_json::Value::Null;
    for _ in 0..100 {
        let v: serde_json::Value = client
            .get(format!("{base}/api/v2/alerts"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(x) = v.as_array().and_then(|a| {
            a.iter()
                .find(|x| x["labels"]["alertname"] == "TelltaleInterop")
                .cloned()
        }) {
            found = x;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["labels"]["severity"], "page", "{found}");
    assert_eq!(found["annotations"]["summary"], "it broke");
    assert_eq!(found["status"]["state"], "active");
}
