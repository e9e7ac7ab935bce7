//! The remote write 1.0 receiver: `POST /api/v1/write`.
//!
//! The body is a snappy block-compressed `WriteRequest`. Its compressed
//! size is bounded by the HTTP layer and its decompressed size on the
//! snappy header, before anything is allocated. Every valid series is
//! appended; samples the storage refuses one by one (out of order beyond
//! the storage's window, too old, duplicates) are counted and skipped.
//!
//! Status codes, as Prometheus's senders expect them:
//!
//! | answer | when | sender |
//! |---|---|---|
//! | 204 | everything appended | done |
//! | 400 | bad snappy or protobuf, invalid labels, too many samples, or some samples refused (the rest are committed) | drops the batch |
//! | 413 | body over the compressed limit | drops the batch |
//! | 415 | a `Content-Encoding` other than snappy | drops the batch |
//! | 429 | too many requests in flight | retries later |
//! | 500, 503 | storage failure or not ready | retries |

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use telltale_model::{Appendable, StorageError};
use tokio::sync::Semaphore;

use crate::error::ScrapeError;

/// Bounds of the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteWriteConfig {
    /// The largest compressed body, in bytes.
    pub max_body_bytes: usize,
    /// The largest decompressed body, in bytes.
    pub max_decompressed_bytes: usize,
    /// The most samples in one request.
    pub max_samples_per_request: usize,
    /// The most requests decoded and appended at once; more get 429.
    pub max_concurrent_requests: usize,
}

impl Default for RemoteWriteConfig {
    fn default() -> Self {
        RemoteWriteConfig {
            max_body_bytes: 32 << 20,
            max_decompressed_bytes: 128 << 20,
            max_samples_per_request: 2_000_000,
            max_concurrent_requests: 8,
        }
    }
}

/// Counters of what the receiver did, for self-monitoring.
#[derive(Debug, Default)]
pub struct RemoteWriteStats {
    /// Requests answered 2xx.
    pub requests_ok: AtomicU64,
    /// Requests refused (4xx/5xx).
    pub requests_failed: AtomicU64,
    /// Samples appended.
    pub samples_appended: AtomicU64,
    /// Samples the storage refused one by one.
    pub samples_rejected: AtomicU64,
    /// Native histogram samples and exemplars skipped (not supported).
    pub samples_unsupported: AtomicU64,
}

/// The receiver's state. Cloning is cheap.
#[derive(Clone)]
pub struct RemoteWriteState {
    storage: Arc<dyn Appendable>,
    cfg: RemoteWriteConfig,
    permits: Arc<Semaphore>,
    /// The receiver's counters.
    pub stats: Arc<RemoteWriteStats>,
}

impl std::fmt::Debug for RemoteWriteState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteState")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl RemoteWriteState {
    /// A receiver appending into `storage`.
    pub fn new(storage: Arc<dyn Appendable>, cfg: RemoteWriteConfig) -> Self {
        let permits = Arc::new(Semaphore::new(cfg.max_concurrent_requests.max(1)));
        RemoteWriteState {
            storage,
            cfg,
            permits,
            stats: Arc::new(RemoteWriteStats::default()),
        }
    }
}

/// What one request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOutcome {
    /// Samples appended.
    pub appended: usize,
    /// Samples the storage refused one by one.
    pub rejected: usize,
    /// Histogram samples and exemplars skipped.
    pub unsupported: usize,
}

/// Decodes a remote write body and appends it: the I/O-free core of the
/// handler.
///
/// # Errors
///
/// [`ScrapeError::BadWrite`] for a body that does not decode, invalid
/// labels or too many samples (nothing is appended then); storage errors
/// that are not per-sample (nothing is committed then).
pub fn write_body(
    storage: &dyn Appendable,
    body: &[u8],
    cfg: &RemoteWriteConfig,
) -> Result<WriteOutcome, ScrapeError> {
    let req = telltale_prompb::decode_write_request(body, cfg.max_decompressed_bytes)
        .map_err(|e| ScrapeError::BadWrite(e.to_string()))?;
    let total: usize = req.timeseries.iter().map(|t| t.samples.len()).sum();
    if total > cfg.max_samples_per_request {
        return Err(ScrapeError::BadWrite(format!(
            "{total} samples in one request, limit {}",
            cfg.max_samples_per_request
        )));
    }
    // Validate every label set before appending anything.
    let mut series = Vec::with_capacity(req.timeseries.len());
    for (i, ts) in req.timeseries.iter().enumerate() {
        let l = telltale_prompb::labels_from_proto(&ts.labels, i)
            .map_err(|e| ScrapeError::BadWrite(e.to_string()))?;
        series.push(l);
    }
    let mut out = WriteOutcome::default();
    let mut app = storage.appender();
    for (ts, labels) in req.timeseries.iter().zip(&series) {
        out.unsupported += ts.histograms.len() + ts.exemplars.len();
        let mut r = 0;
        for s in &ts.samples {
            match app.append(r, labels, s.timestamp, s.value) {
                Ok(nr) => {
                    r = nr;
                    out.appended += 1;
                }
                Err(e) if e.is_sample_error() => out.rejected += 1,
                Err(e) => {
                    app.rollback();
                    return Err(e.into());
                }
            }
        }
    }
    app.commit()?;
    Ok(out)
}

/// The remote write route (`POST /api/v1/write`), to be mounted by the
/// server.
pub fn remote_write_router(state: RemoteWriteState) -> Router {
    let limit = state.cfg.max_body_bytes;
    Router::new()
        .route("/api/v1/write", post(receive))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn fail(st: &RemoteWriteState, status: StatusCode, msg: String) -> Response {
    st.stats.requests_failed.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(%status, error = %msg, "remote write refused");
    (status, format!("{msg}\n")).into_response()
}

async fn receive(State(st): State<RemoteWriteState>, headers: HeaderMap, body: Bytes) -> Response {
    let enc = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("snappy");
    if !enc.eq_ignore_ascii_case(telltale_prompb::SNAPPY_ENCODING) {
        return fail(
            &st,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {enc:?}: remote write 1.0 bodies are snappy"),
        );
    }
    let Ok(permit) = st.permits.clone().try_acquire_owned() else {
        return fail(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            "too many remote write requests in flight".into(),
        );
    };
    let st2 = st.clone();
    let res = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        write_body(st2.storage.as_ref(), &body, &st2.cfg)
    })
    .await;
    match res {
        Ok(Ok(o)) => {
            st.stats
                .samples_appended
                .fetch_add(o.appended as u64, Ordering::Relaxed);
            st.stats
                .samples_rejected
                .fetch_add(o.rejected as u64, Ordering::Relaxed);
            st.stats
                .samples_unsupported
                .fetch_add(o.unsupported as u64, Ordering::Relaxed);
            if o.rejected > 0 {
                // The good samples are committed; a 400 tells the sender not
                // to retry the refused ones, as Prometheus's receiver does.
                return fail(
                    &st,
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{} samples refused (out of order, too old or duplicate); {} appended",
                        o.rejected, o.appended
                    ),
                );
            }
            st.stats.requests_ok.fetch_add(1, Ordering::Relaxed);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(Err(e)) => {
            let status = match &e {
                ScrapeError::BadWrite(_) => StatusCode::BAD_REQUEST,
                ScrapeError::Storage(StorageError::Unavailable(_)) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            fail(&st, status, e.to_string())
        }
        Err(e) => fail(
            &st,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("write task failed: {e}"),
        ),
    }
}
