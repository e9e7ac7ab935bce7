//! Where alerts go: the [`AlertSink`] seam and the [`Alert`] handed to it,
//! in the shape of Alertmanager's `postableAlert`.

use std::collections::BTreeMap;

use serde_json::json;

/// One alert as sent to an Alertmanager (`POST /api/v2/alerts`).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The labels (`alertname` included, external labels added).
    pub labels: BTreeMap<String, String>,
    /// The expanded annotations.
    pub annotations: BTreeMap<String, String>,
    /// When the alert started firing (ms since the epoch).
    pub starts_at_ms: i64,
    /// For a firing alert, when the receiver may consider it resolved if it
    /// is not sent again; for a resolved alert, when it resolved (ms).
    pub ends_at_ms: i64,
    /// A link to the expression in the UI.
    pub generator_url: String,
}

impl Alert {
    /// Whether the alert is resolved at `now_ms`.
    pub fn is_resolved(&self, now_ms: i64) -> bool {
        self.ends_at_ms != 0 && self.ends_at_ms <= now_ms
    }

    /// The alert as Alertmanager's `postableAlert` JSON.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": rfc3339(self.starts_at_ms),
            "endsAt": rfc3339(self.ends_at_ms),
            "generatorURL": self.generator_url,
        })
    }
}

/// Formats milliseconds since the epoch as Go's JSON encoding of a UTC
/// `time.Time` (RFC 3339 with the fraction's trailing zeros dropped:
/// `2026-11-23T13:00:00Z`, `2026-11-23T13:00:00.5Z`).
pub fn rfc3339(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => {
            let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            let frac = ms.rem_euclid(1000);
            if frac != 0 {
                let f = format!("{frac:03}");
                s.push('.');
                s.push_str(f.trim_end_matches('0'));
            }
            s.push('Z');
            s
        }
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

/// Receives the alerts of every evaluation that has something to send
/// (firing alerts every resend delay, resolved ones after they resolve).
/// Implemented by [`crate::AlertmanagerSink`] for external Alertmanagers;
/// the binary adapts it to the built-in notifier.
pub trait AlertSink: Send + Sync {
    /// Takes a batch of alerts. Must not block for long: queue and return.
    fn send(&self, alerts: Vec<Alert>);
}

/// A sink that keeps every batch in memory (for tests and for showing what
/// would have been sent).
#[derive(Debug, Default)]
pub struct MemorySink {
    batches: std::sync::Mutex<Vec<Vec<Alert>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the batches received so far.
    pub fn take(&self) -> Vec<Vec<Alert>> {
        self.batches
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

impl AlertSink for MemorySink {
    fn send(&self, alerts: Vec<Alert>) {
        if let Ok(mut b) = self.batches.lock() {
            b.push(alerts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postable_alert_json_shape() {
        let a = Alert {
            labels: [("alertname".to_string(), "X".to_string())].into(),
            annotations: BTreeMap::new(),
            starts_at_ms: 1_000,
            ends_at_ms: 241_000,
            generator_url: "http://x/graph".into(),
        };
        let j = a.to_json();
        assert_eq!(j["startsAt"], "1970-01-01T00:00:01Z");
        assert_eq!(j["endsAt"], "1970-01-01T00:04:01Z");
        assert_eq!(rfc3339(1_500), "1970-01-01T00:00:01.5Z");
        assert_eq!(rfc3339(1_050), "1970-01-01T00:00:01.05Z");
        assert_eq!(j["labels"]["alertname"], "X");
        assert_eq!(j["generatorURL"], "http://x/graph");
        assert!(!a.is_resolved(1_000));
        assert!(a.is_resolved(241_000));
    }
}
