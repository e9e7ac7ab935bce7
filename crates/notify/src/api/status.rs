//! `/status`, `/receivers` and `/history`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

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

pub(crate) async fn get_history(State(n): State<Notifier>) -> Json<Value> {
    Json(serde_json::to_value(n.history()).unwrap_or(Value::Null))
}
