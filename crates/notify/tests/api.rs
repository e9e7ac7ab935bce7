//! The Alertmanager API v2 and the `/alert` receiver over HTTP on
//! 127.0.0.1, including interop with `amtool` when it is installed.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use telltale_notify::history::HistoryLimits;
use telltale_notify::{AlertReceiver, Config, Notifier, alert_receiver_router, api_router};

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn start_api() -> (Notifier, String) {
    let cfg = Config::load(
        "route:\n  receiver: team\n  group_by: [alertname]\n  routes:\n  - matchers: [severity=page]\n    receiver: pager\nreceivers:\n- name: team\n- name: pager\n",
    )
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    let app = axum::Router::new().nest("/api/v2", api_router(n.clone()));
    let base = serve(app).await;
    (n, base)
}

#[tokio::test]
async fn alerts_silences_status_and_receivers() {
    let (_n, base) = start_api().await;
    let c = client();
    let alerts = json!([
        {"labels": {"alertname": "Disk", "severity": "page", "instance": "a"},
         "annotations": {"summary": "<disk> full"},
         "generatorURL": "http://prom/graph"},
        {"labels": {"alertname": "Cpu"}}
    ]);
    let r = c
        .post(format!("{base}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bad = c
        .post(format!("{base}/api/v2/alerts"))
        .json(&json!([{"labels": {}}]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let got: Value = c
        .get(format!("{base}/api/v2/alerts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = got.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let disk = list
        .iter()
        .find(|a| a["labels"]["alertname"] == "Disk")
        .unwrap();
    assert_eq!(disk["receivers"][0]["name"], "pager");
    assert_eq!(disk["status"]["state"], "active");
    assert_eq!(disk["fingerprint"].as_str().unwrap().len(), 16);
    assert!(disk["endsAt"].as_str().unwrap().len() > 10);

    let filtered: Value = c
        .get(format!("{base}/api/v2/alerts?filter=alertname%3D%22Cpu%22"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered.as_array().unwrap().len(), 1);

    let groups: Value = c
        .get(format!("{base}/api/v2/alerts/groups"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups.as_array().unwrap().len(), 2);
    assert!(groups[0]["receiver"]["name"].is_string());

    // Silence the Cpu alert, then expire it.
    let now = jiff::Timestamp::now();
    let s = json!({
        "matchers": [{"name": "alertname", "value": "Cpu", "isRegex": false, "isEqual": true}],
        "startsAt": now.to_string(),
        "endsAt": (now + jiff::SignedDuration::from_hours(1)).to_string(),
        "createdBy": "test", "comment": "maintenance"
    });
    let r: Value = c
        .post(format!("{base}/api/v2/silences"))
        .json(&s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["silenceID"].as_str().unwrap().to_string();
    let one: Value = c
        .get(format!("{base}/api/v2/silence/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"]["state"], "active");
    let silenced: Value = c
        .get(format!("{base}/api/v2/alerts?silenced=false"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(silenced.as_array().unwrap().len(), 1);
    let del = c
        .delete(format!("{base}/api/v2/silence/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let one: Value = c
        .get(format!("{base}/api/v2/silence/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"]["state"], "expired");
    let missing = c
        .get(format!("{base}/api/v2/silence/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let status: Value = c
        .get(format!("{base}/api/v2/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["cluster"]["status"], "disabled");
    assert!(
        status["config"]["original"]
            .as_str()
            .unwrap()
            .contains("receiver")
    );
    let receivers: Value = c
        .get(format!("{base}/api/v2/receivers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receivers.as_array().unwrap().len(), 2);
}

fn amtool(base: &str, args: &[&str]) -> Option<(bool, String)> {
    let out = Command::new("amtool")
        .arg(format!("--alertmanager.url={base}"))
        .args(args)
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_lists_alerts_and_manages_silences() {
    if Command::new("amtool").arg("--version").output().is_err() {
        println!("skipping: amtool is not installed");
        return;
    }
    let (_n, base) = start_api().await;
    let c = client();
    c.post(format!("{base}/api/v2/alerts"))
        .json(&json!([{"labels": {"alertname": "AmtoolAlert", "job": "x"}}]))
        .send()
        .await
        .unwrap();
    let b = base.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || amtool(&b, &["alert", "query"]))
        .await
        .unwrap()
        .unwrap();
    assert!(ok && out.contains("AmtoolAlert"), "{out}");

    let b = base.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        amtool(
            &b,
            &[
                "silence",
                "add",
                "alertname=AmtoolAlert",
                "--comment=interop",
                "--author=tester",
                "--duration=1h",
            ],
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert!(ok, "{out}");
    // stdout holds the id; stderr may warn that versions differ.
    let id = out
        .lines()
        .find(|l| l.trim().len() == 36 && l.matches('-').count() == 4)
        .unwrap_or("")
        .trim()
        .to_string();
    assert_eq!(id.len(), 36, "{out}");

    let b = base.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || amtool(&b, &["silence", "query"]))
        .await
        .unwrap()
        .unwrap();
    assert!(ok && out.contains(&id) && out.contains("interop"), "{out}");

    let b = base.clone();
    let idc = id.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || amtool(&b, &["silence", "expire", &idc]))
        .await
        .unwrap()
        .unwrap();
    assert!(ok, "{out}");
    let one: Value = c
        .get(format!("{base}/api/v2/silence/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"]["state"], "expired");
    let b = base.clone();
    let (ok, out) =
        tokio::task::spawn_blocking(move || amtool(&b, &["silence", "query", "--expired"]))
            .await
            .unwrap()
            .unwrap();
    assert!(ok && out.contains(&id), "{out}");
}

#[tokio::test]
async fn alert_receiver_validates_stores_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(AlertReceiver::open(Some(dir.path().into()), HistoryLimits::default()).unwrap());
    let base = serve(alert_receiver_router(store.clone())).await;
    let c = client();
    let payload = json!({
        "receiver": "team", "status": "firing", "version": "4", "groupKey": "{}:{}",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "A"}, "annotations": {},
             "startsAt": "2024-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "", "fingerprint": "0123456789abcdef"},
            {"status": "resolved", "labels": {"alertname": "B"}, "annotations": {},
             "startsAt": "2024-01-01T00:00:00Z", "endsAt": "2024-01-01T01:00:00Z",
             "generatorURL": "", "fingerprint": "fedcba9876543210"}
        ]
    });
    let r = c
        .post(format!("{base}/alert"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for bad in [
        json!({"receiver": "x"}),
        json!({"receiver": "x", "status": "firing", "version": "3", "alerts": []}),
        json!({"receiver": "x", "status": "bogus", "version": "4", "alerts": []}),
    ] {
        let r = c
            .post(format!("{base}/alert"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let msg: String = r.json().await.unwrap();
        assert!(!msg.is_empty());
    }
    let r = c
        .post(format!("{base}/alert"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let all: Value = c
        .get(format!("{base}/alert"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["alerts"].as_array().unwrap().len(), 2);
    let resolved: Value = c
        .get(format!("{base}/alert?status=resolved"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(resolved["alerts"][0]["alert"]["labels"]["alertname"], "B");
    let future: Value = c
        .get(format!("{base}/alert?since=2999-01-01T00:00:00Z"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(future["alerts"].as_array().unwrap().is_empty());
    let unix: Value = c
        .get(format!("{base}/alert?since=1700000000&until=4102444800"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unix["alerts"].as_array().unwrap().len(), 2);
    for bad in [
        "since=1e300",
        "since=NaN",
        "until=yesterday",
        "status=pending",
    ] {
        let r = c.get(format!("{base}/alert?{bad}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert_eq!(store.counts(), (1, 1, 4));

    // Durable: a new store over the same directory sees the alerts.
    let again = AlertReceiver::open(Some(dir.path().into()), HistoryLimits::default()).unwrap();
    assert_eq!(again.list(None, None, None).len(), 2);
}

#[tokio::test]
async fn history_lists_failed_attempts() {
    let cfg = Config::load(
        "route:\n  receiver: dead\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n- name: dead\n  webhook_configs:\n  - url: 'http://127.0.0.1:1/hook'\n",
    )
    .unwrap();
    let opts = telltale_notify::NotifierOptions {
        retry_initial: Duration::from_millis(100),
        ..Default::default()
    };
    let n = Notifier::with_options(cfg, None, opts).unwrap();
    let base = serve(axum::Router::new().nest("/api/v2", api_router(n.clone()))).await;
    let c = client();
    c.post(format!("{base}/api/v2/alerts"))
        .json(&json!([{"labels": {"alertname": "Unreachable"}}]))
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        if n.history().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let h: Value = c
        .get(format!(
            "{base}/api/v2/history?outcome=failure&receiver=dead&limit=1"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = h.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["integration"], "webhook[0]");
    assert_eq!(list[0]["alerts"][0]["labels"]["alertname"], "Unreachable");
    assert!(list[0]["error"].as_str().unwrap().contains("127.0.0.1:1"));
    let bad = c
        .get(format!("{base}/api/v2/history?since=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
