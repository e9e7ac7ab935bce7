//! A remote Prometheus-compatible query API as storage:
//! [`PromApiQueryable`] reads raw samples from Prometheus, VictoriaMetrics
//! (single or `vmselect`), Mimir, Thanos or Cortex through their HTTP API,
//! so PromQL, rules and the UI can run over a distributed engine.
//!
//! - `select` sends the instant query `{matchers}[<end-start+1>ms]` at
//!   `end`, which returns the raw samples in `[start, end]` (a range vector
//!   selector is left-open: `(end - range, end]`).
//! - `label_names` and `label_values` use `/api/v1/labels` and
//!   `/api/v1/label/<name>/values` with `match[]`, `start` and `end`.
//!
//! Requests are GETs with the parameters in the query string. Bodies are bounded ([`RemoteQueryConfig::max_response_bytes`]). Stale
//! markers are not returned by query APIs: a series that ended simply has
//! no more samples, which PromQL's lookback treats the same way after 5m.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use telltale_model::{
    Label, Labels, MatchOp, Matcher, Querier, Queryable, Sample, SampleIterator, SelectHints,
    Series, StorageError, VecIterator,
};
use telltale_scrape::client::{ClientSettings, add_auth, build_client};
use telltale_scrape::config::{Authorization, BasicAuth, TlsConfig};
use telltale_scrape::duration::PromDuration;

use super::bridge::Bridge;

/// Where the remote query API is and how to reach it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteQueryConfig {
    /// The API's base URL, the part before `/api/v1/...`
    /// (`http://vmselect:8481/select/0/prometheus`, `http://vm:8428`).
    pub url: String,
    /// The timeout of one request (default 2m).
    #[serde(default = "default_timeout")]
    pub timeout: PromDuration,
    /// Extra headers (`X-Scope-OrgID` for Mimir, ...).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Basic authentication.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    /// An `Authorization` header.
    #[serde(default)]
    pub authorization: Option<Authorization>,
    /// TLS settings.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// The largest response body accepted (default 256 MiB).
    #[serde(default = "default_max")]
    pub max_response_bytes: usize,
}

fn default_timeout() -> PromDuration {
    PromDuration::from_secs(120)
}

fn default_max() -> usize {
    256 << 20
}

impl RemoteQueryConfig {
    /// A configuration with defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteQueryConfig {
            url: url.into(),
            timeout: default_timeout(),
            headers: BTreeMap::new(),
            basic_auth: None,
            authorization: None,
            tls_config: None,
            max_response_bytes: default_max(),
        }
    }
}

struct Shared {
    cfg: RemoteQueryConfig,
    client: reqwest::Client,
    bridge: Bridge,
}

/// A [`Queryable`] over a remote Prometheus-compatible query API.
#[derive(Clone)]
pub struct PromApiQueryable {
    shared: Arc<Shared>,
}

impl PromApiQueryable {
    /// A client for `cfg`.
    ///
    /// # Errors
    ///
    /// [`StorageError::Other`] for unusable TLS settings.
    pub fn new(cfg: RemoteQueryConfig) -> Result<Self, StorageError> {
        let client = build_client(&ClientSettings {
            tls: cfg.tls_config.clone(),
            follow_redirects: true,
            compression: true,
        })
        .map_err(|e| StorageError::Other(format!("remote query {}: {e}", cfg.url)))?;
        Ok(PromApiQueryable {
            shared: Arc::new(Shared {
                cfg,
                client,
                bridge: Bridge::new("telltale-remote-query")?,
            }),
        })
    }
}

impl Queryable for PromApiQueryable {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        Ok(Box::new(PromApiQuerier {
            shared: Arc::clone(&self.shared),
            mint,
            maxt,
        }))
    }
}

struct PromApiQuerier {
    shared: Arc<Shared>,
    mint: i64,
    maxt: i64,
}

fn is_legacy_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()))
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The PromQL selector `{a="x",b=~"y"}` for `matchers`.
pub fn selector(matchers: &[Matcher]) -> String {
    let mut s = String::from("{");
    for (i, m) in matchers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        if is_legacy_name(&m.name) {
            s.push_str(&m.name);
        } else {
            quote(&m.name, &mut s);
        }
        s.push_str(match m.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        });
        quote(&m.value, &mut s);
    }
    s.push('}');
    s
}

