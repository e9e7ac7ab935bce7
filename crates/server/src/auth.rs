//! Basic auth with bcrypt-hashed passwords and bearer tokens, in the shape
//! of Prometheus's web configuration file (`basic_auth_users`), plus
//! `bearer_tokens`. `/-/healthy` and `/-/ready` stay open for probes.
//!
//! bcrypt is slow on purpose (tens of milliseconds per check at cost 10), so
//! checks that succeeded are remembered by a keyed hash of user, password
//! and stored hash, as Prometheus's exporter toolkit does; a wrong password
//! is never cached and is checked in full every time.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How many successful checks are remembered at most.
const CACHE_LIMIT: usize = 1024;

/// Who may call the server.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// User name → bcrypt hash of the password.
    pub basic_auth_users: BTreeMap<String, String>,
    /// Accepted bearer tokens.
    pub bearer_tokens: Vec<String>,
}

impl AuthConfig {
    /// Whether any credential is configured (otherwise everything is open).
    pub fn enabled(&self) -> bool {
        !self.basic_auth_users.is_empty() || !self.bearer_tokens.is_empty()
    }
}

/// The state of the auth middleware.
#[derive(Clone)]
pub struct Auth {
    cfg: Arc<AuthConfig>,
    cache: Arc<Mutex<HashSet<u64>>>,
    hasher: RandomState,
}

impl Auth {
    /// Builds the middleware state.
    pub fn new(cfg: AuthConfig) -> Self {
        Auth {
            cfg: Arc::new(cfg),
            cache: Arc::new(Mutex::new(HashSet::new())),
            hasher: RandomState::new(),
        }
    }

    /// Whether the `Authorization` header value grants access.
    pub fn check(&self, authorization: Option<&str>) -> bool {
        if !self.cfg.enabled() {
            return true;
        }
        let Some(h) = authorization else {
            return false;
        };
        if let Some(token) = h.strip_prefix("Bearer ") {
            return self
                .cfg
                .bearer_tokens
                .iter()
                .any(|t| constant_time_eq(t.as_bytes(), token.trim().as_bytes()));
        }
        let Some(b64) = h.strip_prefix("Basic ") else {
            return false;
        };
        let Some(decoded) = base64_decode(b64.trim()) else {
            return false;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        let Some((user, pass)) = decoded.split_once(':') else {
            return false;
        };
        let Some(hash) = self.cfg.basic_auth_users.get(user) else {
            // Spend the same time as a real check, so user names cannot be
            // probed by timing.
            let _ = bcrypt::verify(
                pass,
                "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi",
            );
            return false;
        };
        let key = self.hasher.hash_one((user, pass, hash));
        if self.cache.lock().map(|c| c.contains(&key)).unwrap_or(false) {
            return true;
        }
        let ok = bcrypt::verify(pass, hash).unwrap_or(false);
        if !ok {
            return false;
        }
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHE_LIMIT {
                c.clear();
            }
            c.insert(key);
        }
        true
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Decodes standard base64 (with or without padding).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The axum middleware: 401 with a `WWW-Authenticate` challenge unless the
/// request carries valid credentials or asks for a probe endpoint.
pub async fn require_auth(State(auth): State<Auth>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/-/healthy" || path == "/-/ready" {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let a = auth.clone();
    let ok = tokio::task::spawn_blocking(move || a.check(header.as_deref()))
        .await
        .unwrap_or(false);
    if ok {
        next.run(req).await
    } else {
        let mut r = (StatusCode::UNAUTHORIZED, Body::from("Unauthorized\n")).into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"telltale\""),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_decode("YWxpY2U6c2VjcmV0").unwrap(), b"alice:secret");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("**").is_none());
    }

    #[test]
    fn basic_and_bearer() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let mut cfg = AuthConfig::default();
        cfg.basic_auth_users.insert("alice".into(), hash);
        cfg.bearer_tokens.push("tok".into());
        let a = Auth::new(cfg);
        assert!(!a.check(None));
        assert!(a.check(Some("Basic YWxpY2U6c2VjcmV0")));
        assert!(a.check(Some("Basic YWxpY2U6c2VjcmV0"))); // cached
        assert!(!a.check(Some("Basic YWxpY2U6d3Jvbmc=")));
        assert!(a.check(Some("Bearer tok")));
        assert!(!a.check(Some("Bearer nope")));
        assert!(Auth::new(AuthConfig::default()).check(None));
    }
}
