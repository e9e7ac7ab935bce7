//! Sending a scrape stream to a remote write receiver, as fast as it
//! accepts, with one in-order sender per shard.
//!
//! A producer thread generates rounds and encodes bodies (CPU work kept
//! off the async workers); each shard has a bounded queue (memory stays
//! bounded however large the workload) and one task that posts its bodies
//! in order, retrying transport errors, 5xx and 429 a bounded number of
//! times, like Prometheus's remote write queue does.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::batch::{Batcher, Body};
use crate::error::{Error, Result};
use crate::scrapes::ScrapeStream;

/// How to send.
#[derive(Debug, Clone)]
pub struct SendConfig {
    /// The receiver, e.g. `http://127.0.0.1:9090/api/v1/write`.
    pub url: String,
    /// Shards (parallel in-order senders).
    pub concurrency: usize,
    /// Samples per request (Prometheus's default is 2,000).
    pub batch: usize,
    /// Attempts per request before giving up on it.
    pub attempts: usize,
}

/// What a send did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendStats {
    /// Samples in requests the receiver accepted (2xx).
    pub samples_ok: u64,
    /// Samples in requests it refused or that failed every attempt.
    pub samples_failed: u64,
    /// Requests sent (not counting retries).
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// The first refusal or failure, if any.
    pub first_error: Option<String>,
    /// Wall time from the first request to the last answer.
    pub wall: Duration,
}

#[derive(Debug, Default)]
struct ShardStats {
    ok: u64,
    failed: u64,
    requests: u64,
    retries: u64,
    first_error: Option<String>,
}

async fn post(client: &reqwest::Client, cfg: &SendConfig, body: Body, st: &mut ShardStats) {
    st.requests += 1;
    let mut last = String::new();
    for attempt in 0..cfg.attempts.max(1) {
        if attempt > 0 {
            st.retries += 1;
            let ms = (50u64 << attempt.min(6)).min(2_000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let res = client
            .post(&cfg.url)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .body(body.bytes.clone())
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => {
                st.ok += body.samples as u64;
                return;
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                last = format!(
                    "status {status}: {}",
                    text.chars().take(300).collect::<String>()
                );
                if status.is_client_error() && status.as_u16() != 429 {
                    break;
                }
            }
            Err(e) => last = e.to_string(),
        }
    }
    st.failed += body.samples as u64;
    if st.first_error.is_none() {
        st.first_error = Some(last);
    }
}

/// Sends the whole stream; returns when every body has been answered.
///
/// # Errors
///
/// [`Error::Invalid`] when the stream is empty; transport failures are
/// counted in the stats, not returned.
pub async fn send(
    client: &reqwest::Client,
    mut stream: ScrapeStream,
    cfg: &SendConfig,
) -> Result<SendStats> {
    if stream.labels().is_empty() {
        return Err(Error::Invalid {
            what: "workload",
            message: "no series".into(),
        });
    }
    let shards = cfg.concurrency.max(1);
    let mut txs = Vec::with_capacity(shards);
    let mut tasks = Vec::with_capacity(shards);
    let start = Instant::now();
    for _ in 0..shards {
        let (tx, mut rx) = mpsc::channel::<Body>(8);
        txs.push(tx);
        let (client, cfg) = (client.clone(), cfg.clone());
        tasks.push(tokio::spawn(async move {
            let mut st = ShardStats::default();
            while let Some(body) = rx.recv().await {
                post(&client, &cfg, body, &mut st).await;
            }
            st
        }));
    }
    let batch = cfg.batch;
    let producer = tokio::task::spawn_blocking(move || {
        let per_host = stream.series_per_host().max(1);
        let mut b = Batcher::new(stream.labels(), shards, batch);
        let deliver = |body: Body| txs[body.shard].blocking_send(body).is_ok();
        while let Some(round) = stream.next_round() {
            for (i, &v) in round.values.iter().enumerate() {
                let ts = round.host_ts.get(i / per_host).copied().unwrap_or(0);
                if let Some(body) = b.push(i, ts, v)
                    && !deliver(body)
                {
                    return;
                }
            }
        }
        for body in b.finish() {
            if !deliver(body) {
                return;
            }
        }
    });
    let _ = producer.await;
    let mut out = SendStats::default();
    for t in tasks {
        let st = t.await.unwrap_or_default();
        out.samples_ok += st.ok;
        out.samples_failed += st.failed;
        out.requests += st.requests;
        out.retries += st.retries;
        if out.first_error.is_none() {
            out.first_error = st.first_error;
        }
    }
    out.wall = start.elapsed();
    Ok(out)
}
