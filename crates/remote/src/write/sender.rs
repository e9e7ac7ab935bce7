//! The remote write sender of one destination: a tokio task that tails the
//! WAL, batches, shards, sends and retries, and saves its position.
//!
//! ```text
//!  WAL segments ──poll──▶ pending samples ──(full or deadline)──▶ split by series hash
//!        ▲                                                      into N shards
//!        │                                                           │ each shard: requests of
//!  position file ◀── saved once every shard has sent (or dropped) ◀──┘ ≤ max_samples_per_send,
//!                                                                      retried with backoff
//! ```
//!
//! A batch is read (at most `capacity × max_shards` samples), split over
//! `clamp(⌈batch / max_samples_per_send⌉, min_shards, max_shards)` shards
//! (so a backlog uses more shards), and the position is saved only once
//! the whole batch is through. A series always lands in the same shard and
//! its samples go out in WAL order. 5xx answers, 429 (with
//! `retry_on_http_429`) and network errors are retried forever with
//! exponential backoff from `min_backoff` to `max_backoff`: nothing still in
//! the WAL is dropped while the receiver is down. Other 4xx answers drop
//! that request's samples, counted and logged. Delivery is at least once:
//! a crash between sending and saving the position sends a batch again.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use telltale_model::Label;
use telltale_prompb::{
    PROTOBUF_CONTENT_TYPE, REMOTE_WRITE_VERSION, Sample, TimeSeries, WriteRequest,
    encode_write_request, labels_to_proto,
};
use telltale_scrape::client::{ClientSettings, add_auth, build_client};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::config::RemoteWriteConfig;
use super::stats::SenderStats;
use super::tail::{Item, Position, Tailer};
use crate::error::Error;

/// Where the sender reads and keeps its state.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderOptions {
    /// The TSDB's WAL directory (`<data>/wal`).
    pub wal_dir: PathBuf,
    /// A directory for position files (`<data>/remote_write` suggested).
    pub state_dir: PathBuf,
    /// `global.external_labels`, added to series that lack them.
    pub external_labels: Vec<Label>,
    /// How often the WAL is polled for new records (default 200ms).
    pub poll_interval: Duration,
}

impl SenderOptions {
    /// Options for a data directory: `<data>/wal`, state in
    /// `<data>/remote_write`.
    pub fn for_data_dir(data: &std::path::Path) -> Self {
        SenderOptions {
            wal_dir: data.join("wal"),
            state_dir: data.join("remote_write"),
            external_labels: Vec::new(),
            poll_interval: Duration::from_millis(200),
        }
    }
}

/// A running sender. Dropping it does not stop the task; call
/// [`RemoteWriter::stop`].
pub struct RemoteWriter {
    stats: Arc<SenderStats>,
    stop: Arc<(AtomicBool, Notify)>,
    task: JoinHandle<()>,
}

struct Ctx {
    cfg: RemoteWriteConfig,
    client: reqwest::Client,
    stats: Arc<SenderStats>,
    stop: Arc<(AtomicBool, Notify)>,
}

impl RemoteWriter {
    /// Validates `cfg` and starts its sender on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an invalid entry or unusable TLS settings,
    /// [`Error::Io`] when the state directory cannot be created.
    pub fn start(cfg: RemoteWriteConfig, opts: SenderOptions) -> Result<Self, Error> {
        cfg.validate()?;
        for s in cfg.ignored_settings() {
            tracing::warn!(remote = %cfg.display_name(), setting = %s, "remote_write setting not supported; ignored");
        }
        let client = build_client(&ClientSettings {
            tls: cfg.tls_config.clone(),
            follow_redirects: cfg.follow_redirects,
            compression: false,
        })
        .map_err(|e| Error::Config {
            name: cfg.display_name(),
            reason: e.to_string(),
        })?;
        std::fs::create_dir_all(&opts.state_dir)
            .map_err(|e| Error::io("create dir", &opts.state_dir, &e))?;
        let stats = Arc::new(SenderStats::new(cfg.display_name(), cfg.url.clone()));
        let stop = Arc::new((AtomicBool::new(false), Notify::new()));
        let ctx = Arc::new(Ctx {
            cfg,
            client,
            stats: Arc::clone(&stats),
            stop: Arc::clone(&stop),
        });
        let task = tokio::spawn(run(ctx, opts));
        Ok(RemoteWriter { stats, stop, task })
    }

    /// The destination's counters.
    pub fn stats(&self) -> Arc<SenderStats> {
        Arc::clone(&self.stats)
    }

