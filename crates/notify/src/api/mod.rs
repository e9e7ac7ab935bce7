//! HTTP: the Alertmanager API v2 ([`api_router`], mounted under `/api/v2`)
//! and the `/alert` webhook receiver ([`alert_receiver_router`]).

mod alerts;
pub mod receiver;
mod silences;
mod status;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::NotifyError;
use crate::notifier::Notifier;
pub use receiver::{AlertReceiver, ReceivedAlert, alert_receiver_router};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 8 << 20;

/// The Alertmanager API v2 routes (`/alerts`, `/alerts/groups`,
/// `/silences`, `/silence/{id}`, `/status`, `/receivers`, plus `/history`
/// for the notification history), to be nested under `/api/v2`.
pub fn api_router(notifier: Notifier) -> axum::Router {
    axum::Router::new()
        .route("/alerts", get(alerts::get_alerts).post(alerts::post_alerts))
        .route("/alerts/groups", get(alerts::get_groups))
        .route(
            "/silences",
            get(silences::get_silences).post(silences::post_silences),
        )
        .route(
            "/silence/{id}",
            get(silences::get_silence).delete(silences::delete_silence),
        )
        .route("/status", get(status::get_status))
        .route("/receivers", get(status::get_receivers))
        .route("/history", get(status::get_history))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(notifier)
}

/// An API error: a status and a message, sent as a JSON string as
/// Alertmanager does.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<NotifyError> for ApiError {
    fn from(e: NotifyError) -> Self {
        let status = match &e {
            NotifyError::SilenceNotFound(_) => StatusCode::NOT_FOUND,
            NotifyError::InvalidSilence(_)
            | NotifyError::InvalidAlert(_)
            | NotifyError::Matcher { .. }
            | NotifyError::Config(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

/// Query parameters as (name, value) pairs, repeated names kept.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A boolean parameter with a default.
pub(crate) fn bool_param(
    q: &[(String, String)],
    name: &str,
    default: bool,
) -> Result<bool, ApiError> {
    match q.iter().rev().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => v.parse().map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("{name}: invalid boolean {v:?}"),
            )
        }),
    }
}

/// The `filter` parameters parsed as matchers.
pub(crate) fn filter_param(
    q: &[(String, String)],
) -> Result<Vec<telltale_model::Matcher>, ApiError> {
    let mut out = Vec::new();
    for (_, v) in q.iter().filter(|(k, _)| k == "filter") {
        out.extend(
            crate::config::matchers::parse_matchers(v).map_err(|e| {
                ApiError(StatusCode::BAD_REQUEST, format!("bad matcher format: {e}"))
            })?,
        );
    }
    Ok(out)
}
