//! Targets: turning discovered groups into scrape targets as Prometheus's
//! `PopulateLabels` does.
//!
//! For each discovered target the group labels are merged under the
//! target's own, then `job`, `__scrape_interval__`, `__scrape_timeout__`,
//! `__metrics_path__`, `__scheme__` and `__param_<name>` are set where not
//! present, `relabel_configs` run, `__meta_*` labels are removed and
//! `instance` defaults to `__address__`. The series of a target carry its
//! labels without a `__` prefix.

use std::time::Duration;

use telltale_model::{Label, Labels, LabelsBuilder};

use crate::config::ScrapeConfig;
use crate::discovery::TargetGroup;
use crate::duration::{format_duration, parse_duration};
use crate::relabel::relabel_builder;

/// `__address__`: the `host:port` to scrape.
pub const ADDRESS_LABEL: &str = "__address__";
/// `__scheme__`: `http` or `https`.
pub const SCHEME_LABEL: &str = "__scheme__";
/// `__metrics_path__`: the HTTP path.
pub const METRICS_PATH_LABEL: &str = "__metrics_path__";
/// `__scrape_interval__`: the interval as a duration string.
pub const SCRAPE_INTERVAL_LABEL: &str = "__scrape_interval__";
/// `__scrape_timeout__`: the timeout as a duration string.
pub const SCRAPE_TIMEOUT_LABEL: &str = "__scrape_timeout__";
/// The prefix of labels that become URL parameters.
pub const PARAM_LABEL_PREFIX: &str = "__param_";
/// The prefix of discovery metadata labels, removed after relabelling.
pub const META_LABEL_PREFIX: &str = "__meta_";

/// A target to scrape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The labels after relabelling, `__` labels included (but no
    /// `__meta_*`).
    pub labels: Labels,
    /// The labels as discovered, before relabelling.
    pub discovered_labels: Labels,
    /// The URL to scrape.
    pub url: String,
    /// The scrape interval (from `__scrape_interval__`).
    pub interval: Duration,
    /// The scrape timeout (from `__scrape_timeout__`).
    pub timeout: Duration,
}

impl Target {
    /// The labels every series of the target gets: those without a `__`
    /// prefix.
    pub fn series_labels(&self) -> Labels {
        Labels::from_sorted(
            self.labels
                .iter()
                .filter(|l| !l.name.starts_with("__"))
                .cloned()
                .collect(),
        )
    }

    /// A stable hash of the labels and URL; identifies the target across
    /// reloads and spreads scrapes over the interval. The interval and
    /// timeout labels are left out, so a reload that only changes them
    /// restarts the target's loop with its state (no stale markers) rather
    /// than replacing the target.
    pub fn hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for l in self.labels.iter() {
            if l.name == SCRAPE_INTERVAL_LABEL || l.name == SCRAPE_TIMEOUT_LABEL {
                continue;
            }
            h.update(l.name.as_bytes());
            h.update(&[0xff]);
            h.update(l.value.as_bytes());
            h.update(&[0xff]);
        }
        h.update(self.url.as_bytes());
        h.digest()
    }

    /// How long after an interval boundary this target is scraped: the
    /// target's hash modulo the interval, so a target keeps its slot
    /// across restarts and targets spread evenly.
    pub fn offset(&self, seed: u64) -> Duration {
        let iv = u64::try_from(self.interval.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        Duration::from_nanos((self.hash() ^ seed) % iv)
    }
}

/// The outcome of building one discovered target.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetOutcome {
    /// The target is scraped.
    Active(Target),
    /// Relabelling dropped it; the discovered labels are kept for the API.
    Dropped(Labels),
    /// It is invalid (no address, bad interval); the reason is logged.
    Invalid(Labels, String),
}

/// Builds the targets of one group.
pub fn targets_from_group(cfg: &ScrapeConfig, group: &TargetGroup) -> Vec<TargetOutcome> {
    group
        .targets
        .iter()
        .map(|t| {
            let mut b = LabelsBuilder::new();
            for (k, v) in group.labels.iter().chain(t.iter()) {
                b.set(k, v);
            }
            populate(cfg, b)
        })
        .collect()
}

