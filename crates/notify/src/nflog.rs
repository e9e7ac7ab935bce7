//! The notification log: per group, receiver and integration, which alerts
//! were firing and resolved when we last notified. Persisted, so a restart
//! neither re-sends nor forgets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::persist;

/// File name under the data directory.
pub const NFLOG_FILE: &str = "nflog.json";
/// How long an entry is kept after it was written.
pub const NFLOG_RETENTION: SignedDuration = SignedDuration::from_hours(120);

/// The last notification for one group and integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it was sent.
    #[serde(with = "persist::ts")]
    pub timestamp: Timestamp,
    /// Fingerprints of the alerts that were firing.
    pub firing: BTreeSet<u64>,
    /// Fingerprints of the alerts that were resolved.
    pub resolved: BTreeSet<u64>,
}

impl Entry {
    /// Whether every alert in `firing` was already firing then.
    pub fn is_firing_subset(&self, firing: &BTreeSet<u64>) -> bool {
        firing.is_subset(&self.firing)
    }

    /// Whether every alert in `resolved` was already resolved then.
    pub fn is_resolved_subset(&self, resolved: &BTreeSet<u64>) -> bool {
        resolved.is_subset(&self.resolved)
    }
}

/// Identifies a log entry: `<group key>`, receiver, integration.
pub type EntryKey = (String, String, String);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    entries: Vec<(String, String, String, Entry)>,
}

/// The log.
#[derive(Debug)]
pub struct NotificationLog {
    path: Option<PathBuf>,
    entries: Mutex<BTreeMap<EntryKey, Entry>>,
}

impl NotificationLog {
    /// Opens the log, restoring `<dir>/nflog.json` when present.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read or decoded.
    pub fn open(dir: Option<PathBuf>) -> Result<Self> {
        let path = dir.map(|d| d.join(NFLOG_FILE));
        let stored: Stored = match &path {
            Some(p) => persist::read_json(p)?.unwrap_or_default(),
            None => Stored::default(),
        };
        Ok(NotificationLog {
            path,
            entries: Mutex::new(
                stored
                    .entries
                    .into_iter()
                    .map(|(g, r, i, e)| ((g, r, i), e))
                    .collect(),
            ),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<EntryKey, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for a key.
    pub fn get(&self, key: &EntryKey) -> Option<Entry> {
        self.lock().get(key).cloned()
    }

    /// Records a notification and persists the log; entries past the
    /// retention are dropped on the way.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn log(&self, key: EntryKey, entry: Entry) -> Result<()> {
        let mut map = self.lock();
        let now = entry.timestamp;
        map.insert(key, entry);
        map.retain(|_, e| persist::add_sat(e.timestamp, NFLOG_RETENTION) > now);
        if let Some(p) = &self.path {
            let stored = Stored {
                entries: map
                    .iter()
                    .map(|((g, r, i), e)| (g.clone(), r.clone(), i.clone(), e.clone()))
                    .collect(),
            };
            persist::write_json(p, &stored)?;
        }
        Ok(())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let log = NotificationLog::open(Some(dir.path().into())).unwrap();
        let key = (
            "{}:{}".to_string(),
            "r".to_string(),
            "webhook/0".to_string(),
        );
        let e = Entry {
            timestamp: "2024-01-01T00:00:00Z".parse().unwrap(),
            firing: BTreeSet::from([1, 2]),
            resolved: BTreeSet::new(),
        };
        log.log(key.clone(), e.clone()).unwrap();
        drop(log);
        let log = NotificationLog::open(Some(dir.path().into())).unwrap();
        let got = log.get(&key).unwrap();
        assert_eq!(got, e);
        assert!(got.is_firing_subset(&BTreeSet::from([1])));
        assert!(!got.is_firing_subset(&BTreeSet::from([3])));
    }
}
