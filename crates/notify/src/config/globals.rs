//! Applying the `global:` block to receivers, with the checks Alertmanager
//! makes that need it (a Slack URL or token, an SMTP smarthost...).

use super::integrations::{self, KINDS};
use super::types::{GlobalConfig, ReceiverConfig};
use super::validate::generic_configs;

pub(crate) const SLACK_POST_MESSAGE: &str = "https://slack.com/api/chat.postMessage";

/// Applies global defaults to one receiver and checks what needs them.
pub(crate) fn apply_globals(r: &mut ReceiverConfig, g: &GlobalConfig) -> Result<(), String> {
    for w in r.webhook_configs.iter_mut().flatten() {
        if w.http_config.is_none() {
            w.http_config = g.http_config.clone();
        }
    }
    for e in r.email_configs.iter_mut().flatten() {
        if e.tls_config.is_none() {
            e.tls_config = g.smtp_tls_config.clone();
        }
        if e.smarthost.is_empty() {
            if g.smtp_smarthost.is_empty() {
                return Err("no global SMTP smarthost set".into());
            }
            e.smarthost = g.smtp_smarthost.clone();
        }
        if e.from.is_empty() {
            if g.smtp_from.is_empty() {
                return Err("no global SMTP from set".into());
            }
            e.from = g.smtp_from.clone();
        }
        if e.hello.is_empty() {
            e.hello = g.smtp_hello.clone();
        }
        if e.auth_username.is_empty() {
            e.auth_username = g.smtp_auth_username.clone();
        }
        if e.auth_password.is_empty() && e.auth_password_file.is_empty() {
            e.auth_password = g.smtp_auth_password.clone();
            e.auth_password_file = g.smtp_auth_password_file.clone();
        }
        if e.auth_secret.is_empty() && e.auth_secret_file.is_empty() {
            e.auth_secret = g.smtp_auth_secret.clone();
            e.auth_secret_file = g.smtp_auth_secret_file.clone();
        }
        if e.auth_identity.is_empty() {
            e.auth_identity = g.smtp_auth_identity.clone();
        }
        if e.require_tls.is_none() {
            e.require_tls = Some(g.smtp_require_tls);
        }
        if e.force_implicit_tls.is_none() {
            e.force_implicit_tls = g.smtp_force_implicit_tls;
        }
    }
    for s in r.slack_configs.iter_mut().flatten() {
        if s.http_config.is_none() {
            s.http_config = g.http_config.clone();
        }
        let own_token = !s.app_token.is_empty() || !s.app_token_file.is_empty();
        let own_url = s.api_url.is_some() || !s.api_url_file.is_empty();
        if !own_token && !own_url {
            let g_token = !g.slack_app_token.is_empty() || !g.slack_app_token_file.is_empty();
            let g_url = g.slack_api_url.is_some() || !g.slack_api_url_file.is_empty();
            if !g_token && !g_url {
                return Err("no Slack API URL nor App token set either inline or in a file".into());
            }
            s.app_token = g.slack_app_token.clone();
            s.app_token_file = g.slack_app_token_file.clone();
            s.api_url = g.slack_api_url.clone();
            s.api_url_file = g.slack_api_url_file.clone();
        }
        if s.app_url.is_none() {
            s.app_url = g.slack_app_url.clone();
        }
        if s.update_message {
            let token = !s.app_token.is_empty() || !s.app_token_file.is_empty();
            let post = s
                .api_url
                .as_ref()
                .is_some_and(|u| u.expose() == SLACK_POST_MESSAGE);
            if !token && !post {
                return Err(format!(
                    "update_message can only be used with bot tokens. api_url must be set to {SLACK_POST_MESSAGE}"
                ));
            }
        }
    }
    for p in r.pagerduty_configs.iter_mut().flatten() {
        if p.http_config.is_none() {
            p.http_config = g.http_config.clone();
        }
        if p.url.is_none() {
            p.url = Some(g.pagerduty_url.clone());
        }
    }
    for kind in KINDS {
        for cfg in generic_configs(r, kind.key) {
            integrations::check_with_global(kind, cfg, g)?;
        }
    }
    Ok(())
}
