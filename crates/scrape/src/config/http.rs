//! Credentials, TLS and discovery sections of a job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DEFAULT_FILE_SD_REFRESH, DEFAULT_HTTP_SD_REFRESH, yes};
use crate::duration::PromDuration;

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
