//! The embedded static files and how they are served.
//!
//! Everything under `crates/ui/assets/` is compiled into the binary by
//! `rust-embed` (with `debug-embed`, so debug builds embed too and the binary
//! needs no files beside it). Pages are one `index.html`; the JavaScript
//! modules under `/ui/js/` pick the page from the URL.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The embedded asset tree (`crates/ui/assets/`).
#[derive(RustEmbed)]
#[folder = "assets/"]
pub struct Assets;

/// The content type for a file name, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "yaml" | "yml" => "application/yaml",
        _ => "application/octet-stream",
    }
}

/// Serves one embedded file with its content type and an ETag; answers
/// `304 Not Modified` when `If-None-Match` matches and `404` when there is no
/// such file.
pub fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no such UI file: {path}\n"),
        )
            .into_response();
    };
    let hash = file.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash.iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut resp = Response::new(Body::from(file.data.into_owned()));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// Every embedded file's path, for tests and listings.
pub fn list() -> Vec<String> {
    Assets::iter().map(|p| p.into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("js/app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.HTML"), "text/html; charset=utf-8");
        assert_eq!(content_type("x"), "application/octet-stream");
    }

    #[test]
    fn index_and_app_are_embedded() {
        let l = list();
        assert!(l.iter().any(|p| p == "index.html"), "{l:?}");
        assert!(l.iter().any(|p| p == "js/app.js"), "{l:?}");
    }

    #[test]
    fn etag_gives_not_modified() {
        let r = serve("index.html", &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers()[header::ETAG].clone();
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(serve("index.html", &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve("nope.js", &h).status(), StatusCode::NOT_FOUND);
    }
}
