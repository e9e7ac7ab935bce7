//! The sender against a fake receiver: delivery, outage and restart,
//! refused batches, counters.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::receiver::{Fake, router};
use common::*;
use telltale_model::{Appendable, Labels};
use telltale_remote::write::{QueueConfig, families};
use telltale_remote::{RemoteWriteConfig, RemoteWriter, SenderOptions};
use telltale_scrape::duration::PromDuration;
use telltale_tsdb::{Db, Options};

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

fn write(db: &Db, from: i64, n: i64, series: usize) {
    for i in from..from + n {
        let mut app = db.appender();
        for s in 0..series {
            let l = Labels::from_pairs(&[("__name__", "rw_test"), ("s", &s.to_string())]);
            app.append(0, &l, 1_000_000 + i * 1000, i as f64).unwrap();
        }
        app.commit().unwrap();
    }
}

fn config(url: String) -> RemoteWriteConfig {
    let mut c = RemoteWriteConfig::new(url);
    c.queue_config = QueueConfig {
        max_samples_per_send: 500,
        capacity: 1000,
        max_shards: 4,
        batch_send_deadline: PromDuration::from_millis(50),
        min_backoff: PromDuration::from_millis(10),
        max_backoff: PromDuration::from_millis(100),
        ..Default::default()
    };
    c.headers.insert("X-Tenant".into(), "t1".into());
    c
}

fn opts(data: &Path) -> SenderOptions {
    SenderOptions {
        poll_interval: Duration::from_millis(20),
        ..SenderOptions::for_data_dir(data)
    }
}

/// Waits (at most 20 s) until `f` holds.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn distinct(fake: &Fake) -> BTreeSet<(String, i64)> {
    fake.got
        .lock()
        .unwrap()
        .iter()
        .map(|(l, t, _)| (l.clone(), *t))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_everything_with_the_right_headers() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    let fake = Arc::new(Fake::default());
    let addr = serve(router(Arc::clone(&fake))).await;
    write(&db, 0, 300, 10);
    let w = RemoteWriter::start(
        config(format!("http://{addr}/api/v1/write")),
        opts(d.path()),
    )
    .unwrap();
    let st = w.stats();
    until("3000 sent", || st.snapshot().sent == 3000).await;
    write(&db, 300, 100, 10);
    until("4000 sent", || st.snapshot().sent == 4000).await;
    assert_eq!(distinct(&fake).len(), 4000);
    let s = st.snapshot();
    assert_eq!(s.highest_sent_ms, 1_000_000 + 399 * 1000);
    assert_eq!((s.failed, s.dropped_4xx), (0, 0));
    assert!(s.shards >= 1 && s.shards <= 4);
    let h = fake.headers.lock().unwrap().clone().unwrap();
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert_eq!(h["x-tenant"], "t1");
    let fams = families(&[st]);
    let sent = fams
        .iter()
        .find(|f| f.name == "telltale_remote_storage_samples_total")
        .unwrap();
    assert_eq!(sent.samples[0].value, 4000.0);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_and_restart_lose_nothing() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    let fake = Arc::new(Fake::default());
    let addr = serve(router(Arc::clone(&fake))).await;
    let url = format!("http://{addr}/api/v1/write");
    write(&db, 0, 100, 5);
    let w = RemoteWriter::start(config(url.clone()), opts(d.path())).unwrap();
    let st = w.stats();
    until("first 500", || st.snapshot().sent == 500).await;

    // The receiver goes down; data keeps coming; the sender retries.
    fake.status.store(503, Ordering::SeqCst);
    write(&db, 100, 1500, 5);
    until("retries", || st.snapshot().retried > 0).await;
    // The sender restarts during the outage (position not past unsent data).
    w.stop().await;
    write(&db, 1600, 400, 5);
    let w = RemoteWriter::start(config(url.clone()), opts(d.path())).unwrap();
    let st = w.stats();
    until("failing again", || st.snapshot().failed > 0).await;
    fake.status.store(0, Ordering::SeqCst);
    until("catch-up", || distinct(&fake).len() == 10_000).await;
    let got = distinct(&fake);
    for s in 0..5 {
        for i in 0..2000 {
            let key = (format!("rw_test{{s=\"{s}\"}}"), 1_000_000 + i * 1000);
            assert!(got.contains(&key), "missing {key:?}");
        }
    }
    w.stop().await;

    // A third start has nothing left to send.
    let before = fake.requests.load(Ordering::SeqCst);
    let w = RemoteWriter::start(config(url), opts(d.path())).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.stats().snapshot().sent, 0);
    assert_eq!(fake.requests.load(Ordering::SeqCst), before);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_batches_are_dropped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    let fake = Arc::new(Fake::default());
    fake.status.store(400, Ordering::SeqCst);
    let addr = serve(router(Arc::clone(&fake))).await;
    write(&db, 0, 100, 2);
    let w = RemoteWriter::start(
        config(format!("http://{addr}/api/v1/write")),
        opts(d.path()),
    )
    .unwrap();
    let st = w.stats();
    until("dropped", || st.snapshot().dropped_4xx == 200).await;
    fake.status.store(0, Ordering::SeqCst);
    write(&db, 100, 10, 2);
    until("later data sent", || st.snapshot().sent == 20).await;
    assert_eq!(st.snapshot().retried, 0);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_telltale_receives_what_the_agent_wrote() {
    use telltale_model::{Matcher, Queryable, SelectHints};
    let d = tempfile::tempdir().unwrap();
    let db = open(&d.path().join("agent"));
    let central = Arc::new(open(&d.path().join("central")));
    let state = telltale_scrape::RemoteWriteState::new(
        central.clone(),
        telltale_scrape::remote_write::RemoteWriteConfig::default(),
    );
    let addr = serve(telltale_scrape::remote_write_router(state)).await;
    write(&db, 0, 500, 4);
    let w = RemoteWriter::start(
        config(format!("http://{addr}/api/v1/write")),
        opts(&d.path().join("agent")),
    )
    .unwrap();
    let st = w.stats();
    until("2000 sent", || st.snapshot().sent == 2000).await;
    let q = central.querier(0, i64::MAX).unwrap();
    let series = q
        .select(
            &SelectHints::default(),
            &[Matcher::equal("__name__", "rw_test")],
        )
        .unwrap();
    assert_eq!(series.len(), 4);
    for mut s in series {
        let got = s.samples.collect_all().unwrap();
        assert_eq!(got.len(), 500);
        assert_eq!((got[499].t, got[499].v), (1_000_000 + 499 * 1000, 499.0));
    }
    w.stop().await;
}