    /// Stops the sender and waits for it. Samples not yet sent stay in the
    /// WAL and are sent by the next start (the position was not saved
    /// past them).
    pub async fn stop(self) {
        self.stop.0.store(true, Ordering::SeqCst);
        self.stop.1.notify_waiters();
        let _ = self.task.await;
    }
}

fn position_path(ctx: &Ctx, opts: &SenderOptions) -> PathBuf {
    opts.state_dir
        .join(format!("{}.position.json", ctx.cfg.file_name()))
}

/// The saved position, if any (an unreadable file counts as none, logged).
pub fn load_position(path: &std::path::Path) -> Option<Position> {
    let data = std::fs::read(path).ok()?;
    match serde_json::from_slice(&data) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "remote write position file unreadable; starting at the beginning of the WAL");
            None
        }
    }
}

/// Saves a position atomically (temporary file, rename).
///
/// # Errors
///
/// I/O errors.
pub fn save_position(path: &std::path::Path, p: Position) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    let data = serde_json::to_vec(&p).unwrap_or_default();
    std::fs::write(&tmp, data).map_err(|e| Error::io("write", &tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename", &tmp, &e))
}

fn stopped(ctx: &Ctx) -> bool {
    ctx.stop.0.load(Ordering::SeqCst)
}

async fn pause(ctx: &Ctx, d: Duration) {
    let notified = ctx.stop.1.notified();
    if stopped(ctx) {
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = notified => {}
    }
}

async fn run(ctx: Arc<Ctx>, opts: SenderOptions) {
    let pos_file = position_path(&ctx, &opts);
    let resume = load_position(&pos_file);
    let mut tailer = Some(Tailer::new(
        &opts.wal_dir,
        resume,
        ctx.cfg.write_relabel_configs.clone(),
        opts.external_labels.clone(),
    ));
    let q = ctx.cfg.queue_config.clone();
    let cap = q
        .capacity
        .saturating_mul(q.max_shards)
        .max(q.max_samples_per_send);
    let mut pending: Vec<Item> = Vec::new();
    let mut first_at: Option<Instant> = None;
    let mut saved = resume;
    while !stopped(&ctx) {
        let Some(mut t) = tailer.take() else { break };
        let want = cap.saturating_sub(pending.len());
        let res = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let r = t.poll(want, &mut out);
            (t, out, r)
        })
        .await;
        let (t, out, r) = match res {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = %e, "remote write WAL reader failed; sender stops");
                break;
            }
        };
        if let Err(e) = r {
            tracing::warn!(remote = %ctx.stats.name, error = %e, "reading the WAL failed; retrying");
        }
        let st = &ctx.stats;
        st.dropped_relabel
            .store(t.stats.relabel_dropped, Ordering::Relaxed);
        st.dropped_unknown
            .store(t.stats.unknown_series, Ordering::Relaxed);
        st.gaps.store(t.stats.gaps, Ordering::Relaxed);
        st.segment.store(t.position().segment, Ordering::Relaxed);
        let pos = t.position();
        tailer = Some(t);
        if !out.is_empty() && first_at.is_none() {
            first_at = Some(Instant::now());
        }
        pending.extend(out);
        st.pending.store(pending.len() as u64, Ordering::Relaxed);
        let due = first_at.is_some_and(|f| f.elapsed() >= q.batch_send_deadline.0);
        if pending.len() >= q.max_samples_per_send || (due && !pending.is_empty()) {
            if !send_batch(&ctx, std::mem::take(&mut pending)).await {
                break; // stopped mid-batch: the position stays before it
            }
            first_at = None;
            st.pending.store(0, Ordering::Relaxed);
        }
        if pending.is_empty() && saved != Some(pos) {
            match save_position(&pos_file, pos) {
                Ok(()) => saved = Some(pos),
                Err(e) => tracing::warn!(error = %e, "saving the remote write position failed"),
            }
        }
        if pending.len() < q.max_samples_per_send {
            pause(&ctx, opts.poll_interval).await;
        }
    }
}

