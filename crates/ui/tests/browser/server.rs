//! The server under test: the UI merged with the real API routers over
//! in-memory storage holding generated node_exporter-like and HTTP-service
//! series, plus the notifier's API and the /alert receiver.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{Engine, EngineOptions};
use telltale_server::{
    AppState, RulesProvider, TargetInfo, TargetsProvider, TsdbAdmin, TsdbStatus,
};

/// History generated: two hours at a 15 s interval.
pub const HISTORY_MS: i64 = 2 * 3600 * 1000;
pub const STEP_MS: i64 = 15_000;
pub const INSTANCES: [&str; 2] = ["host-a:9100", "host-b:9100"];

/// A deterministic pseudo-random number in [0, 1).
fn noise(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs)
}

/// A counter increasing by about `rate` per second.
fn counter(db: &MemStorage, l: Labels, rate: f64, seed: u64, now: i64) {
    let n = HISTORY_MS / STEP_MS;
    let mut v = 1000.0 * rate;
    let mut out = Vec::with_capacity(n as usize + 1);
    for i in 0..=n {
        let wave = 1.0 + 0.5 * ((i as f64) / 20.0 + seed as f64).sin();
        v += rate * wave * (0.5 + noise(seed * 1_000_003 + i as u64)) * (STEP_MS as f64 / 1000.0);
        out.push(Sample::new(now - HISTORY_MS + i * STEP_MS, v));
    }
    db.insert(l, out);
}

/// A gauge wandering around `base` by up to `spread`.
fn gauge(db: &MemStorage, l: Labels, base: f64, spread: f64, seed: u64, now: i64) {
    let n = HISTORY_MS / STEP_MS;
    db.insert(
        l,
        (0..=n).map(|i| {
            let w = ((i as f64) / 30.0 + seed as f64).sin() * 0.6
                + (noise(seed * 7 + i as u64) - 0.5) * 0.8;
            Sample::new(now - HISTORY_MS + i * STEP_MS, base + spread * w)
        }),
    );
}

