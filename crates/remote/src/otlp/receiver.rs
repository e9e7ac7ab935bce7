//! The OTLP/HTTP receiver: `POST /api/v1/otlp/v1/metrics` (Prometheus's
//! path), `application/x-protobuf` or `application/json`, optionally
//! `Content-Encoding: gzip`.
//!
//! | answer | when |
//! |---|---|
//! | 200, empty `ExportMetricsServiceResponse` | everything stored |
//! | 200 with `partial_success` (count and reason) | some points rejected (delta temporality, exponential histograms, refused by storage), the rest stored |
//! | 400 | undecodable body, over the sample limit, or every point rejected |
//! | 413 | body over the size limit (compressed or after gzip) |
//! | 415 | another content type or encoding |
//! | 500, 503 | storage failure (retryable) |

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use telltale_model::{Appendable, MetricFamily, MetricMetadata, MetricType};

use super::convert::{OtlpSample, Rejected, convert};
use super::proto::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use crate::error::Error;

/// The path Prometheus serves OTLP metrics on.
pub const OTLP_PATH: &str = "/api/v1/otlp/v1/metrics";

/// Bounds of the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpLimits {
    /// The largest body as sent (default 32 MiB).
    pub max_body_bytes: usize,
    /// The largest body after gzip (default 64 MiB).
    pub max_decompressed_bytes: usize,
    /// The most samples one request may produce (default 1,000,000).
    pub max_samples: usize,
}

impl Default for OtlpLimits {
    fn default() -> Self {
        OtlpLimits {
            max_body_bytes: 32 << 20,
            max_decompressed_bytes: 64 << 20,
            max_samples: 1_000_000,
        }
    }
}

/// Counters of the receiver, for `/metrics`.
#[derive(Debug, Default)]
pub struct OtlpStats {
    requests: AtomicU64,
    bad_requests: AtomicU64,
    samples: AtomicU64,
    delta: AtomicU64,
    exponential: AtomicU64,
    invalid: AtomicU64,
    storage: AtomicU64,
}

impl OtlpStats {
    /// The counters as metric families (`telltale_otlp_*`).
    pub fn families(&self) -> Vec<MetricFamily> {
        let counter = |name: &str, help: &str| {
            MetricFamily::new(
                name,
                MetricMetadata {
                    metric_type: MetricType::Counter,
                    help: help.into(),
                    unit: String::new(),
                },
            )
        };
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        let mut req = counter(
            "telltale_otlp_requests_total",
            "OTLP metrics requests received.",
        );
        req.push(&[], ld(&self.requests));
        let mut bad = counter(
            "telltale_otlp_bad_requests_total",
            "OTLP metrics requests refused as a whole (400, 413, 415).",
        );
        bad.push(&[], ld(&self.bad_requests));
        let mut s = counter(
            "telltale_otlp_samples_appended_total",
            "Samples stored from OTLP.",
        );
        s.push(&[], ld(&self.samples));
        let mut r = counter(
            "telltale_otlp_points_rejected_total",
            "OTLP data points or samples not stored, by reason.",
        );
        r.push(&[("reason", "delta_temporality")], ld(&self.delta));
        r.push(
            &[("reason", "exponential_histogram")],
            ld(&self.exponential),
        );
        r.push(&[("reason", "invalid")], ld(&self.invalid));
        r.push(&[("reason", "storage")], ld(&self.storage));
        vec![req, bad, s, r]
    }
}

/// The OTLP receiver: its storage, limits and counters.
#[derive(Clone)]
pub struct OtlpReceiver {
    storage: Arc<dyn Appendable>,
    limits: OtlpLimits,
    stats: Arc<OtlpStats>,
}

impl OtlpReceiver {
    /// A receiver appending to `storage`.
    pub fn new(storage: Arc<dyn Appendable>, limits: OtlpLimits) -> Self {
        OtlpReceiver {
            storage,
            limits,
            stats: Arc::new(OtlpStats::default()),
        }
    }

    /// Its counters.
    pub fn stats(&self) -> Arc<OtlpStats> {
        Arc::clone(&self.stats)
    }

    /// The router serving [`OTLP_PATH`].
    pub fn router(&self) -> Router {
        Router::new()
            .route(OTLP_PATH, post(handle))
            .layer(DefaultBodyLimit::max(self.limits.max_body_bytes))
            .with_state(self.clone())
    }
}

/// The router serving `POST /api/v1/otlp/v1/metrics` into `storage` with
/// default limits.
pub fn otlp_router(storage: Arc<dyn Appendable>) -> Router {
    OtlpReceiver::new(storage, OtlpLimits::default()).router()
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Protobuf,
    Json,
}

fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("gzip: {e}")))?;
    if out.len() > limit {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is larger than {limit} bytes after gzip"),
        ));
    }
    Ok(out)
}

