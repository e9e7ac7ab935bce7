//! The HTTP client side shared by scrapes and HTTP discovery: building a
//! `reqwest` client from TLS settings, adding credentials, and reading a
//! body with a size bound.

use std::time::Duration;

use crate::config::{Authorization, BasicAuth, TlsConfig};
use crate::error::ScrapeError;

/// The `User-Agent` sent with scrapes and discovery requests.
pub const USER_AGENT: &str = concat!("Telltale/", env!("CARGO_PKG_VERSION"));

/// Installs rustls's ring provider as the process default if none is
/// installed yet (the binary does this at start; tests and library users
/// may not have).
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either way a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// What a client needs to know, from a scrape config or an HTTP SD config.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientSettings {
    /// TLS settings.
    pub tls: Option<TlsConfig>,
    /// Whether to follow redirects.
    pub follow_redirects: bool,
    /// Whether to ask for gzip.
    pub compression: bool,
}

fn read_file(name: &str) -> Result<Vec<u8>, ScrapeError> {
    std::fs::read(name).map_err(|e| ScrapeError::io(name, &e))
}

fn pem_or_file(
    inline: &Option<String>,
    file: &Option<String>,
) -> Result<Option<Vec<u8>>, ScrapeError> {
    if let Some(s) = inline {
        return Ok(Some(s.as_bytes().to_vec()));
    }
    match file {
        Some(f) => read_file(f).map(Some),
        None => Ok(None),
    }
}

fn tls_version(v: &str) -> Result<reqwest::tls::Version, ScrapeError> {
    match v {
        "TLS12" => Ok(reqwest::tls::Version::TLS_1_2),
        "TLS13" => Ok(reqwest::tls::Version::TLS_1_3),
        other => Err(ScrapeError::invalid(
            "",
            format!("unsupported TLS version {other:?} (TLS12 or TLS13)"),
        )),
    }
}

/// Builds a client.
///
/// # Errors
///
/// [`ScrapeError::Io`] for unreadable certificate files,
/// [`ScrapeError::InvalidConfig`] for unusable certificates or versions.
pub fn build_client(s: &ClientSettings) -> Result<reqwest::Client, ScrapeError> {
    ensure_crypto_provider();
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(30))
        .gzip(s.compression)
        .redirect(if s.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
    if let Some(t) = &s.tls {
        let bad = |m: String| ScrapeError::invalid("", m);
        if let Some(ca) = pem_or_file(&t.ca, &t.ca_file)? {
            let certs = reqwest::Certificate::from_pem_bundle(&ca)
                .map_err(|e| bad(format!("CA certificates: {e}")))?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let cert = pem_or_file(&t.cert, &t.cert_file)?;
        let key = pem_or_file(&t.key, &t.key_file)?;
        match (cert, key) {
            (Some(mut c), Some(k)) => {
                c.push(b'\n');
                c.extend_from_slice(&k);
                let id = reqwest::Identity::from_pem(&c)
                    .map_err(|e| bad(format!("client certificate: {e}")))?;
                b = b.identity(id);
            }
            (None, None) => {}
            _ => {
                return Err(bad(
                    "client certificate and key must be configured together".into(),
                ));
            }
        }
        if t.insecure_skip_verify {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        if let Some(v) = &t.min_version {
            b = b.tls_version_min(tls_version(v)?);
        }
        if let Some(v) = &t.max_version {
            b = b.tls_version_max(tls_version(v)?);
        }
    }
    b.build()
        .map_err(|e| ScrapeError::invalid("", format!("HTTP client: {e}")))
}

fn trimmed_file(name: &str) -> Result<String, ScrapeError> {
    let d = read_file(name)?;
    Ok(String::from_utf8_lossy(&d).trim().to_string())
}

/// Adds basic auth or an `Authorization` header to a request, reading
/// credential files now so rotated secrets are picked up.
///
/// # Errors
///
/// [`ScrapeError::Io`] for an unreadable credentials file.
pub fn add_auth(
    mut req: reqwest::RequestBuilder,
    basic: &Option<BasicAuth>,
    authz: &Option<Authorization>,
) -> Result<reqwest::RequestBuilder, ScrapeError> {
    if let Some(b) = basic {
        let user = match &b.username_file {
            Some(f) => trimmed_file(f)?,
            None => b.username.clone(),
        };
        let pass = match &b.password_file {
            Some(f) => Some(trimmed_file(f)?),
            None => b.password.clone(),
        };
        req = req.basic_auth(user, pass);
    }
    if let Some(a) = authz {
        let cred = match &a.credentials_file {
            Some(f) => trimmed_file(f)?,
            None => a.credentials.clone().unwrap_or_default(),
        };
        req = req.header(
            reqwest::header::AUTHORIZATION,
            format!("{} {}", a.kind, cred),
        );
    }
    Ok(req)
}

/// Reads a response body, failing as soon as it passes `limit` bytes
/// (0 = no limit). Decompression has already happened, so the limit is on
/// the uncompressed size.
///
/// # Errors
///
/// [`ScrapeError::BodyTooLarge`], or [`ScrapeError::Http`] when the
/// connection fails mid-body.
pub async fn read_body(
    mut resp: reqwest::Response,
    limit: u64,
    url: &str,
) -> Result<Vec<u8>, ScrapeError> {
    let mut out = Vec::new();
    if let Some(len) = resp.content_length()
        && limit > 0
        && len <= limit
    {
        out.reserve(usize::try_from(len).unwrap_or(0));
    }
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if limit > 0 && (out.len() + c.len()) as u64 > limit {
                    return Err(ScrapeError::BodyTooLarge { limit });
                }
                out.extend_from_slice(&c);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(ScrapeError::Http {
                    url: url.to_string(),
                    message: error_chain(&e),
                });
            }
        }
    }
}

