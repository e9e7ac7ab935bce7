//! PagerDuty: Events API v2 with a routing key (v1 with a service key).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::post_json;
use super::{NotifyContext, SendError, read_secret_file, timeout_of};
use crate::config::types::PagerdutyConfig;
use crate::payload::go_json;
use crate::template::{default_alert_list, default_templates};

/// PagerDuty's limit on the summary.
const MAX_SUMMARY_RUNES: usize = 1024;
const V1_URL: &str = "https://events.pagerduty.com/generic/2010-04-15/create_event.json";

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

/// The deduplication key: SHA-256 of the group key, hex.
pub(crate) fn dedup_key(group_key: &str) -> String {
    let h = Sha256::digest(group_key.as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// The event body.
pub(crate) fn event(
    c: &PagerdutyConfig,
    ctx: &NotifyContext<'_>,
    key: &str,
) -> Result<Value, SendError> {
    let d = ctx.data;
    let defaults = default_templates(d);
    let render = |v: &Option<String>, default: &str| -> Result<String, SendError> {
        match v {
            Some(t) => Ok(ctx.templates.render(t, d)?),
            None => Ok(default.to_string()),
        }
    };
    let action = if d.status == "firing" {
        "trigger"
    } else {
        "resolve"
    };
    let summary = truncate(
        &render(&c.description, &defaults["pagerduty.default.description"])?,
        MAX_SUMMARY_RUNES,
    );
    let client = render(&c.client, &defaults["pagerduty.default.client"])?;
    let client_url = render(&c.client_url, &defaults["pagerduty.default.clientURL"])?;
    let mut details = serde_json::Map::new();
    match &c.details {
        Some(m) => {
            for (k, v) in m {
                details.insert(k.clone(), json!(ctx.templates.render(v, d)?));
            }
        }
        None => {
            details.insert("firing".into(), json!(default_alert_list(d.firing())));
            details.insert("resolved".into(), json!(default_alert_list(d.resolved())));
            details.insert("num_firing".into(), json!(d.firing().count().to_string()));
            details.insert(
                "num_resolved".into(),
                json!(d.resolved().count().to_string()),
            );
        }
    }
    let dedup = dedup_key(&d.group_key);
    if c.routing_key.is_empty() && c.routing_key_file.is_empty() {
        // Events API v1.
        let event_type = if action == "trigger" {
            "trigger"
        } else {
            "resolve"
        };
        return Ok(json!({
            "service_key": key,
            "event_type": event_type,
            "incident_key": dedup,
            "description": summary,
            "client": client,
            "client_url": client_url,
            "details": details,
        }));
    }
    let mut msg = json!({
        "routing_key": key,
        "event_action": action,
        "dedup_key": dedup,
        "client": client,
        "client_url": client_url,
        "images": c.images.clone().unwrap_or_default(),
        "links": c.links.clone().unwrap_or_default(),
    });
    if action == "trigger" {
        let source = render(&c.source, &client)?;
        msg["payload"] = json!({
            "summary": summary,
            "source": source,
            "severity": render(&c.severity, "error")?,
            "custom_details": details,
            "component": render(&c.component, "")?,
            "group": render(&c.group, "")?,
            "class": render(&c.class, "")?,
        });
    }
    Ok(msg)
}

pub(crate) async fn notify(c: &PagerdutyConfig, ctx: &NotifyContext<'_>) -> Result<(), SendError> {
    let v2 = !c.routing_key.is_empty() || !c.routing_key_file.is_empty();
    let key = if !c.routing_key.is_empty() {
        c.routing_key.expose().to_string()
    } else if !c.routing_key_file.is_empty() {
        read_secret_file(&c.routing_key_file)?
    } else if !c.service_key.is_empty() {
        c.service_key.expose().to_string()
    } else {
        read_secret_file(&c.service_key_file)?
    };
    let body = go_json(&event(c, ctx, &key)?);
    let url = match (&c.url, v2) {
        (Some(u), true) => u.clone(),
        (None, true) => "https://events.pagerduty.com/v2/enqueue".to_string(),
        (Some(u), false) if !u.ends_with("/v2/enqueue") => u.clone(),
        _ => V1_URL.to_string(),
    };
    post_json(
        ctx.http,
        &url,
        body,
        c.http_config.as_ref(),
        timeout_of(c.timeout),
        None,
    )
    .await
    .map(|_| ())
}
