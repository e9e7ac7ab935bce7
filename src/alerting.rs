//! Alerting in `telltale serve`: rules evaluated by the rules crate, their
//! alerts handed to the built-in notifier (and to external Alertmanagers
//! if configured), and the adapters the HTTP API needs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use telltale_model::Labels;
use telltale_notify::Notifier;
use telltale_rules::{Alert as RuleAlert, AlertSink, RuleManager};

/// The built-in notifier's configuration when the user gives none: every
/// alert goes, grouped by alert name, to Telltale's own `/alert` receiver,
/// so firing and resolved alerts show up in the UI and in `GET /alert`
/// without any setup.
pub fn default_notifier_config(self_url: &str) -> String {
    format!(
        "route:\n  receiver: telltale-alert-endpoint\n  group_by: ['alertname']\n  group_wait: 10s\n  group_interval: 1m\n  repeat_interval: 4h\nreceivers:\n  - name: telltale-alert-endpoint\n    webhook_configs:\n      - url: '{self_url}/alert'\n        send_resolved: true\n"
    )
}

/// Hands rule alerts to the built-in notifier.
pub struct NotifierSink(pub Notifier);

fn ts(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

impl AlertSink for NotifierSink {
    fn send(&self, alerts: Vec<RuleAlert>) {
        let now = ts(telltale_server::state::now_ms());
        let converted: Vec<telltale_notify::Alert> = alerts
            .into_iter()
            .map(|a| {
                let labels = Labels::from_pairs(
                    &a.labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                );
                let mut n = telltale_notify::Alert::firing(labels, ts(a.starts_at_ms));
                n.annotations = a.annotations;
                n.generator_url = a.generator_url;
                n.ends_at = (a.ends_at_ms != 0).then(|| ts(a.ends_at_ms));
                n.updated_at = now;
                n
            })
            .collect();
        if let Err(e) = self.0.add_alerts(converted) {
            tracing::warn!(error = %e, "the notifier refused alerts");
        }
    }
}

/// Sends to several sinks.
pub struct FanOut(pub Vec<Arc<dyn AlertSink>>);

impl AlertSink for FanOut {
    fn send(&self, alerts: Vec<RuleAlert>) {
        if let Some((last, rest)) = self.0.split_last() {
            for s in rest {
                s.send(alerts.clone());
            }
            last.send(alerts);
        }
    }
}

/// The rule files to load: the defaults (unless turned off) and the
/// configured globs, resolved against the config file's directory.
///
/// # Errors
///
/// A glob pattern that is not valid.
pub fn rule_files(
    defaults: Option<&Path>,
    patterns: &[String],
    base: &Path,
) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    if let Some(d) = defaults {
        out.push(d.display().to_string());
    }
    for p in patterns {
        let full = if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            base.join(p)
        };
        out.extend(expand_glob(&full)?);
    }
    Ok(out)
}

/// Expands `*` and `?` in the file-name part of a path (Prometheus allows
/// globs only there too).
fn expand_glob(p: &Path) -> Result<Vec<String>> {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return Ok(vec![p.display().to_string()]);
    }
    let dir = p.parent().unwrap_or(Path::new("."));
    let mut re = String::from("^");
    for c in name.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    let re =
        regex::Regex::new(&re).map_err(|e| anyhow!("rule file pattern {}: {e}", p.display()))?;
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if re.is_match(&n) {
                out.push(dir.join(n).display().to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `/api/v1/rules` and `/api/v1/alerts` over the rule manager.
pub struct RulesApi {
    /// The manager.
    pub manager: Arc<RuleManager>,
    /// External Alertmanagers' URLs, for `/api/v1/alertmanagers`.
    pub alertmanagers: Vec<String>,
}

impl telltale_server::RulesProvider for RulesApi {
    fn rules(&self, kind: Option<&str>) -> serde_json::Value {
        self.manager.api_rules(kind)
    }

    fn alerts(&self) -> serde_json::Value {
        self.manager.api_alerts()
    }

    fn alertmanagers(&self) -> serde_json::Value {
        let active: Vec<serde_json::Value> = self
            .alertmanagers
            .iter()
            .map(|u| serde_json::json!({"url": u}))
            .collect();
        serde_json::json!({"activeAlertmanagers": active, "droppedAlertmanagers": []})
    }
}

/// The external Alertmanagers' `/api/v2/alerts` URLs from the config.
pub fn alertmanager_urls(cfg: &crate::config::AlertingConfig) -> Vec<String> {
    let mut out = Vec::new();
    for am in &cfg.alertmanagers {
        for sc in &am.static_configs {
            for t in &sc.targets {
                out.push(format!(
                    "{}://{}{}/api/v2/alerts",
                    am.scheme,
                    t,
                    am.path_prefix.trim_end_matches('/')
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_notifier_config_loads() {
        let c = default_notifier_config("http://127.0.0.1:9797");
        telltale_notify::Config::load(&c).unwrap();
    }

    #[test]
    fn globs_expand_in_file_names() {
        let tmp = tempfile::tempdir().unwrap();
        for n in ["a.rules.yml", "b.rules.yml", "c.txt"] {
            std::fs::write(tmp.path().join(n), "groups: []\n").unwrap();
        }
        let files = rule_files(None, &["*.rules.yml".into()], tmp.path()).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[0].ends_with("a.rules.yml"));
    }
}