fn refuse(rx: &OtlpReceiver, status: StatusCode, msg: String) -> Response {
    rx.stats.bad_requests.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(%status, msg, "OTLP request refused");
    (status, format!("{msg}\n")).into_response()
}

async fn handle(State(rx): State<OtlpReceiver>, headers: HeaderMap, body: Bytes) -> Response {
    rx.stats.requests.fetch_add(1, Ordering::Relaxed);
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format =
        if ct.starts_with("application/x-protobuf") || ct.starts_with("application/protobuf") {
            Format::Protobuf
        } else if ct.starts_with("application/json") {
            Format::Json
        } else {
            return refuse(
                &rx,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Type {ct:?}: send application/x-protobuf or application/json"),
            );
        };
    let enc = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let rx2 = rx.clone();
    let res = tokio::task::spawn_blocking(move || {
        let raw: Vec<u8> = match enc.as_str() {
            "" | "identity" => body.to_vec(),
            "gzip" => gunzip(&body, rx2.limits.max_decompressed_bytes)?,
            other => {
                return Err((
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Encoding {other:?}: send gzip or none"),
                ));
            }
        };
        let req = decode_request(&raw, format == Format::Json)
            .map_err(|m| (StatusCode::BAD_REQUEST, m))?;
        ingest(&rx2, &req)
    })
    .await;
    match res {
        Ok(Ok(rejected)) => respond(format, rejected),
        Ok(Err((status, msg))) => refuse(&rx, status, msg),
        Err(e) => refuse(
            &rx,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("OTLP task failed: {e}"),
        ),
    }
}

/// Decodes a request body: OTLP/JSON when `json`, else protobuf.
///
/// # Errors
///
/// A message saying what could not be decoded.
pub fn decode_request(raw: &[u8], json: bool) -> Result<ExportMetricsServiceRequest, String> {
    if json {
        serde_json::from_slice(raw)
            .map_err(|e| format!("cannot decode ExportMetricsServiceRequest JSON: {e}"))
    } else {
        ExportMetricsServiceRequest::decode(raw)
            .map_err(|e| format!("cannot decode ExportMetricsServiceRequest protobuf: {e}"))
    }
}

/// Converts and appends; returns what was rejected.
fn ingest(
    rx: &OtlpReceiver,
    req: &ExportMetricsServiceRequest,
) -> Result<(Rejected, u64), (StatusCode, String)> {
    let mut samples: Vec<OtlpSample> = Vec::new();
    let mut rej = convert(req, rx.limits.max_samples, &mut samples)
        .map_err(|m| (StatusCode::BAD_REQUEST, m))?;
    rx.stats.delta.fetch_add(rej.delta, Ordering::Relaxed);
    rx.stats
        .exponential
        .fetch_add(rej.exponential_histogram, Ordering::Relaxed);
    rx.stats.invalid.fetch_add(rej.invalid, Ordering::Relaxed);
    let mut app = rx.storage.appender();
    let mut refused = 0u64;
    let mut stored = 0u64;
    for s in &samples {
        match app.append(0, &s.labels, s.t, s.v) {
            Ok(_) => stored += 1,
            Err(e) if e.is_sample_error() => {
                refused += 1;
                if rej.messages.len() < 5 {
                    rej.messages.push(e.to_string());
                }
            }
            Err(e) => {
                app.rollback();
                let err = Error::Storage(e);
                return Err((err.status(), err.to_string()));
            }
        }
    }
    app.commit().map_err(|e| {
        let err = Error::Storage(e);
        (err.status(), err.to_string())
    })?;
    rx.stats.samples.fetch_add(stored, Ordering::Relaxed);
    rx.stats.storage.fetch_add(refused, Ordering::Relaxed);
    if stored == 0 && (rej.total() > 0 || refused > 0) {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("nothing stored: {}", rej.messages.join("; ")),
        ));
    }
    Ok((rej, refused))
}

fn respond(format: Format, (rej, refused): (Rejected, u64)) -> Response {
    let rejected = rej.total() + refused;
    let partial = (rejected > 0).then(|| ExportMetricsPartialSuccess {
        rejected_data_points: rejected as i64,
        error_message: rej.messages.join("; "),
    });
    match format {
        Format::Protobuf => {
            let body = ExportMetricsServiceResponse {
                partial_success: partial,
            }
            .encode_to_vec();
            (
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                Body::from(body),
            )
                .into_response()
        }
        Format::Json => {
            let v = match partial {
                Some(p) => serde_json::json!({"partialSuccess": {
                    "rejectedDataPoints": p.rejected_data_points.to_string(),
                    "errorMessage": p.error_message,
                }}),
                None => serde_json::json!({}),
            };
            ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
        }
    }
}
