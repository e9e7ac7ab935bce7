//! Alertmanager's webhook payload, version "4", in both directions: what our
//! webhook receiver sends and what the `/alert` receiver accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::template::{TemplateAlert, TemplateData};

/// Why a notification is sent (`notification_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationReason {
    /// The group was never notified.
    FirstNotification,
    /// Alerts started firing since the last notification.
    NewAlertsAdded,
    /// Some alerts resolved since the last notification.
    SomeAlertsResolved,
    /// Every alert resolved.
    AllAlertsResolved,
    /// Nothing changed; the repeat interval elapsed.
    RepeatIntervalElapsed,
    /// Not known (as in Alertmanager's own tests).
    Unknown,
}

impl NotificationReason {
    /// The text sent in the payload.
    pub fn as_str(&self) -> &'static str {
        match self {
            NotificationReason::FirstNotification => "first notification",
            NotificationReason::NewAlertsAdded => "new alerts added",
            NotificationReason::SomeAlertsResolved => "some alerts resolved",
            NotificationReason::AllAlertsResolved => "all alerts resolved",
            NotificationReason::RepeatIntervalElapsed => "repeat interval elapsed",
            NotificationReason::Unknown => "unknown",
        }
    }
}

/// One alert in a webhook payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAlert {
    /// `firing` or `resolved`.
    pub status: String,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339 start.
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// RFC 3339 end (`0001-01-01T00:00:00Z` while firing).
    #[serde(rename = "endsAt", default)]
    pub ends_at: String,
    /// Producer link.
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    /// 16 hex digits.
    #[serde(default)]
    pub fingerprint: String,
}

/// The whole webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// Receiver name (regex-quoted by Alertmanager).
    pub receiver: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// The alerts.
    pub alerts: Vec<WebhookAlert>,
    /// Why it was sent.
    #[serde(default)]
    pub notification_reason: String,
    /// Group labels.
    #[serde(rename = "groupLabels", default)]
    pub group_labels: BTreeMap<String, String>,
    /// Labels common to all alerts.
    #[serde(rename = "commonLabels", default)]
    pub common_labels: BTreeMap<String, String>,
    /// Annotations common to all alerts.
    #[serde(rename = "commonAnnotations", default)]
    pub common_annotations: BTreeMap<String, String>,
    /// Route labels.
    #[serde(rename = "routeLabels", default)]
    pub route_labels: BTreeMap<String, String>,
    /// Backlink.
    #[serde(rename = "externalURL", default)]
    pub external_url: String,
    /// `"4"`.
    pub version: String,
    /// The group key.
    #[serde(rename = "groupKey", default)]
    pub group_key: String,
    /// Alerts left out by `max_alerts`.
    #[serde(rename = "truncatedAlerts", default)]
    pub truncated_alerts: u64,
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn wire_alert(a: &TemplateAlert) -> WebhookAlert {
    WebhookAlert {
        status: a.status.to_string(),
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        starts_at: a.starts_at.to_string(),
        ends_at: a.ends_at.to_string(),
        generator_url: a.generator_url.clone(),
        fingerprint: a.fingerprint.clone(),
    }
}

impl WebhookMessage {
    /// Builds the payload; keeps the first `max_alerts` alerts when it is
    /// not zero and reports how many were left out.
    pub fn new(d: &TemplateData, reason: NotificationReason, max_alerts: u64) -> Self {
        let keep = if max_alerts == 0 {
            d.alerts.len()
        } else {
            d.alerts.len().min(max_alerts as usize)
        };
        WebhookMessage {
            receiver: quote_meta(&d.receiver),
            status: d.status.to_string(),
            alerts: d.alerts[..keep].iter().map(wire_alert).collect(),
            notification_reason: reason.as_str().to_string(),
            group_labels: d.group_labels.clone(),
            common_labels: d.common_labels.clone(),
            common_annotations: d.common_annotations.clone(),
            route_labels: d.route_labels.clone(),
            external_url: d.external_url.clone(),
            version: "4".into(),
            group_key: d.group_key.clone(),
            truncated_alerts: (d.alerts.len() - keep) as u64,
        }
    }

    /// The body as Go's `json.Encoder` writes it: HTML characters escaped,
    /// one trailing newline.
    pub fn to_body(&self) -> Vec<u8> {
        go_json(&serde_json::to_value(self).unwrap_or_default())
    }

    /// Checks a received payload; the message says what is wrong.
    ///
    /// # Errors
    ///
    /// A reason suitable for a 400 response.
    pub fn validate(&self) -> Result<(), String> {
        if self.version != "4" {
            return Err(format!(
                "unsupported payload version {:?}, want \"4\"",
                self.version
            ));
        }
        if self.status != "firing" && self.status != "resolved" {
            return Err(format!("invalid status {:?}", self.status));
        }
        for (i, a) in self.alerts.iter().enumerate() {
            if a.status != "firing" && a.status != "resolved" {
                return Err(format!("alerts[{i}]: invalid status {:?}", a.status));
            }
            if a.labels.is_empty() {
                return Err(format!("alerts[{i}]: no labels"));
            }
            if a.starts_at.parse::<jiff::Timestamp>().is_err() {
                return Err(format!("alerts[{i}]: invalid startsAt {:?}", a.starts_at));
            }
            if !a.ends_at.is_empty() && a.ends_at.parse::<jiff::Timestamp>().is_err() {
                return Err(format!("alerts[{i}]: invalid endsAt {:?}", a.ends_at));
            }
        }
        Ok(())
    }
}

/// Serialises JSON as Go's encoder does: `<`, `>`, `&`, U+2028 and U+2029
/// escaped, a trailing newline. Those characters can only occur inside
/// strings, so replacing them in the text is safe.
pub fn go_json(v: &serde_json::Value) -> Vec<u8> {
    let s = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_receiver_names_and_escapes_html() {
        assert_eq!(quote_meta("team.x"), "team\\.x");
        let v = serde_json::json!({"a": "<b>&"});
        assert_eq!(go_json(&v), b"{\"a\":\"\\u003cb\\u003e\\u0026\"}\n");
    }
}
