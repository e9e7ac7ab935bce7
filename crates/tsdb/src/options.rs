//! [`Options`]: how the database behaves.

use std::time::Duration;

use crate::error::{Result, TsdbError};

/// When the write-ahead log is synced to stable storage.
///
/// Either way a commit returns only after its records were written to the
/// WAL file (handed to the operating system), so a killed process loses no
/// acknowledged sample; the policy decides what a power loss can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fsync` before every commit returns: nothing acknowledged is lost even
    /// on power loss, at the cost of one disk flush per commit.
    Always,
    /// `fsync` at most this often from a background thread (and whenever a
    /// segment is closed): a power loss can take the last interval.
    Interval(Duration),
}

impl Default for FsyncPolicy {
    /// One second, as a compromise between throughput and exposure.
    fn default() -> Self {
        FsyncPolicy::Interval(Duration::from_secs(1))
    }
}

/// Database options. [`Options::default`] documents each default.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Blocks whose newest sample is older than this (relative to the newest
    /// sample stored) are deleted. Default 15 days, as Prometheus.
    pub retention: Option<Duration>,
    /// The oldest blocks are deleted while blocks and WAL together exceed
    /// this many bytes. Default none.
    pub retention_size: Option<u64>,
    /// How far behind the newest sample of its series a sample may arrive
    /// and still be accepted. Default 10 minutes: enough for push and remote
    /// write retries, small enough to keep the out-of-order buffers small.
    pub out_of_order_window: Duration,
    /// When the WAL is synced. Default [`FsyncPolicy::Interval`] of 1 s.
    pub wal_fsync: FsyncPolicy,
    /// The largest WAL segment file in bytes. Default 128 MiB.
    pub wal_segment_size: u64,
    /// The most series the head holds; 0 is unlimited. Default 0.
    pub max_series: usize,
    /// The most labels a series may have (`__name__` included); 0 is
    /// unlimited. Default 64.
    pub max_labels_per_series: usize,
    /// The longest label name or value in bytes; 0 is unlimited. Default
    /// 4096.
    pub max_label_length: usize,
    /// The time range of the blocks the head is persisted into. Default 2 h.
    pub block_duration: Duration,
    /// How often the background thread looks for work (persisting the head,
    /// compaction, retention). Default 1 minute.
    pub maintenance_interval: Duration,
    /// Whether [`Db::open`](crate::Db::open) starts the background thread.
    /// Default true; tests turn it off and call
    /// [`Db::run_maintenance`](crate::Db::run_maintenance) themselves.
    pub background: bool,
    /// Samples per head chunk before a new one is cut. Default 120.
    pub samples_per_chunk: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retention: Some(Duration::from_secs(15 * 24 * 3600)),
            retention_size: None,
            out_of_order_window: Duration::from_secs(600),
            wal_fsync: FsyncPolicy::default(),
            wal_segment_size: 128 << 20,
            max_series: 0,
            max_labels_per_series: 64,
            max_label_length: 4096,
            block_duration: Duration::from_secs(2 * 3600),
            maintenance_interval: Duration::from_secs(60),
            background: true,
            samples_per_chunk: 120,
        }
    }
}

impl Options {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`TsdbError::InvalidOption`] naming the first bad option.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: &str| {
            Err(TsdbError::InvalidOption {
                name,
                reason: reason.to_string(),
            })
        };
        if self.block_duration.as_millis() < 1000
            || self.block_duration > Duration::from_secs(31 * 24 * 3600)
        {
            return bad("block_duration", "must be between 1s and 31 days");
        }
        if self.wal_segment_size < 64 * 1024 {
            return bad("wal_segment_size", "must be at least 64 KiB");
        }
        if self.samples_per_chunk == 0 || self.samples_per_chunk > 65535 {
            return bad("samples_per_chunk", "must be between 1 and 65535");
        }
        if self.maintenance_interval.is_zero() {
            return bad("maintenance_interval", "must not be zero");
        }
        if let FsyncPolicy::Interval(d) = self.wal_fsync
            && d.is_zero()
        {
            return bad("wal_fsync", "interval must not be zero (use Always)");
        }
        Ok(())
    }

    pub(crate) fn block_ms(&self) -> i64 {
        i64::try_from(self.block_duration.as_millis()).unwrap_or(i64::MAX)
    }

    pub(crate) fn ooo_ms(&self) -> i64 {
        i64::try_from(self.out_of_order_window.as_millis()).unwrap_or(i64::MAX)
    }
}
