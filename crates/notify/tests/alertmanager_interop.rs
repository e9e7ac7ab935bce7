//! Interop with a real Alertmanager (Debian's `prometheus-alertmanager`):
//! its webhook delivers to our `/alert` receiver, and the group key it forms
//! is the one our routing tree forms for the same configuration. Skipped
//! with a printed reason when the binary is missing.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use telltale_model::Labels;
use telltale_notify::history::HistoryLimits;
use telltale_notify::{AlertReceiver, Config, alert_receiver_router};

const BINARIES: &[&str] = &["prometheus-alertmanager", "alertmanager"];

struct Kill(Child);

impl Drop for Kill {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_alertmanager_webhook_reaches_our_receiver() {
    let Some(bin) = BINARIES
        .iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
    else {
        println!("skipping: no Alertmanager binary installed");
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = Arc::new(AlertReceiver::open(None, HistoryLimits::default()).unwrap());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ours = l.local_addr().unwrap();
    let app = alert_receiver_router(store.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    let config = format!(
        "route:\n  receiver: telltale\n  group_by: [alertname, job]\n  group_wait: 1s\n  group_interval: 1s\n  routes:\n  - matchers: [team=\"db\"]\n    receiver: telltale\n    group_by: [alertname]\nreceivers:\n- name: telltale\n  webhook_configs:\n  - url: 'http://{ours}/alert'\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("am.yml");
    std::fs::write(&cfg_path, &config).unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", cfg_path.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        println!("skipping: {bin} did not start");
        return;
    };
    let _guard = Kill(child);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let am = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{am}/-/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "alertmanager did not become ready");
    let alerts = json!([
        {"labels": {"alertname": "Interop", "job": "api", "team": "db", "instance": "a"},
         "annotations": {"summary": "from a real Alertmanager"}},
    ]);
    let r = client
        .post(format!("{am}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    for _ in 0..150 {
        if !store.list(None, None, None).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = store.list(Some("firing"), None, None);
    assert_eq!(got.len(), 1, "nothing received from Alertmanager");
    assert_eq!(got[0].alert.labels["alertname"], "Interop");
    assert_eq!(
        got[0].alert.annotations["summary"],
        "from a real Alertmanager"
    );

    // Our routing forms the same group key and fingerprint.
    let ours = Config::load(&config).unwrap();
    let labels = Labels::from_pairs(&[
        ("alertname", "Interop"),
        ("job", "api"),
        ("team", "db"),
        ("instance", "a"),
    ]);
    let routes = ours.route.match_labels(&labels);
    let key = routes[0].group_key(&routes[0].group_labels(&labels));
    assert_eq!(got[0].group_key, key);
    assert_eq!(
        got[0].alert.fingerprint,
        format!("{:016x}", telltale_notify::alert::fingerprint(&labels))
    );
}
