//! One minute of concurrent pushes, queries and reloads against the real
//! binary: no request fails and memory stays bounded.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Server, enc, http};

/// How long the soak runs; `TELLTALE_SOAK_SECS` overrides (CI keeps 60).
fn soak_time() -> Duration {
    let secs = std::env::var("TELLTALE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[test]
fn concurrent_ingest_queries_and_reloads() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("telltale.yml");
    std::fs::write(&cfg, "global:\n  evaluation_interval: 5s\n").unwrap();
    let s = Arc::new(Server::start(&[
        "--config",
        cfg.to_str().unwrap(),
        "--collect-interval",
        "1s",
    ]));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();

    // Pushers: 4 jobs × 200 series, new values all the time.
    for j in 0..4 {
        let (s, stop, errors, requests) =
            (s.clone(), stop.clone(), errors.clone(), requests.clone());
        threads.push(std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut body = String::from("# TYPE soak_value gauge\n");
                for i in 0..200 {
                    body.push_str(&format!("soak_value{{series=\"{i}\"}} {}\n", round * 7 + i));
                }
                let path = format!("/metrics/job/soak{j}");
                match http(&s.addr, "PUT", &path, &[], body.as_bytes()) {
                    Ok((200..=299, _)) => {}
                    other => {
                        eprintln!("push failed: {other:?}");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                requests.fetch_add(1, Ordering::Relaxed);
                round += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    // Queriers.
    let queries = [
        "sum by (job) (soak_value)",
        "rate(node_cpu_seconds_total[1m])",
        "topk(5, soak_value)",
        "count({__name__=~\"node_.*\"})",
    ];
    for q in queries {
        let (s, stop, errors, requests) =
            (s.clone(), stop.clone(), errors.clone(), requests.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let now = common::now_secs();
                let path = format!(
                    "/api/v1/query_range?query={}&start={}&end={}&step=1",
                    enc(q),
                    now - 60.0,
                    now
                );
                let (st, body) = http(&s.addr, "GET", &path, &[], b"").unwrap_or((0, Vec::new()));
                if st != 200 {
                    eprintln!("query {q} failed: {st} {}", String::from_utf8_lossy(&body));
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                let (st, _) =
                    http(&s.addr, "GET", "/api/v1/labels", &[], b"").unwrap_or((0, Vec::new()));
                if st != 200 {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                requests.fetch_add(2, Ordering::Relaxed);
            }
        }));
    }
    // Reloader.
    {
        let (s, stop, errors, requests) =
            (s.clone(), stop.clone(), errors.clone(), requests.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (st, body) =
                    http(&s.addr, "POST", "/-/reload", &[], b"").unwrap_or((0, Vec::new()));
                if st != 200 {
                    eprintln!("reload failed: {st} {}", String::from_utf8_lossy(&body));
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                requests.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_secs(2));
            }
        }));
    }

    let start = Instant::now();
    let mut peak = 0;
    while start.elapsed() < soak_time() {
        peak = peak.max(rss_kib(s.child.id()));
        std::thread::sleep(Duration::from_millis(500));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let n = requests.load(Ordering::Relaxed);
    println!("soak: {n} requests, peak RSS {} MiB", peak / 1024);
    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "some of {n} requests failed"
    );
    assert!(n > 100, "only {n} requests in the soak");
    // 800 pushed series and the host's: a few hundred MiB would mean a leak.
    assert!(peak < 512 * 1024, "peak RSS {} MiB", peak / 1024);
    let (st, body) = s.get("/api/v1/query?query=count(soak_value)");
    assert_eq!(st, 200);
    assert!(body.contains("\"800\""), "{body}");
}
