//! Telltale's configuration file.
//!
//! One YAML file. Its top level is a superset of Prometheus's
//! `prometheus.yml` (`global`, `scrape_configs`, `rule_files`, `alerting`,
//! `remote_write`, `remote_read`, `storage`), so an existing Prometheus
//! configuration loads as it is, plus Telltale's own sections: `storage`
//! settings, `web`, `collector` and the built-in notifier under
//! `alerting.notifier` (inline Alertmanager configuration) or
//! `alerting.notifier_config_file` (an existing `alertmanager.yml`).
//!
//! Each crate parses its own sections from the same text (the scrape crate
//! reads `global` and `scrape_configs`); this module reads the rest and
//! rejects unknown top-level keys, with line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use serde::de::IgnoredAny;
use telltale_scrape::duration::{ByteSize, PromDuration};

/// The default listen address: loopback, on a port that clashes with none
/// of Prometheus (9090), Pushgateway (9091), Alertmanager (9093),
/// node_exporter (9100) or Grafana (3000).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9797";

/// The whole configuration file.
#[derive(Debug, Default)]
pub struct Config {
    /// The text as read, for reparsing by other crates.
    pub text: String,
    /// Where it was read from, for messages.
    pub source: String,
    /// The sections this module owns.
    pub own: OwnSections,
    /// `global` and `scrape_configs`, parsed by the scrape crate.
    pub scrape: telltale_scrape::config::ScrapeSection,
    /// `remote_write`, `remote_read` and `remote_query`, parsed by the
    /// remote crate.
    pub remote: telltale_remote::RemoteSections,
}

/// The top-level keys; sections other crates parse are only checked to exist
/// (those fields are never read, hence `allow(dead_code)`).
#[derive(Debug, Default, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct OwnSections {
    /// Parsed by the scrape crate.
    #[serde(default)]
    global: Option<IgnoredAny>,
    /// Parsed by the scrape crate.
    #[serde(default)]
    scrape_configs: Option<IgnoredAny>,
    /// Rule files (globs), relative to the config file's directory.
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// Storage settings.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Alerting: the built-in notifier or external Alertmanagers.
    #[serde(default)]
    pub alerting: AlertingConfig,
    /// The HTTP server.
    #[serde(default)]
    pub web: WebConfig,
    /// The host collectors.
    #[serde(default)]
    pub collector: CollectorSection,
    /// Remote write destinations (Prometheus's syntax).
    #[serde(default)]
    pub remote_write: Option<IgnoredAny>,
    /// Remote read endpoints (Prometheus's syntax).
    #[serde(default)]
    pub remote_read: Option<IgnoredAny>,
    /// A remote Prometheus-compatible query API to use as storage.
    #[serde(default)]
    pub remote_query: Option<IgnoredAny>,
    /// Accepted for compatibility with prometheus.yml; not used.
    #[serde(default)]
    tracing: Option<IgnoredAny>,
    /// Accepted for compatibility with prometheus.yml; not used.
    #[serde(default)]
    otlp: Option<IgnoredAny>,
    /// Accepted for compatibility with prometheus.yml; not used.
    #[serde(default)]
    runtime: Option<IgnoredAny>,
    /// Accepted for compatibility with prometheus.yml; not used.
    #[serde(default)]
    scrape_config_files: Option<IgnoredAny>,
}

/// How often the WAL is synced to disk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FsyncSetting {
    /// Before every commit is acknowledged.
    Always,
    /// At most this long after a commit (ms).
    Interval(u64),
}

/// The `storage` section.
#[derive(Debug, Clone, Deserialize)]
#[allow(dead_code)] // `exemplars` is accepted for compatibility and not read.
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The data directory (default `./data`; `--data-dir` overrides it).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// How long samples are kept (default 15d).
    #[serde(default = "default_retention")]
    pub retention_time: PromDuration,
    /// The most bytes the blocks may take (0 = no limit).
    #[serde(default)]
    pub retention_size: ByteSize,
    /// How far behind the newest sample of a series an older sample is
    /// still accepted (default 10m: push and remote write need it).
    #[serde(default = "default_ooo")]
    pub out_of_order_window: PromDuration,
    /// `always`, or a duration such as `1s` (the default).
    #[serde(default = "default_fsync")]
    pub wal_fsync: String,
    /// The most active series (0 = no limit).
    #[serde(default)]
    pub max_series: usize,
    /// Prometheus's `storage.tsdb` subsection (only `out_of_order_time_window` is read).
    #[serde(default)]
    pub tsdb: Option<PromTsdb>,
    /// Prometheus's `storage.exemplars` (accepted, not used).
    #[serde(default)]
    exemplars: Option<IgnoredAny>,
}