/// Fills `db` with the series the dashboards read.
pub fn fill(db: &MemStorage, now: i64) {
    for (k, inst) in INSTANCES.iter().enumerate() {
        let s = k as u64 * 100;
        let base =
            |name: &'static str| vec![("__name__", name), ("job", "node"), ("instance", *inst)];
        let with = |name: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut v = base(name);
            v.extend_from_slice(extra);
            labels(&v)
        };
        for cpu in ["0", "1"] {
            for (j, (mode, rate)) in [
                ("idle", 0.6),
                ("user", 0.25),
                ("system", 0.1),
                ("iowait", 0.05),
            ]
            .iter()
            .enumerate()
            {
                counter(
                    db,
                    with("node_cpu_seconds_total", &[("cpu", cpu), ("mode", mode)]),
                    *rate,
                    s + j as u64 + 1,
                    now,
                );
            }
        }
        let total = 16.0 * (1u64 << 30) as f64;
        gauge(
            db,
            with("node_memory_MemTotal_bytes", &[]),
            total,
            0.0,
            s + 10,
            now,
        );
        gauge(
            db,
            with("node_memory_MemAvailable_bytes", &[]),
            total * 0.45,
            total * 0.1,
            s + 11,
            now,
        );
        gauge(
            db,
            with("node_memory_MemFree_bytes", &[]),
            total * 0.2,
            total * 0.05,
            s + 12,
            now,
        );
        gauge(
            db,
            with("node_memory_Buffers_bytes", &[]),
            total * 0.05,
            total * 0.01,
            s + 13,
            now,
        );
        gauge(
            db,
            with("node_memory_Cached_bytes", &[]),
            total * 0.2,
            total * 0.03,
            s + 14,
            now,
        );
        for (j, (mp, dev, size, used)) in [
            ("/", "/dev/sda1", 100e9, 0.62),
            ("/home", "/dev/sda2", 400e9, 0.85),
        ]
        .iter()
        .enumerate()
        {
            let extra = [("mountpoint", *mp), ("device", *dev), ("fstype", "ext4")];
            gauge(
                db,
                with("node_filesystem_size_bytes", &extra),
                *size,
                0.0,
                s + 20,
                now,
            );
            gauge(
                db,
                with("node_filesystem_avail_bytes", &extra),
                size * (1.0 - used),
                size * 0.01,
                s + 21 + j as u64,
                now,
            );
        }
        for (j, dev) in ["sda", "nvme0n1"].iter().enumerate() {
            let j = j as u64;
            counter(
                db,
                with("node_disk_read_bytes_total", &[("device", dev)]),
                2e6,
                s + 30 + j,
                now,
            );
            counter(
                db,
                with("node_disk_written_bytes_total", &[("device", dev)]),
                5e6,
                s + 32 + j,
                now,
            );
            counter(
                db,
                with("node_disk_io_time_seconds_total", &[("device", dev)]),
                0.1,
                s + 34 + j,
                now,
            );
        }
        for (j, dev) in ["eth0", "lo"].iter().enumerate() {
            let j = j as u64;
            counter(
                db,
                with("node_network_receive_bytes_total", &[("device", dev)]),
                1.5e6,
                s + 40 + j,
                now,
            );
            counter(
                db,
                with("node_network_transmit_bytes_total", &[("device", dev)]),
                4e5,
                s + 42 + j,
                now,
            );
            counter(
                db,
                with("node_network_receive_errs_total", &[("device", dev)]),
                0.01,
                s + 44 + j,
                now,
            );
            counter(
                db,
                with("node_network_transmit_errs_total", &[("device", dev)]),
                0.005,
                s + 46 + j,
                now,
            );
            counter(
                db,
                with("node_network_receive_drop_total", &[("device", dev)]),
                0.02,
                s + 48 + j,
                now,
            );
        }
        gauge(
            db,
            with("node_load1", &[]),
            1.2 + k as f64,
            0.8,
            s + 50,
            now,
        );
        gauge(
            db,
            with("node_load5", &[]),
            1.0 + k as f64,
            0.4,
            s + 51,
            now,
        );
        gauge(
            db,
            with("node_load15", &[]),
            0.9 + k as f64,
            0.2,
            s + 52,
            now,
        );
        gauge(
            db,
            with("node_boot_time_seconds", &[]),
            (now / 1000 - 86400 * 3) as f64,
            0.0,
            s + 53,
            now,
        );
        gauge(
            db,
            with("node_time_seconds", &[]),
            (now / 1000) as f64,
            0.0,
            s + 54,
            now,
        );
        gauge(
            db,
            with(
                "node_uname_info",
                &[
                    ("nodename", inst.split(':').next().unwrap_or("")),
                    ("release", "6.1.0"),
                ],
            ),
            1.0,
            0.0,
            0,
            now,
        );
        gauge(db, with("up", &[]), 1.0, 0.0, 0, now);
    }
    // A host of another job, for chained variables.
    gauge(
        db,
        labels(&[
            ("__name__", "node_uname_info"),
            ("job", "node-edge"),
            ("instance", "edge-1:9100"),
            ("nodename", "edge-1"),
        ]),
        1.0,
        0.0,
        0,
        now,
    );
    for (k, inst) in ["api-1:8080", "api-2:8080"].iter().enumerate() {
        let s = 1000 + k as u64 * 100;
        for (j, handler) in ["/", "/api/users", "/login"].iter().enumerate() {
            for (c, (code, rate)) in [("200", 20.0), ("404", 1.0), ("500", 0.3)]
                .iter()
                .enumerate()
            {
                counter(
                    db,
                    labels(&[
                        ("__name__", "http_requests_total"),
                        ("job", "api"),
                        ("instance", inst),
                        ("handler", handler),
                        ("code", code),
                    ]),
                    rate / (j + 1) as f64,
                    s + (j * 10 + c) as u64,
                    now,
                );
            }
            // Buckets are fixed shares of one request counter, so they
            // stay cumulative and the quantiles are steady.
            let n = HISTORY_MS / STEP_MS;
            let mut total = 0.0;
            let base: Vec<(i64, f64)> = (0..=n)
                .map(|i| {
                    total += 20.0 / (j + 1) as f64
                        * (0.5 + noise(s + 900 + j as u64 * 7919 + i as u64))
                        * 15.0;
                    (now - HISTORY_MS + i * STEP_MS, total)
                })
                .collect();
            let mut acc = 0.0;
            for (le, share) in [
                ("0.05", 0.5),
                ("0.1", 0.2),
                ("0.25", 0.15),
                ("0.5", 0.1),
                ("1", 0.04),
                ("+Inf", 0.01),
            ] {
                acc += share;
                let slow = 1.0 + j as f64 * 0.02;
                let frac = if le == "+Inf" {
                    1.0
                } else {
                    (acc / slow).min(1.0)
                };
                db.insert(
                    labels(&[
                        ("__name__", "http_request_duration_seconds_bucket"),
                        ("job", "api"),
                        ("instance", inst),
                        ("handler", handler),
                        ("le", le),
                    ]),
                    base.iter().map(|(t, v)| Sample::new(*t, v * frac)),
                );
            }
        }
    }
}

struct Targets;
impl TargetsProvider for Targets {
    fn active(&self) -> Vec<TargetInfo> {
        INSTANCES
            .iter()
            .map(|i| (i, "node"))
            .chain([(&"api-1:8080", "api"), (&"api-2:8080", "api")])
            .enumerate()
            .map(|(k, (inst, job))| TargetInfo {
                labels: BTreeMap::from([
                    ("instance".into(), inst.to_string()),
                    ("job".into(), job.into()),
                ]),
                discovered_labels: BTreeMap::new(),
                scrape_pool: job.into(),
                scrape_url: format!("http://{inst}/metrics"),
                last_error: if k == 3 {
                    "connection refused".into()
                } else {
                    String::new()
                },
                last_scrape_ms: telltale_server::state::now_ms() - 3000,
                last_scrape_duration: 0.012,
                health: if k == 3 { "down".into() } else { "up".into() },
                scrape_interval: "15s".into(),
                scrape_timeout: "10s".into(),
            })
            .collect()
    }
    fn dropped(&self) -> Vec<TargetInfo> {
        Vec::new()
    }
    fn metadata(&self) -> BTreeMap<String, Vec<telltale_model::MetricMetadata>> {
        BTreeMap::new()
    }
}

