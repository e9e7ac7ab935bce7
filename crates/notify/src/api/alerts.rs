//! `/alerts` and `/alerts/groups`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use telltale_model::{Label, Labels};

use super::{ApiError, bool_param, filter_param, query_pairs};
use crate::alert::Alert;
use crate::notifier::{AlertView, Notifier};
use crate::template::go_zero_time;

/// Alerts as POSTed by Prometheus and others.
#[derive(Debug, Deserialize)]
pub(crate) struct PostableAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt", default)]
    starts_at: Option<String>,
    #[serde(rename = "endsAt", default)]
    ends_at: Option<String>,
    #[serde(rename = "generatorURL", default)]
    generator_url: String,
}

fn parse_time(s: &Option<String>, what: &str) -> Result<Option<Timestamp>, ApiError> {
    match s.as_deref() {
        None | Some("") => Ok(None),
        Some(t) => {
            let ts: Timestamp = t.parse().map_err(|e| {
                ApiError(
                    StatusCode::BAD_REQUEST,
                    format!("{what}: invalid time {t:?}: {e}"),
                )
            })?;
            Ok((ts > go_zero_time()).then_some(ts))
        }
    }
}

pub(crate) async fn post_alerts(
    State(n): State<Notifier>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let posted: Vec<PostableAlert> = serde_json::from_slice(&body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("invalid alerts: {e}")))?;
    let now = n.now();
    let mut alerts = Vec::with_capacity(posted.len());
    for (i, p) in posted.into_iter().enumerate() {
        if p.labels.is_empty() {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("alerts[{i}]: at least one label pair required"),
            ));
        }
        if p.labels.keys().any(|k| k.is_empty()) {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("alerts[{i}]: invalid label name \"\""),
            ));
        }
        let starts = parse_time(&p.starts_at, "startsAt")?;
        let ends = parse_time(&p.ends_at, "endsAt")?;
        let starts_at = match (starts, ends) {
            (Some(s), _) => s,
            (None, Some(e)) if e < now => e,
            _ => now,
        };
        if let Some(e) = ends
            && e < starts_at
        {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("alerts[{i}]: start time must be before end time"),
            ));
        }
        let labels = Labels::new(
            p.labels
                .into_iter()
                .map(|(k, v)| Label::new(k, v))
                .collect(),
        );
        let mut a = Alert::firing(labels, starts_at);
        a.annotations = p.annotations;
        a.ends_at = ends;
        a.generator_url = p.generator_url;
        alerts.push(a);
    }
    n.add_alerts(alerts)?;
    Ok(StatusCode::OK)
}

fn labels_json(l: &Labels) -> Value {
    Value::Object(
        l.iter()
            .map(|l| (l.name.clone(), Value::String(l.value.clone())))
            .collect(),
    )
}

pub(crate) fn alert_json(v: &AlertView) -> Value {
    let a = &v.alert;
    json!({
        "labels": labels_json(&a.labels),
        "annotations": a.annotations,
        "startsAt": a.starts_at.to_string(),
        "endsAt": a.ends_at.unwrap_or_else(go_zero_time).to_string(),
        "updatedAt": a.updated_at.to_string(),
        "generatorURL": a.generator_url,
        "fingerprint": a.fingerprint_hex(),
        "receivers": v.receivers.iter().map(|r| json!({"name": r})).collect::<Vec<_>>(),
        "status": {
            "state": v.state(),
            "silencedBy": v.silenced_by,
            "inhibitedBy": v.inhibited_by,
            "mutedBy": v.muted_by,
        },
    })
}

struct AlertFilter {
    active: bool,
    silenced: bool,
    inhibited: bool,
    muted: bool,
    matchers: Vec<telltale_model::Matcher>,
    receiver: Option<regex::Regex>,
}

impl AlertFilter {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let q = query_pairs(raw);
        let receiver = match q.iter().rev().find(|(k, _)| k == "receiver") {
            Some((_, r)) if !r.is_empty() => Some(
                regex::Regex::new(&format!("^(?:{r})$"))
                    .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("receiver: {e}")))?,
            ),
            _ => None,
        };
        Ok(AlertFilter {
            active: bool_param(&q, "active", true)?,
            silenced: bool_param(&q, "silenced", true)?,
            inhibited: bool_param(&q, "inhibited", true)?,
            muted: bool_param(&q, "muted", true)?,
            matchers: filter_param(&q)?,
            receiver,
        })
    }

    fn keep(&self, v: &AlertView) -> bool {
        if !self
            .matchers
            .iter()
            .all(|m| m.matches_labels(&v.alert.labels))
        {
            return false;
        }
        if let Some(re) = &self.receiver
            && !v.receivers.iter().any(|r| re.is_match(r))
        {
            return false;
        }
        if !self.silenced && !v.silenced_by.is_empty() {
            return false;
        }
        if !self.inhibited && !v.inhibited_by.is_empty() {
            return false;
        }
        if !self.muted && !v.muted_by.is_empty() {
            return false;
        }
        if !self.active && v.state() == "active" {
            return false;
        }
        true
    }
}

pub(crate) async fn get_alerts(
    State(n): State<Notifier>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let f = AlertFilter::parse(raw.as_deref())?;
    let out: Vec<Value> = n
        .alerts()
        .iter()
        .filter(|v| f.keep(v))
        .map(alert_json)
        .collect();
    Ok(Json(Value::Array(out)))
}

pub(crate) async fn get_groups(
    State(n): State<Notifier>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let f = AlertFilter::parse(raw.as_deref())?;
    let mut out = Vec::new();
    for g in n.groups() {
        if let Some(re) = &f.receiver
            && !re.is_match(&g.receiver)
        {
            continue;
        }
        let alerts: Vec<Value> = g
            .alerts
            .iter()
            .filter(|v| f.keep(v))
            .map(alert_json)
            .collect();
        if alerts.is_empty() {
            continue;
        }
        out.push(json!({
            "labels": labels_json(&g.labels),
            "routeLabels": g.route_labels,
            "receiver": {"name": g.receiver},
            "alerts": alerts,
        }));
    }
    Ok(Json(Value::Array(out)))
}
