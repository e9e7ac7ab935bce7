//! The demo's alert rules fire on the demo's own series, evaluated by
//! Telltale's engine: the running demo is scraped at synthetic 15 s steps
//! into an in-memory storage while it is driven with curl-like requests.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{get, start_demo};
use telltale_exposition::{Format, parse_families};
use telltale_model::{Appendable, Labels, MemStorage};
use telltale_promql::{Engine, EngineOptions};
use telltale_rules::{AlertState, EngineQuery, Group, GroupOptions, Rule};

const STEP_MS: i64 = 15_000;

/// Scrapes the demo once and stores every sample at `t` with the labels a
/// scrape of job `demo` adds.
async fn scrape_into(db: &MemStorage, addr: SocketAddr, t: i64) {
    let body = get(addr, "/metrics").await.body;
    let families = parse_families(body.as_bytes(), Format::OpenMetrics).unwrap();
    let mut app = db.appender();
    for s in families.iter().flat_map(|f| &f.samples) {
        let mut b = s.labels.builder();
        b.set("job", "demo");
        b.set("instance", &addr.to_string());
        let labels: Labels = b.build();
        app.append(0, &labels, t, s.value).unwrap();
    }
    app.commit().unwrap();
}

fn state_of(group: &Group, alert: &str) -> Option<AlertState> {
    group.rules().iter().find_map(|e| match &e.rule {
        Rule::Alerting(r) if r.spec().name == alert => r.alerts().first().map(|a| a.state),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_ratio_latency_and_cpu_alerts_fire_on_demo_traffic() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let db = MemStorage::new();
    let engine = Arc::new(Engine::new(EngineOptions::default()));
    let query = Arc::new(EngineQuery::new(engine, Arc::new(db.clone())));
    let opts = GroupOptions::new(query, Arc::new(db.clone()), Arc::new(db.clone()));
    // Rules as shipped, but `for: 30s` over 1m windows to keep the test short.
    let text = telltale_demo::demo_rules_with("15s", "30s", "1m");
    let spec = telltale_rules::file::parse_rule_file("demo", &text)
        .unwrap()
        .remove(0);
    let mut group = Group::new(spec, &opts, true);

    // Healthy traffic: nothing of ours fires.
    for step in 0..6 {
        for i in 0..10 {
            assert_eq!(get(addr, &format!("/update?users={i}")).await.status, 200);
        }
        let t = step * STEP_MS;
        scrape_into(&db, addr, t).await;
        group.eval(t, &opts);
    }
    assert_eq!(state_of(&group, "DemoHighErrorRatio"), None);
    assert_eq!(state_of(&group, "DemoSimulatedCpuHigh"), None);

    // Half the requests fail, a third are slow, the simulated CPU is high.
    assert_eq!(get(addr, "/cpu?value=95").await.status, 200);
    let mut sent = Vec::new();
    for step in 6..12 {
        let slow: Vec<_> = (0..6)
            .map(|_| tokio::spawn(async move { get(addr, "/slow?ms=600").await }))
            .collect();
        for i in 0..6 {
            assert_eq!(get(addr, &format!("/update?users={i}")).await.status, 200);
            assert_eq!(get(addr, "/error").await.status, 500);
        }
        for s in slow {
            assert_eq!(s.await.unwrap().status, 200);
        }
        let t = step * STEP_MS;
        scrape_into(&db, addr, t).await;
        sent.extend(group.eval(t, &opts));
    }
    for alert in [
        "DemoHighErrorRatio",
        "DemoHighLatencyP95",
        "DemoSimulatedCpuHigh",
    ] {
        assert_eq!(state_of(&group, alert), Some(AlertState::Firing), "{alert}");
        let a = sent
            .iter()
            .find(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
            .unwrap_or_else(|| panic!("{alert} was not sent"));
        assert!(!a.annotations["summary"].is_empty());
        assert!(!a.annotations["description"].contains("{{"), "{alert}");
    }
    let ratio = sent
        .iter()
        .find(|a| a.labels["alertname"] == "DemoHighErrorRatio")
        .unwrap();
    assert_eq!(ratio.labels["job"], "demo");
    assert_eq!(ratio.labels["severity"], "critical");
    demo.shutdown().await.unwrap();
}