struct Rules;
impl Rules {
    fn alert(&self) -> Value {
        json!({"labels": {"alertname": "HighLoad", "instance": "host-b:9100", "severity": "warning"},
            "annotations": {"summary": "Load is high on host-b"}, "state": "firing",
            "activeAt": telltale_server::api::status::rfc3339(telltale_server::state::now_ms() - 600_000), "value": "2.5e+00"})
    }
}
impl RulesProvider for Rules {
    fn rules(&self, _kind: Option<&str>) -> Value {
        let now = telltale_server::api::status::rfc3339(telltale_server::state::now_ms() - 5000);
        json!({"groups": [{"name": "node", "file": "rules/node.yml", "interval": 15, "rules": [
            {"type": "alerting", "name": "HighLoad", "query": "node_load1 > 2", "duration": 300, "keepFiringFor": 0,
             "labels": {"severity": "warning"}, "annotations": {"summary": "Load is high"}, "alerts": [self.alert()],
             "health": "ok", "lastError": "", "evaluationTime": 0.0012, "lastEvaluation": now, "state": "firing"},
            {"type": "alerting", "name": "DiskFull", "query": "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05",
             "duration": 600, "keepFiringFor": 0, "labels": {"severity": "critical"}, "annotations": {}, "alerts": [],
             "health": "ok", "lastError": "", "evaluationTime": 0.0008, "lastEvaluation": now, "state": "inactive"}]}]})
    }
    fn alerts(&self) -> Value {
        json!({"alerts": [self.alert()]})
    }
}

struct Admin;
impl TsdbAdmin for Admin {
    fn status(&self, _limit: usize) -> Result<TsdbStatus, String> {
        Ok(TsdbStatus {
            num_series: 180,
            num_label_pairs: 120,
            chunk_count: 900,
            min_time: telltale_server::state::now_ms() - HISTORY_MS,
            max_time: telltale_server::state::now_ms(),
            series_count_by_metric_name: vec![
                ("http_request_duration_seconds_bucket".into(), 36),
                ("node_cpu_seconds_total".into(), 16),
            ],
            label_value_count_by_label_name: vec![("__name__".into(), 30), ("instance".into(), 4)],
            memory_in_bytes_by_label_name: vec![("__name__".into(), 4000)],
            series_count_by_label_value_pair: vec![("job=node".into(), 80)],
        })
    }
    fn delete_series(&self, _: &[telltale_model::Matcher], _: i64, _: i64) -> Result<(), String> {
        Err("read-only test storage".into())
    }
    fn clean_tombstones(&self) -> Result<(), String> {
        Ok(())
    }
    fn snapshot(&self, _: bool) -> Result<String, String> {
        Err("read-only test storage".into())
    }
}

/// A running server: its base URL.
pub struct TestServer {
    pub base: String,
}

/// Starts the server on 127.0.0.1:0.
pub async fn start() -> TestServer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let now = telltale_server::state::now_ms();
    let db = MemStorage::new();
    fill(&db, now);
    let mut st = AppState::new(
        Arc::new(db),
        Arc::new(Engine::new(EngineOptions::default())),
    );
    st.targets = Some(Arc::new(Targets));
    st.rules = Some(Arc::new(Rules));
    st.tsdb = Some(Arc::new(Admin));
    *st.config_yaml.write().unwrap() = "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: node\n  basic_auth:\n    password: <secret>\n".into();
    st.flags = Arc::new(BTreeMap::from([(
        "web.listen-address".into(),
        addr.to_string(),
    )]));
    st.self_metrics = Some(Arc::new(|| {
        "# TYPE telltale_tsdb_blocks_loaded gauge\ntelltale_tsdb_blocks_loaded 3\ntelltale_tsdb_wal_segment_current 7\n".to_string()
    }));
    let cfg = telltale_notify::Config::load(&format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 5s\n\
         receivers:\n- name: hook\n  webhook_configs:\n  - url: {base}/alert\n"
    ))
    .unwrap();
    let notifier = telltale_notify::Notifier::new(cfg, None).unwrap();
    let received = Arc::new(
        telltale_notify::AlertReceiver::open(
            None,
            telltale_notify::history::HistoryLimits::default(),
        )
        .unwrap(),
    );
    let app = telltale_server::router(st)
        .nest("/api/v2", telltale_notify::api_router(notifier))
        .merge(telltale_notify::alert_receiver_router(received))
        .merge(telltale_ui::ui_router(Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        )));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestServer { base }
}
