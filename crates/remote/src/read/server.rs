//! The remote read server: `POST /api/v1/read`.
//!
//! The body is a snappy-compressed `ReadRequest`. Each query's matchers and
//! time range go through the storage's [`Querier`]; the answer is either
//!
//! - `SAMPLES`: one snappy-compressed `ReadResponse` with raw samples
//!   (`Content-Type: application/x-protobuf`, `Content-Encoding: snappy`), or
//! - `STREAMED_XOR_CHUNKS`: frames of `ChunkedReadResponse`
//!   (`application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse`),
//!   each frame one series (a series may span several frames), its samples
//!   re-encoded into Prometheus XOR chunks of at most 120 samples, a frame
//!   closed once it passes [`ReadLimits::max_bytes_in_frame`].
//!
//! The first response type in `accepted_response_types` that the server
//! speaks wins, as in Prometheus; an empty list means `SAMPLES`.
//!
//! Bounds: the compressed body size (HTTP layer), the decompressed size
//! (checked on the snappy header), the number of queries, the total number
//! of samples in one response ([`ReadLimits::max_samples`], which also
//! bounds the memory the answer takes) and the number of requests in
//! flight. Over a bound the answer is 400 (413 for the body), with a
//! message saying which bound; bad snappy, protobuf or matchers are 400.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use telltale_model::{Matcher, Queryable, SelectHints};
use telltale_prompb::{
    Chunk, ChunkedReadResponse, ChunkedSeries, PROTOBUF_CONTENT_TYPE, Query, QueryResult,
    ReadResponse, STREAMED_CONTENT_TYPE, Sample, TimeSeries, chunk, decode_read_request,
    encode_read_response, labels_to_proto, matcher_from_proto, read_request::ResponseType,
    write_frame,
};
use tokio::sync::Semaphore;

use crate::error::Error;

/// The most samples in one XOR chunk of a streamed response (Prometheus's
/// head cuts chunks at 120 samples too).
pub const SAMPLES_PER_CHUNK: usize = 120;

/// Bounds of the remote read server.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadLimits {
    /// The most samples one request may return (all queries together);
    /// Prometheus's `--storage.remote.read-sample-limit`, default 5e7.
    /// 0 means no limit.
    pub max_samples: usize,
    /// Requests served at the same time; more get 429
    /// (`--storage.remote.read-concurrent-limit`, default 10).
    pub max_concurrent: usize,
    /// The size at which a streamed frame is closed
    /// (`--storage.remote.read-max-bytes-in-frame`, default 1 MiB).
    pub max_bytes_in_frame: usize,
    /// The largest compressed request body (default 4 MiB).
    pub max_body_bytes: usize,
    /// The largest decompressed request (default 16 MiB).
    pub max_decompressed_bytes: usize,
    /// The most queries in one request (default 1000).
    pub max_queries: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_samples: 50_000_000,
            max_concurrent: 10,
            max_bytes_in_frame: 1 << 20,
            max_body_bytes: 4 << 20,
            max_decompressed_bytes: 16 << 20,
            max_queries: 1000,
        }
    }
}

struct ReadState {
    storage: Arc<dyn Queryable>,
    limits: ReadLimits,
    inflight: Semaphore,
}

/// The router serving `POST /api/v1/read` over `storage`.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use telltale_model::MemStorage;
/// use telltale_remote::{ReadLimits, remote_read_router};
///
/// let app: axum::Router = remote_read_router(Arc::new(MemStorage::new()), ReadLimits::default());
/// ```
pub fn remote_read_router(storage: Arc<dyn Queryable>, limits: ReadLimits) -> Router {
    let body_limit = limits.max_body_bytes;
    let state = Arc::new(ReadState {
        storage,
        inflight: Semaphore::new(limits.max_concurrent.max(1)),
        limits,
    });
    Router::new()
        .route("/api/v1/read", post(handle_read))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn handle_read(
    State(st): State<Arc<ReadState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(enc) = headers.get(header::CONTENT_ENCODING)
        && !enc.as_bytes().eq_ignore_ascii_case(b"snappy")
    {
        return Error::UnsupportedMedia(format!(
            "Content-Encoding {:?}: remote read bodies are snappy-compressed",
            String::from_utf8_lossy(enc.as_bytes())
        ))
        .into_response();
    }
    let Ok(_permit) = st.inflight.try_acquire() else {
        return Error::TooManyRequests(st.limits.max_concurrent).into_response();
    };
    let st2 = Arc::clone(&st);
    let res = tokio::task::spawn_blocking(move || answer(&st2, &body)).await;
    match res {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "remote read refused");
            e.into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("remote read task failed: {e}\n"),
        )
            .into_response(),
    }
}

