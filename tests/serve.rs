//! Black-box tests of `telltale serve`: the real binary on 127.0.0.1:0.

mod common;

use std::time::{Duration, Instant};

use common::{Server, enc, http};
use serde_json::Value;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls an instant query until it returns at least one series (max 30 s).
fn wait_for_series(s: &Server, q: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, body) = s.get(&format!("/api/v1/query?query={}", enc(q)));
        assert_eq!(st, 200, "{body}");
        let v = json(&body);
        if v["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            return v;
        }
        assert!(Instant::now() < deadline, "no result for {q}: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn host_metrics_are_queryable_and_survive_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = Server::start_in(&dir, &["--collect-interval", "1s"]);
    assert_eq!(s.get("/-/healthy").0, 200);
    assert_eq!(s.get("/-/ready").0, 200);
    let v = wait_for_series(&s, "node_cpu_seconds_total");
    let m = &v["data"]["result"][0]["metric"];
    assert_eq!(m["job"], "node");
    assert!(m["instance"].as_str().is_some_and(|i| !i.is_empty()));
    assert!(m["cpu"].is_string() && m["mode"].is_string());
    wait_for_series(&s, "node_memory_MemTotal_bytes");
    wait_for_series(&s, "node_filesystem_size_bytes");
    wait_for_series(&s, "node_network_receive_bytes_total");
    let (_, body) = s.get("/api/v1/label/__name__/values");
    assert!(body.contains("node_load1"), "{body}");
    let (st, body) = s.get("/api/v1/status/tsdb");
    assert_eq!(st, 200, "{body}");
    assert!(
        json(&body)["data"]["headStats"]["numSeries"]
            .as_u64()
            .unwrap_or(0)
            > 100
    );
    let (st, body) = s.get("/metrics");
    assert_eq!(st, 200);
    assert!(body.contains("telltale_tsdb_head_series"), "{body}");
    assert!(body.contains("node_cpu_seconds_total"));
    // The usage endpoints answer from the host metrics.
    std::thread::sleep(Duration::from_millis(2500));
    let (st, body) = s.get("/avg_usage?resource=memory&range=1m");
    assert_eq!(st, 200, "{body}");
    let pct = json(&body)["avg_usage"].as_f64().expect("a figure");
    assert!((0.0..=100.0).contains(&pct), "{body}");

    let t = (common::now_secs() - 1.0).to_string();
    let (_, before) = s.get(&format!(
        "/api/v1/query?query=count(node_cpu_seconds_total)&time={t}"
    ));
    let st = s.stop();
    assert!(st.success(), "clean exit on SIGTERM: {st}");

    let s2 = Server::start_in(&dir, &["--no-host-metrics"]);
    let (_, after) = s2.get(&format!(
        "/api/v1/query?query=count(node_cpu_seconds_total)&time={t}"
    ));
    assert_eq!(
        json(&before)["data"]["result"][0]["value"][1],
        json(&after)["data"]["result"][0]["value"][1],
        "{before} vs {after}"
    );
}

#[test]
fn malformed_and_oversized_requests_get_4xx_and_server_keeps_serving() {
    let s = Server::start(&["--no-host-metrics"]);
    let (st, body) = s.get("/api/v1/query?query=rate(");
    assert_eq!(st, 400, "{body}");
    assert_eq!(json(&body)["errorType"], "bad_data");
    let big = vec![b'a'; 40 << 20];
    let r = http(
        &s.addr,
        "POST",
        "/api/v1/query",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    if let Ok((st, _)) = r {
        assert_eq!(st, 413);
    }
    let (st, _) = s.get("/api/v1/query?query=1%2B1");
    assert_eq!(st, 200);
    let (st, body) = s.get("/api/v1/series");
    assert_eq!(st, 400, "{body}");
}

#[test]
fn bad_reload_keeps_running_config() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("telltale.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 15s\n").unwrap();
    let s = Server::start(&["--no-host-metrics", "--config", cfg.to_str().unwrap()]);
    let (st, _) = s.post_form("/-/reload", "");
    assert_eq!(st, 200);
    std::fs::write(&cfg, "global:\n  scrape_interval: 15s\nbogus_key: 1\n").unwrap();
    let (st, body) = s.post_form("/-/reload", "");
    assert_eq!(st, 500, "{body}");
    assert!(body.contains("bogus_key"), "{body}");
    let (st, body) = s.get("/api/v1/status/config");
    assert_eq!(st, 200);
    assert!(!body.contains("bogus_key"), "{body}");
}

