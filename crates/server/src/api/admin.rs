//! `admin/tsdb/*`: off unless enabled.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::json;

use super::params::{MAX_TIME_MS, MIN_TIME_MS};
use super::response::{ApiError, ApiResponse, ApiResult};
use super::{parse_match_params, read_params};
use crate::state::{AppState, TsdbAdmin};

fn admin(st: &AppState) -> Result<std::sync::Arc<dyn TsdbAdmin>, ApiError> {
    if !st.enable_admin {
        return Err(ApiError::unavailable(
            "admin APIs disabled (start with --web.enable-admin-api to enable them)",
        ));
    }
    st.tsdb
        .clone()
        .ok_or_else(|| ApiError::unavailable("no local storage in this mode"))
}

async fn run(f: impl FnOnce() -> Result<serde_json::Value, String> + Send + 'static) -> ApiResult {
    let v = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)?;
    if v.is_null() {
        // Prometheus answers 204 No Content; an empty success is as good
        // for clients and keeps one response type.
        return Ok(ApiResponse::new(serde_json::Value::Null));
    }
    Ok(ApiResponse::new(v))
}

/// `POST /api/v1/admin/tsdb/delete_series?match[]=...&start=...&end=...`.
pub async fn delete_series(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let a = admin(&st)?;
    let p = read_params(&method, &uri, &headers, &body);
    let sets = parse_match_params(&p)?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    run(move || {
        for m in &sets {
            a.delete_series(m, start, end)?;
        }
        Ok(serde_json::Value::Null)
    })
    .await
}

/// `POST /api/v1/admin/tsdb/clean_tombstones`.
pub async fn clean_tombstones(State(st): State<AppState>) -> ApiResult {
    let a = admin(&st)?;
    run(move || a.clean_tombstones().map(|_| serde_json::Value::Null)).await
}

/// `POST /api/v1/admin/tsdb/snapshot?skip_head=true|false`.
pub async fn snapshot(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let a = admin(&st)?;
    let p = read_params(&method, &uri, &headers, &body);
    let skip_head = matches!(p.get("skip_head"), Some("true") | Some("1"));
    run(move || a.snapshot(skip_head).map(|name| json!({"name": name}))).await
}
