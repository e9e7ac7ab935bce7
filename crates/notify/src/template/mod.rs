//! Notification data (Alertmanager's `template.Data`), the default texts
//! (titles, descriptions, alert lists) and user templates in Go template
//! syntax through `gotmpl`.
//!
//! The defaults are implemented here in Rust with the same output as
//! Alertmanager's defaults, so `{{ template "slack.default.title" . }}` in a
//! user template gives the text Alertmanager users expect.

mod user;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::alert::Alert;
pub use user::{Templates, data_value};

/// Go's zero `time.Time`, which firing alerts carry as `endsAt`.
pub fn go_zero_time() -> Timestamp {
    // 0001-01-01T00:00:00Z in seconds since the Unix epoch.
    Timestamp::from_second(-62_135_596_800).unwrap_or(Timestamp::MIN)
}

/// One alert as templates and payloads see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateAlert {
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// Labels by name.
    pub labels: BTreeMap<String, String>,
    /// Annotations by name.
    pub annotations: BTreeMap<String, String>,
    /// Start time.
    pub starts_at: Timestamp,
    /// End time; Go's zero time for firing alerts.
    pub ends_at: Timestamp,
    /// Link to the producer.
    pub generator_url: String,
    /// 16 hex digits.
    pub fingerprint: String,
}

impl TemplateAlert {
    /// Converts an alert as of `now`.
    pub fn from_alert(a: &Alert, now: Timestamp) -> Self {
        let resolved = a.is_resolved_at(now);
        TemplateAlert {
            status: if resolved { "resolved" } else { "firing" },
            labels: a
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect(),
            annotations: a.annotations.clone(),
            starts_at: a.starts_at,
            ends_at: if resolved {
                a.ends_at.unwrap_or_else(go_zero_time)
            } else {
                go_zero_time()
            },
            generator_url: a.generator_url.clone(),
            fingerprint: a.fingerprint_hex(),
        }
    }
}

/// Everything a notification is rendered from.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateData {
    /// The receiver's name.
    pub receiver: String,
    /// `firing` if any alert fires, else `resolved`.
    pub status: &'static str,
    /// The alerts, in dispatcher order.
    pub alerts: Vec<TemplateAlert>,
    /// Labels the group was formed by.
    pub group_labels: BTreeMap<String, String>,
    /// Labels equal on every alert.
    pub common_labels: BTreeMap<String, String>,
    /// Annotations equal on every alert.
    pub common_annotations: BTreeMap<String, String>,
    /// Route labels, merged root to leaf.
    pub route_labels: BTreeMap<String, String>,
    /// Our external URL, for backlinks.
    pub external_url: String,
    /// The group key.
    pub group_key: String,
}

fn common(maps: impl Iterator<Item = BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut acc: Option<BTreeMap<String, String>> = None;
    for m in maps {
        acc = Some(match acc {
            None => m,
            Some(mut a) => {
                a.retain(|k, v| m.get(k) == Some(v));
                a
            }
        });
    }
    acc.unwrap_or_default()
}

impl TemplateData {
    /// Builds the data for a notification.
    pub fn new(
        receiver: &str,
        group_key: &str,
        group_labels: BTreeMap<String, String>,
        route_labels: BTreeMap<String, String>,
        alerts: Vec<TemplateAlert>,
        external_url: &str,
    ) -> Self {
        let status = if alerts.iter().any(|a| a.status == "firing") {
            "firing"
        } else {
            "resolved"
        };
        TemplateData {
            receiver: receiver.to_string(),
            status,
            common_labels: common(alerts.iter().map(|a| a.labels.clone())),
            common_annotations: common(alerts.iter().map(|a| a.annotations.clone())),
            alerts,
            group_labels,
            route_labels,
            external_url: external_url.to_string(),
            group_key: group_key.to_string(),
        }
    }

    /// The firing alerts.
    pub fn firing(&self) -> impl Iterator<Item = &TemplateAlert> {
        self.alerts.iter().filter(|a| a.status == "firing")
    }

    /// The resolved alerts.
    pub fn resolved(&self) -> impl Iterator<Item = &TemplateAlert> {
        self.alerts.iter().filter(|a| a.status == "resolved")
    }
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The default subject line: `[FIRING:2] HighLatency api (prod)`.
pub fn default_subject(d: &TemplateData) -> String {
    let mut s = format!("[{}", d.status.to_uppercase());
    if d.status == "firing" {
        s.push_str(&format!(":{}", d.firing().count()));
    }
    s.push_str("] ");
    let values: Vec<&str> = d.group_labels.values().map(String::as_str).collect();
    s.push_str(&values.join(" "));
    s.push(' ');
    if d.common_labels.len() > d.group_labels.len() {
        let rest: Vec<&str> = d
            .common_labels
            .iter()
            .filter(|(k, _)| !d.group_labels.contains_key(*k))
            .map(|(_, v)| v.as_str())
            .collect();
        s.push_str(&format!("({})", rest.join(" ")));
    }
    s
}

/// The default backlink: `<external URL>/#/alerts?receiver=<name>`.
pub fn default_alertmanager_url(d: &TemplateData) -> String {
    format!(
        "{}/#/alerts?receiver={}",
        d.external_url,
        query_escape(&d.receiver)
    )
}

/// The default plain-text list of alerts (labels, annotations, source).
pub fn default_alert_list<'a>(alerts: impl Iterator<Item = &'a TemplateAlert>) -> String {
    let mut s = String::new();
    for a in alerts {
        s.push_str("Labels:\n");
        for (k, v) in &a.labels {
            s.push_str(&format!(" - {k} = {v}\n"));
        }
        s.push_str("Annotations:\n");
        for (k, v) in &a.annotations {
            s.push_str(&format!(" - {k} = {v}\n"));
        }
        s.push_str(&format!("Source: {}\n", a.generator_url));
    }
    s
}

