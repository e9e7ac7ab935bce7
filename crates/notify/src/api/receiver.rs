//! The `/alert` receiver: accepts Alertmanager webhook payloads (from our
//! own notifier or any Alertmanager), validates them, logs one line per
//! alert, counts them, and keeps a bounded, durable history that
//! `GET /alert?status=&since=&until=` lists.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, MAX_BODY_BYTES, query_pairs};
use crate::error::{NotifyError, Result};
use crate::history::HistoryLimits;
use crate::payload::{WebhookAlert, WebhookMessage};
use crate::persist;

/// File name under the data directory.
pub const RECEIVED_FILE: &str = "received-alerts.jsonl";

/// One received alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedAlert {
    /// When it arrived.
    #[serde(rename = "receivedAt", with = "persist::ts")]
    pub received_at: Timestamp,
    /// The sending receiver's name.
    pub receiver: String,
    /// The sender's group key.
    #[serde(rename = "groupKey")]
    pub group_key: String,
    /// The alert.
    pub alert: WebhookAlert,
}

/// The receiver's store and counters.
#[derive(Debug)]
pub struct AlertReceiver {
    path: Option<PathBuf>,
    limits: HistoryLimits,
    inner: Mutex<VecDeque<ReceivedAlert>>,
    firing: AtomicU64,
    resolved: AtomicU64,
    rejected: AtomicU64,
}

impl AlertReceiver {
    /// Opens the store, restoring `<dir>/received-alerts.jsonl`.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read.
    pub fn open(dir: Option<PathBuf>, limits: HistoryLimits) -> Result<AlertReceiver> {
        let path = dir.map(|d| d.join(RECEIVED_FILE));
        let mut q = VecDeque::new();
        if let Some(p) = &path {
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| NotifyError::io("creating", d, e))?;
            }
            match std::fs::read_to_string(p) {
                Ok(text) => q.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(NotifyError::io("reading", p, e)),
            }
        }
        while q.len() > limits.max_entries {
            q.pop_front();
        }
        Ok(AlertReceiver {
            path,
            limits,
            inner: Mutex::new(q),
            firing: AtomicU64::new(0),
            resolved: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ReceivedAlert>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Validates and stores a payload; returns the number of alerts stored.
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidAlert`] with the reason for a bad payload;
    /// I/O errors from the file.
    pub fn accept(&self, body: &[u8], now: Timestamp) -> Result<usize> {
        let msg: WebhookMessage = match serde_json::from_slice(body) {
            Ok(m) => m,
            Err(e) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                return Err(NotifyError::InvalidAlert(format!(
                    "invalid webhook payload: {e}"
                )));
            }
        };
        if let Err(e) = msg.validate() {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(NotifyError::InvalidAlert(e));
        }
        let mut lines = String::new();
        let mut q = self.lock();
        for a in &msg.alerts {
            tracing::info!(
                receiver = %msg.receiver,
                status = %a.status,
                alertname = a.labels.get("alertname").map(String::as_str).unwrap_or(""),
                fingerprint = %a.fingerprint,
                "alert received"
            );
            if a.status == "firing" {
                self.firing.fetch_add(1, Ordering::Relaxed);
            } else {
                self.resolved.fetch_add(1, Ordering::Relaxed);
            }
            let r = ReceivedAlert {
                received_at: now,
                receiver: msg.receiver.clone(),
                group_key: msg.group_key.clone(),
                alert: a.clone(),
            };
            lines.push_str(&serde_json::to_string(&r).unwrap_or_default());
            lines.push('\n');
            q.push_back(r);
        }
        let before = q.len();
        while q.len() > self.limits.max_entries
            || q.front()
                .is_some_and(|f| persist::add_sat(f.received_at, self.limits.retention) < now)
        {
            q.pop_front();
        }
        if let Some(p) = &self.path {
            if q.len() == before {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| NotifyError::io("opening", p, e))?;
                f.write_all(lines.as_bytes())
                    .map_err(|e| NotifyError::io("appending to", p, e))?;
            } else {
                let mut text = String::new();
                for r in q.iter() {
                    text.push_str(&serde_json::to_string(r).unwrap_or_default());
                    text.push('\n');
                }
                let tmp = p.with_extension("tmp");
                std::fs::write(&tmp, text).map_err(|e| NotifyError::io("writing", &tmp, e))?;
                std::fs::rename(&tmp, p).map_err(|e| NotifyError::io("renaming to", p, e))?;
            }
        }
        Ok(msg.alerts.len())
    }

    /// Stored alerts, newest first, filtered by status and receive time.
    pub fn list(
        &self,
        status: Option<&str>,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Vec<ReceivedAlert> {
        self.lock()
            .iter()
            .rev()
            .filter(|r| status.is_none_or(|s| r.alert.status == s))
            .filter(|r| since.is_none_or(|t| r.received_at >= t))
            .filter(|r| until.is_none_or(|t| r.received_at <= t))
            .cloned()
            .collect()
    }

    /// Counts since start: (firing alerts, resolved alerts, rejected payloads).
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.firing.load(Ordering::Relaxed),
            self.resolved.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
        )
    }
}

async fn post_alert(
    State(r): State<Arc<AlertReceiver>>,
    body: axum::body::Bytes,
) -> std::result::Result<Json<Value>, ApiError> {
    let n = r.accept(&body, Timestamp::now())?;
    Ok(Json(json!({"status": "success", "alerts": n})))
}

fn parse_ts(
    q: &[(String, String)],
    name: &str,
) -> std::result::Result<Option<Timestamp>, ApiError> {
    match q.iter().rev().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) if v.is_empty() => Ok(None),
        Some((_, v)) => {
            if let Ok(t) = v.parse::<Timestamp>() {
                return Ok(Some(t));
            }
            v.parse::<f64>()
                .ok()
                .and_then(|s| SignedDuration::try_from_secs_f64(s).ok())
                .and_then(|d| Timestamp::from_second(0).ok()?.checked_add(d).ok())
                .map(Some)
                .ok_or_else(|| {
                    ApiError(
                        StatusCode::BAD_REQUEST,
                        format!("{name}: invalid time {v:?}"),
                    )
                })
        }
    }
}

async fn get_alert(
    State(r): State<Arc<AlertReceiver>>,
    RawQuery(raw): RawQuery,
) -> std::result::Result<Json<Value>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let status = q
        .iter()
        .rev()
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.clone());
    if let Some(s) = &status
        && s != "firing"
        && s != "resolved"
        && !s.is_empty()
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("status: want firing or resolved, got {s:?}"),
        ));
    }
    let status = status.filter(|s| !s.is_empty());
    let list = r.list(
        status.as_deref(),
        parse_ts(&q, "since")?,
        parse_ts(&q, "until")?,
    );
    Ok(Json(json!({"alerts": list})))
}

/// `POST /alert` and `GET /alert`, to be mounted at the server's root.
pub fn alert_receiver_router(store: Arc<AlertReceiver>) -> axum::Router {
    axum::Router::new()
        .route("/alert", get(get_alert).post(post_alert))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
}