/// Prometheus's `storage.tsdb`.
#[derive(Debug, Clone, Deserialize)]
pub struct PromTsdb {
    /// The out-of-order window.
    #[serde(default)]
    pub out_of_order_time_window: Option<PromDuration>,
}

fn default_retention() -> PromDuration {
    PromDuration::from_secs(15 * 24 * 3600)
}
fn default_ooo() -> PromDuration {
    PromDuration::from_secs(600)
}
fn default_fsync() -> String {
    "1s".to_string()
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            path: None,
            retention_time: default_retention(),
            retention_size: ByteSize(0),
            out_of_order_window: default_ooo(),
            wal_fsync: default_fsync(),
            max_series: 0,
            tsdb: None,
            exemplars: None,
        }
    }
}

impl StorageConfig {
    /// The fsync policy.
    ///
    /// # Errors
    ///
    /// When `wal_fsync` is neither `always` nor a duration.
    pub fn fsync(&self) -> Result<FsyncSetting> {
        if self.wal_fsync == "always" {
            return Ok(FsyncSetting::Always);
        }
        telltale_scrape::duration::parse_duration(&self.wal_fsync)
            .map(|d| FsyncSetting::Interval(d.as_millis() as u64))
            .map_err(|e| {
                anyhow!("storage.wal_fsync: {e} (use \"always\" or a duration such as 1s)")
            })
    }

    /// The out-of-order window, Prometheus's key winning if both are set.
    pub fn ooo_window(&self) -> PromDuration {
        self.tsdb
            .as_ref()
            .and_then(|t| t.out_of_order_time_window)
            .unwrap_or(self.out_of_order_window)
    }
}

/// The `alerting` section: Prometheus's keys plus the built-in notifier.
#[derive(Debug, Clone, Default, Deserialize)]
#[allow(dead_code)] // Read by the rules wiring as it lands.
#[serde(deny_unknown_fields)]
pub struct AlertingConfig {
    /// External Alertmanagers (Prometheus's `alertmanagers`).
    #[serde(default)]
    pub alertmanagers: Vec<AlertmanagerTarget>,
    /// Prometheus's `alert_relabel_configs` (accepted; applied by rules).
    #[serde(default)]
    alert_relabel_configs: Option<IgnoredAny>,
    /// Path of an Alertmanager configuration file for the built-in notifier.
    #[serde(default)]
    pub notifier_config_file: Option<PathBuf>,
    /// Turns the built-in notifier off (it is on by default).
    #[serde(default)]
    pub disable_builtin_notifier: bool,
}

/// One entry of `alerting.alertmanagers` (static targets only).
#[derive(Debug, Clone, Deserialize)]
#[allow(dead_code)] // Read by the rules wiring as it lands.
pub struct AlertmanagerTarget {
    /// `http` or `https`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// A path prefix before `/api/v2/alerts`.
    #[serde(default)]
    pub path_prefix: String,
    /// Request timeout.
    #[serde(default)]
    pub timeout: Option<PromDuration>,
    /// `v2` (the only version Alertmanager still serves).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Static targets.
    #[serde(default)]
    pub static_configs: Vec<StaticTargets>,
}

/// `static_configs` entry with `targets`.
#[derive(Debug, Clone, Deserialize)]
#[allow(dead_code)] // Read by the rules wiring as it lands.
pub struct StaticTargets {
    /// `host:port` entries.
    #[serde(default)]
    pub targets: Vec<String>,
}

fn default_scheme() -> String {
    "http".into()
}

