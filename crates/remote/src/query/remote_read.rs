//! Reading from `remote_read` endpoints: [`RemoteReadConfig`] (Prometheus's
//! entry) and [`RemoteReadQueryable`], a [`Queryable`] over one endpoint.
//!
//! Each `select` is one remote read request with one query (sampled
//! response type, snappy). `label_names`/`label_values` have no remote read
//! equivalent: they select the series (only when matchers are given) and
//! collect their labels.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use telltale_model::{
    MatchOp, Matcher, Querier, Queryable, Sample, SampleIterator, SelectHints, Series,
    StorageError, VecIterator,
};
use telltale_prompb::{
    PROTOBUF_CONTENT_TYPE, Query, REMOTE_READ_VERSION, ReadHints, ReadRequest,
    decode_read_response, encode_read_request, labels_from_proto, matcher_to_proto,
    read_request::ResponseType,
};
use telltale_scrape::client::{ClientSettings, add_auth, build_client};
use telltale_scrape::config::{Authorization, BasicAuth, TlsConfig};
use telltale_scrape::duration::PromDuration;

use super::bridge::Bridge;

/// One `remote_read` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RemoteReadConfig {
    /// The endpoint (`http://prometheus:9090/api/v1/read`).
    pub url: String,
    /// A name for logs.
    #[serde(default)]
    pub name: Option<String>,
    /// The timeout of one request (default 1m).
    #[serde(default = "default_timeout")]
    pub remote_timeout: PromDuration,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Equality matchers a query must contain for this endpoint to be asked.
    #[serde(default)]
    pub required_matchers: BTreeMap<String, String>,
    /// Whether to ask the endpoint for recent data that the local storage
    /// also holds (default false).
    #[serde(default)]
    pub read_recent: bool,
    /// Basic authentication.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    /// An `Authorization` header.
    #[serde(default)]
    pub authorization: Option<Authorization>,
    /// A bearer token (the older spelling of `authorization`).
    #[serde(default)]
    pub bearer_token: Option<String>,
    /// TLS settings.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Whether to follow redirects (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Settings accepted for compatibility and ignored.
    #[serde(flatten, skip_serializing)]
    pub other: BTreeMap<String, serde_json::Value>,
}

fn default_timeout() -> PromDuration {
    PromDuration::from_secs(60)
}

fn yes() -> bool {
    true
}

impl RemoteReadConfig {
    /// A configuration with defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteReadConfig {
            url: url.into(),
            name: None,
            remote_timeout: default_timeout(),
            headers: BTreeMap::new(),
            required_matchers: BTreeMap::new(),
            read_recent: false,
            basic_auth: None,
            authorization: None,
            bearer_token: None,
            tls_config: None,
            follow_redirects: true,
            other: BTreeMap::new(),
        }
    }

    fn authz(&self) -> Option<Authorization> {
        self.authorization.clone().or_else(|| {
            self.bearer_token.as_ref().map(|t| Authorization {
                kind: "Bearer".into(),
                credentials: Some(t.clone()),
                credentials_file: None,
            })
        })
    }
}

/// The most bytes a remote read response may have, compressed and not.
const MAX_RESPONSE: usize = 512 << 20;

struct Shared {
    cfg: RemoteReadConfig,
    client: reqwest::Client,
    bridge: Bridge,
}

/// A [`Queryable`] over one remote read endpoint.
#[derive(Clone)]
pub struct RemoteReadQueryable {
    shared: Arc<Shared>,
}

