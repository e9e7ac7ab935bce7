//! Remote write to real receivers: VictoriaMetrics and Prometheus (with
//! its remote write receiver). What they store must match what was
//! written, including across an outage of the receiver.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;
use telltale_model::{Appendable, Labels};
use telltale_remote::write::QueueConfig;
use telltale_remote::{RemoteWriteConfig, RemoteWriter, SenderOptions};
use telltale_scrape::duration::PromDuration;
use telltale_tsdb::{Db, Options};

const SERIES: usize = 5;

fn open(dir: &Path) -> Db {
    Db::open(
        dir,
        Options {
            wal_segment_size: 64 << 10,
            background: false,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Writes commits `from..from+n`, one sample per series each, 1 s apart
/// starting at `base`.
fn write(db: &Db, base: i64, from: i64, n: i64) {
    for i in from..from + n {
        let mut app = db.appender();
        for s in 0..SERIES {
            let l = Labels::from_pairs(&[
                ("__name__", "rw_interop"),
                ("job", "agent"),
                ("s", &s.to_string()),
            ]);
            app.append(0, &l, base + i * 1000, i as f64 * 0.5).unwrap();
        }
        app.commit().unwrap();
    }
}

fn sender(url: String, data: &Path) -> RemoteWriter {
    let mut c = RemoteWriteConfig::new(url);
    c.queue_config = QueueConfig {
        max_samples_per_send: 1000,
        batch_send_deadline: PromDuration::from_millis(100),
        min_backoff: PromDuration::from_millis(50),
        max_backoff: PromDuration::from_millis(500),
        ..Default::default()
    };
    RemoteWriter::start(
        c,
        SenderOptions {
            poll_interval: Duration::from_millis(50),
            ..SenderOptions::for_data_dir(data)
        },
    )
    .unwrap()
}

/// Polls `count` (per-series sample counts) until every series has `want`
/// samples, at most `secs` seconds; returns the last counts.
async fn until_counts<F, Fut>(mut count: F, want: usize, secs: u64) -> BTreeMap<String, usize>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BTreeMap<String, usize>>,
{
    let mut last = BTreeMap::new();
    for _ in 0..secs * 4 {
        last = count().await;
        if last.len() == SERIES && last.values().all(|&c| c == want) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("receiver has {last:?}, want {SERIES} series of {want}");
}

fn start_vm(bin: &str, port: u16, dir: &Path) -> Peer {
    spawn(
        bin,
        &[
            format!("-httpListenAddr=127.0.0.1:{port}"),
            format!("-storageDataPath={}", dir.display()),
            "-retentionPeriod=100y".into(),
        ],
    )
}

async fn vm_counts(base: &str) -> BTreeMap<String, usize> {
    let c = client();
    let _ = c.get(format!("{base}/internal/force_flush")).send().await;
    let mut out = BTreeMap::new();
    let url = url_with(
        &format!("{base}/api/v1/export"),
        &[("match[]", "rw_interop")],
    );
    let Ok(r) = c.get(url).send().await else {
        return out;
    };
    let Ok(text) = r.text().await else { return out };
    for line in text.lines().filter(|l| !l.is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = v["metric"]["s"].as_str().unwrap_or("").to_string();
        let n = v["timestamps"].as_array().map_or(0, |a| a.len());
        *out.entry(s).or_default() += n;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victoriametrics_stores_everything_across_an_outage() {
    let Some(bin) = peer("/usr/bin/victoria-metrics") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let db = open(&d.path().join("agent"));
    let vm_dir = d.path().join("vm");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let vm = start_vm(&bin, port, &vm_dir);
    wait_ready(&format!("{base}/health"), 30).await;

    let t0 = now_ms() - 3_600_000;
    write(&db, t0, 0, 600);
    let w = sender(format!("{base}/api/v1/write"), &d.path().join("agent"));
    until_counts(|| vm_counts(&base), 600, 30).await;

    // Outage: the receiver stops, data keeps coming, then it returns.
    vm.terminate();
    write(&db, t0, 600, 1200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        w.stats().snapshot().failed > 0,
        "sends failed during the outage"
    );
    let vm = start_vm(&bin, port, &vm_dir);
    wait_ready(&format!("{base}/health"), 30).await;
    let got = until_counts(|| vm_counts(&base), 1800, 60).await;
    println!(
        "VictoriaMetrics holds {got:?}; sender {:?}",
        w.stats().snapshot()
    );

    // Values match too.
    let c = client();
    let url = url_with(
        &format!("{base}/api/v1/export"),
        &[("match[]", "rw_interop{s=\"3\"}")],
    );
    let line: serde_json::Value = serde_json::from_str(
        c.get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let vals = line["values"].as_array().unwrap();
    let ts = line["timestamps"].as_array().unwrap();
    for (t, v) in ts.iter().zip(vals) {
        let i = (t.as_i64().unwrap() - t0) / 1000;
        assert_eq!(v.as_f64().unwrap(), i as f64 * 0.5);
    }
    w.stop().await;
    drop(vm);
}

fn start_prom(bin: &str, port: u16, dir: &Path) -> Peer {
    let cfg = dir.join("prometheus.yml");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&cfg, "global:\n  scrape_interval: 1h\n").unwrap();
    spawn(
        bin,
        &[
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.enable-remote-write-receiver".into(),
        ],
    )
}

async fn prom_counts(base: &str) -> BTreeMap<String, usize> {
    let c = client();
    let mut out = BTreeMap::new();
    let t = (now_ms() / 1000).to_string();
    let url = url_with(
        &format!("{base}/api/v1/query"),
        &[("query", "count_over_time(rw_interop[3h])"), ("time", &t)],
    );
    let Ok(r) = c.get(url).send().await else {
        return out;
    };
    let Ok(v) = r.json::<serde_json::Value>().await else {
        return out;
    };
    for s in v["data"]["result"].as_array().into_iter().flatten() {
        let name = s["metric"]["s"].as_str().unwrap_or("").to_string();
        let n: usize = s["value"][1].as_str().unwrap_or("0").parse().unwrap_or(0);
        out.insert(name, n);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_receiver_stores_everything_across_an_outage() {
    let Some(bin) = peer("/usr/bin/prometheus") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let db = open(&d.path().join("agent"));
    let pdir = d.path().join("prom");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let prom = start_prom(&bin, port, &pdir);
    wait_ready(&format!("{base}/-/ready"), 30).await;

    let t0 = now_ms() - 3_600_000;
    write(&db, t0, 0, 600);
    let w = sender(format!("{base}/api/v1/write"), &d.path().join("agent"));
    until_counts(|| prom_counts(&base), 600, 30).await;

    prom.terminate();
    write(&db, t0, 600, 1200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        w.stats().snapshot().failed > 0,
        "sends failed during the outage"
    );
    let prom = start_prom(&bin, port, &pdir);
    wait_ready(&format!("{base}/-/ready"), 60).await;
    let got = until_counts(|| prom_counts(&base), 1800, 60).await;
    println!(
        "Prometheus holds {got:?}; sender {:?}",
        w.stats().snapshot()
    );
    w.stop().await;
    drop(prom);
}

/// Sender throughput to each receiver: 2000 series × 500 samples (5 s
/// apart, within the last hour so Prometheus's head takes them all) already
/// in the WAL, timed from start until the receiver acknowledged all.
/// Run with `cargo test --release -p telltale-remote --test
/// remote_write_interop -- --ignored --nocapture throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, prints figures"]
async fn throughput_to_receivers() {
    const N_SERIES: usize = 2000;
    const N_SAMPLES: i64 = 500;
    let total = N_SERIES as u64 * N_SAMPLES as u64;
    let d = tempfile::tempdir().unwrap();
    let agent = d.path().join("agent");
    let db = open(&agent);
    let t0 = now_ms() - 3_000_000;
    for i in 0..N_SAMPLES {
        let mut app = db.appender();
        for s in 0..N_SERIES {
            let l =
                Labels::from_pairs(&[("__name__", "tp"), ("job", "bench"), ("s", &s.to_string())]);
            app.append(0, &l, t0 + i * 5_000, i as f64).unwrap();
        }
        app.commit().unwrap();
    }
    let mut peers: Vec<(&str, String, Peer)> = Vec::new();
    if let Some(bin) = peer("/usr/bin/victoria-metrics") {
        let port = free_port();
        let p = start_vm(&bin, port, &d.path().join("vm"));
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{base}/health"), 30).await;
        peers.push(("VictoriaMetrics", base, p));
    }
    if let Some(bin) = peer("/usr/bin/prometheus") {
        let port = free_port();
        let p = start_prom(&bin, port, &d.path().join("prom"));
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{base}/-/ready"), 30).await;
        peers.push(("Prometheus", base, p));
    }
    for (name, base, p) in peers {
        let mut c = RemoteWriteConfig::new(format!("{base}/api/v1/write"));
        c.name = Some(name.into());
        let w = RemoteWriter::start(
            c,
            SenderOptions {
                poll_interval: Duration::from_millis(20),
                ..SenderOptions::for_data_dir(&agent)
            },
        )
        .unwrap();
        let st = w.stats();
        let start = std::time::Instant::now();
        for _ in 0..12_000 {
            if st.snapshot().sent >= total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let secs = start.elapsed().as_secs_f64();
        let s = st.snapshot();
        assert_eq!(s.sent, total, "{name}: {s:?}");
        println!(
            "{name}: {total} samples in {secs:.2}s = {:.0} samples/s ({} requests, {} shards at the end)",
            total as f64 / secs,
            s.requests,
            s.shards
        );
        w.stop().await;
        p.terminate();
    }
}
