//! [`ScrapeConfig`]: one job, its defaults and its validation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::http::{Authorization, BasicAuth, FileSdConfig, HttpSdConfig, StaticConfig, TlsConfig};
use super::{DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, GlobalConfig, ScrapeProtocol, yes};
use crate::duration::{ByteSize, PromDuration};
use crate::error::ScrapeError;
use crate::relabel::RelabelConfig;

fn default_metrics_path() -> String {
    "/metrics".into()
}

fn default_scheme() -> String {
    "http".into()
}

/// One `scrape_configs` entry: a job.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    /// The job name, unique in the config; the `job` label of its series.
    pub job_name: String,
    /// How often to scrape (default: the global interval).
    #[serde(default)]
    pub scrape_interval: Option<PromDuration>,
    /// How long a scrape may take (default: the global timeout, at most the
    /// interval).
    #[serde(default)]
    pub scrape_timeout: Option<PromDuration>,
    /// Formats to ask for, in order of preference.
    #[serde(default)]
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// The format to assume when the target sends no usable `Content-Type`.
    #[serde(default)]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    /// The HTTP path (default `/metrics`).
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
    /// `http` (default) or `https`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// URL query parameters.
    #[serde(default)]
    pub params: BTreeMap<String, Vec<String>>,
    /// Scraped labels win over target labels on a clash.
    #[serde(default)]
    pub honor_labels: bool,
    /// Use the timestamps the target exposes (default true).
    #[serde(default = "yes")]
    pub honor_timestamps: bool,
    /// Also mark series with explicit timestamps stale when they vanish.
    #[serde(default)]
    pub track_timestamps_staleness: bool,
    /// Ask for gzip (default true).
    #[serde(default = "yes")]
    pub enable_compression: bool,
    /// Follow redirects (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Accepted for compatibility.
    #[serde(default = "yes")]
    pub enable_http2: bool,
    /// The largest uncompressed body accepted (0 = the global value, or
    /// [`DEFAULT_BODY_LIMIT`](crate::scrape::fetch::DEFAULT_BODY_LIMIT)).
    #[serde(default)]
    pub body_size_limit: ByteSize,
    /// The most samples a scrape may have after metric relabelling (0 = none).
    #[serde(default)]
    pub sample_limit: u64,
    /// The most labels a series may have (0 = none).
    #[serde(default)]
    pub label_limit: u64,
    /// The longest label name (0 = none).
    #[serde(default)]
    pub label_name_length_limit: u64,
    /// The longest label value (0 = none).
    #[serde(default)]
    pub label_value_length_limit: u64,
    /// The most targets after relabelling (0 = none).
    #[serde(default)]
    pub target_limit: u64,
    /// How many dropped targets the targets API keeps (0 = all).
    #[serde(default)]
    pub keep_dropped_targets: u64,
    /// Basic authentication.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    /// An `Authorization` header.
    #[serde(default)]
    pub authorization: Option<Authorization>,
    /// TLS settings.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Fixed targets.
    #[serde(default)]
    pub static_configs: Vec<StaticConfig>,
    /// File-based discovery.
    #[serde(default)]
    pub file_sd_configs: Vec<FileSdConfig>,
    /// HTTP-based discovery.
    #[serde(default)]
    pub http_sd_configs: Vec<HttpSdConfig>,
    /// Relabelling of discovered targets.
    #[serde(default)]
    pub relabel_configs: Vec<RelabelConfig>,
    /// Relabelling of scraped series.
    #[serde(default)]
    pub metric_relabel_configs: Vec<RelabelConfig>,
}

impl ScrapeConfig {
    /// A job with every field at its default and no targets.
    pub fn new(job_name: impl Into<String>) -> Self {
        ScrapeConfig {
            job_name: job_name.into(),
            scrape_interval: None,
            scrape_timeout: None,
            scrape_protocols: Vec::new(),
            fallback_scrape_protocol: None,
            metrics_path: default_metrics_path(),
            scheme: default_scheme(),
            params: BTreeMap::new(),
            honor_labels: false,
            honor_timestamps: true,
            track_timestamps_staleness: false,
            enable_compression: true,
            follow_redirects: true,
            enable_http2: true,
            body_size_limit: ByteSize(0),
            sample_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            target_limit: 0,
            keep_dropped_targets: 0,
            basic_auth: None,
            authorization: None,
            tls_config: None,
            static_configs: Vec::new(),
            file_sd_configs: Vec::new(),
            http_sd_configs: Vec::new(),
            relabel_configs: Vec::new(),
            metric_relabel_configs: Vec::new(),
        }
    }

    /// The scrape interval (the default 1m if not filled in).
    pub fn interval(&self) -> PromDuration {
        self.scrape_interval.unwrap_or(DEFAULT_SCRAPE_INTERVAL)
    }

    /// The scrape timeout (the default 10s, at most the interval, if not
    /// filled in).
    pub fn timeout(&self) -> PromDuration {
        self.scrape_timeout
            .unwrap_or_else(|| DEFAULT_SCRAPE_TIMEOUT.min(self.interval()))
    }

