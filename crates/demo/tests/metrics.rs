//! `/metrics` parses with Telltale's own parser, has every documented
//! family, and its counters move.

mod common;

use std::time::Duration;

use common::{get, metric, start_demo, wait_for_metric};
use telltale_exposition::{Format, parse_families};
use telltale_model::MetricType;

#[tokio::test]
async fn metrics_parse_and_have_every_family() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    get(addr, "/update?users=5").await;
    get(addr, "/error").await;
    let m = get(addr, "/metrics").await;
    assert_eq!(m.status, 200);
    assert!(
        m.content_type.starts_with("application/openmetrics-text"),
        "{}",
        m.content_type
    );
    let families = parse_families(m.body.as_bytes(), Format::OpenMetrics).unwrap();
    let kind = |name: &str| {
        families
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.metadata.metric_type)
    };
    assert_eq!(kind("http_requests"), Some(MetricType::Counter));
    assert_eq!(
        kind("http_request_duration_seconds"),
        Some(MetricType::Histogram)
    );
    assert_eq!(kind("http_requests_in_flight"), Some(MetricType::Gauge));
    assert_eq!(kind("demo_build"), Some(MetricType::Info));
    assert_eq!(kind("demo_active_users"), Some(MetricType::Gauge));
    assert_eq!(kind("demo_cpu_usage_percent"), Some(MetricType::Gauge));
    assert_eq!(kind("demo_stock_level"), Some(MetricType::Gauge));
    assert_eq!(kind("demo_cpu_tasks_running"), Some(MetricType::Gauge));
    assert_eq!(kind("demo_ram_task_bytes"), Some(MetricType::Gauge));
    assert_eq!(kind("process_cpu_seconds"), Some(MetricType::Counter));
    assert_eq!(
        kind("process_resident_memory_bytes"),
        Some(MetricType::Gauge)
    );

    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(
        common::sample(&m.body, "demo_build_info", &version),
        Some(1.0)
    );
    // The scrape itself is in flight while it is encoded.
    assert_eq!(
        common::sample(&m.body, "http_requests_in_flight", &[]),
        Some(1.0)
    );
    for p in telltale_demo::PRODUCTS {
        let v = common::sample(&m.body, "demo_stock_level", &[("product", p)]);
        let v = v.unwrap_or_else(|| panic!("no stock level for {p}"));
        assert!((0.0..=telltale_demo::STOCK_MAX as f64).contains(&v));
    }
    // Every bucket of the duration histogram is there (11 bounds + Inf).
    let buckets = families
        .iter()
        .find(|f| f.name == "http_request_duration_seconds")
        .unwrap()
        .samples
        .iter()
        .filter(|s| {
            s.labels.get("__name__") == "http_request_duration_seconds_bucket"
                && s.labels.get("endpoint") == "/error"
        })
        .count();
    assert_eq!(buckets, telltale_demo::DURATION_BUCKETS.len() + 1);
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn request_counters_move() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let ok = [
        ("method", "GET"),
        ("endpoint", "/update"),
        ("status", "200"),
    ];
    let bad = [
        ("method", "GET"),
        ("endpoint", "/update"),
        ("status", "400"),
    ];
    // Known routes start at zero, so rate() sees their first requests.
    assert_eq!(metric(addr, "http_requests_total", &ok).await, Some(0.0));
    let errors = [("method", "GET"), ("endpoint", "/error"), ("status", "500")];
    assert_eq!(
        metric(addr, "http_requests_total", &errors).await,
        Some(0.0)
    );
    get(addr, "/update?users=1").await;
    assert_eq!(metric(addr, "http_requests_total", &ok).await, Some(1.0));
    for i in 0..4 {
        get(addr, &format!("/update?users={i}")).await;
    }
    get(addr, "/update?users=-1").await;
    assert_eq!(metric(addr, "http_requests_total", &ok).await, Some(5.0));
    assert_eq!(metric(addr, "http_requests_total", &bad).await, Some(1.0));
    let count = [("method", "GET"), ("endpoint", "/update")];
    assert_eq!(
        metric(addr, "http_request_duration_seconds_count", &count).await,
        Some(6.0)
    );
    // Scrapes count themselves.
    let scrapes = [
        ("method", "GET"),
        ("endpoint", "/metrics"),
        ("status", "200"),
    ];
    let before = metric(addr, "http_requests_total", &scrapes).await.unwrap();
    let after = metric(addr, "http_requests_total", &scrapes).await.unwrap();
    assert_eq!(after, before + 1.0);
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn in_flight_counts_a_slow_request() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let slow = tokio::spawn(async move { get(addr, "/slow?ms=3000").await });
    // While /slow sleeps, two requests are in flight: it and the scrape.
    assert!(wait_for_metric(addr, "http_requests_in_flight", &[], 200, |v| v == 2.0).await);
    let a = slow.await.unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(
        metric(addr, "http_requests_in_flight", &[]).await,
        Some(1.0)
    );
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn stock_levels_drift_on_their_own() {
    let demo = start_demo(|c| {
        c.stock_interval = Duration::from_millis(20);
        c.stock_step = 10;
    })
    .await;
    let addr = demo.local_addr();
    let levels = |body: &str| -> Vec<f64> {
        telltale_demo::PRODUCTS
            .iter()
            .map(|p| common::sample(body, "demo_stock_level", &[("product", p)]).unwrap())
            .collect()
    };
    let first = levels(&get(addr, "/metrics").await.body);
    let mut moved = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = levels(&get(addr, "/metrics").await.body);
        assert!(now.iter().all(|v| (0.0..=200.0).contains(v)));
        if now != first {
            moved = true;
            break;
        }
    }
    assert!(moved, "stock levels never changed");
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn log_lines_are_counted_by_level() {
    let demo = start_demo(|c| c.log_interval = Some(Duration::from_millis(20))).await;
    let addr = demo.local_addr();
    let total = |body: &str| -> f64 {
        ["info", "warning", "error", "critical"]
            .iter()
            .filter_map(|l| common::sample(body, "demo_log_messages_total", &[("level", l)]))
            .sum()
    };
    let mut seen = 0.0;
    for _ in 0..200 {
        seen = total(&get(addr, "/metrics").await.body);
        if seen >= 3.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen >= 3.0, "only {seen} log lines");
    demo.shutdown().await.unwrap();
}
