//! The webhook integration: Alertmanager's payload version 4.

use super::http::post_json;
use super::{NotifyContext, SendError, read_secret_file, timeout_of};
use crate::config::types::WebhookConfig;
use crate::payload::WebhookMessage;

pub(crate) async fn notify(c: &WebhookConfig, ctx: &NotifyContext<'_>) -> Result<(), SendError> {
    let raw = match (&c.url, &c.url_file) {
        (Some(u), _) if !u.is_empty() => u.expose().to_string(),
        (_, Some(f)) if !f.is_empty() => read_secret_file(f)?,
        _ => String::new(),
    };
    let url = ctx.templates.render(&raw, ctx.data)?;
    if url.trim().is_empty() {
        return Err(SendError::permanent("webhook URL is empty"));
    }
    let msg = WebhookMessage::new(ctx.data, ctx.reason, c.max_alerts);
    post_json(
        ctx.http,
        url.trim(),
        msg.to_body(),
        c.http_config.as_ref(),
        timeout_of(c.timeout),
        None,
    )
    .await
    .map(|_| ())
}
