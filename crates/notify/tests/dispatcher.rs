//! The dispatcher on paused time: grouping, group_wait, group_interval,
//! repeat_interval, resolved notifications, silences, inhibition, retries,
//! and a restart that neither re-sends nor forgets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use jiff::SignedDuration;
use serde_json::Value;
use telltale_model::Labels;
use telltale_notify::silence::{Silence, SilenceMatcher};
use telltale_notify::{Alert, Config, Notifier};

#[derive(Clone, Default)]
struct Sink {
    bodies: Arc<Mutex<Vec<Value>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<Mutex<u32>>,
}

impl Sink {
    fn count(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }
    fn last(&self) -> Value {
        self.bodies.lock().unwrap().last().cloned().unwrap()
    }
}

async fn hook(State(s): State<Sink>, body: String) -> StatusCode {
    {
        let mut f = s.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    s.bodies
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap());
    StatusCode::OK
}

async fn start_sink() -> (Sink, String) {
    let sink = Sink::default();
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (sink, format!("http://{addr}/hook"))
}

fn config(url: &str, extra: &str) -> Config {
    Config::load(&format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: '{url}'\n{extra}"
    ))
    .unwrap()
}

fn alert(n: &Notifier, pairs: &[(&str, &str)]) -> Alert {
    let now = n.now();
    let mut a = Alert::firing(Labels::from_pairs(pairs), now);
    a.ends_at = Some(now + SignedDuration::from_hours(100));
    a
}

