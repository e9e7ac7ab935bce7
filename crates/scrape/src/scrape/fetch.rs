//! One HTTP scrape: the request Prometheus would send, the timeout, the
//! body size bound and the choice of parser from `Content-Type`.

use std::time::Duration;

use telltale_exposition::{Format, format_from_content_type, is_protobuf_content_type};

use crate::client::{add_auth, error_chain, read_body};
use crate::config::{Authorization, BasicAuth, ScrapeConfig, ScrapeProtocol};
use crate::duration::format_duration;
use crate::error::ScrapeError;

/// The `Accept` header for `protocols`, built as Prometheus builds it:
/// weights falling from `q=0.6`, the escaping scheme on the versions that
/// take one, and `*/*` last.
pub fn accept_header(protocols: &[ScrapeProtocol]) -> String {
    // Prometheus starts at one more than the number of known protocols (5).
    let mut weight = 6usize;
    let mut parts: Vec<String> = Vec::with_capacity(protocols.len() + 1);
    for p in protocols {
        let mut v = p.header().to_string();
        if matches!(
            p,
            ScrapeProtocol::PrometheusText100 | ScrapeProtocol::OpenMetricsText100
        ) {
            v.push_str(";escaping=allow-utf-8");
        }
        v.push_str(&format!(";q=0.{weight}"));
        parts.push(v);
        weight = weight.saturating_sub(1);
    }
    parts.push(format!("*/*;q=0.{weight}"));
    parts.join(",")
}

/// The body limit used when a job sets no `body_size_limit` (Prometheus's
/// 0 means unlimited; we keep memory bounded): 256 MiB uncompressed.
pub const DEFAULT_BODY_LIMIT: u64 = 256 << 20;

/// Everything needed to scrape one URL.
///
/// The parser is chosen from the response's `Content-Type`: OpenMetrics
/// for `application/openmetrics-text`, text 0.0.4 for anything else. An
/// empty `Content-Type` uses `fallback_scrape_protocol` when set, text
/// otherwise (Prometheus 3 fails such scrapes; being lenient keeps simple
/// exporters working). Protobuf answers fail the scrape.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    url: String,
    timeout: Duration,
    body_limit: u64,
    accept: String,
    basic_auth: Option<BasicAuth>,
    authorization: Option<Authorization>,
    fallback: Option<ScrapeProtocol>,
}

impl Fetcher {
    /// A fetcher for `url` with the job's settings.
    pub fn new(client: reqwest::Client, url: &str, timeout: Duration, cfg: &ScrapeConfig) -> Self {
        Fetcher {
            client,
            url: url.to_string(),
            timeout,
            body_limit: match cfg.body_size_limit.0 {
                0 => DEFAULT_BODY_LIMIT,
                n => n,
            },
            accept: accept_header(cfg.protocols()),
            basic_auth: cfg.basic_auth.clone(),
            authorization: cfg.authorization.clone(),
            fallback: cfg.fallback_scrape_protocol,
        }
    }

    /// Scrapes once and returns the body and the format to parse it with.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::Timeout`], [`ScrapeError::Http`],
    /// [`ScrapeError::Status`], [`ScrapeError::BodyTooLarge`], or
    /// [`ScrapeError::Parse`] for a protobuf body (not supported).
    pub async fn fetch(&self) -> Result<(Vec<u8>, Format), ScrapeError> {
        match tokio::time::timeout(self.timeout, self.fetch_inner()).await {
            Ok(r) => r,
            Err(_) => Err(ScrapeError::Timeout {
                url: self.url.clone(),
                timeout: format_duration(self.timeout),
            }),
        }
    }

    async fn fetch_inner(&self) -> Result<(Vec<u8>, Format), ScrapeError> {
        let req = self
            .client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, &self.accept)
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                format!("{}", self.timeout.as_secs_f64()),
            );
        let req = add_auth(req, &self.basic_auth, &self.authorization)?;
        let resp = req.send().await.map_err(|e| ScrapeError::Http {
            url: self.url.clone(),
            message: error_chain(&e),
        })?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(ScrapeError::Status {
                status: resp.status().as_u16(),
            });
        }
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if is_protobuf_content_type(&ct) {
            return Err(ScrapeError::Parse {
                line: 0,
                message: format!(
                    "unsupported Content-Type {ct:?}: protobuf scrapes are not supported"
                ),
            });
        }
        let format = if ct.trim().is_empty() {
            match self.fallback {
                Some(ScrapeProtocol::OpenMetricsText001 | ScrapeProtocol::OpenMetricsText100) => {
                    Format::OpenMetrics
                }
                _ => Format::Text,
            }
        } else {
            format_from_content_type(&ct)
        };
        let body = read_body(resp, self.body_limit, &self.url).await?;
        Ok((body, format))
    }

    /// The URL scraped.
    pub fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_matches_prometheus_default() {
        assert_eq!(
            accept_header(&ScrapeProtocol::DEFAULT),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
application/openmetrics-text;version=0.0.1;q=0.5,\
text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        );
        assert_eq!(
            accept_header(&[ScrapeProtocol::PrometheusText004]),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
        );
    }
}
