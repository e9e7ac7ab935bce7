//! The configuration sections this crate owns, read from the whole
//! configuration file's text (other top-level keys are ignored here; the
//! binary checks them).
//!
//! ```yaml
//! remote_write:            # Prometheus's syntax
//!   - url: http://vm:8428/api/v1/write
//! remote_read:             # Prometheus's syntax
//!   - url: http://old-prometheus:9090/api/v1/read
//! remote_query:            # Telltale's: query a remote engine instead of local storage
//!   url: http://vmselect:8481/select/0/prometheus
//! ```

use serde::Deserialize;

use crate::error::Error;
use crate::query::{RemoteQueryConfig, RemoteReadConfig};
use crate::write::RemoteWriteConfig;

/// `remote_write`, `remote_read` and `remote_query`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RemoteSections {
    /// Destinations for remote write out.
    #[serde(default)]
    pub remote_write: Vec<RemoteWriteConfig>,
    /// Endpoints merged into local queries.
    #[serde(default)]
    pub remote_read: Vec<RemoteReadConfig>,
    /// A remote query API used instead of the local storage for queries.
    #[serde(default)]
    pub remote_query: Option<RemoteQueryConfig>,
}

impl RemoteSections {
    /// Reads the sections from a configuration file's text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the YAML error (line and column) or the first
    /// invalid `remote_write` entry.
    pub fn parse(yaml: &str) -> Result<Self, Error> {
        let s: RemoteSections = serde_saphyr::from_str(yaml).map_err(|e| Error::Config {
            name: "remote sections".into(),
            reason: e.to_string(),
        })?;
        for w in &s.remote_write {
            w.validate()?;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sections_and_ignores_the_rest() {
        let y = "global: {scrape_interval: 15s}\nscrape_configs: []\nremote_write:\n  - url: http://a/api/v1/write\n    queue_config: {max_shards: 2}\nremote_read:\n  - url: http://b/api/v1/read\n    read_recent: true\nremote_query:\n  url: http://vm:8428\n";
        let s = RemoteSections::parse(y).unwrap();
        assert_eq!(s.remote_write[0].queue_config.max_shards, 2);
        assert!(s.remote_read[0].read_recent);
        assert_eq!(s.remote_query.unwrap().url, "http://vm:8428");
        assert_eq!(
            RemoteSections::parse("rule_files: []\n").unwrap(),
            RemoteSections::default()
        );
        let bad = RemoteSections::parse("remote_write:\n  - url: ftp://x\n").unwrap_err();
        assert!(bad.to_string().contains("http://"), "{bad}");
    }
}