/// The names of the default templates user templates can call, with their
/// text for `d`.
pub fn default_templates(d: &TemplateData) -> BTreeMap<&'static str, String> {
    let subject = default_subject(d);
    let url = default_alertmanager_url(d);
    let mut m = BTreeMap::new();
    m.insert("__subject", subject.clone());
    m.insert("__alertmanager", "Alertmanager".to_string());
    m.insert("__alertmanagerURL", url.clone());
    m.insert("__text_alert_list", default_alert_list(d.alerts.iter()));
    m.insert("slack.default.title", subject.clone());
    m.insert("slack.default.username", "Alertmanager".to_string());
    m.insert("slack.default.fallback", format!("{subject} | {url}"));
    m.insert("slack.default.titlelink", url.clone());
    for empty in [
        "slack.default.callbackid",
        "slack.default.pretext",
        "slack.default.iconemoji",
        "slack.default.iconurl",
        "slack.default.text",
        "slack.default.footer",
    ] {
        m.insert(empty, String::new());
    }
    m.insert("pagerduty.default.description", subject.clone());
    m.insert("pagerduty.default.client", "Alertmanager".to_string());
    m.insert("pagerduty.default.clientURL", url);
    m.insert(
        "pagerduty.default.instances",
        default_alert_list(d.alerts.iter()),
    );
    m.insert("email.default.subject", subject);
    m.insert("email.default.html", default_email_html(d));
    m
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
}

/// A plain HTML e-mail body listing the alerts.
pub fn default_email_html(d: &TemplateData) -> String {
    let mut s = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>");
    s.push_str(&html_escape(&default_subject(d)));
    s.push_str("</title></head><body>\n");
    let firing = d.firing().count();
    let resolved = d.resolved().count();
    s.push_str(&format!(
        "<p>{firing} alert(s) firing, {resolved} resolved for {}</p>\n",
        html_escape(
            &d.group_labels
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        )
    ));
    s.push_str(&format!(
        "<p><a href=\"{}\">View in Telltale</a></p>\n",
        html_escape(&default_alertmanager_url(d))
    ));
    for a in &d.alerts {
        s.push_str(&format!("<h3>[{}]</h3>\n<ul>\n", a.status.to_uppercase()));
        for (k, v) in a.labels.iter().chain(a.annotations.iter()) {
            s.push_str(&format!(
                "<li>{} = {}</li>\n",
                html_escape(k),
                html_escape(v)
            ));
        }
        s.push_str(&format!(
            "</ul>\n<p><a href=\"{}\">Source</a></p>\n",
            html_escape(&a.generator_url)
        ));
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::Labels;

    fn data() -> TemplateData {
        let t0: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let a = Alert::firing(
            Labels::from_pairs(&[
                ("alertname", "HighLatency"),
                ("job", "api"),
                ("env", "prod"),
            ]),
            t0,
        );
        let b = Alert::firing(
            Labels::from_pairs(&[
                ("alertname", "HighLatency"),
                ("job", "web"),
                ("env", "prod"),
            ]),
            t0,
        );
        let alerts = vec![
            TemplateAlert::from_alert(&a, t0),
            TemplateAlert::from_alert(&b, t0),
        ];
        let gl = BTreeMap::from([("alertname".to_string(), "HighLatency".to_string())]);
        TemplateData::new("team x", "{}:{}", gl, BTreeMap::new(), alerts, "http://am")
    }

    #[test]
    fn default_subject_matches_alertmanager() {
        let d = data();
        assert_eq!(default_subject(&d), "[FIRING:2] HighLatency (prod)");
        assert_eq!(
            default_alertmanager_url(&d),
            "http://am/#/alerts?receiver=team+x"
        );
        assert_eq!(go_zero_time().to_string(), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn user_templates_see_data_and_defaults() {
        let t = Templates::default();
        let d = data();
        let out = t
            .render(
                "{{ template \"slack.default.title\" . }}|{{ .Status | toUpper }}|{{ range .Alerts }}{{ .Labels.job }} {{ end }}",
                &d,
            )
            .unwrap();
        assert_eq!(out, "[FIRING:2] HighLatency (prod)|FIRING|api web ");
        let out = t
            .render(
                "{{ len .Alerts.Firing }} firing, {{ len .Alerts.Resolved }} resolved{{ range .Alerts.Firing }} {{ .Labels.job }}{{ end }}",
                &d,
            )
            .unwrap();
        assert_eq!(out, "2 firing, 0 resolved api web");
        assert!(t.render("{{ .Nope", &d).is_err());
        assert_eq!(t.render("plain", &d).unwrap(), "plain");
    }
}