/// A reqwest error with its causes, as one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tls: TlsConfig) -> ClientSettings {
        ClientSettings {
            tls: Some(tls),
            follow_redirects: true,
            compression: true,
        }
    }

    #[test]
    fn tls_settings_are_checked() {
        let missing = TlsConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        assert!(matches!(
            build_client(&settings(missing)),
            Err(ScrapeError::Io { .. })
        ));
        let garbage = TlsConfig {
            ca: Some("not a certificate".into()),
            ..Default::default()
        };
        let e = build_client(&settings(garbage));
        assert!(e.is_ok() || matches!(e, Err(ScrapeError::InvalidConfig { .. })));
        let half = TlsConfig {
            cert: Some("x".into()),
            ..Default::default()
        };
        assert!(matches!(
            build_client(&settings(half)),
            Err(ScrapeError::InvalidConfig { .. })
        ));
        let version = TlsConfig {
            min_version: Some("TLS10".into()),
            ..Default::default()
        };
        assert!(matches!(
            build_client(&settings(version)),
            Err(ScrapeError::InvalidConfig { .. })
        ));
        let ok = TlsConfig {
            insecure_skip_verify: true,
            min_version: Some("TLS12".into()),
            ..Default::default()
        };
        assert!(build_client(&settings(ok)).is_ok());
    }

    #[tokio::test]
    async fn credentials_files_are_read_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "s3cret\n").unwrap();
        ensure_crypto_provider();
        let c = reqwest::Client::new();
        let authz = Some(Authorization {
            kind: "Bearer".into(),
            credentials: None,
            credentials_file: Some(f.to_string_lossy().into_owned()),
        });
        let req = add_auth(c.get("http://127.0.0.1:1/"), &None, &authz)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer s3cret");
        let missing = Some(BasicAuth {
            username: "u".into(),
            password_file: Some("/nonexistent".into()),
            ..Default::default()
        });
        assert!(add_auth(c.get("http://127.0.0.1:1/"), &missing, &None).is_err());
    }
}