/// The `web` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// `host:port` to listen on (default 127.0.0.1:9797).
    #[serde(default)]
    pub listen_address: Option<String>,
    /// TLS certificate and key (PEM files).
    #[serde(default)]
    pub tls_server_config: Option<TlsServerConfig>,
    /// User name → bcrypt hash (Prometheus web-config shape).
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
    /// Accepted bearer tokens.
    #[serde(default)]
    pub bearer_tokens: Vec<String>,
    /// Enables `/api/v1/admin/*`.
    #[serde(default)]
    pub enable_admin_api: bool,
    /// Allowed CORS origin regex (empty: CORS off).
    #[serde(default)]
    pub cors_origin: String,
    /// The largest request body accepted (default 32MiB).
    #[serde(default = "default_max_body")]
    pub max_request_body: ByteSize,
    /// The longest a query may run (default 2m).
    #[serde(default = "default_query_timeout")]
    pub query_timeout: PromDuration,
    /// The most samples a query may load (default 50,000,000).
    #[serde(default = "default_max_samples")]
    pub query_max_samples: usize,
    /// How far back an instant selector looks (default 5m).
    #[serde(default = "default_lookback")]
    pub lookback_delta: PromDuration,
    /// Allows experimental PromQL functions.
    #[serde(default)]
    pub enable_experimental_functions: bool,
    /// A directory of dashboards (YAML, JSON or Grafana JSON) for the UI,
    /// relative to the config file.
    #[serde(default)]
    pub dashboards_dir: Option<PathBuf>,
}

fn default_max_body() -> ByteSize {
    ByteSize(32 << 20)
}
fn default_query_timeout() -> PromDuration {
    PromDuration::from_secs(120)
}
fn default_max_samples() -> usize {
    50_000_000
}
fn default_lookback() -> PromDuration {
    PromDuration::from_secs(300)
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen_address: None,
            tls_server_config: None,
            basic_auth_users: BTreeMap::new(),
            bearer_tokens: Vec::new(),
            enable_admin_api: false,
            cors_origin: String::new(),
            max_request_body: default_max_body(),
            query_timeout: default_query_timeout(),
            query_max_samples: default_max_samples(),
            lookback_delta: default_lookback(),
            enable_experimental_functions: false,
            dashboards_dir: None,
        }
    }
}

/// TLS files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsServerConfig {
    /// PEM certificate chain.
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

/// The `collector` section: the host collectors in `telltale serve`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorSection {
    /// Collect this host (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How often (default 15s).
    #[serde(default = "default_collect_interval")]
    pub interval: PromDuration,
    /// The `job` label (default `node`).
    #[serde(default = "default_job")]
    pub job: String,
    /// The `instance` label (default: the host name).
    #[serde(default)]
    pub instance: Option<String>,
    /// Collectors to enable besides the defaults (node_exporter names).
    #[serde(default)]
    pub enable: Vec<String>,
    /// Default collectors to disable.
    #[serde(default)]
    pub disable: Vec<String>,
    /// A directory of `*.prom` files for the textfile collector.
    #[serde(default)]
    pub textfile_directory: Option<PathBuf>,
}

fn yes() -> bool {
    true
}
fn default_collect_interval() -> PromDuration {
    PromDuration::from_secs(15)
}
fn default_job() -> String {
    "node".into()
}

impl Default for CollectorSection {
    fn default() -> Self {
        CollectorSection {
            enabled: true,
            interval: default_collect_interval(),
            job: default_job(),
            instance: None,
            enable: Vec::new(),
            disable: Vec::new(),
            textfile_directory: None,
        }
    }
}

