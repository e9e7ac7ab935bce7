//! Slack, PagerDuty and e-mail deliveries against servers the test starts on
//! 127.0.0.1, driven through the notifier.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use jiff::SignedDuration;
use serde_json::Value;
use telltale_model::Labels;
use telltale_notify::{Alert, Config, Notifier};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn capture(State(s): State<Seen>, headers: HeaderMap, body: String) -> &'static str {
    s.lock()
        .unwrap()
        .push((headers, serde_json::from_str(&body).unwrap()));
    "ok"
}

async fn http_sink() -> (Seen, String) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/{*path}", post(capture))
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (seen, format!("http://{addr}"))
}

async fn wait_for(f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fire(n: &Notifier, pairs: &[(&str, &str)]) {
    let now = n.now();
    let mut a = Alert::firing(Labels::from_pairs(pairs), now);
    a.ends_at = Some(now + SignedDuration::from_hours(1));
    a.annotations
        .insert("summary".into(), "disk is full".into());
    n.add_alerts(vec![a]).unwrap();
}

fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[tokio::test]
async fn slack_gets_default_title_and_user_templates() {
    crypto();
    let (seen, base) = http_sink().await;
    let cfg = Config::load(&format!(
        "route:\n  receiver: s\n  group_by: [alertname]\n  group_wait: 0s\nreceivers:\n- name: s\n  slack_configs:\n  - api_url: '{base}/services/T0/B0/X'\n    channel: '#ops'\n    text: '{{{{ range .Alerts }}}}{{{{ .Annotations.summary }}}}{{{{ end }}}}'\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    fire(&n, &[("alertname", "DiskFull"), ("instance", "db1")]);
    wait_for(|| !seen.lock().unwrap().is_empty()).await;
    let got = seen.lock().unwrap();
    let (_, body) = &got[0];
    assert_eq!(body["channel"], "#ops");
    assert_eq!(body["username"], "Alertmanager");
    let att = &body["attachments"][0];
    assert_eq!(att["title"], "[FIRING:1] DiskFull (db1)");
    assert_eq!(att["text"], "disk is full");
    assert_eq!(att["color"], "danger");
    assert_eq!(
        att["title_link"],
        "http://localhost:9093/#/alerts?receiver=s"
    );
}

#[tokio::test]
async fn pagerduty_gets_an_events_v2_trigger() {
    crypto();
    let (seen, base) = http_sink().await;
    let cfg = Config::load(&format!(
        "route:\n  receiver: p\n  group_wait: 0s\nreceivers:\n- name: p\n  pagerduty_configs:\n  - routing_key: 'rk-123'\n    url: '{base}/v2/enqueue'\n    severity: critical\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    fire(&n, &[("alertname", "Down")]);
    wait_for(|| !seen.lock().unwrap().is_empty()).await;
    let got = seen.lock().unwrap();
    let (headers, body) = &got[0];
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["routing_key"], "rk-123");
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["dedup_key"].as_str().unwrap().len(), 64);
    assert_eq!(body["payload"]["severity"], "critical");
    assert_eq!(body["payload"]["summary"], "[FIRING:1]  (Down)");
    assert_eq!(body["payload"]["custom_details"]["num_firing"], "1");
    assert_eq!(body["client"], "Alertmanager");
}

#[tokio::test]
async fn webhook_delivers_to_our_own_alert_receiver() {
    crypto();
    let store = Arc::new(telltale_notify::AlertReceiver::open(None, Default::default()).unwrap());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let app = telltale_notify::alert_receiver_router(store.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let cfg = Config::load(&format!(
        "route:\n  receiver: w\n  group_wait: 0s\nreceivers:\n- name: w\n  webhook_configs:\n  - url: 'http://{addr}/alert'\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    fire(&n, &[("alertname", "Loop")]);
    wait_for(|| !store.list(None, None, None).is_empty()).await;
    let got = store.list(Some("firing"), None, None);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].alert.labels["alertname"], "Loop");
    assert_eq!(got[0].group_key, "{}:{}");
    assert_eq!(n.history()[0].outcome, "success");
}

/// A minimal SMTP server: EHLO with AUTH, MAIL, RCPT, DATA, QUIT.
async fn smtp_sink() -> (Arc<Mutex<Vec<String>>>, u16) {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let log2 = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = l.accept().await else {
                return;
            };
            let log = log2.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                let mut in_data = false;
                let mut data = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            log.lock().unwrap().push(format!("MESSAGE {data}"));
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                        }
                        continue;
                    }
                    log.lock().unwrap().push(line.trim_end().to_string());
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("AUTH") {
                        b"235 ok\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go\r\n"
                    } else if cmd.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (log, port)
}

#[tokio::test]
async fn email_arrives_at_a_local_smtp_sink_with_auth() {
    crypto();
    let (log, port) = smtp_sink().await;
    let cfg = Config::load(&format!(
        "global:\n  smtp_smarthost: '127.0.0.1:{port}'\n  smtp_from: 'telltale@example.org'\n  smtp_auth_username: alice\n  smtp_auth_password: secret\n  smtp_require_tls: false\n  smtp_hello: tester.example.org\nroute:\n  receiver: m\n  group_wait: 0s\nreceivers:\n- name: m\n  email_configs:\n  - to: 'ops@example.org, oncall@example.org'\n    headers:\n      X-Team: infra\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    fire(&n, &[("alertname", "MailMe")]);
    wait_for(|| log.lock().unwrap().iter().any(|l| l.starts_with("MESSAGE"))).await;
    let log = log.lock().unwrap();
    assert!(
        log.iter().any(|l| l == "EHLO tester.example.org"),
        "{log:?}"
    );
    // "\0alice\0secret" in base64.
    assert!(
        log.iter().any(|l| l == "AUTH PLAIN AGFsaWNlAHNlY3JldA=="),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("RCPT TO:<oncall@example.org>")),
        "{log:?}"
    );
    let data = log.iter().find(|l| l.starts_with("MESSAGE")).unwrap();
    assert!(data.contains("Subject: [FIRING:1]  (MailMe)"), "{data}");
    assert!(data.contains("X-Team: infra"), "{data}");
    assert!(data.contains("From: telltale@example.org"), "{data}");
    assert_eq!(n.history()[0].outcome, "success", "{:?}", n.history());
}

#[tokio::test]
async fn email_requiring_tls_fails_without_starttls() {
    crypto();
    let (_log, port) = smtp_sink().await;
    let cfg = Config::load(&format!(
        "global:\n  smtp_smarthost: '127.0.0.1:{port}'\n  smtp_from: 'telltale@example.org'\nroute:\n  receiver: m\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n- name: m\n  email_configs:\n  - to: 'ops@example.org'\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    fire(&n, &[("alertname", "NoTls")]);
    wait_for(|| !n.history().is_empty()).await;
    let h = n.history();
    assert_eq!(h[0].outcome, "failure");
    assert!(h[0].error.is_some());
}