/// Decodes a request and builds the whole answer.
fn answer(st: &ReadState, body: &[u8]) -> Result<Response, Error> {
    let req = decode_read_request(body, st.limits.max_decompressed_bytes)
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    if req.queries.len() > st.limits.max_queries {
        return Err(Error::Limit(format!(
            "{} queries in one request, the limit is {}",
            req.queries.len(),
            st.limits.max_queries
        )));
    }
    let mut streamed = false;
    for t in &req.accepted_response_types {
        match ResponseType::try_from(*t) {
            Ok(ResponseType::Samples) => break,
            Ok(ResponseType::StreamedXorChunks) => {
                streamed = true;
                break;
            }
            Err(_) => continue,
        }
    }
    let mut budget = Budget {
        left: if st.limits.max_samples == 0 {
            usize::MAX
        } else {
            st.limits.max_samples
        },
        limit: st.limits.max_samples,
    };
    if streamed {
        let mut out = Vec::new();
        for (i, q) in req.queries.iter().enumerate() {
            stream_query(st, q, i as i64, &mut budget, &mut out)?;
        }
        Ok((
            [(header::CONTENT_TYPE, STREAMED_CONTENT_TYPE)],
            Body::from(out),
        )
            .into_response())
    } else {
        let mut resp = ReadResponse::default();
        for q in &req.queries {
            resp.results.push(sampled_query(st, q, &mut budget)?);
        }
        Ok((
            [
                (header::CONTENT_TYPE, PROTOBUF_CONTENT_TYPE),
                (header::CONTENT_ENCODING, "snappy"),
            ],
            Body::from(encode_read_response(&resp)),
        )
            .into_response())
    }
}

/// Samples still allowed in this response.
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    fn take(&mut self) -> Result<(), Error> {
        if self.left == 0 {
            return Err(Error::Limit(format!(
                "the response would hold more than {} samples (remote read sample limit); narrow the query",
                self.limit
            )));
        }
        self.left -= 1;
        Ok(())
    }
}

fn matchers(q: &Query) -> Result<Vec<Matcher>, Error> {
    let ms = q
        .matchers
        .iter()
        .map(|m| matcher_from_proto(m).map_err(|e| Error::BadRequest(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if ms.is_empty() || ms.iter().all(|m| m.matches_empty()) {
        return Err(Error::BadRequest(
            "a query needs at least one matcher that does not match the empty string".into(),
        ));
    }
    if q.start_timestamp_ms > q.end_timestamp_ms {
        return Err(Error::BadRequest(format!(
            "start {} is after end {}",
            q.start_timestamp_ms, q.end_timestamp_ms
        )));
    }
    Ok(ms)
}

fn hints(q: &Query) -> SelectHints {
    let mut h = SelectHints {
        start: Some(q.start_timestamp_ms),
        end: Some(q.end_timestamp_ms),
        ..Default::default()
    };
    if let Some(rh) = &q.hints {
        h.step = rh.step_ms;
        h.range = rh.range_ms;
        if !rh.func.is_empty() {
            h.func = Some(rh.func.clone());
        }
    }
    h
}

fn sampled_query(st: &ReadState, q: &Query, budget: &mut Budget) -> Result<QueryResult, Error> {
    let ms = matchers(q)?;
    let querier = st
        .storage
        .querier(q.start_timestamp_ms, q.end_timestamp_ms)?;
    let mut out = QueryResult::default();
    for mut s in querier.select(&hints(q), &ms)? {
        let mut samples = Vec::new();
        while let Some(x) = s.samples.next()? {
            budget.take()?;
            samples.push(Sample {
                value: x.v,
                timestamp: x.t,
            });
        }
        if samples.is_empty() {
            continue;
        }
        out.timeseries.push(TimeSeries {
            labels: labels_to_proto(&s.labels),
            samples,
            ..Default::default()
        });
    }
    Ok(out)
}

fn stream_query(
    st: &ReadState,
    q: &Query,
    index: i64,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let ms = matchers(q)?;
    let querier = st
        .storage
        .querier(q.start_timestamp_ms, q.end_timestamp_ms)?;
    for mut s in querier.select(&hints(q), &ms)? {
        let labels = labels_to_proto(&s.labels);
        let mut chunks: Vec<Chunk> = Vec::new();
        let mut frame_bytes = 0usize;
        let mut batch: Vec<(i64, f64)> = Vec::with_capacity(SAMPLES_PER_CHUNK);
        loop {
            let next = s.samples.next()?;
            if let Some(x) = next {
                budget.take()?;
                batch.push((x.t, x.v));
            }
            let full = batch.len() == SAMPLES_PER_CHUNK;
            if (full || next.is_none())
                && let (Some(first), Some(last)) = (batch.first(), batch.last())
            {
                let data = telltale_tsdb::chunkenc::encode(&batch);
                frame_bytes += data.len();
                chunks.push(Chunk {
                    min_time_ms: first.0,
                    max_time_ms: last.0,
                    r#type: chunk::Encoding::Xor as i32,
                    data,
                });
                batch.clear();
            }
            if !chunks.is_empty() && (frame_bytes >= st.limits.max_bytes_in_frame || next.is_none())
            {
                write_frame(
                    out,
                    &ChunkedReadResponse {
                        chunked_series: vec![ChunkedSeries {
                            labels: labels.clone(),
                            chunks: std::mem::take(&mut chunks),
                        }],
                        query_index: index,
                    },
                );
                frame_bytes = 0;
            }
            if next.is_none() {
                break;
            }
        }
    }
    Ok(())
}

/// Runs one request without HTTP (for the tests beside the code).
#[cfg(test)]
pub(crate) fn answer_for_test(
    storage: Arc<dyn Queryable>,
    limits: ReadLimits,
    body: Vec<u8>,
) -> Response {
    let st = ReadState {
        storage,
        inflight: Semaphore::new(1),
        limits,
    };
    match answer(&st, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
