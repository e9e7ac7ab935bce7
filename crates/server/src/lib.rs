//! Telltale's HTTP surface.
//!
//! [`router`] builds the axum router for everything `telltale serve`
//! answers itself: the Prometheus API v1 (`/api/v1/...`), federation, the
//! usage endpoints, health and readiness, reload and Telltale's own
//! `/metrics`. Other crates bring their own routers (push, remote write,
//! Alertmanager API v2, the UI) and the binary merges them.
//!
//! The server sees the rest of the system only through [`AppState`]: storage
//! through [`telltale_model::Queryable`], the PromQL engine, and small traits
//! defined here for what only the server needs ([`TsdbAdmin`],
//! [`TargetsProvider`], [`RulesProvider`]). The binary implements them over
//! the real parts; tests implement them over in-memory ones.
//!
//! # Layout
//!
//! - [`api`]: the `/api/v1` handlers, their parameters and JSON writing; the
//!   one place where errors become HTTP statuses is [`api::response`].
//! - [`federate`]: the `/federate` endpoint.
//! - [`usage`]: `/avg_usage` and `/metrics_usage`.
//! - [`auth`]: basic auth and bearer tokens.

pub mod api;
pub mod auth;
pub mod federate;
pub mod state;
pub mod tls;
pub mod usage;

pub use state::{
    AppState, BuildInfo, RulesProvider, TargetInfo, TargetsProvider, TsdbAdmin, TsdbStatus,
};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// The router for the Prometheus API, federation, usage, health and reload.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::router())
        .route("/federate", get(federate::federate))
        .route("/avg_usage", get(usage::avg_usage))
        .route("/metrics_usage", get(usage::metrics_usage))
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload).put(reload))
        .route("/metrics", get(self_metrics))
        .with_state(state)
}

async fn healthy() -> impl IntoResponse {
    (StatusCode::OK, "Telltale is Healthy.\n")
}

async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    if st.is_ready() {
        (StatusCode::OK, "Telltale is Ready.\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable: the write-ahead log is still being replayed.\n",
        )
    }
}

async fn reload(State(st): State<AppState>) -> impl IntoResponse {
    match &st.reload {
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "reload is not available in this mode\n".to_string(),
        ),
        Some(f) => {
            let f = f.clone();
            match tokio::task::spawn_blocking(move || f()).await {
                Ok(Ok(())) => (StatusCode::OK, "configuration reloaded\n".to_string()),
                Ok(Err(e)) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("failed to reload config: {e}\n"),
                ),
                Err(e) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("failed to reload config: {e}\n"),
                ),
            }
        }
    }
}

async fn self_metrics(State(st): State<AppState>) -> impl IntoResponse {
    let body = match &st.self_metrics {
        Some(f) => {
            let f = f.clone();
            tokio::task::spawn_blocking(move || f())
                .await
                .unwrap_or_default()
        }
        None => String::new(),
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
