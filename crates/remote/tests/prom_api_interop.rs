//! A remote query API as storage: VictoriaMetrics and Prometheus hold data
//! (sent with remote write); the queryable reads it back raw.

mod common;

use std::time::Duration;

use common::*;
use telltale_model::{Labels, MatchOp, Matcher, Queryable, SelectHints};
use telltale_prompb::{Sample, TimeSeries, WriteRequest, encode_write_request, labels_to_proto};
use telltale_remote::{PromApiQueryable, RemoteQueryConfig};

async fn push(url: &str, t0: i64) {
    let mut req = WriteRequest::default();
    for inst in ["a", "b"] {
        req.timeseries.push(TimeSeries {
            labels: labels_to_proto(&Labels::from_pairs(&[
                ("__name__", "remote_only"),
                ("instance", inst),
                ("job", "far"),
            ])),
            samples: (0..60)
                .map(|i| Sample {
                    value: i as f64,
                    timestamp: t0 + i * 15_000,
                })
                .collect(),
            ..Default::default()
        });
    }
    let r = client()
        .post(url)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .body(encode_write_request(&req))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// Reads back through the queryable (on a blocking thread, as PromQL would).
async fn check(base: String, t0: i64, flush: Option<String>) {
    let got = tokio::task::spawn_blocking(move || {
        let q = PromApiQueryable::new(RemoteQueryConfig::new(base)).unwrap();
        let ms = [
            Matcher::equal("__name__", "remote_only"),
            Matcher::new(MatchOp::Regex, "instance", "a|b").unwrap(),
        ];
        for _ in 0..120 {
            if let Some(f) = &flush {
                let _ = raw_http::get_ignoring_answer(f);
            }
            let querier = q.querier(t0, t0 + 59 * 15_000).unwrap();
            let series = querier.select(&SelectHints::default(), &ms).unwrap();
            let counts: Vec<usize> = series
                .into_iter()
                .map(|mut s| s.samples.collect_all().unwrap().len())
                .collect();
            if counts == vec![60, 60] {
                // A narrower window through hints.
                let hints = SelectHints {
                    start: Some(t0 + 15_000),
                    end: Some(t0 + 30_000),
                    ..Default::default()
                };
                let mut s = querier.select(&hints, &ms).unwrap();
                let first = s[0].samples.collect_all().unwrap();
                assert_eq!(first.len(), 2);
                assert_eq!((first[0].t, first[0].v), (t0 + 15_000, 1.0));
                let vals = querier.label_values("instance", &ms[..1]).unwrap();
                assert_eq!(vals, vec!["a", "b"]);
                let names = querier.label_names(&ms[..1]).unwrap();
                assert_eq!(names, vec!["__name__", "instance", "job"]);
                return true;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        false
    })
    .await
    .unwrap();
    assert!(got, "the remote engine never returned all samples");
}

mod raw_http {
    /// A GET whose result does not matter (VictoriaMetrics' flush), over a
    /// plain TCP connection so no runtime is needed.
    pub fn get_ignoring_answer(url: &str) -> std::io::Result<()> {
        use std::io::{Read, Write};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victoriametrics_as_the_query_engine() {
    let Some(bin) = peer("/usr/bin/victoria-metrics") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _vm = spawn(
        &bin,
        &[
            format!("-httpListenAddr=127.0.0.1:{port}"),
            format!("-storageDataPath={}", d.path().display()),
            "-search.latencyOffset=0s".into(),
        ],
    );
    wait_ready(&format!("{base}/health"), 30).await;
    let t0 = (now_ms() - 3_600_000) / 1000 * 1000;
    push(&format!("{base}/api/v1/write"), t0).await;
    check(
        base.clone(),
        t0,
        Some(format!("{base}/internal/force_flush")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_as_the_query_engine() {
    let Some(bin) = peer("/usr/bin/prometheus") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("prometheus.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 1h\n").unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _prom = spawn(
        &bin,
        &[
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", d.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.enable-remote-write-receiver".into(),
        ],
    );
    wait_ready(&format!("{base}/-/ready"), 30).await;
    let t0 = (now_ms() - 3_600_000) / 1000 * 1000;
    push(&format!("{base}/api/v1/write"), t0).await;
    check(base, t0, None).await;
}
