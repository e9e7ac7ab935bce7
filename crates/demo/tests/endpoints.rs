//! Every endpoint answers as documented, the 400s included.

mod common;

use common::{get, metric, request, start_demo};

#[tokio::test]
async fn index_lists_the_endpoints() {
    let demo = start_demo(|_| {}).await;
    let a = get(demo.local_addr(), "/").await;
    assert_eq!(a.status, 200);
    for p in [
        "/metrics",
        "/update",
        "/cpu?",
        "/cpu_task",
        "/ram_task",
        "/error",
        "/slow",
    ] {
        assert!(a.body.contains(p), "{p} missing from {}", a.body);
    }
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn update_sets_active_users_and_rejects_bad_values() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let a = get(addr, "/update?users=42").await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (200, "active users set to 42\n")
    );
    assert_eq!(metric(addr, "demo_active_users", &[]).await, Some(42.0));
    let a = get(addr, "/update?users=0").await;
    assert_eq!(a.status, 200);
    assert_eq!(metric(addr, "demo_active_users", &[]).await, Some(0.0));

    let a = get(addr, "/update?users=-3").await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("must not be negative"), "{}", a.body);
    assert!(a.body.contains("\"-3\""), "{}", a.body);
    let a = get(addr, "/update?users=many").await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("not a whole number"), "{}", a.body);
    let a = get(addr, "/update?users=1.5").await;
    assert_eq!(a.status, 400);
    let a = get(addr, "/update").await;
    assert_eq!(a.status, 400);
    assert!(
        a.body.contains("missing query parameter users"),
        "{}",
        a.body
    );
    // The refused requests changed nothing.
    assert_eq!(metric(addr, "demo_active_users", &[]).await, Some(0.0));
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn cpu_sets_the_simulated_gauge_and_rejects_bad_values() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let a = get(addr, "/cpu?value=87.5").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        metric(addr, "demo_cpu_usage_percent", &[]).await,
        Some(87.5)
    );
    for ok in ["0", "100"] {
        assert_eq!(get(addr, &format!("/cpu?value={ok}")).await.status, 200);
    }
    for (bad, why) in [
        ("101", "outside 0 to 100"),
        ("-0.5", "outside 0 to 100"),
        ("hot", "not a number"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("", "not a number"),
    ] {
        let a = get(addr, &format!("/cpu?value={bad}")).await;
        assert_eq!(a.status, 400, "{bad}");
        assert!(a.body.contains(why), "{bad}: {}", a.body);
    }
    let a = get(addr, "/cpu").await;
    assert_eq!(a.status, 400);
    assert!(
        a.body.contains("missing query parameter value"),
        "{}",
        a.body
    );
    assert_eq!(
        metric(addr, "demo_cpu_usage_percent", &[]).await,
        Some(100.0)
    );
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn error_is_a_500_and_counted() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    for _ in 0..3 {
        let a = get(addr, "/error").await;
        assert_eq!(a.status, 500);
        assert!(a.body.contains("simulated"));
    }
    let labels = [("method", "GET"), ("endpoint", "/error"), ("status", "500")];
    assert_eq!(
        metric(addr, "http_requests_total", &labels).await,
        Some(3.0)
    );
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn slow_waits_and_checks_its_bound() {
    let demo = start_demo(|c| c.max_slow_ms = 2000).await;
    let addr = demo.local_addr();
    let a = get(addr, "/slow?ms=30").await;
    assert_eq!((a.status, a.body.as_str()), (200, "answered after 30 ms\n"));
    let a = get(addr, "/slow?ms=2001").await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("from 0 to 2000"), "{}", a.body);
    assert_eq!(get(addr, "/slow?ms=soon").await.status, 400);
    assert_eq!(get(addr, "/slow?ms=-1").await.status, 400);
    // The three refusals are fast; the 30 ms answer cannot be in the
    // 0.025 s bucket (a sleep never ends early), only above it.
    let le = |b: &'static str| [("method", "GET"), ("endpoint", "/slow"), ("le", b)];
    let m = get(addr, "/metrics").await.body;
    let bucket = |b| common::sample(&m, "http_request_duration_seconds_bucket", &le(b));
    assert!(bucket("0.025") <= Some(3.0), "{:?}", bucket("0.025"));
    assert_eq!(bucket("+Inf"), Some(4.0));
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn task_parameters_are_checked() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    for path in [
        "/cpu_task?seconds=0",
        "/cpu_task?seconds=301",
        "/cpu_task?seconds=ten",
        "/ram_task?mb=0",
        "/ram_task?mb=1025",
        "/ram_task?mb=lots",
        "/ram_task?mb=1&seconds=0",
        "/ram_task?mb=1&seconds=100000",
    ] {
        let a = get(addr, path).await;
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        assert!(a.body.starts_with("invalid "), "{path}: {}", a.body);
    }
    assert_eq!(metric(addr, "demo_cpu_tasks_running", &[]).await, Some(0.0));
    assert_eq!(metric(addr, "demo_ram_task_bytes", &[]).await, Some(0.0));
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn cpu_tasks_over_the_bound_are_refused_and_end_on_shutdown() {
    let demo = start_demo(|c| c.max_cpu_tasks = 1).await;
    let addr = demo.local_addr();
    let a = get(addr, "/cpu_task?seconds=300").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = get(addr, "/cpu_task?seconds=1").await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.body.contains("already running"), "{}", a.body);
    assert_eq!(metric(addr, "demo_cpu_tasks_running", &[]).await, Some(1.0));
    // Shutting down ends the 300 s task; the test would hang otherwise
    // (the whole test is bounded by the harness, not by us).
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn ram_tasks_over_the_budget_are_refused() {
    let demo = start_demo(|c| c.max_ram_mb = 8).await;
    let addr = demo.local_addr();
    let a = get(addr, "/ram_task?mb=6&seconds=300").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, "holding 6 MiB for 300 s\n");
    let a = get(addr, "/ram_task?mb=3&seconds=1").await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.body.contains("6 MiB already held"), "{}", a.body);
    let a = get(addr, "/ram_task?mb=2&seconds=300").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        metric(addr, "demo_ram_task_bytes", &[]).await,
        Some((8 << 20) as f64)
    );
    // The default (256 MiB) is capped to the budget, which is full.
    assert_eq!(get(addr, "/ram_task").await.status, 429);
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_methods_are_counted_with_bounded_labels() {
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    assert_eq!(get(addr, "/no/such/page?x=1").await.status, 404);
    assert_eq!(get(addr, "/another").await.status, 404);
    assert_eq!(request(addr, "BREW", "/error").await.status, 405);
    let other = [("method", "GET"), ("endpoint", "other"), ("status", "404")];
    assert_eq!(metric(addr, "http_requests_total", &other).await, Some(2.0));
    let brew = [
        ("method", "OTHER"),
        ("endpoint", "/error"),
        ("status", "405"),
    ];
    assert_eq!(metric(addr, "http_requests_total", &brew).await, Some(1.0));
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn bind_errors_name_the_address() {
    let demo = start_demo(|_| {}).await;
    let taken = demo.local_addr();
    let err = telltale_demo::start(telltale_demo::DemoConfig {
        listen: taken,
        log_interval: None,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
    demo.shutdown().await.unwrap();
}
