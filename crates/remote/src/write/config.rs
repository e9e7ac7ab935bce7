//! `remote_write` entries, as Prometheus's configuration writes them.
//!
//! Fields Telltale does not act on (`send_exemplars`,
//! `send_native_histograms`, `metadata_config`, `protobuf_message` other
//! than remote write 1.0, `proxy_url`, `oauth2`, `sigv4`, `azuread`) are
//! accepted and ignored so an existing Prometheus configuration loads; the
//! sender logs a warning for those that change behaviour
//! ([`RemoteWriteConfig::ignored_settings`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telltale_scrape::config::{Authorization, BasicAuth, TlsConfig};
use telltale_scrape::duration::PromDuration;
use telltale_scrape::relabel::RelabelConfig;

use crate::error::Error;

/// One `remote_write` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RemoteWriteConfig {
    /// The receiver's URL (`http://vm:8428/api/v1/write`).
    pub url: String,
    /// A name for metrics and logs (default: derived from the URL).
    #[serde(default)]
    pub name: Option<String>,
    /// The timeout of one request (default 30s).
    #[serde(default = "default_timeout")]
    pub remote_timeout: PromDuration,
    /// Extra headers sent with every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Basic authentication.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    /// An `Authorization` header.
    #[serde(default)]
    pub authorization: Option<Authorization>,
    /// A bearer token (the older spelling of `authorization`).
    #[serde(default)]
    pub bearer_token: Option<String>,
    /// A file holding a bearer token.
    #[serde(default)]
    pub bearer_token_file: Option<String>,
    /// TLS settings.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Relabelling applied to every series before it is sent; a series
    /// dropped here is not sent.
    #[serde(default)]
    pub write_relabel_configs: Vec<RelabelConfig>,
    /// Batching, sharding and retries.
    #[serde(default)]
    pub queue_config: QueueConfig,
    /// Whether to follow redirects (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Settings accepted for compatibility and ignored.
    #[serde(flatten, skip_serializing)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `queue_config`: how samples are batched and sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct QueueConfig {
    /// Samples buffered per shard (default 10000); the sender reads at most
    /// `capacity × max_shards` samples from the WAL ahead of what was sent.
    pub capacity: usize,
    /// The fewest shards (parallel senders, default 1).
    pub min_shards: usize,
    /// The most shards (default 50).
    pub max_shards: usize,
    /// The most samples in one request (default 2000).
    pub max_samples_per_send: usize,
    /// How long samples wait for a full request (default 5s).
    pub batch_send_deadline: PromDuration,
    /// The first retry delay (default 30ms), doubled per attempt.
    pub min_backoff: PromDuration,
    /// The longest retry delay (default 5s).
    pub max_backoff: PromDuration,
    /// Whether 429 answers are retried (default true; otherwise the batch
    /// is dropped like other 4xx).
    pub retry_on_http_429: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 10_000,
            min_shards: 1,
            max_shards: 50,
            max_samples_per_send: 2000,
            batch_send_deadline: PromDuration::from_secs(5),
            min_backoff: PromDuration::from_millis(30),
            max_backoff: PromDuration::from_secs(5),
            retry_on_http_429: true,
        }
    }
}

fn default_timeout() -> PromDuration {
    PromDuration::from_secs(30)
}

fn yes() -> bool {
    true
}

