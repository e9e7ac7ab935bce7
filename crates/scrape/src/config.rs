//! Scrape configuration in Prometheus's `scrape_configs` syntax.
//!
//! [`parse_config`] reads a Prometheus-style YAML document, takes its
//! `global` and `scrape_configs` sections (other top-level sections belong
//! to other parts of Telltale and are left alone), fills the defaults the
//! way Prometheus does and validates the result. Unknown keys inside those
//! sections are errors with a line and column.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::duration::{ByteSize, PromDuration};
use crate::error::ScrapeError;
use crate::relabel::RelabelConfig;

/// Prometheus's default scrape interval (1m).
pub const DEFAULT_SCRAPE_INTERVAL: PromDuration = PromDuration::from_secs(60);
/// Prometheus's default scrape timeout (10s).
pub const DEFAULT_SCRAPE_TIMEOUT: PromDuration = PromDuration::from_secs(10);
/// The default `refresh_interval` of `file_sd_configs` (5m).
pub const DEFAULT_FILE_SD_REFRESH: PromDuration = PromDuration::from_secs(300);
/// The default `refresh_interval` of `http_sd_configs` (1m).
pub const DEFAULT_HTTP_SD_REFRESH: PromDuration = PromDuration::from_secs(60);

fn yes() -> bool {
    true
}

/// The scrape-related part of Prometheus's `global` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalConfig {
    /// How often to scrape targets by default.
    #[serde(default = "default_interval")]
    pub scrape_interval: PromDuration,
    /// How long a scrape may take by default.
    #[serde(default = "default_timeout")]
    pub scrape_timeout: PromDuration,
    /// Rule evaluation interval (read by the rules engine).
    #[serde(default = "default_interval")]
    pub evaluation_interval: PromDuration,
    /// Labels added to series sent to external systems.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    /// The default sample limit per scrape (0 = none).
    #[serde(default)]
    pub sample_limit: u64,
    /// The default label count limit per series (0 = none).
    #[serde(default)]
    pub label_limit: u64,
    /// The default label name length limit (0 = none).
    #[serde(default)]
    pub label_name_length_limit: u64,
    /// The default label value length limit (0 = none).
    #[serde(default)]
    pub label_value_length_limit: u64,
    /// The default body size limit (0 = none).
    #[serde(default)]
    pub body_size_limit: ByteSize,
    /// The default target limit per job (0 = none).
    #[serde(default)]
    pub target_limit: u64,
    /// The default scrape protocols in order of preference.
    #[serde(default)]
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// Accepted for compatibility; a query log is the server's concern.
    #[serde(default)]
    pub query_log_file: Option<String>,
    /// Accepted for compatibility; not used.
    #[serde(default)]
    pub scrape_failure_log_file: Option<String>,
    /// Offset of rule evaluation (read by the rules engine).
    #[serde(default)]
    pub rule_query_offset: Option<PromDuration>,
    /// Accepted for compatibility (`utf8` or `legacy`).
    #[serde(default)]
    pub metric_name_validation_scheme: Option<String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub metric_name_escaping_scheme: Option<String>,
}

fn default_interval() -> PromDuration {
    DEFAULT_SCRAPE_INTERVAL
}

fn default_timeout() -> PromDuration {
    DEFAULT_SCRAPE_TIMEOUT
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            scrape_timeout: DEFAULT_SCRAPE_TIMEOUT,
            evaluation_interval: DEFAULT_SCRAPE_INTERVAL,
            external_labels: BTreeMap::new(),
            sample_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            body_size_limit: ByteSize(0),
            target_limit: 0,
            scrape_protocols: Vec::new(),
            query_log_file: None,
            scrape_failure_log_file: None,
            rule_query_offset: None,
            metric_name_validation_scheme: None,
            metric_name_escaping_scheme: None,
        }
    }
}

/// An exposition format a scrape may ask for, as named in
/// `scrape_protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum ScrapeProtocol {
    /// Protocol-buffer delimited `MetricFamily` (asked for, parsed only if
    /// the parser supports it; text is preferred by default).
    PrometheusProto,
    /// Text format 0.0.4.
    #[serde(rename = "PrometheusText0.0.4")]
    PrometheusText004,
    /// Text format 1.0.0 (UTF-8 names).
    #[serde(rename = "PrometheusText1.0.0")]
    PrometheusText100,
    /// OpenMetrics 0.0.1.
    #[serde(rename = "OpenMetricsText0.0.1")]
    OpenMetricsText001,
    /// OpenMetrics 1.0.0.
    #[serde(rename = "OpenMetricsText1.0.0")]
    OpenMetricsText100,
}

