//! The same data in Telltale and in a real Prometheus (Debian's package):
//! every API answer has Prometheus's shape, and query answers agree.
//! Skips with a printed reason when `prometheus` is not installed.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, enc, http};
use serde_json::Value;
use telltale_prompb::{Label, Sample, TimeSeries, WriteRequest, encode_write_request};

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn start_prometheus(dir: &Path) -> Option<(Peer, String)> {
    let bin = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 15s\n").ok()?;
    let addr = free_addr();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("prom").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--web.enable-remote-write-receiver")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let peer = Peer(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(&addr, "GET", "/-/ready", &[], b"") {
            return Some((peer, addr));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// Two hosts, a counter, a gauge and a classic histogram over 10 minutes.
/// Samples sit 7 s off the evaluation grid, so no sample falls exactly on a
/// range boundary: there Prometheus 3 (left-open windows, which Telltale
/// follows) and the Prometheus 2 of Debian's package differ by design.
fn workload(now_ms: i64) -> WriteRequest {
    let mut ts = Vec::new();
    let start = now_ms - 600_000;
    let series = |name: &str, extra: &[(&str, &str)], f: &dyn Fn(i64) -> f64| {
        let mut labels = vec![Label {
            name: "__name__".into(),
            value: name.into(),
        }];
        labels.extend(extra.iter().map(|(n, v)| Label {
            name: (*n).into(),
            value: (*v).into(),
        }));
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        TimeSeries {
            labels,
            samples: (0..=40)
                .map(|i| Sample {
                    value: f(i),
                    timestamp: start + i * 15_000 + 7_000,
                })
                .collect(),
            ..Default::default()
        }
    };
    for (h, k) in [("a:9100", 1.0), ("b:9100", 3.0)] {
        ts.push(series(
            "http_requests_total",
            &[("instance", h), ("job", "api"), ("code", "200")],
            &|i| i as f64 * 10.0 * k,
        ));
        ts.push(series(
            "http_requests_total",
            &[("instance", h), ("job", "api"), ("code", "500")],
            &|i| (i / 4) as f64 * k,
        ));
        ts.push(series(
            "temperature_celsius",
            &[("instance", h), ("job", "api")],
            &|i| 20.0 + ((i % 5) as f64) * 0.5 * k,
        ));
        for (le, frac) in [("0.1", 0.5), ("0.5", 0.8), ("1", 0.95), ("+Inf", 1.0)] {
            ts.push(series(
                "req_duration_seconds_bucket",
                &[("instance", h), ("job", "api"), ("le", le)],
                &|i| (i as f64 * 10.0 * k * frac).floor(),
            ));
        }
    }
    WriteRequest {
        timeseries: ts,
        ..Default::default()
    }
}

/// The structure of a JSON value: object keys and value types, recursively
/// (arrays by their first element).
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::Null,
    }
}