/// Applies the job's defaults and relabelling to one discovered label set.
pub fn populate(cfg: &ScrapeConfig, mut b: LabelsBuilder) -> TargetOutcome {
    let defaults = [
        ("job", cfg.job_name.clone()),
        (SCRAPE_INTERVAL_LABEL, cfg.interval().to_string()),
        (SCRAPE_TIMEOUT_LABEL, cfg.timeout().to_string()),
        (METRICS_PATH_LABEL, cfg.metrics_path.clone()),
        (SCHEME_LABEL, cfg.scheme.clone()),
    ];
    for (k, v) in &defaults {
        if b.get(k).is_empty() {
            b.set(k, v);
        }
    }
    for (k, v) in &cfg.params {
        let name = format!("{PARAM_LABEL_PREFIX}{k}");
        if let Some(first) = v.first()
            && b.get(&name).is_empty()
        {
            b.set(&name, first);
        }
    }
    let discovered = b.build();
    if !relabel_builder(&mut b, &cfg.relabel_configs) {
        return TargetOutcome::Dropped(discovered);
    }
    let addr = b.get(ADDRESS_LABEL).to_string();
    if addr.is_empty() {
        return TargetOutcome::Invalid(discovered, "no address".into());
    }
    if addr.contains('/') {
        return TargetOutcome::Invalid(discovered, format!("{addr:?} is not a valid hostname"));
    }
    let interval = match parse_duration(b.get(SCRAPE_INTERVAL_LABEL)) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => return TargetOutcome::Invalid(discovered, "scrape interval cannot be 0".into()),
        Err(e) => {
            return TargetOutcome::Invalid(
                discovered,
                format!("error parsing scrape interval: {e}"),
            );
        }
    };
    let timeout = match parse_duration(b.get(SCRAPE_TIMEOUT_LABEL)) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => return TargetOutcome::Invalid(discovered, "scrape timeout cannot be 0".into()),
        Err(e) => {
            return TargetOutcome::Invalid(
                discovered,
                format!("error parsing scrape timeout: {e}"),
            );
        }
    };
    if timeout > interval {
        return TargetOutcome::Invalid(
            discovered,
            format!(
                "scrape timeout cannot be greater than scrape interval ({:?} > {:?})",
                format_duration(timeout),
                format_duration(interval)
            ),
        );
    }
    b.retain(|l: &Label| !l.name.starts_with(META_LABEL_PREFIX));
    if b.get("instance").is_empty() {
        b.set("instance", &addr);
    }
    let labels = b.build();
    let url = match build_url(cfg, &labels) {
        Ok(u) => u,
        Err(e) => return TargetOutcome::Invalid(discovered, e),
    };
    TargetOutcome::Active(Target {
        labels,
        discovered_labels: discovered,
        url,
        interval,
        timeout,
    })
}