fn secs(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct ApiResponse<T> {
    status: String,
    #[serde(default = "none")]
    data: Option<T>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct MatrixSeries {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

async fn call(
    shared: Arc<Shared>,
    path: String,
    form: Vec<(String, String)>,
) -> Result<Vec<u8>, StorageError> {
    let cfg = &shared.cfg;
    let url = format!("{}{}", cfg.url.trim_end_matches('/'), path);
    let bad = |m: String| StorageError::Unavailable(format!("remote query {url}: {m}"));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish();
    // GET works on every endpoint of every engine (`/label/<name>/values`
    // is GET only in Prometheus).
    let mut req = shared
        .client
        .get(format!("{url}?{body}"))
        .timeout(cfg.timeout.0);
    for (k, v) in &cfg.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = add_auth(req, &cfg.basic_auth, &cfg.authorization).map_err(|e| bad(e.to_string()))?;
    let mut resp = req.send().await.map_err(|e| bad(e.to_string()))?;
    let status = resp.status();
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| bad(e.to_string()))? {
        if out.len() + chunk.len() > cfg.max_response_bytes {
            return Err(StorageError::Limit(format!(
                "remote query {url}: response larger than {} bytes",
                cfg.max_response_bytes
            )));
        }
        out.extend_from_slice(&chunk);
    }
    if status.is_server_error() {
        let text: String = String::from_utf8_lossy(&out).chars().take(256).collect();
        return Err(bad(format!("HTTP {status}: {}", text.trim())));
    }
    Ok(out)
}

fn none<T>() -> Option<T> {
    None
}

fn parse_value(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or(f64::NAN),
    }
}

impl PromApiQuerier {
    fn api<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: String,
        form: Vec<(String, String)>,
    ) -> Result<T, StorageError> {
        let shared = Arc::clone(&self.shared);
        let timeout = self.shared.cfg.timeout.0 + Duration::from_secs(1);
        let url = self.shared.cfg.url.clone();
        let body = self.shared.bridge.run(timeout, call(shared, path, form))?;
        let r: ApiResponse<T> = serde_json::from_slice(&body).map_err(|e| {
            let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            StorageError::Other(format!(
                "remote query {url}: undecodable answer ({e}): {:?}",
                text.trim()
            ))
        })?;
        if r.status != "success" {
            let msg = r.error.unwrap_or_else(|| "error without message".into());
            return Err(if msg.contains("limit") {
                StorageError::Limit(format!("remote query {url}: {msg}"))
            } else {
                StorageError::Other(format!("remote query {url}: {msg}"))
            });
        }
        r.data
            .ok_or_else(|| StorageError::Other(format!("remote query {url}: answer without data")))
    }

    fn range(&self, hints: &SelectHints) -> Option<(i64, i64)> {
        let start = hints.start.unwrap_or(self.mint).max(self.mint);
        let end = hints.end.unwrap_or(self.maxt).min(self.maxt);
        (start <= end).then_some((start, end))
    }

    fn match_form(&self, matchers: &[Matcher]) -> Vec<(String, String)> {
        let mut form = vec![
            ("start".to_string(), secs(self.mint)),
            ("end".to_string(), secs(self.maxt)),
        ];
        if !matchers.is_empty() {
            form.push(("match[]".into(), selector(matchers)));
        }
        form
    }
}

impl Querier for PromApiQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError> {
        let Some((start, end)) = self.range(hints) else {
            return Ok(Vec::new());
        };
        if matchers.is_empty() {
            return Ok(Vec::new());
        }
        let range = end.saturating_sub(start).saturating_add(1);
        let query = format!("{}[{range}ms]", selector(matchers));
        let data: QueryData = self.api(
            "/api/v1/query".into(),
            vec![("query".into(), query), ("time".into(), secs(end))],
        )?;
        if data.result_type != "matrix" {
            return Err(StorageError::Other(format!(
                "remote query: expected a matrix, got {}",
                data.result_type
            )));
        }
        let series: Vec<MatrixSeries> = serde_json::from_value(data.result)
            .map_err(|e| StorageError::Other(format!("remote query: undecodable matrix: {e}")))?;
        let mut out: Vec<Series> = series
            .into_iter()
            .filter_map(|s| {
                let labels = Labels::new(
                    s.metric
                        .into_iter()
                        .map(|(k, v)| Label::new(k, v))
                        .collect(),
                );
                let mut samples: Vec<Sample> = s
                    .values
                    .iter()
                    .map(|(t, v)| Sample::new((t * 1000.0).round() as i64, parse_value(v)))
                    .filter(|x| x.t >= start && x.t <= end)
                    .collect();
                samples.sort_by_key(|x| x.t);
                samples.dedup_by_key(|x| x.t);
                (!samples.is_empty()).then(|| Series {
                    labels,
                    samples: Box::new(VecIterator::new(samples)) as Box<dyn SampleIterator>,
                })
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut v: Vec<String> = self.api("/api/v1/labels".into(), self.match_form(matchers))?;
        v.sort();
        v.dedup();
        Ok(v)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let enc: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let mut v: Vec<String> = self.api(
            format!("/api/v1/label/{enc}/values"),
            self.match_form(matchers),
        )?;
        v.sort();
        v.dedup();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_quote_values_and_odd_names() {
        let ms = [
            Matcher::equal("__name__", "up"),
            Matcher::new(MatchOp::Regex, "job", "a\"b|c\\d").unwrap(),
            Matcher::not_equal("host.name", "x\ny"),
        ];
        assert_eq!(
            selector(&ms),
            r#"{__name__="up",job=~"a\"b|c\\d","host.name"!="x\ny"}"#
        );
        assert_eq!(secs(1_700_000_000_123), "1700000000.123");
        assert_eq!(secs(-1500), "-1.500");
        assert!(parse_value("NaN").is_nan());
        assert_eq!(parse_value("+Inf"), f64::INFINITY);
    }
}
