//! Posting JSON with an `http_config`, and Alertmanager's retry rules:
//! 2xx is success, 5xx and 429 are retried, other statuses are not.

use std::time::Duration;

use super::{SendError, read_secret_file};
use crate::config::types::HttpConfig;

/// Longest response body quoted in an error.
const MAX_ERROR_BODY: usize = 1024;

/// Most of a response body we read; the rest is ignored.
const MAX_RESPONSE_BODY: usize = 64 << 10;

/// Reads at most `limit` bytes of a response body, lossily as UTF-8.
async fn read_bounded(mut resp: reqwest::Response, limit: usize) -> String {
    let mut buf = Vec::new();
    while buf.len() < limit {
        match resp.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c[..c.len().min(limit - buf.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The `User-Agent` we send, in Alertmanager's shape.
pub fn user_agent() -> String {
    format!("Alertmanager/{} (telltale)", env!("CARGO_PKG_VERSION"))
}

/// A client for an `http_config` that sets a proxy, relaxes TLS
/// verification or disables redirects; `None` when the shared client does.
fn dedicated_client(h: &HttpConfig) -> Option<Result<reqwest::Client, SendError>> {
    let insecure = h
        .tls_config
        .as_ref()
        .and_then(|t| t.get("insecure_skip_verify"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let no_redirects = h.follow_redirects == Some(false);
    if h.proxy_url.is_none() && !insecure && !no_redirects {
        return None;
    }
    let mut b = reqwest::Client::builder();
    if let Some(p) = &h.proxy_url {
        match reqwest::Proxy::all(p) {
            Ok(p) => b = b.proxy(p),
            Err(e) => return Some(Err(SendError::permanent(format!("proxy_url {p:?}: {e}")))),
        }
    }
    if insecure {
        b = b.tls_danger_accept_invalid_certs(true);
    }
    if no_redirects {
        b = b.redirect(reqwest::redirect::Policy::none());
    }
    Some(
        b.build()
            .map_err(|e| SendError::permanent(format!("HTTP client: {e}"))),
    )
}

/// Posts `body` as JSON and classifies the outcome.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    http: Option<&HttpConfig>,
    timeout: Option<Duration>,
    extra_auth: Option<String>,
) -> Result<String, SendError> {
    let custom;
    let client = match http.and_then(dedicated_client).transpose()? {
        Some(c) => {
            custom = c;
            &custom
        }
        None => client,
    };
    let mut req = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("User-Agent", user_agent())
        .body(body);
    if let Some(t) = timeout {
        req = req.timeout(t);
    }
    if let Some(h) = http {
        if let Some(b) = &h.basic_auth {
            let pass = if !b.password_file.is_empty() {
                read_secret_file(&b.password_file)?
            } else {
                b.password.expose().to_string()
            };
            let user = if !b.username_file.is_empty() {
                read_secret_file(&b.username_file)?
            } else {
                b.username.clone()
            };
            req = req.basic_auth(user, Some(pass));
        }
        if let Some(a) = &h.authorization {
            let kind = a.kind.clone().unwrap_or_else(|| "Bearer".into());
            let cred = match (&a.credentials, &a.credentials_file) {
                (_, Some(f)) if !f.is_empty() => read_secret_file(f)?,
                (Some(c), _) => c.expose().to_string(),
                _ => String::new(),
            };
            req = req.header("Authorization", format!("{kind} {cred}"));
        }
        if let Some(t) = &h.bearer_token {
            req = req.header("Authorization", format!("Bearer {}", t.expose()));
        } else if let Some(f) = h.bearer_token_file.as_ref().filter(|f| !f.is_empty()) {
            req = req.header("Authorization", format!("Bearer {}", read_secret_file(f)?));
        }
    }
    if let Some(a) = extra_auth {
        req = req.header("Authorization", a);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| SendError::transient(format!("request to {url} failed: {e}")))?;
    let status = resp.status();
    let text = read_bounded(resp, MAX_RESPONSE_BODY).await;
    if status.is_success() {
        return Ok(text);
    }
    let mut text = text;
    text.truncate(
        (0..=MAX_ERROR_BODY.min(text.len()))
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0),
    );
    let msg = format!(
        "unexpected status code {}: {}",
        status.as_u16(),
        text.trim()
    );
    if status.is_server_error() || status.as_u16() == 429 {
        Err(SendError::transient(msg))
    } else {
        Err(SendError::permanent(msg))
    }
}
