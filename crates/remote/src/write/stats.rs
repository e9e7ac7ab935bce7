//! Per-destination counters of the remote write sender, exposed as metric
//! families for `/metrics` (names after Prometheus's
//! `prometheus_remote_storage_*`, with a `telltale_` prefix).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use telltale_model::{MetricFamily, MetricMetadata, MetricType};

/// Counters of one destination. All are updated lock-free by the sender.
#[derive(Debug, Default)]
pub struct SenderStats {
    /// The destination's name.
    pub name: String,
    /// The destination's URL.
    pub url: String,
    pub(crate) pending: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dropped_4xx: AtomicU64,
    pub(crate) dropped_relabel: AtomicU64,
    pub(crate) dropped_unknown: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) highest_sent_ms: AtomicI64,
    pub(crate) shards: AtomicU64,
    pub(crate) segment: AtomicU64,
    pub(crate) gaps: AtomicU64,
}

/// A snapshot of [`SenderStats`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsSnapshot {
    /// Samples read from the WAL and not yet sent or dropped.
    pub pending: u64,
    /// Samples the receiver accepted.
    pub sent: u64,
    /// Samples in attempts that failed (each attempt counts).
    pub failed: u64,
    /// Samples sent again after a recoverable failure (5xx, 429, network).
    pub retried: u64,
    /// Samples dropped because the receiver refused them (4xx but 429).
    pub dropped_4xx: u64,
    /// Samples of series dropped by `write_relabel_configs`.
    pub dropped_relabel: u64,
    /// Samples whose series record was not found in the WAL.
    pub dropped_unknown: u64,
    /// Successful requests.
    pub requests: u64,
    /// The newest sample timestamp sent (milliseconds, 0 if none).
    pub highest_sent_ms: i64,
    /// The shards used for the last batch.
    pub shards: u64,
    /// The WAL segment being read.
    pub segment: u64,
    /// Times WAL segments were skipped because they were gone.
    pub gaps: u64,
}

impl SenderStats {
    pub(crate) fn new(name: String, url: String) -> Self {
        SenderStats {
            name,
            url,
            ..Default::default()
        }
    }

    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            pending: l(&self.pending),
            sent: l(&self.sent),
            failed: l(&self.failed),
            retried: l(&self.retried),
            dropped_4xx: l(&self.dropped_4xx),
            dropped_relabel: l(&self.dropped_relabel),
            dropped_unknown: l(&self.dropped_unknown),
            requests: l(&self.requests),
            highest_sent_ms: self.highest_sent_ms.load(Ordering::Relaxed),
            shards: l(&self.shards),
            segment: l(&self.segment),
            gaps: l(&self.gaps),
        }
    }
}

/// The counters of several destinations as metric families, one series
/// per destination (labels `remote_name` and `url`).
pub fn families(all: &[std::sync::Arc<SenderStats>]) -> Vec<MetricFamily> {
    let fam = |name: &str, t: MetricType, help: &str| {
        MetricFamily::new(
            name,
            MetricMetadata {
                metric_type: t,
                help: help.into(),
                unit: String::new(),
            },
        )
    };
    use MetricType::{Counter, Gauge};
    let mut pending = fam(
        "telltale_remote_storage_samples_pending",
        Gauge,
        "Samples read from the WAL and not yet sent.",
    );
    let mut sent = fam(
        "telltale_remote_storage_samples_total",
        Counter,
        "Samples accepted by the remote storage.",
    );
    let mut failed = fam(
        "telltale_remote_storage_samples_failed_total",
        Counter,
        "Samples in send attempts that failed (each attempt counts).",
    );
    let mut retried = fam(
        "telltale_remote_storage_samples_retried_total",
        Counter,
        "Samples sent again after a recoverable failure.",
    );
    let mut dropped = fam(
        "telltale_remote_storage_samples_dropped_total",
        Counter,
        "Samples that will not be sent, by reason.",
    );
    let mut highest = fam(
        "telltale_remote_storage_queue_highest_sent_timestamp_seconds",
        Gauge,
        "The newest sample timestamp sent, in seconds.",
    );
    let mut shards = fam(
        "telltale_remote_storage_shards",
        Gauge,
        "Shards used for the last batch.",
    );
    let mut segment = fam(
        "telltale_remote_storage_wal_segment",
        Gauge,
        "The WAL segment the sender reads.",
    );
    let mut gaps = fam(
        "telltale_remote_storage_wal_gaps_total",
        Counter,
        "Times the sender skipped WAL segments that were already removed.",
    );
    for st in all {
        let s = st.snapshot();
        let l = [("remote_name", st.name.as_str()), ("url", st.url.as_str())];
        pending.push(&l, s.pending as f64);
        sent.push(&l, s.sent as f64);
        failed.push(&l, s.failed as f64);
        retried.push(&l, s.retried as f64);
        for (reason, v) in [
            ("http_4xx", s.dropped_4xx),
            ("relabel", s.dropped_relabel),
            ("unknown_series", s.dropped_unknown),
        ] {
            dropped.push(&[l[0], l[1], ("reason", reason)], v as f64);
        }
        highest.push(&l, s.highest_sent_ms as f64 / 1000.0);
        shards.push(&l, s.shards as f64);
        segment.push(&l, s.segment as f64);
        gaps.push(&l, s.gaps as f64);
    }
    vec![
        pending, sent, failed, retried, dropped, highest, shards, segment, gaps,
    ]
}