impl ScrapeProtocol {
    /// The media type sent in `Accept` for this protocol.
    pub fn header(&self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::PrometheusText004 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusText100 => "text/plain;version=1.0.0",
            ScrapeProtocol::OpenMetricsText001 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::OpenMetricsText100 => "application/openmetrics-text;version=1.0.0",
        }
    }

    /// Prometheus 3's default order (no native histograms).
    pub const DEFAULT: [ScrapeProtocol; 4] = [
        ScrapeProtocol::OpenMetricsText100,
        ScrapeProtocol::OpenMetricsText001,
        ScrapeProtocol::PrometheusText100,
        ScrapeProtocol::PrometheusText004,
    ];
}

/// HTTP basic authentication.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// The user name.
    #[serde(default)]
    pub username: String,
    /// A file holding the user name (wins over `username`).
    #[serde(default)]
    pub username_file: Option<String>,
    /// The password.
    #[serde(default)]
    pub password: Option<String>,
    /// A file holding the password, read at every request.
    #[serde(default)]
    pub password_file: Option<String>,
}

/// An `Authorization` header: `<type> <credentials>`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The scheme (default `Bearer`).
    #[serde(default = "bearer", rename = "type")]
    pub kind: String,
    /// The credentials.
    #[serde(default)]
    pub credentials: Option<String>,
    /// A file holding the credentials, read at every request.
    #[serde(default)]
    pub credentials_file: Option<String>,
}

fn bearer() -> String {
    "Bearer".into()
}

/// TLS settings for scrapes and HTTP discovery.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// A PEM file of CA certificates to trust (besides the system's).
    #[serde(default)]
    pub ca_file: Option<String>,
    /// An inline PEM of CA certificates.
    #[serde(default)]
    pub ca: Option<String>,
    /// A PEM client certificate file (with `key_file`).
    #[serde(default)]
    pub cert_file: Option<String>,
    /// An inline PEM client certificate.
    #[serde(default)]
    pub cert: Option<String>,
    /// A PEM private key file for the client certificate.
    #[serde(default)]
    pub key_file: Option<String>,
    /// An inline PEM private key.
    #[serde(default)]
    pub key: Option<String>,
    /// The server name to verify (SNI); not supported beyond the URL's host.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Skip certificate verification.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// The lowest TLS version (`TLS12` or `TLS13`).
    #[serde(default)]
    pub min_version: Option<String>,
    /// The highest TLS version (`TLS12` or `TLS13`).
    #[serde(default)]
    pub max_version: Option<String>,
}

/// A fixed list of targets with common labels.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaticConfig {
    /// `host:port` addresses.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Labels given to every target of the group.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// Targets read from JSON or YAML files, re-read when they change.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    /// File paths; the last path element may hold `*` wildcards.
    pub files: Vec<String>,
    /// How often the files (and the wildcards) are checked (default 5m).
    #[serde(default = "default_file_refresh")]
    pub refresh_interval: PromDuration,
}

fn default_file_refresh() -> PromDuration {
    DEFAULT_FILE_SD_REFRESH
}

/// Targets fetched as JSON from an HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSdConfig {
    /// The URL to fetch.
    pub url: String,
    /// How often to fetch it (default 1m).
    #[serde(default = "default_http_refresh")]
    pub refresh_interval: PromDuration,
    /// Basic authentication for the request.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    /// An `Authorization` header for the request.
    #[serde(default)]
    pub authorization: Option<Authorization>,
    /// TLS settings for the request.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Whether to follow redirects (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Accepted for compatibility.
    #[serde(default = "yes")]
    pub enable_http2: bool,
}

fn default_http_refresh() -> PromDuration {
    DEFAULT_HTTP_SD_REFRESH
}

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
    /// The largest uncompressed body accepted (0 = global or none).
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

/// The parts of a Prometheus config file this crate reads.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ScrapeSection {
    /// Global defaults.
    #[serde(default)]
    pub global: GlobalConfig,
    /// The jobs.
    #[serde(default)]
    pub scrape_configs: Vec<ScrapeConfig>,
}

/// Parses `text` (a Prometheus config file's contents) and returns its
/// global settings and jobs with defaults filled in and validated.
/// `source_name` names the file in errors.
///
/// # Errors
///
/// [`ScrapeError::ConfigSyntax`] with line and column for YAML errors,
/// unknown keys and wrong types; [`ScrapeError::InvalidConfig`] for
/// invalid values and duplicate job names.
pub fn parse_config(text: &str, source_name: &str) -> Result<ScrapeSection, ScrapeError> {
    let mut sec: ScrapeSection = from_yaml(text, source_name)?;
    let mut seen = std::collections::HashSet::new();
    for sc in &mut sec.scrape_configs {
        sc.apply_global(&sec.global);
        sc.validate()?;
        if !seen.insert(sc.job_name.clone()) {
            return Err(ScrapeError::invalid(
                &sc.job_name,
                "found multiple scrape configs with this job name",
            ));
        }
    }
    Ok(sec)
}

