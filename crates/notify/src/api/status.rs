//! `/status`, `/receivers` and `/history`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ApiError, query_pairs};

use crate::notifier::Notifier;

pub(crate) async fn get_status(State(n): State<Notifier>) -> Json<Value> {
    let cfg = n.config();
    Json(json!({
        "cluster": {"status": "disabled", "peers": []},
        "versionInfo": {
            "version": env!("CARGO_PKG_VERSION"),
            "revision": "telltale",
            "branch": "main",
            "buildUser": "telltale",
            "buildDate": "",
            "goVersion": "none (Rust)",
        },
        "config": {"original": cfg.redacted},
        "uptime": n.started().to_string(),
    }))
}

pub(crate) async fn get_receivers(State(n): State<Notifier>) -> Json<Value> {
    let cfg = n.config();
    Json(Value::Array(
        cfg.receivers
            .iter()
            .map(|r| json!({"name": r.name.clone().unwrap_or_default()}))
            .collect(),
    ))
}

/// `GET /history?receiver=&outcome=&since=&limit=`: attempts, newest first.
pub(crate) async fn get_history(
    State(n): State<Notifier>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let get = |name: &str| {
        q.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let since = match get("since") {
        Some(s) => Some(s.parse::<jiff::Timestamp>().map_err(|e| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("since: invalid time {s:?}: {e}"),
            )
        })?),
        None => None,
    };
    let limit = match get("limit") {
        Some(l) => l.parse::<usize>().map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("limit: invalid number {l:?}"),
            )
        })?,
        None => usize::MAX,
    };
    let receiver = get("receiver");
    let outcome = get("outcome");
    let list: Vec<_> = n
        .history()
        .into_iter()
        .rev()
        .filter(|a| receiver.as_ref().is_none_or(|r| &a.receiver == r))
        .filter(|a| outcome.as_ref().is_none_or(|o| &a.outcome == o))
        .filter(|a| since.is_none_or(|t| a.time >= t))
        .take(limit)
        .collect();
    Ok(Json(serde_json::to_value(list).unwrap_or(Value::Null)))
}