impl RemoteWriteConfig {
    /// A configuration with defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteWriteConfig {
            url: url.into(),
            name: None,
            remote_timeout: default_timeout(),
            headers: BTreeMap::new(),
            basic_auth: None,
            authorization: None,
            bearer_token: None,
            bearer_token_file: None,
            tls_config: None,
            write_relabel_configs: Vec::new(),
            queue_config: QueueConfig::default(),
            follow_redirects: true,
            other: BTreeMap::new(),
        }
    }

    /// The destination's name: `name`, or the URL's host and path.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => self
                .url
                .split_once("://")
                .map_or(self.url.as_str(), |(_, rest)| rest)
                .to_string(),
        }
    }

    /// A name safe to use as a file name (for the position file).
    pub fn file_name(&self) -> String {
        self.display_name()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// The `Authorization` to send: `authorization`, or a bearer token.
    pub fn effective_authorization(&self) -> Option<Authorization> {
        if self.authorization.is_some() {
            return self.authorization.clone();
        }
        if self.bearer_token.is_some() || self.bearer_token_file.is_some() {
            return Some(Authorization {
                kind: "Bearer".into(),
                credentials: self.bearer_token.clone(),
                credentials_file: self.bearer_token_file.clone(),
            });
        }
        None
    }

    /// The settings present in the file that the sender ignores.
    pub fn ignored_settings(&self) -> Vec<String> {
        self.other.keys().cloned().collect()
    }

    /// Checks the entry.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the entry and the problem.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Error::Config {
            name: self.display_name(),
            reason,
        };
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(bad(format!(
                "url {:?} must be http:// or https://",
                self.url
            )));
        }
        let q = &self.queue_config;
        if q.min_shards == 0 || q.max_shards < q.min_shards {
            return Err(bad(format!(
                "queue_config: need 1 <= min_shards ({}) <= max_shards ({})",
                q.min_shards, q.max_shards
            )));
        }
        if q.max_samples_per_send == 0 || q.capacity == 0 {
            return Err(bad(
                "queue_config: capacity and max_samples_per_send must be > 0".into(),
            ));
        }
        if q.min_backoff.0 > q.max_backoff.0 {
            return Err(bad(
                "queue_config: min_backoff is longer than max_backoff".into()
            ));
        }
        if self.authorization.is_some()
            && (self.bearer_token.is_some() || self.bearer_token_file.is_some())
        {
            return Err(bad(
                "authorization and bearer_token are mutually exclusive".into()
            ));
        }
        if self.basic_auth.is_some() && self.effective_authorization().is_some() {
            return Err(bad(
                "basic_auth and authorization are mutually exclusive".into()
            ));
        }
        for (i, r) in self.write_relabel_configs.iter().enumerate() {
            r.validate("remote_write")
                .map_err(|e| bad(format!("write_relabel_configs[{i}]: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_remote_write_entry_deserializes() {
        let yaml = r#"
url: https://vm.example:8428/api/v1/write
name: vm
remote_timeout: 10s
headers: {X-Scope-OrgID: tenant-1}
authorization: {credentials: secret}
tls_config: {insecure_skip_verify: true}
write_relabel_configs:
  - source_labels: [__name__]
    regex: go_.*
    action: drop
queue_config:
  capacity: 2500
  max_shards: 8
  max_samples_per_send: 500
  batch_send_deadline: 1s
  min_backoff: 100ms
  max_backoff: 10s
  retry_on_http_429: false
send_exemplars: true
metadata_config: {send: false}
"#;
        let c: RemoteWriteConfig = serde_saphyr::from_str(yaml).unwrap();
        c.validate().unwrap();
        assert_eq!(c.display_name(), "vm");
        assert_eq!(c.remote_timeout, PromDuration::from_secs(10));
        assert_eq!(c.headers["X-Scope-OrgID"], "tenant-1");
        assert_eq!(c.queue_config.capacity, 2500);
        assert_eq!(c.queue_config.min_shards, 1);
        assert_eq!(c.queue_config.max_backoff, PromDuration::from_secs(10));
        assert!(!c.queue_config.retry_on_http_429);
        assert_eq!(c.write_relabel_configs.len(), 1);
        assert_eq!(
            c.ignored_settings(),
            vec!["metadata_config", "send_exemplars"]
        );
        assert_eq!(c.effective_authorization().unwrap().kind, "Bearer");
    }

    #[test]
    fn bearer_token_and_validation_errors() {
        let mut c = RemoteWriteConfig::new("http://127.0.0.1:1/api/v1/write");
        c.bearer_token = Some("t".into());
        assert_eq!(
            c.effective_authorization().unwrap().credentials.as_deref(),
            Some("t")
        );
        assert_eq!(c.file_name(), "127_0_0_1_1_api_v1_write");
        c.queue_config.min_shards = 5;
        c.queue_config.max_shards = 2;
        assert!(c.validate().unwrap_err().to_string().contains("min_shards"));
        let c = RemoteWriteConfig::new("ftp://x");
        assert!(c.validate().is_err());
    }
}
