//! Notification history: every delivery attempt with its time, receiver,
//! alerts, outcome and error, kept for a configurable time and count, and
//! persisted as JSON lines.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{NotifyError, Result};
use crate::persist;

/// File name under the data directory.
pub const HISTORY_FILE: &str = "history.jsonl";

/// How long and how many attempts are kept.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    /// Attempts older than this are dropped.
    pub retention: SignedDuration,
    /// At most this many attempts are kept.
    pub max_entries: usize,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        HistoryLimits {
            retention: SignedDuration::from_hours(7 * 24),
            max_entries: 10_000,
        }
    }
}

/// An alert as recorded in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryAlert {
    /// Fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// Labels.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was made.
    #[serde(with = "persist::ts")]
    pub time: Timestamp,
    /// Receiver name.
    pub receiver: String,
    /// Integration, e.g. `webhook[0]`.
    pub integration: String,
    /// The group key.
    #[serde(rename = "groupKey")]
    pub group_key: String,
    /// 1 for the first try of a notification.
    pub attempt: u32,
    /// Why it was sent.
    pub reason: String,
    /// The alerts.
    pub alerts: Vec<HistoryAlert>,
    /// `success` or `failure`.
    pub outcome: String,
    /// The error for failures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// The history store.
#[derive(Debug)]
pub struct History {
    path: Option<PathBuf>,
    limits: HistoryLimits,
    inner: Mutex<VecDeque<Attempt>>,
}

impl History {
    /// Opens the history, restoring `<dir>/history.jsonl`; undecodable lines
    /// (a torn last write) are skipped.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read.
    pub fn open(dir: Option<PathBuf>, limits: HistoryLimits) -> Result<Self> {
        let path = dir.map(|d| d.join(HISTORY_FILE));
        let mut q = VecDeque::new();
        if let Some(p) = &path {
            match std::fs::read_to_string(p) {
                Ok(text) => {
                    for line in text.lines() {
                        if let Ok(a) = serde_json::from_str::<Attempt>(line) {
                            q.push_back(a);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(NotifyError::io("reading", p, e)),
            }
        }
        while q.len() > limits.max_entries {
            q.pop_front();
        }
        Ok(History {
            path,
            limits,
            inner: Mutex::new(q),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Attempt>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an attempt. The file is appended to, and rewritten when
    /// entries fall out of the limits.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn record(&self, a: Attempt) -> Result<()> {
        let mut q = self.lock();
        let now = a.time;
        let line = serde_json::to_string(&a).unwrap_or_default();
        q.push_back(a);
        let before = q.len();
        while q.len() > self.limits.max_entries
            || q.front()
                .is_some_and(|f| persist::add_sat(f.time, self.limits.retention) < now)
        {
            q.pop_front();
        }
        let Some(p) = &self.path else { return Ok(()) };
        if q.len() == before {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| NotifyError::io("opening", p, e))?;
            f.write_all(format!("{line}\n").as_bytes())
                .map_err(|e| NotifyError::io("appending to", p, e))?;
        } else {
            let mut text = String::new();
            for a in q.iter() {
                text.push_str(&serde_json::to_string(a).unwrap_or_default());
                text.push('\n');
            }
            let tmp = p.with_extension("tmp");
            std::fs::write(&tmp, text).map_err(|e| NotifyError::io("writing", &tmp, e))?;
            std::fs::rename(&tmp, p).map_err(|e| NotifyError::io("renaming to", p, e))?;
        }
        Ok(())
    }

    /// All kept attempts, oldest first.
    pub fn list(&self) -> Vec<Attempt> {
        self.lock().iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(t: &str, outcome: &str) -> Attempt {
        Attempt {
            time: t.parse().unwrap(),
            receiver: "r".into(),
            integration: "webhook[0]".into(),
            group_key: "{}:{}".into(),
            attempt: 1,
            reason: "first notification".into(),
            alerts: Vec::new(),
            outcome: outcome.into(),
            error: None,
        }
    }

    #[test]
    fn bounded_by_count_and_age_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let limits = HistoryLimits {
            retention: SignedDuration::from_hours(1),
            max_entries: 3,
        };
        let h = History::open(Some(dir.path().into()), limits).unwrap();
        for m in 0..5 {
            h.record(attempt(&format!("2024-01-01T00:0{m}:00Z"), "success"))
                .unwrap();
        }
        assert_eq!(h.list().len(), 3);
        h.record(attempt("2024-01-01T05:00:00Z", "failure"))
            .unwrap();
        assert_eq!(h.list().len(), 1);
        drop(h);
        let h = History::open(Some(dir.path().into()), limits).unwrap();
        assert_eq!(h.list()[0].outcome, "failure");
    }
}