/// Sends a batch over the shards; `false` if stopped before it was through.
async fn send_batch(ctx: &Arc<Ctx>, items: Vec<Item>) -> bool {
    let q = &ctx.cfg.queue_config;
    let n = items
        .len()
        .div_ceil(q.max_samples_per_send)
        .clamp(q.min_shards, q.max_shards);
    ctx.stats.shards.store(n as u64, Ordering::Relaxed);
    let mut shards: Vec<Vec<Item>> = vec![Vec::new(); n];
    for it in items {
        let h = it.labels.stable_hash() as usize % n;
        shards[h].push(it);
    }
    let mut tasks = Vec::with_capacity(n);
    for shard in shards.into_iter().filter(|s| !s.is_empty()) {
        let ctx = Arc::clone(ctx);
        tasks.push(tokio::spawn(async move {
            for part in shard.chunks(ctx.cfg.queue_config.max_samples_per_send) {
                if !send_with_retry(&ctx, part).await {
                    return false;
                }
            }
            true
        }));
    }
    let mut ok = true;
    for t in tasks {
        ok &= t.await.unwrap_or(false);
    }
    ok
}

/// Builds one remote write 1.0 request, series grouped.
fn build_request(items: &[Item]) -> WriteRequest {
    let mut index: std::collections::HashMap<*const telltale_model::Labels, usize> =
        std::collections::HashMap::new();
    let mut req = WriteRequest::default();
    for it in items {
        let key = Arc::as_ptr(&it.labels);
        let i = *index.entry(key).or_insert_with(|| {
            req.timeseries.push(TimeSeries {
                labels: labels_to_proto(&it.labels),
                ..Default::default()
            });
            req.timeseries.len() - 1
        });
        req.timeseries[i].samples.push(Sample {
            value: it.v,
            timestamp: it.t,
        });
    }
    req
}

/// Sends one request until it is accepted or refused; `false` if stopped.
async fn send_with_retry(ctx: &Ctx, items: &[Item]) -> bool {
    let q = &ctx.cfg.queue_config;
    let body = Arc::new(encode_write_request(&build_request(items)));
    let n = items.len() as u64;
    let newest = items.iter().map(|i| i.t).max().unwrap_or(0);
    let mut backoff = q.min_backoff.0;
    let mut attempt = 0u64;
    loop {
        if stopped(ctx) {
            return false;
        }
        if attempt > 0 {
            ctx.stats.retried.fetch_add(n, Ordering::Relaxed);
        }
        attempt += 1;
        let outcome = send_once(ctx, body.clone()).await;
        match outcome {
            Outcome::Sent => {
                ctx.stats.sent.fetch_add(n, Ordering::Relaxed);
                ctx.stats.requests.fetch_add(1, Ordering::Relaxed);
                ctx.stats
                    .highest_sent_ms
                    .fetch_max(newest, Ordering::Relaxed);
                return true;
            }
            Outcome::Refused(msg) => {
                ctx.stats.failed.fetch_add(n, Ordering::Relaxed);
                ctx.stats.dropped_4xx.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(remote = %ctx.stats.name, samples = n, reason = %msg, "remote write refused a batch; dropped");
                return true;
            }
            Outcome::Retry(msg, after) => {
                ctx.stats.failed.fetch_add(n, Ordering::Relaxed);
                let wait = after.unwrap_or(backoff).min(q.max_backoff.0.max(backoff));
                tracing::debug!(remote = %ctx.stats.name, reason = %msg, ?wait, "remote write failed; retrying");
                if attempt == 1 || attempt.is_multiple_of(20) {
                    tracing::warn!(remote = %ctx.stats.name, attempt, reason = %msg, "remote write failing; retrying");
                }
                pause(ctx, wait).await;
                backoff = (backoff * 2).min(q.max_backoff.0);
            }
        }
    }
}

enum Outcome {
    Sent,
    Refused(String),
    Retry(String, Option<Duration>),
}

async fn send_once(ctx: &Ctx, body: Arc<Vec<u8>>) -> Outcome {
    let cfg = &ctx.cfg;
    let mut req = ctx
        .client
        .post(&cfg.url)
        .timeout(cfg.remote_timeout.0)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", PROTOBUF_CONTENT_TYPE)
        .header("X-Prometheus-Remote-Write-Version", REMOTE_WRITE_VERSION);
    for (k, v) in &cfg.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = match add_auth(req, &cfg.basic_auth, &cfg.effective_authorization()) {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(format!("credentials: {e}"), None),
    };
    let resp = match req.body(body.as_ref().clone()).send().await {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(format!("{e}"), None),
    };
    let status = resp.status();
    if status.is_success() {
        return Outcome::Sent;
    }
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = resp.text().await.unwrap_or_default();
    let snippet: String = text.chars().take(256).collect();
    let msg = format!("HTTP {status}: {}", snippet.trim());
    if status.is_server_error() || (status.as_u16() == 429 && cfg.queue_config.retry_on_http_429) {
        Outcome::Retry(msg, retry_after)
    } else {
        Outcome::Refused(msg)
    }
}
