//! Interop with real peers, skipped with a printed reason when missing:
//! scraping `prometheus-node-exporter`, and a real Prometheus remote
//! writing to our receiver.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{series, serve, wait_for};
use telltale_model::MemStorage;
use telltale_scrape::{
    Health, RemoteWriteConfig, RemoteWriteState, ScrapeManager, parse_config, remote_write_router,
};

/// Kills the child process on drop, so a failed assertion leaves nothing
/// running.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary(path: &str) -> Option<String> {
    std::path::Path::new(path)
        .exists()
        .then(|| path.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_a_real_node_exporter() {
    let Some(bin) = binary("/usr/bin/prometheus-node-exporter") else {
        println!(
            "SKIP scrapes_a_real_node_exporter: /usr/bin/prometheus-node-exporter not installed"
        );
        return;
    };
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _reaper = Reaper(child);
    let db = MemStorage::new();
    let m = ScrapeManager::new(Arc::new(db.clone())).unwrap();
    let cfg = parse_config(
        &format!(
            "scrape_configs:\n- job_name: node\n  scrape_interval: 500ms\n  static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        ),
        "t",
    )
    .unwrap();
    m.apply_config(&cfg.scrape_configs).unwrap();
    wait_for("node exporter up", || {
        m.targets().first().is_some_and(|t| t.health == Health::Up)
    })
    .await;
    let t = &m.targets()[0];
    assert!(
        t.last_stats.scraped > 100,
        "only {} samples",
        t.last_stats.scraped
    );
    let cpu = series(&db, "node_cpu_seconds_total");
    assert!(!cpu.is_empty());
    assert_eq!(cpu[0].0.get("job"), "node");
    let md = m.metadata();
    assert_eq!(
        md["node_cpu_seconds_total"][0].metric_type,
        telltale_model::MetricType::Counter
    );
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prometheus_remote_writes_what_it_stores() {
    let Some(bin) = binary("/usr/bin/prometheus") else {
        println!(
            "SKIP real_prometheus_remote_writes_what_it_stores: /usr/bin/prometheus not installed"
        );
        return;
    };
    let db = MemStorage::new();
    let st = RemoteWriteState::new(Arc::new(db.clone()), RemoteWriteConfig::default());
    let rw = serve(remote_write_router(st)).await;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        r#"global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
- job_name: self
  static_configs: [{{targets: ['127.0.0.1:{port}']}}]
remote_write:
- url: http://{rw}/api/v1/write
  queue_config: {{batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 200ms}}
"#
    );
    let cfg_path = dir.path().join("prometheus.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", cfg_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _reaper = Reaper(child);
    wait_for("remote written up samples", || {
        series(&db, "up").first().is_some_and(|(_, v)| v.len() >= 3)
    })
    .await;
    let ours = series(&db, "up");
    assert_eq!(ours[0].0.get("job"), "self");
    // Ask Prometheus for the raw samples it stored and compare.
    telltale_scrape::client::ensure_crypto_provider();
    let url = format!("http://127.0.0.1:{port}/api/v1/query?query=up%5B10m%5D");
    let j: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    let stored: Vec<(i64, f64)> = j["data"]["result"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let t = (p[0].as_f64().unwrap() * 1000.0).round() as i64;
            let v: f64 = p[1].as_str().unwrap().parse().unwrap();
            (t, v)
        })
        .collect();
    for s in &ours[0].1 {
        assert!(
            stored.contains(&(s.t, s.v)),
            "sample {s:?} written to us is not in Prometheus's storage {stored:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// An HTTPS target served by `openssl s_server -WWW` with a self-signed
/// certificate: trusted through `tls_config.ca_file`, refused without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_over_tls_with_a_private_ca() {
    let Some(openssl) = binary("/usr/bin/openssl") else {
        println!("SKIP scrapes_over_tls_with_a_private_ca: /usr/bin/openssl not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    // A private CA, and a server certificate it signs (webpki refuses a
    // self-signed CA certificate used as the server's own).
    let steps: [Vec<String>; 3] = [
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &p("key.pem"),
            "-out",
            &p("leaf.csr"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "x509",
            "-req",
            "-in",
            &p("leaf.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &p("ext.cnf"),
            "-out",
            &p("cert.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    ];
    for args in &steps {
        let ok = Command::new(&openssl)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            println!(
                "SKIP scrapes_over_tls_with_a_private_ca: openssl {} failed",
                args[0]
            );
            return;
        }
    }
    let (cert, key, ca) = (p("cert.pem"), p("key.pem"), p("ca.pem"));
    std::fs::write(dir.path().join("metrics"), "tls_ok 1\n").unwrap();
    let port = free_port();
    let child = Command::new(&openssl)
        .args(["s_server", "-quiet", "-WWW", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _reaper = Reaper(child);
    let db = MemStorage::new();
    let m = ScrapeManager::new(Arc::new(db.clone())).unwrap();
    let cfg = parse_config(
        &format!(
            r#"scrape_configs:
- job_name: tls
  scheme: https
  scrape_interval: 200ms
  tls_config: {{ca_file: '{ca}'}}
  static_configs: [{{targets: ['127.0.0.1:{port}']}}]
- job_name: untrusted
  scheme: https
  scrape_interval: 200ms
  static_configs: [{{targets: ['127.0.0.1:{port}']}}]
"#
        ),
        "t",
    )
    .unwrap();
    m.apply_config(&cfg.scrape_configs).unwrap();
    for _ in 0..250 {
        if !series(&db, "tls_ok").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let errors: Vec<String> = m
        .targets()
        .iter()
        .map(|t| format!("{}: {}", t.job, t.last_error))
        .collect();
    assert!(
        !series(&db, "tls_ok").is_empty(),
        "no TLS scrape succeeded: {errors:?}"
    );
    let s = series(&db, "tls_ok");
    assert_eq!(s.len(), 1, "only the trusting job may scrape");
    assert_eq!(s[0].0.get("job"), "tls");
    wait_for("untrusted down", || {
        m.targets()
            .iter()
            .any(|t| t.job == "untrusted" && t.health == Health::Down)
    })
    .await;
    m.stop();
}