/// Deserializes YAML with a located error.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    source_name: &str,
) -> Result<T, ScrapeError> {
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        ScrapeError::ConfigSyntax {
            source_name: source_name.to_string(),
            line,
            column,
            message: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relabel::Action;

    const FULL: &str = r#"
global:
  scrape_interval: 30s
  scrape_timeout: 20s
  external_labels: {dc: eu}
rule_files: [a.yml]
scrape_configs:
  - job_name: node
    scrape_interval: 15s
    metrics_path: /m
    scheme: https
    params: {module: [a, b]}
    honor_labels: true
    honor_timestamps: false
    body_size_limit: 10MB
    sample_limit: 1000
    label_limit: 30
    label_name_length_limit: 100
    label_value_length_limit: 200
    basic_auth: {username: u, password: p}
    tls_config: {insecure_skip_verify: true}
    static_configs:
      - targets: ['a:9100', 'b:9100']
        labels: {env: prod}
    file_sd_configs:
      - files: ['sd/*.json']
        refresh_interval: 1m
    http_sd_configs:
      - url: http://127.0.0.1:1/sd
    relabel_configs:
      - source_labels: [__address__]
        regex: '(.*):.*'
        target_label: host
    metric_relabel_configs:
      - regex: 'go_.*'
        source_labels: [__name__]
        action: drop
  - job_name: other
"#;

    #[test]
    fn parses_every_field_and_fills_defaults() {
        let sec = parse_config(FULL, "prometheus.yml").unwrap();
        assert_eq!(sec.global.scrape_interval, PromDuration::from_secs(30));
        let n = &sec.scrape_configs[0];
        assert_eq!(n.interval(), PromDuration::from_secs(15));
        assert_eq!(n.timeout(), PromDuration::from_secs(15));
        assert_eq!(n.metrics_path, "/m");
        assert_eq!(n.params["module"], vec!["a", "b"]);
        assert!(n.honor_labels && !n.honor_timestamps);
        assert_eq!(n.body_size_limit, ByteSize(10 << 20));
        assert_eq!(n.sample_limit, 1000);
        assert_eq!(n.static_configs[0].targets.len(), 2);
        assert_eq!(
            n.file_sd_configs[0].refresh_interval,
            PromDuration::from_secs(60)
        );
        assert_eq!(
            n.http_sd_configs[0].refresh_interval,
            DEFAULT_HTTP_SD_REFRESH
        );
        assert_eq!(n.metric_relabel_configs[0].action, Action::Drop);
        let o = &sec.scrape_configs[1];
        assert_eq!(o.interval(), PromDuration::from_secs(30));
        assert_eq!(o.timeout(), PromDuration::from_secs(20));
        assert_eq!(o.metrics_path, "/metrics");
        assert!(o.honor_timestamps && o.enable_compression);
    }

    #[test]
    fn unknown_key_has_line_and_column() {
        let text = "scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n";
        match parse_config(text, "p.yml") {
            Err(ScrapeError::ConfigSyntax {
                line,
                column,
                source_name,
                message,
            }) => {
                assert_eq!(source_name, "p.yml");
                assert_eq!(line, 3, "{message}");
                assert!(column > 0);
                assert!(message.contains("scrape_intervall"), "{message}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn bad_duration_is_a_located_error() {
        let text = "scrape_configs:\n  - job_name: a\n    scrape_interval: 5 seconds\n";
        assert!(matches!(
            parse_config(text, "p.yml"),
            Err(ScrapeError::ConfigSyntax { line: 3, .. })
        ));
    }

    #[test]
    fn validation_errors() {
        let cases = [
            "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
            "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
            "scrape_configs:\n  - job_name: ''\n",
            "scrape_configs:\n  - job_name: a\n    scheme: ftp\n",
            "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h/x']}]\n",
            "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ['x.txt']}]\n",
            "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n",
        ];
        for c in cases {
            assert!(
                matches!(parse_config(c, "p"), Err(ScrapeError::InvalidConfig { .. })),
                "{c}"
            );
        }
    }

    #[test]
    fn timeout_defaults_to_interval_when_shorter() {
        let sec = parse_config(
            "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n",
            "p",
        )
        .unwrap();
        assert_eq!(sec.scrape_configs[0].timeout(), PromDuration::from_secs(5));
    }

    #[test]
    fn relative_paths_follow_the_config_dir() {
        let mut sc = ScrapeConfig::new("a");
        sc.file_sd_configs.push(FileSdConfig {
            files: vec!["t/*.json".into(), "/abs.json".into()],
            refresh_interval: DEFAULT_FILE_SD_REFRESH,
        });
        sc.set_directory(Path::new("/etc/tt"));
        assert_eq!(
            sc.file_sd_configs[0].files,
            vec!["/etc/tt/t/*.json", "/abs.json"]
        );
    }
}
