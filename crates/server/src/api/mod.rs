//! The Prometheus HTTP API v1 (`/api/v1/...`).
//!
//! Handlers take the merged query string and form body ([`params::Params`])
//! and answer with [`response::ApiResponse`] or [`response::ApiError`].

pub mod admin;
pub mod json;
pub mod params;
pub mod promql_util;
pub mod query;
pub mod response;
pub mod series;
pub mod status;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{any, get, post};

use crate::state::AppState;
use params::Params;

/// The `/api/v1` router (to be nested).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/query", get(query::instant).post(query::instant))
        .route("/query_range", get(query::range).post(query::range))
        .route("/format_query", get(query::format).post(query::format))
        .route("/parse_query", get(query::parse).post(query::parse))
        .route(
            "/query_exemplars",
            get(query::exemplars).post(query::exemplars),
        )
        .route(
            "/series",
            get(series::series)
                .post(series::series)
                .delete(series::delete_not_allowed),
        )
        .route("/labels", get(series::labels).post(series::labels))
        .route("/label/{name}/values", get(series::label_values))
        .route("/metadata", get(series::metadata))
        .route("/targets", get(status::targets))
        .route("/targets/metadata", get(status::targets_metadata))
        .route("/rules", get(status::rules))
        .route("/alerts", get(status::alerts))
        .route("/alertmanagers", get(status::alertmanagers))
        .route("/status/config", get(status::config))
        .route("/status/flags", get(status::flags))
        .route("/status/runtimeinfo", get(status::runtimeinfo))
        .route("/status/buildinfo", get(status::buildinfo))
        .route("/status/tsdb", get(status::tsdb))
        .route("/status/walreplay", get(status::walreplay))
        .route(
            "/admin/tsdb/delete_series",
            post(admin::delete_series).put(admin::delete_series),
        )
        .route(
            "/admin/tsdb/clean_tombstones",
            post(admin::clean_tombstones).put(admin::clean_tombstones),
        )
        .route(
            "/admin/tsdb/snapshot",
            post(admin::snapshot).put(admin::snapshot),
        )
        .fallback(any(not_found))
}

async fn not_found(uri: Uri) -> response::ApiError {
    response::ApiError::not_found(format!("unknown API endpoint {}", uri.path()))
}

/// Extracts [`Params`] from a request: implemented as a function of the
/// parts every handler takes.
pub fn read_params(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Params {
    params::params(method, uri, headers, body)
}

/// Parses every `match[]` selector.
///
/// # Errors
///
/// `bad_data` naming the selector that does not parse.
pub fn parse_match_params(
    p: &Params,
) -> Result<Vec<Vec<telltale_model::Matcher>>, response::ApiError> {
    p.all("match[]")
        .into_iter()
        .map(|s| {
            promql_util::parse_selector(s).map_err(|e| {
                response::ApiError::bad_data(format!("invalid parameter \"match[]\": {e}"))
            })
        })
        .collect()
}
