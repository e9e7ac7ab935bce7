//! `query`, `query_range`, `format_query`, `parse_query`, `query_exemplars`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::json;
use telltale_promql::{CancelToken, PromqlError, QueryResult};

use super::json::result_json;
use super::read_params;
use super::response::{ApiError, ApiResponse, ApiResult, ErrorType};
use crate::state::{AppState, now_ms};

/// Prometheus's limit on points per series in a range query.
const MAX_POINTS: i64 = 11_000;

/// Cancels the query when the handler's future is dropped (client gone).
struct CancelOnDrop(CancelToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A client's `timeout` parameter cancels the query when it runs out (the
/// engine's own timeout still applies when it is shorter).
fn cancel_after(timeout_ms: Option<i64>, token: &CancelToken) {
    if let Some(ms) = timeout_ms.filter(|ms| *ms > 0) {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
            token.cancel();
        });
    }
}

fn promql_error(e: PromqlError) -> ApiError {
    ApiError {
        kind: ErrorType::parse(e.error_type()),
        message: e.to_string(),
    }
}

fn answer(res: QueryResult) -> ApiResponse {
    let mut r = ApiResponse::raw(result_json(&res.value));
    r.warnings = res.warnings;
    r.infos = res.infos;
    r
}

/// `GET/POST /api/v1/query`.
pub async fn instant(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let query = p.get("query").unwrap_or("").to_string();
    let time = p.time_or("time", now_ms())?;
    let token = CancelToken::new();
    let guard = CancelOnDrop(token.clone());
    cancel_after(p.duration("timeout")?, &token);
    let engine = st.engine.clone();
    let storage = st.storage.clone();
    let res = tokio::task::spawn_blocking(move || {
        engine.instant_query(storage.as_ref(), &query, time, &token)
    })
    .await
    .map_err(|e| ApiError::internal(format!("query task failed: {e}")))?;
    drop(guard);
    res.map(answer).map_err(promql_error)
}

/// `GET/POST /api/v1/query_range`.
pub async fn range(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let query = p.get("query").unwrap_or("").to_string();
    let start = p.time("start")?;
    let end = p.time("end")?;
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    let step = match p.duration("step")? {
        Some(s) => s,
        None => return Err(ApiError::bad_data("invalid parameter \"step\": missing")),
    };
    if step <= 0 {
        return Err(ApiError::bad_data(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end - start) / step > MAX_POINTS {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let token = CancelToken::new();
    let guard = CancelOnDrop(token.clone());
    cancel_after(p.duration("timeout")?, &token);
    let engine = st.engine.clone();
    let storage = st.storage.clone();
    let res = tokio::task::spawn_blocking(move || {
        engine.range_query(storage.as_ref(), &query, start, end, step, &token)
    })
    .await
    .map_err(|e| ApiError::internal(format!("query task failed: {e}")))?;
    drop(guard);
    res.map(answer).map_err(promql_error)
}

/// `GET/POST /api/v1/format_query`: the expression, pretty-printed.
pub async fn format(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let query = p.get("query").unwrap_or("");
    telltale_promql::format_query(query)
        .map(|s| ApiResponse::new(json!(s)))
        .map_err(promql_error)
}

/// `GET/POST /api/v1/parse_query`: the expression's syntax tree as JSON.
pub async fn parse(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let query = p.get("query").unwrap_or("");
    let text = telltale_promql::parse_query_json(query).map_err(promql_error)?;
    serde_json::from_str(&text)
        .map(ApiResponse::new)
        .map_err(|e| ApiError::internal(format!("syntax tree is not JSON: {e}")))
}

/// `GET/POST /api/v1/query_exemplars`: exemplars are not stored yet, so the
/// answer is a valid empty list (after checking the parameters as
/// Prometheus does).
pub async fn exemplars(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let query = p.get("query").unwrap_or("");
    telltale_promql::format_query(query).map_err(promql_error)?;
    let start = p.time_or("start", super::params::MIN_TIME_MS)?;
    let end = p.time_or("end", super::params::MAX_TIME_MS)?;
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    Ok(ApiResponse::new(json!([])))
}
