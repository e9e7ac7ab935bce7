//! Receiver integrations: one file per kind. Each turns a notification
//! (template data and a reason) into a delivery and classifies failures as
//! retryable or not.

mod email;
mod http;
mod pagerduty;
mod slack;
mod webhook;

use std::time::Duration;

use crate::config::types::{
    EmailConfig, PagerdutyConfig, ReceiverConfig, SlackConfig, WebhookConfig,
};
use crate::error::{NotifyError, Result};
use crate::payload::NotificationReason;
use crate::template::{TemplateData, Templates};

pub use http::user_agent;

/// What an integration needs to deliver one notification.
pub struct NotifyContext<'a> {
    /// The rendered data.
    pub data: &'a TemplateData,
    /// Why it is sent.
    pub reason: NotificationReason,
    /// User templates.
    pub templates: &'a Templates,
    /// Shared HTTP client.
    pub http: &'a reqwest::Client,
}

/// One configured integration of a receiver.
#[derive(Debug, Clone)]
pub enum Integration {
    /// Alertmanager webhook (payload version 4).
    Webhook(Box<WebhookConfig>),
    /// E-mail over SMTP.
    Email(Box<EmailConfig>),
    /// Slack incoming webhook or chat.postMessage.
    Slack(Box<SlackConfig>),
    /// PagerDuty Events API v2 (or v1 with a service key).
    Pagerduty(Box<PagerdutyConfig>),
}

impl Integration {
    /// The kind, as used in the notification log and history.
    pub fn kind(&self) -> &'static str {
        match self {
            Integration::Webhook(_) => "webhook",
            Integration::Email(_) => "email",
            Integration::Slack(_) => "slack",
            Integration::Pagerduty(_) => "pagerduty",
        }
    }

    /// Whether resolved alerts are sent (each kind's Alertmanager default).
    pub fn send_resolved(&self) -> bool {
        match self {
            Integration::Webhook(c) => c.send_resolved.unwrap_or(true),
            Integration::Email(c) => c.send_resolved.unwrap_or(false),
            Integration::Slack(c) => c.send_resolved.unwrap_or(false),
            Integration::Pagerduty(c) => c.send_resolved.unwrap_or(true),
        }
    }

    /// Delivers one notification.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Notify`] with `retry` set when another try may help.
    pub async fn notify(&self, ctx: &NotifyContext<'_>, index: usize) -> Result<()> {
        let fail = |reason: String, retry: bool| NotifyError::Notify {
            receiver: ctx.data.receiver.clone(),
            integration: self.kind(),
            index,
            reason,
            retry,
        };
        let r = match self {
            Integration::Webhook(c) => webhook::notify(c, ctx).await,
            Integration::Email(c) => email::notify(c, ctx).await,
            Integration::Slack(c) => slack::notify(c, ctx).await,
            Integration::Pagerduty(c) => pagerduty::notify(c, ctx).await,
        };
        r.map_err(|e| fail(e.reason, e.retry))
    }
}

/// A failed delivery inside an integration.
#[derive(Debug)]
pub(crate) struct SendError {
    pub reason: String,
    pub retry: bool,
}

impl SendError {
    pub(crate) fn permanent(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            retry: false,
        }
    }
    pub(crate) fn transient(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            retry: true,
        }
    }
}

impl From<NotifyError> for SendError {
    fn from(e: NotifyError) -> Self {
        SendError::permanent(e.to_string())
    }
}

/// The integrations Telltale delivers to for a receiver, in configuration
/// order, with their indices. Integrations of other kinds are accepted in the
/// configuration but not delivered to.
pub fn integrations(r: &ReceiverConfig) -> Vec<(usize, Integration)> {
    let mut out = Vec::new();
    for (i, c) in r.webhook_configs.iter().flatten().enumerate() {
        out.push((i, Integration::Webhook(Box::new(c.clone()))));
    }
    for (i, c) in r.email_configs.iter().flatten().enumerate() {
        out.push((i, Integration::Email(Box::new(c.clone()))));
    }
    for (i, c) in r.slack_configs.iter().flatten().enumerate() {
        out.push((i, Integration::Slack(Box::new(c.clone()))));
    }
    for (i, c) in r.pagerduty_configs.iter().flatten().enumerate() {
        out.push((i, Integration::Pagerduty(Box::new(c.clone()))));
    }
    out
}

/// Reads a secret from a `*_file` setting, trimmed.
pub(crate) fn read_secret_file(path: &str) -> std::result::Result<String, SendError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| SendError::permanent(format!("reading {path}: {e}")))
}

/// A per-request timeout from a config value (`0` or absent: none).
pub(crate) fn timeout_of(d: Option<crate::config::PromDuration>) -> Option<Duration> {
    d.map(|d| d.0).filter(|d| !d.is_zero())
}
