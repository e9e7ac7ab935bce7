//! `/silences` and `/silence/{id}`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use telltale_model::Labels;

use super::{ApiError, bool_param, filter_param, query_pairs};
use crate::notifier::Notifier;
use crate::silence::{Silence, SilenceMatcher, SilenceState};

#[derive(Debug, Deserialize)]
pub(crate) struct PostableSilence {
    #[serde(default)]
    id: String,
    matchers: Vec<SilenceMatcher>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt")]
    ends_at: String,
    #[serde(rename = "createdBy")]
    created_by: String,
    comment: String,
}

pub(crate) fn silence_json(s: &Silence, now: Timestamp) -> Value {
    json!({
        "id": s.id,
        "status": {"state": s.state(now).as_str()},
        "updatedAt": s.updated_at.to_string(),
        "matchers": s.matchers,
        "startsAt": s.starts_at.to_string(),
        "endsAt": s.ends_at.to_string(),
        "createdBy": s.created_by,
        "comment": s.comment,
    })
}

pub(crate) async fn get_silences(
    State(n): State<Notifier>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let matchers = filter_param(&q)?;
    let want_active = bool_param(&q, "active", true)?;
    let want_pending = bool_param(&q, "pending", true)?;
    let want_expired = bool_param(&q, "expired", true)?;
    let now = n.now();
    let mut list: Vec<Silence> = n
        .silences()
        .list()
        .into_iter()
        .filter(|s| match s.state(now) {
            SilenceState::Active => want_active,
            SilenceState::Pending => want_pending,
            SilenceState::Expired => want_expired,
        })
        .filter(|s| {
            // A filter selects silences whose equality matchers satisfy it,
            // as Alertmanager does.
            let labels = Labels::from_pairs(
                &s.matchers
                    .iter()
                    .filter(|m| !m.is_regex && m.is_equal)
                    .map(|m| (m.name.as_str(), m.value.as_str()))
                    .collect::<Vec<_>>(),
            );
            matchers.iter().all(|m| m.matches_labels(&labels))
        })
        .collect();
    // Active first (ending soonest), then pending (starting soonest), then
    // expired (most recent first).
    list.sort_by(|a, b| {
        let rank = |s: &Silence| match s.state(now) {
            SilenceState::Active => 0,
            SilenceState::Pending => 1,
            SilenceState::Expired => 2,
        };
        rank(a).cmp(&rank(b)).then_with(|| match a.state(now) {
            SilenceState::Active => a.ends_at.cmp(&b.ends_at),
            SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
            SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
        })
    });
    Ok(Json(Value::Array(
        list.iter().map(|s| silence_json(s, now)).collect(),
    )))
}

pub(crate) async fn post_silences(
    State(n): State<Notifier>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let p: PostableSilence = serde_json::from_slice(&body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("invalid silence: {e}")))?;
    let parse = |s: &str, what: &str| -> Result<Timestamp, ApiError> {
        s.parse()
            .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("{what}: {e}")))
    };
    let now = n.now();
    let s = Silence {
        id: p.id,
        matchers: p.matchers,
        starts_at: parse(&p.starts_at, "startsAt")?,
        ends_at: parse(&p.ends_at, "endsAt")?,
        updated_at: now,
        created_by: p.created_by,
        comment: p.comment,
    };
    let id = n.silences().set(s, now)?;
    Ok(Json(json!({"silenceID": id})))
}

pub(crate) async fn get_silence(
    State(n): State<Notifier>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = n
        .silences()
        .get(&id)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("silence {id} not found")))?;
    Ok(Json(silence_json(&s, n.now())))
}

pub(crate) async fn delete_silence(
    State(n): State<Notifier>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    n.silences().expire(&id, n.now())?;
    Ok(StatusCode::OK)
}
