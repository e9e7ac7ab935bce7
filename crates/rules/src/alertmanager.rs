//! [`AlertmanagerSink`]: sends alerts to external Alertmanagers
//! (`POST /api/v2/alerts`, JSON), as Prometheus's notifier does: a bounded
//! queue, batches of at most [`MAX_BATCH`] alerts, every Alertmanager gets
//! every batch, a timeout per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::error::RulesError;
use crate::sink::{Alert, AlertSink};

/// The most alerts queued; more are dropped (and counted), as Prometheus's
/// `--alertmanager.notification-queue-capacity` default.
pub const QUEUE_CAPACITY: usize = 10_000;

/// The most alerts per request.
pub const MAX_BATCH: usize = 256;

/// Counters of an [`AlertmanagerSink`].
#[derive(Debug, Default)]
pub struct SinkStats {
    /// Alerts accepted into the queue.
    pub queued: AtomicU64,
    /// Alerts dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Alerts delivered (counted once per Alertmanager).
    pub sent: AtomicU64,
    /// Requests that failed.
    pub errors: AtomicU64,
}

/// Sends alerts to one or more Alertmanagers.
pub struct AlertmanagerSink {
    tx: mpsc::Sender<Alert>,
    stats: Arc<SinkStats>,
}

impl AlertmanagerSink {
    /// Starts the sender task for `urls` (each the base URL of an
    /// Alertmanager, or its full `/api/v2/alerts` URL). Must be called
    /// inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`RulesError::Send`] when no runtime is running or the HTTP client
    /// cannot be built.
    pub fn new(urls: Vec<String>, timeout: Duration) -> Result<Self, RulesError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|e| RulesError::Send {
            url: urls.join(","),
            message: format!("no tokio runtime: {e}"),
        })?;
        // reqwest is built without a default TLS provider; the binary installs
        // ring at start, this covers library use.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| RulesError::Send {
                url: urls.join(","),
                message: e.to_string(),
            })?;
        let urls: Vec<String> = urls
            .into_iter()
            .map(|u| {
                let u = u.trim_end_matches('/').to_string();
                if u.ends_with("/api/v2/alerts") {
                    u
                } else {
                    format!("{u}/api/v2/alerts")
                }
            })
            .collect();
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(SinkStats::default());
        rt.spawn(send_loop(rx, client, urls, stats.clone()));
        Ok(AlertmanagerSink { tx, stats })
    }

    /// The counters.
    pub fn stats(&self) -> &SinkStats {
        &self.stats
    }
}

impl AlertSink for AlertmanagerSink {
    fn send(&self, alerts: Vec<Alert>) {
        for a in alerts {
            match self.tx.try_send(a) {
                Ok(()) => self.stats.queued.fetch_add(1, Ordering::Relaxed),
                Err(_) => self.stats.dropped.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
}

async fn send_loop(
    mut rx: mpsc::Receiver<Alert>,
    client: reqwest::Client,
    urls: Vec<String>,
    stats: Arc<SinkStats>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let body: Vec<serde_json::Value> = batch.iter().map(Alert::to_json).collect();
        for url in &urls {
            match client.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {
                    stats.sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
                Ok(r) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(url = %url, status = %r.status(), "Alertmanager rejected alerts");
                }
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(url = %url, error = %e, "sending alerts failed");
                }
            }
        }
        batch.clear();
    }
}
