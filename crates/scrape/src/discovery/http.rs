//! HTTP-based discovery: a JSON list of target groups fetched every
//! `refresh_interval`, as Prometheus's `http_sd_configs` does. Each target
//! gets `__meta_url`. A failed fetch keeps the previous groups.

use super::{GroupSpec, MAX_SD_BYTES, TargetGroup, check_specs};
use crate::client::{ClientSettings, add_auth, build_client, error_chain, read_body};
use crate::config::HttpSdConfig;
use crate::error::ScrapeError;

/// Parses an HTTP SD response body.
///
/// # Errors
///
/// [`ScrapeError::Discovery`] naming the URL for invalid JSON or groups.
pub fn parse_http_sd(url: &str, body: &[u8]) -> Result<Vec<TargetGroup>, ScrapeError> {
    let err = |message: String| ScrapeError::Discovery {
        source_name: url.to_string(),
        message,
    };
    let specs: Vec<GroupSpec> = serde_json::from_slice(body).map_err(|e| err(e.to_string()))?;
    check_specs(&specs).map_err(err)?;
    Ok(specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| TargetGroup::from_spec(format!("{url}:{i}"), s, &[("__meta_url", url)]))
        .collect())
}

/// One `http_sd_configs` entry with its client.
#[derive(Debug)]
pub struct HttpDiscovery {
    cfg: HttpSdConfig,
    client: reqwest::Client,
}

impl HttpDiscovery {
    /// Builds the client for `cfg`.
    ///
    /// # Errors
    ///
    /// As [`build_client`].
    pub fn new(cfg: &HttpSdConfig) -> Result<Self, ScrapeError> {
        let client = build_client(&ClientSettings {
            tls: cfg.tls_config.clone(),
            follow_redirects: cfg.follow_redirects,
            compression: true,
        })?;
        Ok(HttpDiscovery {
            cfg: cfg.clone(),
            client,
        })
    }

    /// Fetches the current groups.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::Discovery`] for a failed request, a status other than
    /// 200, a body over [`MAX_SD_BYTES`] or an invalid body.
    pub async fn fetch(&self) -> Result<Vec<TargetGroup>, ScrapeError> {
        let url = &self.cfg.url;
        let err = |message: String| ScrapeError::Discovery {
            source_name: url.clone(),
            message,
        };
        let secs = self.cfg.refresh_interval.0.as_secs_f64();
        let req = self
            .client
            .get(url)
            .header("X-Prometheus-Refresh-Interval-Seconds", format!("{secs}"))
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(
                self.cfg
                    .refresh_interval
                    .0
                    .max(std::time::Duration::from_secs(1)),
            );
        let req = add_auth(req, &self.cfg.basic_auth, &self.cfg.authorization)?;
        let resp = req.send().await.map_err(|e| err(error_chain(&e)))?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(err(format!(
                "server returned HTTP status {}",
                resp.status()
            )));
        }
        let body = read_body(resp, MAX_SD_BYTES, url)
            .await
            .map_err(|e| err(e.to_string()))?;
        parse_http_sd(url, &body)
    }

    /// The configured refresh interval.
    pub fn refresh_interval(&self) -> std::time::Duration {
        self.cfg.refresh_interval.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_with_meta_url() {
        let g = parse_http_sd(
            "http://x/sd",
            br#"[{"targets":["a:1"],"labels":{"k":"v"}}]"#,
        )
        .unwrap();
        assert_eq!(g[0].labels["__meta_url"], "http://x/sd");
        assert_eq!(g[0].labels["k"], "v");
        assert!(parse_http_sd("u", b"{}").is_err());
        assert!(parse_http_sd("u", b"[{\"targets\":[\"\"]}]").is_err());
    }
}