impl RemoteReadQueryable {
    /// A client for `cfg`.
    ///
    /// # Errors
    ///
    /// [`StorageError::Other`] for unusable TLS settings.
    pub fn new(cfg: RemoteReadConfig) -> Result<Self, StorageError> {
        let client = build_client(&ClientSettings {
            tls: cfg.tls_config.clone(),
            follow_redirects: cfg.follow_redirects,
            compression: false,
        })
        .map_err(|e| StorageError::Other(format!("remote_read {}: {e}", cfg.url)))?;
        Ok(RemoteReadQueryable {
            shared: Arc::new(Shared {
                cfg,
                client,
                bridge: Bridge::new("telltale-remote-read")?,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RemoteReadConfig {
        &self.shared.cfg
    }

    /// Whether a query with `matchers` should go to this endpoint.
    pub fn wants(&self, matchers: &[Matcher]) -> bool {
        self.shared.cfg.required_matchers.iter().all(|(n, v)| {
            matchers
                .iter()
                .any(|m| m.op == MatchOp::Equal && &m.name == n && &m.value == v)
        })
    }
}

impl Queryable for RemoteReadQueryable {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        Ok(Box::new(RemoteReadQuerier {
            shared: Arc::clone(&self.shared),
            mint,
            maxt,
        }))
    }
}

struct RemoteReadQuerier {
    shared: Arc<Shared>,
    mint: i64,
    maxt: i64,
}

async fn fetch(shared: Arc<Shared>, body: Vec<u8>) -> Result<Vec<u8>, StorageError> {
    let cfg = &shared.cfg;
    let unavailable =
        |m: String| StorageError::Unavailable(format!("remote_read {}: {m}", cfg.url));
    let mut req = shared
        .client
        .post(&cfg.url)
        .timeout(cfg.remote_timeout.0)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", PROTOBUF_CONTENT_TYPE)
        .header("X-Prometheus-Remote-Read-Version", REMOTE_READ_VERSION);
    for (k, v) in &cfg.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req =
        add_auth(req, &cfg.basic_auth, &cfg.authz()).map_err(|e| unavailable(e.to_string()))?;
    let mut resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let status = resp.status();
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| unavailable(e.to_string()))? {
        if out.len() + chunk.len() > MAX_RESPONSE {
            return Err(StorageError::Limit(format!(
                "remote_read {}: response larger than {MAX_RESPONSE} bytes",
                cfg.url
            )));
        }
        out.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let text: String = String::from_utf8_lossy(&out).chars().take(256).collect();
        return Err(unavailable(format!("HTTP {status}: {}", text.trim())));
    }
    Ok(out)
}

impl RemoteReadQuerier {
    fn read(&self, hints: &SelectHints, matchers: &[Matcher]) -> Result<Vec<Series>, StorageError> {
        let start = hints.start.unwrap_or(self.mint).max(self.mint);
        let end = hints.end.unwrap_or(self.maxt).min(self.maxt);
        if start > end || matchers.is_empty() {
            return Ok(Vec::new());
        }
        let req = ReadRequest {
            queries: vec![Query {
                start_timestamp_ms: start,
                end_timestamp_ms: end,
                matchers: matchers.iter().map(matcher_to_proto).collect(),
                hints: Some(ReadHints {
                    step_ms: hints.step,
                    func: hints.func.clone().unwrap_or_default(),
                    start_ms: start,
                    end_ms: end,
                    range_ms: hints.range,
                    ..Default::default()
                }),
            }],
            accepted_response_types: vec![ResponseType::Samples as i32],
        };
        let shared = Arc::clone(&self.shared);
        let timeout = self.shared.cfg.remote_timeout.0 + Duration::from_secs(1);
        let body = self
            .shared
            .bridge
            .run(timeout, fetch(shared, encode_read_request(&req)))?;
        let resp = decode_read_response(&body, MAX_RESPONSE).map_err(|e| {
            StorageError::Other(format!("remote_read {}: {e}", self.shared.cfg.url))
        })?;
        let mut out: Vec<Series> = Vec::new();
        for (i, ts) in resp
            .results
            .into_iter()
            .flat_map(|r| r.timeseries)
            .enumerate()
        {
            let labels = labels_from_proto(&ts.labels, i).map_err(|e| {
                StorageError::Other(format!("remote_read {}: {e}", self.shared.cfg.url))
            })?;
            let mut samples: Vec<Sample> = ts
                .samples
                .iter()
                .filter(|s| s.timestamp >= start && s.timestamp <= end)
                .map(|s| Sample::new(s.timestamp, s.value))
                .collect();
            samples.sort_by_key(|s| s.t);
            samples.dedup_by_key(|s| s.t);
            if samples.is_empty() {
                continue;
            }
            out.push(Series {
                labels,
                samples: Box::new(VecIterator::new(samples)) as Box<dyn SampleIterator>,
            });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }
}

impl Querier for RemoteReadQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError> {
        self.read(hints, matchers)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .read(&SelectHints::default(), matchers)?
            .iter()
            .flat_map(|s| s.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut vals: Vec<String> = self
            .read(&SelectHints::default(), matchers)?
            .iter()
            .map(|s| s.labels.get(name).to_string())
            .filter(|v| !v.is_empty())
            .collect();
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}
