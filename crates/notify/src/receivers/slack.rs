//! Slack: incoming webhooks, or `chat.postMessage` with an app token.

use serde_json::{Value, json};

use super::http::post_json;
use super::{NotifyContext, SendError, read_secret_file, timeout_of};
use crate::config::types::SlackConfig;
use crate::payload::go_json;
use crate::template::default_templates;

/// Slack's limit on attachment titles.
const MAX_TITLE_RUNES: usize = 1024;
const POST_MESSAGE: &str = "https://slack.com/api/chat.postMessage";

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

/// The message body for a notification.
pub(crate) fn message(c: &SlackConfig, ctx: &NotifyContext<'_>) -> Result<Value, SendError> {
    let d = ctx.data;
    let defaults = default_templates(d);
    let field = |v: &Option<String>, default: &str| -> Result<String, SendError> {
        match v {
            Some(t) => Ok(ctx.templates.render(t, d)?),
            None => Ok(default.to_string()),
        }
    };
    let color_default = if d.status == "firing" {
        "danger"
    } else {
        "good"
    };
    let mut att = serde_json::Map::new();
    att.insert(
        "title".into(),
        json!(truncate(
            &field(&c.title, &defaults["slack.default.title"])?,
            MAX_TITLE_RUNES
        )),
    );
    att.insert(
        "title_link".into(),
        json!(field(&c.title_link, &defaults["slack.default.titlelink"])?),
    );
    att.insert("pretext".into(), json!(field(&c.pretext, "")?));
    att.insert("text".into(), json!(field(&c.text, "")?));
    att.insert(
        "fallback".into(),
        json!(field(&c.fallback, &defaults["slack.default.fallback"])?),
    );
    att.insert("callback_id".into(), json!(field(&c.callback_id, "")?));
    att.insert("footer".into(), json!(field(&c.footer, "")?));
    att.insert("color".into(), json!(field(&c.color, color_default)?));
    att.insert(
        "mrkdwn_in".into(),
        json!(c.mrkdwn_in.clone().unwrap_or_else(|| vec![
            "fallback".into(),
            "pretext".into(),
            "text".into()
        ])),
    );
    if let Some(u) = &c.image_url {
        att.insert("image_url".into(), json!(ctx.templates.render(u, d)?));
    }
    if let Some(u) = &c.thumb_url {
        att.insert("thumb_url".into(), json!(ctx.templates.render(u, d)?));
    }
    if let Some(fields) = &c.fields {
        let mut out = Vec::new();
        for f in fields {
            let title = f.get("title").and_then(Value::as_str).unwrap_or("");
            let value = f.get("value").and_then(Value::as_str).unwrap_or("");
            let short = f
                .get("short")
                .and_then(Value::as_bool)
                .unwrap_or(c.short_fields);
            out.push(json!({
                "title": ctx.templates.render(title, d)?,
                "value": ctx.templates.render(value, d)?,
                "short": short,
            }));
        }
        att.insert("fields".into(), Value::Array(out));
    }
    let mut msg = serde_json::Map::new();
    if let Some(ch) = &c.channel {
        msg.insert("channel".into(), json!(ctx.templates.render(ch, d)?));
    }
    msg.insert(
        "username".into(),
        json!(field(&c.username, &defaults["slack.default.username"])?),
    );
    if let Some(e) = &c.icon_emoji {
        msg.insert("icon_emoji".into(), json!(ctx.templates.render(e, d)?));
    }
    if let Some(u) = &c.icon_url {
        msg.insert("icon_url".into(), json!(ctx.templates.render(u, d)?));
    }
    msg.insert("link_names".into(), json!(c.link_names));
    msg.insert("attachments".into(), json!([Value::Object(att)]));
    Ok(Value::Object(msg))
}

pub(crate) async fn notify(c: &SlackConfig, ctx: &NotifyContext<'_>) -> Result<(), SendError> {
    let body = go_json(&message(c, ctx)?);
    let token = if !c.app_token.is_empty() {
        Some(c.app_token.expose().to_string())
    } else if !c.app_token_file.is_empty() {
        Some(read_secret_file(&c.app_token_file)?)
    } else {
        None
    };
    let url = if let Some(u) = &c.api_url {
        u.expose().to_string()
    } else if !c.api_url_file.is_empty() {
        read_secret_file(&c.api_url_file)?
    } else {
        c.app_url
            .clone()
            .unwrap_or_else(|| POST_MESSAGE.to_string())
    };
    let auth = token.map(|t| format!("Bearer {t}"));
    let text = post_json(
        ctx.http,
        &url,
        body,
        c.http_config.as_ref(),
        timeout_of(c.timeout),
        auth,
    )
    .await?;
    // The Web API answers 200 with {"ok": false, "error": ...} on failure;
    // incoming webhooks answer "ok".
    if let Ok(v) = serde_json::from_str::<Value>(&text)
        && v.get("ok") == Some(&Value::Bool(false))
    {
        let e = v.get("error").and_then(Value::as_str).unwrap_or("unknown");
        return Err(SendError::permanent(format!("slack API error: {e}")));
    }
    Ok(())
}
