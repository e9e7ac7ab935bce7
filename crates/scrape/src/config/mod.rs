//! Scrape configuration in Prometheus's `scrape_configs` syntax.
//!
//! [`parse_config`] reads a Prometheus-style YAML document, takes its
//! `global` and `scrape_configs` sections (other top-level sections belong
//! to other parts of Telltale and are left alone), fills the defaults the
//! way Prometheus does and validates the result. Unknown keys inside those
//! sections are errors with a line and column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod http;
mod job;

pub use http::{Authorization, BasicAuth, FileSdConfig, HttpSdConfig, StaticConfig, TlsConfig};
pub use job::ScrapeConfig;

use crate::duration::{ByteSize, PromDuration};
use crate::error::ScrapeError;

/// Prometheus's default scrape interval (1m).
pub const DEFAULT_SCRAPE_INTERVAL: PromDuration = PromDuration::from_secs(60);
/// Prometheus's default scrape timeout (10s).
pub const DEFAULT_SCRAPE_TIMEOUT: PromDuration = PromDuration::from_secs(10);
/// The default `refresh_interval` of `file_sd_configs` (5m).
pub const DEFAULT_FILE_SD_REFRESH: PromDuration = PromDuration::from_secs(300);
/// The default `refresh_interval` of `http_sd_configs` (1m).
pub const DEFAULT_HTTP_SD_REFRESH: PromDuration = PromDuration::from_secs(60);

pub(crate) fn yes() -> bool {
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
    use std::path::Path;

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
