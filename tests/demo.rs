//! End to end with the demo service: `telltale demo` runs as its own
//! process, `telltale serve` scrapes it with its alert rules (short timings
//! for the test), and hitting `/error` makes the error-ratio alert fire and
//! arrive on `/alert`.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, http};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_errors_fire_the_error_ratio_alert_on_alert_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let demo_port = free_port();
    let demo_addr: SocketAddr = format!("127.0.0.1:{demo_port}").parse().unwrap();
    let _demo = Kill(
        Command::new(common::binary())
            .args(["demo", "--no-logs", "--listen", &demo_addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start telltale demo"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(&demo_addr.to_string(), "GET", "/metrics", &[], b"").is_err() {
        assert!(Instant::now() < deadline, "demo did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The demo's own endpoints answer as documented.
    let d = demo_addr.to_string();
    assert_eq!(
        http(&d, "GET", "/update?users=-1", &[], b"").unwrap().0,
        400
    );
    assert_eq!(http(&d, "GET", "/cpu?value=150", &[], b"").unwrap().0, 400);
    assert_eq!(http(&d, "GET", "/cpu?value=42", &[], b"").unwrap().0, 200);
    assert_eq!(http(&d, "GET", "/error", &[], b"").unwrap().0, 500);

    let rules = tmp.path().join("demo.rules.yml");
    std::fs::write(&rules, telltale_demo::demo_rules_with("1s", "0s", "10s")).unwrap();
    let mut cfg = telltale_demo::scrape_config_yaml_every(demo_addr, Duration::from_millis(500));
    cfg.push_str("rule_files: ['demo.rules.yml']\n");
    let cfg_path = tmp.path().join("telltale.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let port = free_port();
    let am = tmp.path().join("alertmanager.yml");
    std::fs::write(
        &am,
        format!("route:\n  receiver: self\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: self\n    webhook_configs:\n      - url: http://127.0.0.1:{port}/alert\n"),
    )
    .unwrap();
    let args: Vec<String> = [
        "--no-host-metrics",
        "--no-default-rules",
        "--config",
        cfg_path.to_str().unwrap(),
        "--alertmanager-config",
        am.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let s = Server::start_in_at(
        &tmp.path().join("data"),
        &format!("127.0.0.1:{port}"),
        &args,
    );

    // The demo's metrics arrive in Telltale.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, b) = s.get("/api/v1/query?query=demo_cpu_usage_percent");
        if b.contains("\"42\"") {
            break;
        }
        assert!(Instant::now() < deadline, "demo metrics not scraped: {b}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Errors until the alert is on /alert (bounded: at most 60 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for _ in 0..5 {
            let _ = http(&d, "GET", "/error", &[], b"");
        }
        let (_, b) = s.get("/alert");
        if b.contains("DemoHighErrorRatio") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "DemoHighErrorRatio never reached /alert: {b}\nrules: {}",
            s.get("/api/v1/rules").1
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
