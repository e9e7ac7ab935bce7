//! Helpers shared by the black-box tests: an in-test HTTP target on
//! 127.0.0.1 whose body, status and delay the test controls.

#![allow(dead_code, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use telltale_model::{Labels, Matcher, MemStorage, Queryable, Sample};

/// What the fake target answers.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub body: String,
    pub content_type: Option<String>,
    pub status: u16,
    pub delay: Duration,
    pub gzip: bool,
    /// If set, requests must carry this `Authorization` header.
    pub require_auth: Option<String>,
}

#[derive(Clone, Default)]
pub struct Target {
    pub page: Arc<Mutex<Page>>,
    pub hits: Arc<Mutex<Vec<HeaderMap>>>,
}

impl Target {
    pub fn set_body(&self, body: &str) {
        self.page.lock().unwrap().body = body.to_string();
    }
    pub fn hits(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

async fn serve_page(t: Target, headers: HeaderMap) -> Response {
    let page = t.page.lock().unwrap().clone();
    t.hits.lock().unwrap().push(headers.clone());
    if !page.delay.is_zero() {
        tokio::time::sleep(page.delay).await;
    }
    if let Some(want) = &page.require_auth {
        let got = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if got != Some(want.as_str()) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let status = StatusCode::from_u16(if page.status == 0 { 200 } else { page.status })
        .unwrap_or(StatusCode::OK);
    let ct = page
        .content_type
        .clone()
        .unwrap_or_else(|| "text/plain; version=0.0.4".into());
    if page.gzip {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(page.body.as_bytes()).unwrap();
        let bytes = enc.finish().unwrap();
        return (
            status,
            [
                (header::CONTENT_TYPE, ct),
                (header::CONTENT_ENCODING, "gzip".to_string()),
            ],
            bytes,
        )
            .into_response();
    }
    (status, [(header::CONTENT_TYPE, ct)], page.body).into_response()
}

/// Starts a target on 127.0.0.1:0; returns its address and control.
pub async fn start_target(body: &str) -> (String, Target) {
    let t = Target::default();
    t.set_body(body);
    let tt = t.clone();
    let app = Router::new().route(
        "/metrics",
        get(move |h: HeaderMap| serve_page(tt.clone(), h)),
    );
    let addr = serve(app).await;
    (addr, t)
}

/// Serves `app` on 127.0.0.1:0 and returns `host:port`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Polls `f` every 20ms for at most 10s.
pub async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Every series whose name is `name`, with its samples.
pub fn series(db: &MemStorage, name: &str) -> Vec<(Labels, Vec<Sample>)> {
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    q.select(&Default::default(), &[Matcher::equal("__name__", name)])
        .unwrap()
        .into_iter()
        .map(|mut s| {
            let v = s.samples.collect_all().unwrap();
            (s.labels, v)
        })
        .collect()
}

/// The last value of the first series named `name`.
pub fn last(db: &MemStorage, name: &str) -> Option<f64> {
    series(db, name)
        .first()
        .and_then(|(_, v)| v.last().map(|s| s.v))
}