async fn sleep_secs(s: u64) {
    // Small steps so other tasks (the HTTP sink) get to run.
    for _ in 0..s {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[tokio::test(start_paused = true)]
async fn groups_wait_repeat_and_resolve() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let n = Notifier::new(config(&url, ""), None).unwrap();
    n.add_alerts(vec![alert(&n, &[("alertname", "X"), ("instance", "1")])])
        .unwrap();
    sleep_secs(10).await;
    assert_eq!(sink.count(), 0, "nothing before group_wait");
    sleep_secs(25).await;
    assert_eq!(sink.count(), 1);
    let b = sink.last();
    assert_eq!(b["notification_reason"], "first notification");
    assert_eq!(b["groupKey"], "{}:{alertname=\"X\"}");
    assert_eq!(b["alerts"].as_array().unwrap().len(), 1);

    // A second alert joins the group and goes out at the next interval.
    n.add_alerts(vec![alert(&n, &[("alertname", "X"), ("instance", "2")])])
        .unwrap();
    sleep_secs(60).await;
    assert_eq!(sink.count(), 1);
    sleep_secs(240).await;
    assert_eq!(sink.count(), 2);
    assert_eq!(sink.last()["notification_reason"], "new alerts added");
    assert_eq!(sink.last()["alerts"].as_array().unwrap().len(), 2);

    // Nothing changes: quiet until the repeat interval has passed.
    sleep_secs(50 * 60).await;
    assert_eq!(sink.count(), 2);
    sleep_secs(15 * 60).await;
    assert_eq!(sink.count(), 3);
    assert_eq!(
        sink.last()["notification_reason"],
        "repeat interval elapsed"
    );

    // Resolve both: one resolved notification, then the group ends.
    let now = n.now();
    let mut r1 = alert(&n, &[("alertname", "X"), ("instance", "1")]);
    r1.ends_at = Some(now);
    let mut r2 = alert(&n, &[("alertname", "X"), ("instance", "2")]);
    r2.ends_at = Some(now);
    n.add_alerts(vec![r1, r2]).unwrap();
    sleep_secs(6 * 60).await;
    assert_eq!(sink.count(), 4);
    let b = sink.last();
    assert_eq!(b["status"], "resolved");
    assert_eq!(b["notification_reason"], "all alerts resolved");
    assert_eq!(b["alerts"][0]["status"], "resolved");
    sleep_secs(6 * 60).await;
    assert_eq!(sink.count(), 4);
    assert!(n.groups().is_empty());
    assert_eq!(n.history().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn silences_and_inhibition_suppress() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let cfg = config(
        &url,
        "inhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [alertname]\n",
    );
    let n = Notifier::new(cfg, None).unwrap();
    let now = n.now();
    n.silences()
        .set(
            Silence {
                id: String::new(),
                matchers: vec![SilenceMatcher {
                    name: "alertname".into(),
                    value: "Silenced".into(),
                    is_regex: false,
                    is_equal: true,
                }],
                starts_at: now,
                ends_at: now + SignedDuration::from_hours(1),
                updated_at: now,
                created_by: "test".into(),
                comment: "quiet".into(),
            },
            now,
        )
        .unwrap();
    n.add_alerts(vec![
        alert(&n, &[("alertname", "Silenced")]),
        alert(&n, &[("alertname", "Disk"), ("severity", "critical")]),
        alert(&n, &[("alertname", "Disk"), ("severity", "warning")]),
    ])
    .unwrap();
    sleep_secs(40).await;
    assert_eq!(sink.count(), 1, "only the Disk group notifies");
    let b = sink.last();
    let alerts = b["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["labels"]["severity"], "critical");
    let views = n.alerts();
    let warn = views
        .iter()
        .find(|v| v.alert.labels.get("severity") == "warning")
        .unwrap();
    assert_eq!(warn.state(), "suppressed");
    assert_eq!(warn.inhibited_by.len(), 1);
    let sil = views
        .iter()
        .find(|v| v.alert.labels.get("alertname") == "Silenced")
        .unwrap();
    assert_eq!(sil.silenced_by.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_with_backoff_and_records_history() {
    install_crypto();
    let (sink, url) = start_sink().await;
    *sink.fail_first.lock().unwrap() = 2;
    let n = Notifier::new(config(&url, ""), None).unwrap();
    n.add_alerts(vec![alert(&n, &[("alertname", "Flaky")])])
        .unwrap();
    sleep_secs(60).await;
    assert_eq!(sink.count(), 1);
    let h = n.history();
    let outcomes: Vec<&str> = h.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failure", "failure", "success"]);
    assert!(h[0].error.as_deref().unwrap().contains("500"));
    assert_eq!(h[2].attempt, 3);
    let stats = n.stats();
    assert_eq!((stats.notifications, stats.notifications_failed), (3, 2));
    assert_eq!(stats.alerts_received, 1);
    assert_eq!(stats.groups, 1);
}

#[tokio::test(start_paused = true)]
async fn restart_neither_resends_nor_forgets() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let dir = tempfile::tempdir().unwrap();
    let n = Notifier::new(config(&url, ""), dir.path().to_path_buf()).unwrap();
    let a = alert(&n, &[("alertname", "Persist")]);
    n.add_alerts(vec![a.clone()]).unwrap();
    sleep_secs(40).await;
    assert_eq!(sink.count(), 1);
    n.stop();
    drop(n);

    let n = Notifier::new(config(&url, ""), dir.path().to_path_buf()).unwrap();
    assert_eq!(n.history().len(), 1, "history restored");
    n.add_alerts(vec![a]).unwrap();
    sleep_secs(10 * 60).await;
    assert_eq!(sink.count(), 1, "the log stops a re-send after restart");
}

#[tokio::test(start_paused = true)]
async fn time_intervals_mute_routes() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let cfg = Config::load(&format!(
        "time_intervals:\n- name: always\n  time_intervals:\n  - weekdays: ['sunday:saturday']\n- name: never\n  time_intervals:\n  - years: ['1999']\nroute:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 30s\n  routes:\n  - matchers: [team=a]\n    mute_time_intervals: [always]\n  - matchers: [team=b]\n    active_time_intervals: [never]\n  - matchers: [team=c]\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: '{url}'\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    n.add_alerts(vec![
        alert(&n, &[("alertname", "A"), ("team", "a")]),
        alert(&n, &[("alertname", "B"), ("team", "b")]),
        alert(&n, &[("alertname", "C"), ("team", "c")]),
    ])
    .unwrap();
    sleep_secs(40).await;
    assert_eq!(sink.count(), 1);
    assert_eq!(sink.last()["groupLabels"]["alertname"], "C");
    let muted = n
        .alerts()
        .into_iter()
        .find(|v| v.alert.labels.get("team") == "a")
        .unwrap();
    assert_eq!(muted.muted_by, ["always"]);
}

#[tokio::test(start_paused = true)]
async fn reload_reroutes_without_resending() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let n = Notifier::new(config(&url, ""), None).unwrap();
    n.add_alerts(vec![alert(&n, &[("alertname", "R")])])
        .unwrap();
    sleep_secs(40).await;
    assert_eq!(sink.count(), 1);
    // Same configuration again: the log keeps it quiet.
    n.reload(config(&url, "")).unwrap();
    sleep_secs(60).await;
    assert_eq!(sink.count(), 1);
    // A new receiver is a new notification target.
    let other = Config::load(&format!(
        "route:\n  receiver: other\n  group_by: [alertname]\n  group_wait: 30s\nreceivers:\n- name: other\n  webhook_configs:\n  - url: '{url}'\n"
    ))
    .unwrap();
    n.reload(other).unwrap();
    sleep_secs(40).await;
    assert_eq!(sink.count(), 2);
    assert_eq!(sink.last()["receiver"], "other");
    assert_eq!(n.config().route.receiver, "other");
}

#[tokio::test(start_paused = true)]
async fn alert_limit_and_bad_alerts_are_refused() {
    install_crypto();
    let (_sink, url) = start_sink().await;
    let opts = telltale_notify::NotifierOptions {
        max_alerts: 2,
        ..Default::default()
    };
    let n = Notifier::with_options(config(&url, ""), None, opts).unwrap();
    let err = n
        .add_alerts(vec![
            alert(&n, &[("alertname", "1")]),
            alert(&n, &[("alertname", "2")]),
            alert(&n, &[("alertname", "3")]),
        ])
        .unwrap_err();
    assert!(err.to_string().contains("too many alerts"), "{err}");
    assert_eq!(n.alerts().len(), 2);
    let mut bad = alert(&n, &[("alertname", "1")]);
    bad.ends_at = Some(bad.starts_at - SignedDuration::from_secs(1));
    assert!(n.add_alerts(vec![bad]).is_err());
    assert!(
        n.add_alerts(vec![Alert::firing(Labels::empty(), n.now())])
            .is_err()
    );
    let stats = n.stats();
    assert_eq!((stats.alerts_received, stats.alerts_invalid), (2, 3));
}

#[tokio::test(start_paused = true)]
async fn extreme_times_and_durations_do_not_panic() {
    install_crypto();
    let (sink, url) = start_sink().await;
    let cfg = Config::load(&format!(
        "global:\n  resolve_timeout: 100000y\nroute:\n  receiver: hook\n  group_wait: 100000y\n  group_interval: 100000y\n  repeat_interval: 100000y\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: '{url}'\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    let mut old = Alert::firing(
        Labels::from_pairs(&[("alertname", "Old")]),
        "0001-01-02T00:00:00Z".parse().unwrap(),
    );
    old.ends_at = None;
    n.add_alerts(vec![old]).unwrap();
    let now = n.now();
    n.silences()
        .set(
            Silence {
                id: String::new(),
                matchers: vec![SilenceMatcher {
                    name: "alertname".into(),
                    value: "Never".into(),
                    is_regex: false,
                    is_equal: true,
                }],
                starts_at: now,
                ends_at: jiff::Timestamp::MAX,
                updated_at: now,
                created_by: "t".into(),
                comment: "far".into(),
            },
            now,
        )
        .unwrap();
    sleep_secs(5).await;
    n.gc();
    // Even a year-1 alert is younger than a 100000-year group_wait.
    assert_eq!(sink.count(), 0);
    assert_eq!(n.alerts().len(), 1);
}