    /// The protocols to ask for (Prometheus's default list when empty).
    pub fn protocols(&self) -> &[ScrapeProtocol] {
        if self.scrape_protocols.is_empty() {
            &ScrapeProtocol::DEFAULT
        } else {
            &self.scrape_protocols
        }
    }

    /// Fills unset fields from `global` as Prometheus does.
    pub fn apply_global(&mut self, global: &GlobalConfig) {
        if self.scrape_interval.is_none() {
            self.scrape_interval = Some(global.scrape_interval);
        }
        if self.scrape_timeout.is_none() {
            let iv = self.interval();
            self.scrape_timeout = Some(global.scrape_timeout.min(iv));
        }
        if self.scrape_protocols.is_empty() && !global.scrape_protocols.is_empty() {
            self.scrape_protocols = global.scrape_protocols.clone();
        }
        let fill = |v: &mut u64, g: u64| {
            if *v == 0 {
                *v = g;
            }
        };
        fill(&mut self.sample_limit, global.sample_limit);
        fill(&mut self.label_limit, global.label_limit);
        fill(
            &mut self.label_name_length_limit,
            global.label_name_length_limit,
        );
        fill(
            &mut self.label_value_length_limit,
            global.label_value_length_limit,
        );
        fill(&mut self.target_limit, global.target_limit);
        fill(&mut self.body_size_limit.0, global.body_size_limit.0);
    }

    /// Checks the job as Prometheus does.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::InvalidConfig`] for an empty job name, a zero interval,
    /// a timeout longer than the interval, a bad scheme or path, a relabel
    /// step missing a field, or an HTTP SD URL that is not http(s).
    pub fn validate(&self) -> Result<(), ScrapeError> {
        let job = self.job_name.as_str();
        if job.is_empty() {
            return Err(ScrapeError::invalid(job, "job_name is empty"));
        }
        if self.interval().0.is_zero() {
            return Err(ScrapeError::invalid(
                job,
                "scrape_interval must be positive",
            ));
        }
        if self.timeout().0.is_zero() {
            return Err(ScrapeError::invalid(job, "scrape_timeout must be positive"));
        }
        if self.timeout() > self.interval() {
            return Err(ScrapeError::invalid(
                job,
                format!(
                    "scrape timeout greater than scrape interval ({} > {})",
                    self.timeout(),
                    self.interval()
                ),
            ));
        }
        if self.scheme != "http" && self.scheme != "https" {
            return Err(ScrapeError::invalid(
                job,
                format!("scheme must be http or https, not {:?}", self.scheme),
            ));
        }
        if !self.metrics_path.starts_with('/') {
            return Err(ScrapeError::invalid(
                job,
                format!("metrics_path {:?} must start with /", self.metrics_path),
            ));
        }
        if self.basic_auth.is_some() && self.authorization.is_some() {
            return Err(ScrapeError::invalid(
                job,
                "at most one of basic_auth and authorization may be configured",
            ));
        }
        for sc in &self.static_configs {
            for t in &sc.targets {
                if t.contains('/') {
                    return Err(ScrapeError::invalid(
                        job,
                        format!("{t:?} is not a valid hostname (contains '/')"),
                    ));
                }
            }
        }
        for h in &self.http_sd_configs {
            if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
                return Err(ScrapeError::invalid(
                    job,
                    format!("http_sd_configs url {:?} must be http or https", h.url),
                ));
            }
        }
        for f in &self.file_sd_configs {
            for p in &f.files {
                let ok = [".json", ".yml", ".yaml"].iter().any(|e| p.ends_with(e));
                if !ok {
                    return Err(ScrapeError::invalid(
                        job,
                        format!("file_sd_configs file {p:?} must end in .json, .yml or .yaml"),
                    ));
                }
            }
        }
        for r in self
            .relabel_configs
            .iter()
            .chain(&self.metric_relabel_configs)
        {
            r.validate(job)?;
        }
        Ok(())
    }

    /// Makes relative file paths (file SD, TLS, credential files) relative
    /// to `dir`, as Prometheus resolves them against the config file.
    pub fn set_directory(&mut self, dir: &Path) {
        let fix = |p: &mut String| {
            if !p.is_empty() && Path::new(p.as_str()).is_relative() {
                *p = dir.join(p.as_str()).to_string_lossy().into_owned();
            }
        };
        let fix_opt = |p: &mut Option<String>| {
            if let Some(p) = p {
                fix(p);
            }
        };
        for f in &mut self.file_sd_configs {
            f.files.iter_mut().for_each(fix);
        }
        let fix_http = |b: &mut Option<BasicAuth>,
                        a: &mut Option<Authorization>,
                        t: &mut Option<TlsConfig>| {
            if let Some(b) = b {
                fix_opt(&mut b.password_file);
                fix_opt(&mut b.username_file);
            }
            if let Some(a) = a {
                fix_opt(&mut a.credentials_file);
            }
            if let Some(t) = t {
                fix_opt(&mut t.ca_file);
                fix_opt(&mut t.cert_file);
                fix_opt(&mut t.key_file);
            }
        };
        fix_http(
            &mut self.basic_auth,
            &mut self.authorization,
            &mut self.tls_config,
        );
        for h in &mut self.http_sd_configs {
            fix_http(&mut h.basic_auth, &mut h.authorization, &mut h.tls_config);
        }
    }
}