#[test]
fn basic_auth_guards_everything_but_probes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("telltale.yml");
    let hash = bcrypt::hash("secret", 4).unwrap();
    let hash = hash.as_str();
    std::fs::write(
        &cfg,
        format!("web:\n  basic_auth_users:\n    alice: '{hash}'\n  bearer_tokens: ['tok123']\n"),
    )
    .unwrap();
    let s = Server::start(&["--no-host-metrics", "--config", cfg.to_str().unwrap()]);
    assert_eq!(s.get("/-/healthy").0, 200);
    let (st, _) = s.get("/api/v1/query?query=1");
    assert_eq!(st, 401);
    let ok = |h: &str| {
        http(
            &s.addr,
            "GET",
            "/api/v1/query?query=1",
            &[("Authorization", h)],
            b"",
        )
        .unwrap()
        .0
    };
    assert_eq!(ok("Basic YWxpY2U6c2VjcmV0"), 200);
    assert_eq!(ok("Basic YWxpY2U6d3Jvbmc="), 401);
    assert_eq!(ok("Bearer tok123"), 200);
    assert_eq!(ok("Bearer nope"), 401);
    let (_, body) = http(
        &s.addr,
        "GET",
        "/api/v1/status/config",
        &[("Authorization", "Bearer tok123")],
        b"",
    )
    .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(
        !body.contains(hash) && !body.contains("tok123"),
        "secrets leak: {body}"
    );
}

#[test]
fn check_config_reports_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.yml");
    std::fs::write(
        &cfg,
        "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n    nonsense: 1\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["check", "config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nonsense") && err.contains('5'), "{err}");
    std::fs::write(&cfg, "global:\n  scrape_interval: 15s\n").unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["check", "config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The requests Grafana's Prometheus data source sends, as it sends them.
#[test]
fn grafana_datasource_requests() {
    let s = Server::start(&["--collect-interval", "1s"]);
    wait_for_series(&s, "node_load1");
    let now = common::now_secs();
    // Health check and version detection.
    let (st, body) = s.get("/api/v1/status/buildinfo");
    assert_eq!(st, 200);
    assert!(json(&body)["data"]["version"].is_string(), "{body}");
    let (st, body) = s.post_form("/api/v1/query", &format!("query=1%2B1&time={now}"));
    assert_eq!(st, 200, "{body}");
    assert_eq!(json(&body)["data"]["resultType"], "scalar");
    // Panels: range queries by POST form.
    let form = format!(
        "query={}&start={}&end={}&step=15",
        enc("sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[1m]))"),
        now - 300.0,
        now
    );
    let (st, body) = s.post_form("/api/v1/query_range", &form);
    assert_eq!(st, 200, "{body}");
    assert_eq!(json(&body)["data"]["resultType"], "matrix");
    // Metric browser and variables.
    let form = format!(
        "match[]={}&start={}&end={}",
        enc("{job=\"node\"}"),
        now - 300.0,
        now
    );
    let (st, body) = s.post_form("/api/v1/labels", &form);
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"instance\""), "{body}");
    let (st, body) = s.get(&format!(
        "/api/v1/label/__name__/values?match[]={}&start={}&end={}",
        enc("{job=\"node\"}"),
        now - 300.0,
        now
    ));
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("node_memory_MemTotal_bytes"), "{body}");
    let (st, body) = s.post_form(
        "/api/v1/series",
        &format!(
            "match[]={}&start={}&end={}",
            enc("node_load1"),
            now - 300.0,
            now
        ),
    );
    assert_eq!(st, 200, "{body}");
    assert_eq!(json(&body)["data"][0]["__name__"], "node_load1");
    let (st, body) = s.get("/api/v1/metadata");
    assert_eq!(st, 200, "{body}");
    assert!(json(&body)["data"].is_object(), "{body}");
}

