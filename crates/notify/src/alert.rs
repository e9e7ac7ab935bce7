//! Alerts as the notifier sees them: labels, annotations, a start and an
//! end, and Prometheus's label-set fingerprint.

use std::collections::BTreeMap;

use jiff::Timestamp;
use telltale_model::Labels;

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// Prometheus's separator byte between names and values.
const SEPARATOR: u8 = 0xff;

/// Prometheus's `model.LabelSet.Fingerprint()`: FNV-1a over names in sorted
/// order, each name and value followed by 0xFF.
pub fn fingerprint(labels: &Labels) -> u64 {
    let mut h = FNV_OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    };
    for l in labels {
        add(l.name.as_bytes());
        add(&[SEPARATOR]);
        add(l.value.as_bytes());
        add(&[SEPARATOR]);
    }
    h
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Identity of the alert.
    pub labels: Labels,
    /// Descriptive text (summary, description, runbook...).
    pub annotations: BTreeMap<String, String>,
    /// When it started firing.
    pub starts_at: Timestamp,
    /// When it resolves or resolved; `None` while firing with no end known.
    pub ends_at: Option<Timestamp>,
    /// Link to what produced it.
    pub generator_url: String,
    /// When we last received it.
    pub updated_at: Timestamp,
    /// Whether `ends_at` was set by us from `resolve_timeout` rather than by
    /// the sender.
    pub timeout: bool,
}

impl Alert {
    /// A firing alert with these labels, started and updated at `at`.
    pub fn firing(labels: Labels, at: Timestamp) -> Alert {
        Alert {
            labels,
            annotations: BTreeMap::new(),
            starts_at: at,
            ends_at: None,
            generator_url: String::new(),
            updated_at: at,
            timeout: false,
        }
    }

    /// The label-set fingerprint.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }

    /// The fingerprint as 16 lowercase hex digits.
    pub fn fingerprint_hex(&self) -> String {
        format!("{:016x}", self.fingerprint())
    }

    /// Whether the alert has ended at `now`.
    pub fn is_resolved_at(&self, now: Timestamp) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }

    /// `"firing"` or `"resolved"` at `now`.
    pub fn status_at(&self, now: Timestamp) -> &'static str {
        if self.is_resolved_at(now) {
            "resolved"
        } else {
            "firing"
        }
    }

    /// Merges a newer report of the same alert into this one, as
    /// Alertmanager's `Alert.Merge`: the earliest start wins, and an explicit
    /// end beats one we derived from the resolve timeout.
    pub fn merge(&self, other: &Alert, now: Timestamp) -> Alert {
        if other.updated_at < self.updated_at {
            return other.merge(self, now);
        }
        let mut res = other.clone();
        if self.starts_at < other.starts_at {
            res.starts_at = self.starts_at;
        }
        if other.is_resolved_at(now) {
            if self.is_resolved_at(now) && self.ends_at > other.ends_at {
                res.ends_at = self.ends_at;
            }
        } else if self.ends_at > other.ends_at && !self.timeout {
            res.ends_at = self.ends_at;
            res.timeout = false;
        }
        res
    }

    /// Whether two reports overlap in time, so that they are the same
    /// occurrence and should be merged rather than replaced.
    pub fn overlaps(&self, newer: &Alert) -> bool {
        let old_end = self.ends_at.unwrap_or(Timestamp::MAX);
        let new_end = newer.ends_at.unwrap_or(Timestamp::MAX);
        (new_end > self.starts_at && new_end < old_end)
            || (newer.starts_at > self.starts_at && newer.starts_at < old_end)
            || (newer.starts_at == self.starts_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_prometheus() {
        let l = Labels::from_pairs(&[("alertname", "TestAlert")]);
        assert_eq!(format!("{:016x}", fingerprint(&l)), "dab43189276e5f48");
        let l = Labels::from_pairs(&[("job", "foo"), ("severity", "warning")]);
        assert_eq!(format!("{:016x}", fingerprint(&l)), "9266ef3da838ad95");
    }

    #[test]
    fn merge_keeps_earliest_start_and_explicit_end() {
        let t0: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let t1: Timestamp = "2024-01-01T00:10:00Z".parse().unwrap();
        let l = Labels::from_pairs(&[("a", "b")]);
        let mut old = Alert::firing(l.clone(), t0);
        old.ends_at = Some(t1);
        let mut new = Alert::firing(l, t1);
        new.updated_at = t1;
        let now = t0;
        let m = old.merge(&new, now);
        assert_eq!(m.starts_at, t0);
        assert_eq!(m.ends_at, Some(t1));
        assert_eq!(m.status_at(t0), "firing");
        assert_eq!(m.status_at(t1), "resolved");
    }
}
