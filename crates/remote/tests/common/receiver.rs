//! A remote write receiver for tests: records what it gets, can be told to
//! fail.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use telltale_prompb::{decode_write_request, labels_from_proto};

/// What the fake receiver got, and the status it answers with.
#[derive(Default)]
pub struct Fake {
    /// 0 or 204 = accept; anything else is answered as is.
    pub status: AtomicU16,
    /// (series, t, value bits).
    pub got: Mutex<Vec<(String, i64, u64)>>,
    /// Requests seen.
    pub requests: AtomicU64,
    /// Headers of the last request.
    pub headers: Mutex<Option<HeaderMap>>,
}

async fn write(State(f): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    f.requests.fetch_add(1, Ordering::SeqCst);
    *f.headers.lock().unwrap() = Some(headers);
    let s = f.status.load(Ordering::SeqCst);
    if s != 0 && s != 204 {
        return StatusCode::from_u16(s).unwrap();
    }
    let req = decode_write_request(&body, 64 << 20).unwrap();
    let mut got = f.got.lock().unwrap();
    for (i, ts) in req.timeseries.iter().enumerate() {
        let l = labels_from_proto(&ts.labels, i).unwrap().to_string();
        for s in &ts.samples {
            got.push((l.clone(), s.timestamp, s.value.to_bits()));
        }
    }
    StatusCode::NO_CONTENT
}

/// The router (`POST /api/v1/write`) over `f`.
pub fn router(f: Arc<Fake>) -> Router {
    Router::new()
        .route("/api/v1/write", post(write))
        .with_state(f)
}