#[test]
fn tls_serves_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    std::fs::write(tmp.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(tmp.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let cfg = tmp.path().join("telltale.yml");
    std::fs::write(
        &cfg,
        "web:\n  tls_server_config:\n    cert_file: cert.pem\n    key_file: key.pem\n",
    )
    .unwrap();
    let listen = format!(
        "127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let mut child = std::process::Command::new(common::binary())
        .args([
            "serve",
            "--no-host-metrics",
            "--listen",
            &listen,
            "--config",
        ])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let url = format!("https://{listen}/api/v1/query?query=1%2B1");
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        match rt.block_on(async { client.get(&url).send().await?.text().await }) {
            Ok(b) if b.contains("success") => break b,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            other => {
                let _ = child.kill();
                panic!("no TLS answer: {other:?}");
            }
        }
    };
    assert!(body.contains("\"2\""), "{body}");
    // Plain HTTP on the TLS port gets no API answer.
    let plain = http(&listen, "GET", "/api/v1/query?query=1", &[], b"");
    assert!(plain.map(|(st, _)| st != 200).unwrap_or(true));
    let _ = child.kill();
    let _ = child.wait();
}

/// The UI comes from the binary itself: started from an empty directory,
/// a copy of the binary alone serves every page and its assets.
#[test]
fn ui_is_served_with_no_files_beside_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("telltale");
    std::fs::copy(common::binary(), &bin).unwrap();
    let mut child = std::process::Command::new(&bin)
        .current_dir(tmp.path())
        .args([
            "serve",
            "--no-host-metrics",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "d",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(i) = line.find("http://127.0.0.1:") {
                let rest = &line[i + 7..];
                let end = rest.find(['/', ' ']).unwrap_or(rest.len());
                let _ = tx.send(rest[..end].to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("address logged");
    for (path, kind) in [
        ("/", "text/html"),
        ("/explore", "text/html"),
        ("/alerts", "text/html"),
    ] {
        let (st, body) = http(&addr, "GET", path, &[], b"").unwrap();
        assert_eq!(st, 200, "{path}");
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("<html") || body.contains("<!doctype"),
            "{kind} {path}: {body}"
        );
        // Every script and stylesheet the page names is served too.
        for attr in ["src=\"/ui/", "href=\"/ui/"] {
            for part in body.split(attr).skip(1) {
                let asset = format!("/ui/{}", part.split('"').next().unwrap_or(""));
                let (st, b) = http(&addr, "GET", &asset, &[], b"").unwrap();
                assert_eq!(st, 200, "{asset}");
                assert!(!b.is_empty(), "{asset} is empty");
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `telltale exporter` takes node_exporter's collector flags and serves
/// node_exporter's metric names.
#[test]
fn exporter_accepts_node_exporter_flags() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(common::binary())
        .args([
            "exporter",
            "--listen",
            &addr,
            "--no-collector.filesystem",
            "--collector.processes_top",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        if let Ok((200, b)) = http(&addr, "GET", "/metrics", &[], b"") {
            break String::from_utf8_lossy(&b).into_owned();
        }
        assert!(Instant::now() < deadline, "exporter did not answer");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(body.contains("node_cpu_seconds_total{"), "no cpu metrics");
    assert!(
        !body.contains("node_filesystem_size_bytes"),
        "filesystem was disabled"
    );
    assert!(
        body.contains("collector=\"processes_top\""),
        "processes_top was enabled"
    );
    let bad = std::process::Command::new(common::binary())
        .args(["exporter", "--collector.nonexistent"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