impl Config {
    /// Parses configuration text. `source` names it in errors.
    ///
    /// # Errors
    ///
    /// The first problem found, with file, line and column for syntax
    /// errors and unknown keys.
    pub fn parse(text: &str, source: &str) -> Result<Config> {
        let own: OwnSections = if text.trim().is_empty() {
            OwnSections::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let loc = e
                    .location()
                    .map(|l| format!(":{}:{}", l.line(), l.column()))
                    .unwrap_or_default();
                anyhow!("{source}{loc}: {e}")
            })?
        };
        own.storage.fsync().with_context(|| source.to_string())?;
        let scrape = if text.trim().is_empty() {
            Default::default()
        } else {
            telltale_scrape::config::parse_config(text, source).map_err(|e| anyhow!("{e}"))?
        };
        let remote = if text.trim().is_empty() {
            Default::default()
        } else {
            telltale_remote::RemoteSections::parse(text).map_err(|e| anyhow!("{source}: {e}"))?
        };
        Ok(Config {
            text: text.to_string(),
            source: source.to_string(),
            own,
            scrape,
            remote,
        })
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    ///
    /// When it cannot be read or does not parse.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading configuration file {}", path.display()))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// The directory relative paths in the file are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        Path::new(&self.source)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The configuration as YAML with every secret replaced by `<secret>`,
    /// for `status/config`.
    pub fn redacted(&self) -> String {
        redact_yaml(&self.text)
    }
}

/// Keys whose values are secrets wherever they appear.
const SECRET_KEYS: &[&str] = &[
    "password",
    "credentials",
    "bearer_token",
    "auth_password",
    "auth_secret",
    "api_key",
    "routing_key",
    "service_key",
    "token",
    "bot_token",
    "api_url",
    "webhook_url",
    "url_file",
    "secret",
    "client_secret",
    "api_secret",
    "key_file_content",
];

/// Keys whose whole value (every entry of the map or list) is secret.
const SECRET_CONTAINERS: &[&str] = &["basic_auth_users", "bearer_tokens", "headers"];

/// The configuration re-serialized as YAML with every secret replaced by
/// `<secret>` (comments and key order are not kept, as in Prometheus's
/// `status/config`). Text that does not parse is not shown at all.
pub fn redact_yaml(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let Ok(mut v) = serde_saphyr::from_str::<serde_json::Value>(text) else {
        return "# the configuration could not be shown\n".to_string();
    };
    redact_value(&mut v, false);
    serde_saphyr::to_string(&v).unwrap_or_default()
}

fn redact_value(v: &mut serde_json::Value, all: bool) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if all || SECRET_KEYS.contains(&k.as_str()) {
                    if x.is_object() || x.is_array() {
                        redact_value(x, true);
                    } else if !x.is_null() {
                        *x = Value::String("<secret>".into());
                    }
                } else {
                    redact_value(x, SECRET_CONTAINERS.contains(&k.as_str()));
                }
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                if all && !(x.is_object() || x.is_array()) {
                    *x = Value::String("<secret>".into());
                } else {
                    redact_value(x, all);
                }
            }
        }
        x if all && !x.is_null() => *x = Value::String("<secret>".into()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_has_defaults() {
        let c = Config::parse("", "x.yml").unwrap();
        assert!(c.own.collector.enabled);
        assert_eq!(c.own.storage.fsync().unwrap(), FsyncSetting::Interval(1000));
    }

    #[test]
    fn unknown_top_level_key_names_line_and_column() {
        let e = Config::parse("global:\n  scrape_interval: 15s\nbogus: 1\n", "t.yml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.yml:3:1"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn prometheus_yml_loads() {
        let text = "global:\n  scrape_interval: 15s\nrule_files: [a.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:9093']\nscrape_configs:\n  - job_name: p\n    static_configs:\n      - targets: ['127.0.0.1:9090']\nstorage:\n  tsdb:\n    out_of_order_time_window: 30m\n";
        let c = Config::parse(text, "prometheus.yml").unwrap();
        assert_eq!(c.scrape.scrape_configs.len(), 1);
        assert_eq!(c.own.storage.ooo_window(), PromDuration::from_secs(1800));
        assert_eq!(
            c.own.alerting.alertmanagers[0].static_configs[0]
                .targets
                .len(),
            1
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let r = redact_yaml(
            "basic_auth:\n  username: u\n  password: hunter2\nweb:\n  basic_auth_users:\n    alice: $2y$xyz\n  bearer_tokens:\n    - abc\n  enable_admin_api: true\n",
        );
        assert!(!r.contains("hunter2"), "{r}");
        assert!(!r.contains("$2y$xyz"), "{r}");
        assert!(!r.contains("abc"), "{r}");
        assert!(r.contains("username: u"), "{r}");
        assert!(r.contains("enable_admin_api: true"), "{r}");
    }
}