fn get(addr: &str, path: &str) -> (u16, Value) {
    let (st, body) = http(addr, "GET", path, &[], b"").expect("http");
    (st, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Whether two JSON values are equal, sample values compared with a
/// relative tolerance of 1e-9.
fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(p), Ok(q)) => {
                p == q || (p - q).abs() <= 1e-9 * p.abs().max(q.abs()) || (p.is_nan() && q.is_nan())
            }
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

/// Sorts a vector or matrix result by its labels so the two can be compared.
fn sorted_result(v: &Value) -> Value {
    let mut r = v["data"]["result"].clone();
    if let Value::Array(a) = &mut r {
        a.sort_by_key(|x| x["metric"].to_string());
    }
    r
}

#[test]
fn api_answers_match_prometheus() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((_prom, paddr)) = start_prometheus(tmp.path()) else {
        println!("skipping: prometheus is not installed (apt-get install prometheus)");
        return;
    };
    let s = Server::start(&["--no-host-metrics", "--no-default-rules"]);
    let now_ms = (common::now_secs() * 1000.0) as i64 / 15_000 * 15_000;
    let body = encode_write_request(&workload(now_ms));
    let headers = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
        ("X-Prometheus-Remote-Write-Version", "0.1.0"),
    ];
    for addr in [&s.addr, &paddr] {
        let (st, b) = http(addr, "POST", "/api/v1/write", &headers, &body).unwrap();
        assert!(
            (200..300).contains(&st),
            "{addr}: {st} {}",
            String::from_utf8_lossy(&b)
        );
    }
    let t = (now_ms - 60_000) as f64 / 1000.0;
    let (start, end) = (t - 300.0, t);
    let queries = [
        "http_requests_total",
        "sum by (instance) (rate(http_requests_total[5m]))",
        "sum(rate(http_requests_total{code=\"500\"}[5m])) / sum(rate(http_requests_total[5m]))",
        "histogram_quantile(0.9, sum by (le) (rate(req_duration_seconds_bucket[5m])))",
        "topk(1, temperature_celsius)",
        "avg_over_time(temperature_celsius[2m])",
        "count by (__name__) ({job=\"api\"})",
        "http_requests_total{code=~\"5..\"} offset 1m",
        "scalar(sum(temperature_celsius))",
        "vector(1) + on() group_left() temperature_celsius",
    ];
    let mut mismatches = Vec::new();
    for q in queries {
        let inst = format!("/api/v1/query?query={}&time={t}", enc(q));
        let range = format!(
            "/api/v1/query_range?query={}&start={start}&end={end}&step=30",
            enc(q)
        );
        for path in [inst, range] {
            let (s1, ours) = get(&s.addr, &path);
            let (s2, theirs) = get(&paddr, &path);
            assert_eq!(s1, s2, "status for {path}: {ours} vs {theirs}");
            assert_eq!(shape(&ours), shape(&theirs), "shape for {path}");
            if ours["data"]["resultType"] == "vector" || ours["data"]["resultType"] == "matrix" {
                if !close(&sorted_result(&ours), &sorted_result(&theirs)) {
                    mismatches.push(format!(
                        "{path}\n ours:   {}\n theirs: {}",
                        sorted_result(&ours),
                        sorted_result(&theirs)
                    ));
                }
            } else if !close(&ours["data"], &theirs["data"]) {
                mismatches.push(format!(
                    "{path}\n ours:   {}\n theirs: {}",
                    ours["data"], theirs["data"]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "answers differ:\n{}",
        mismatches.join("\n")
    );

    // Metadata-style endpoints: same shapes, same data.
    let paths = [
        format!(
            "/api/v1/series?match[]={}&start={start}&end={end}",
            enc("http_requests_total")
        ),
        format!("/api/v1/labels?start={start}&end={end}"),
        format!("/api/v1/label/instance/values?start={start}&end={end}"),
        format!(
            "/api/v1/label/__name__/values?match[]={}",
            enc("{job=\"api\"}")
        ),
    ];
    for path in &paths {
        let (s1, ours) = get(&s.addr, path);
        let (s2, theirs) = get(&paddr, path);
        assert_eq!((s1, shape(&ours)), (s2, shape(&theirs)), "{path}");
        let norm = |v: &Value| {
            let mut a: Vec<String> = v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| x.to_string())
                .collect();
            a.sort();
            a
        };
        assert_eq!(norm(&ours), norm(&theirs), "{path}");
    }
    // Errors: same status and errorType.
    for path in [
        "/api/v1/query?query=sum(".to_string(),
        "/api/v1/query_range?query=up&start=10&end=5&step=1".to_string(),
        "/api/v1/query_range?query=up&start=0&end=100000&step=1".to_string(),
        "/api/v1/series".to_string(),
        "/api/v1/query?query=up&time=abc".to_string(),
    ] {
        let (s1, ours) = get(&s.addr, &path);
        let (s2, theirs) = get(&paddr, &path);
        assert_eq!(s1, s2, "status for {path}: {ours} vs {theirs}");
        assert_eq!(ours["errorType"], theirs["errorType"], "{path}");
        assert_eq!(ours["status"], "error");
    }
    // Status pages: every key Prometheus gives is there.
    for path in [
        "/api/v1/status/buildinfo",
        "/api/v1/status/runtimeinfo",
        "/api/v1/targets",
        "/api/v1/rules",
        "/api/v1/alerts",
        "/api/v1/status/tsdb",
    ] {
        let (_, ours) = get(&s.addr, path);
        let (_, theirs) = get(&paddr, path);
        if let Some(m) = theirs["data"].as_object() {
            for k in m.keys() {
                assert!(
                    ours["data"].get(k).is_some(),
                    "{path}: key {k} missing: {ours}"
                );
            }
        }
    }
}