/// The scrape URL: scheme, address and path from the labels, the config's
/// params with `__param_*` labels replacing their first value.
fn build_url(cfg: &ScrapeConfig, labels: &Labels) -> Result<String, String> {
    let scheme = labels.get(SCHEME_LABEL);
    let raw = format!(
        "{}://{}{}",
        scheme,
        labels.get(ADDRESS_LABEL),
        labels.get(METRICS_PATH_LABEL)
    );
    let mut url = reqwest::Url::parse(&raw).map_err(|e| format!("invalid URL {raw:?}: {e}"))?;
    let mut params = cfg.params.clone();
    for l in labels.iter() {
        if let Some(k) = l.name.strip_prefix(PARAM_LABEL_PREFIX) {
            let v = params.entry(k.to_string()).or_default();
            if v.is_empty() {
                v.push(l.value.clone());
            } else {
                v[0] = l.value.clone();
            }
        }
    }
    if !params.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, vs) in &params {
            for v in vs {
                q.append_pair(k, v);
            }
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::parse_config;
    use crate::discovery::static_groups;

    fn job(yaml: &str) -> ScrapeConfig {
        parse_config(yaml, "t").unwrap().scrape_configs.remove(0)
    }

    fn active(o: &TargetOutcome) -> &Target {
        match o {
            TargetOutcome::Active(t) => t,
            other => panic!("expected active, got {other:?}"),
        }
    }

    #[test]
    fn defaults_job_instance_and_url() {
        let cfg = job(
            "scrape_configs:\n- job_name: node\n  scrape_interval: 15s\n  static_configs: [{targets: ['h:9100'], labels: {env: p}}]\n",
        );
        let out = targets_from_group(&cfg, &static_groups(&cfg.static_configs)[0]);
        let t = active(&out[0]);
        assert_eq!(t.url, "http://h:9100/metrics");
        assert_eq!(t.interval, Duration::from_secs(15));
        assert_eq!(t.timeout, Duration::from_secs(10));
        assert_eq!(
            t.series_labels(),
            Labels::from_pairs(&[("env", "p"), ("instance", "h:9100"), ("job", "node")])
        );
        assert_eq!(t.labels.get(SCRAPE_INTERVAL_LABEL), "15s");
        assert_eq!(t.discovered_labels.get("__address__"), "h:9100");
    }

    #[test]
    fn relabelling_rewrites_address_params_and_drops_meta() {
        let cfg = job(r#"
scrape_configs:
- job_name: blackbox
  metrics_path: /probe
  params: {module: [http_2xx, other]}
  relabel_configs:
  - source_labels: [__address__]
    target_label: __param_target
  - source_labels: [__param_target]
    target_label: instance
  - target_label: __address__
    replacement: 127.0.0.1:9115
  - source_labels: [__meta_x]
    target_label: from_meta
"#);
        let g = TargetGroup {
            source: "s".into(),
            targets: vec![BTreeMap::from([(
                "__address__".into(),
                "example.com".into(),
            )])],
            labels: BTreeMap::from([("__meta_x".into(), "m".into())]),
        };
        let t = active(&targets_from_group(&cfg, &g)[0]).clone();
        assert_eq!(
            t.url,
            "http://127.0.0.1:9115/probe?module=http_2xx&module=other&target=example.com"
        );
        assert_eq!(t.labels.get("instance"), "example.com");
        assert_eq!(t.labels.get("from_meta"), "m");
        assert!(!t.labels.has("__meta_x"));
        assert!(t.discovered_labels.has("__meta_x"));
    }

    #[test]
    fn dropped_and_invalid_targets() {
        let cfg = job(
            "scrape_configs:\n- job_name: a\n  relabel_configs: [{source_labels: [__address__], regex: 'drop.*', action: drop}]\n",
        );
        let mk = |addr: &str| TargetGroup {
            source: "s".into(),
            targets: vec![BTreeMap::from([("__address__".into(), addr.into())])],
            labels: BTreeMap::new(),
        };
        assert!(matches!(
            targets_from_group(&cfg, &mk("drop:1"))[0],
            TargetOutcome::Dropped(_)
        ));
        let cfg2 = job(
            "scrape_configs:\n- job_name: a\n  relabel_configs: [{target_label: __scrape_timeout__, replacement: 2m}]\n",
        );
        assert!(matches!(
            targets_from_group(&cfg2, &mk("h:1"))[0],
            TargetOutcome::Invalid(..)
        ));
        let cfg3 = job(
            "scrape_configs:\n- job_name: a\n  relabel_configs: [{target_label: __address__, replacement: ''}]\n",
        );
        assert!(matches!(
            targets_from_group(&cfg3, &mk("h:1"))[0],
            TargetOutcome::Invalid(..)
        ));
    }

    #[test]
    fn target_labels_can_override_interval() {
        let cfg = job("scrape_configs:\n- job_name: a\n  scrape_interval: 1m\n");
        let g = TargetGroup {
            source: "s".into(),
            targets: vec![BTreeMap::from([
                ("__address__".into(), "h:1".into()),
                ("__scrape_interval__".into(), "30s".into()),
            ])],
            labels: BTreeMap::new(),
        };
        let t = active(&targets_from_group(&cfg, &g)[0]).clone();
        assert_eq!(t.interval, Duration::from_secs(30));
        assert!(t.offset(0) < t.interval);
        assert_eq!(t.offset(0), t.clone().offset(0));
    }
}
