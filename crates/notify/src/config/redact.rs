//! Hiding secrets in the configuration shown by `/api/v2/status`. Typed
//! secrets print as `<secret>` by themselves ([`super::types::Secret`]); this
//! handles the integrations kept as generic maps.

use super::types::ReceiverConfig;

/// Whether a generic field holds a secret (keys, tokens, passwords,
/// webhook URLs); `*_file` fields name files and are shown.
fn is_secret_key(k: &str) -> bool {
    if k.ends_with("_file") {
        return false;
    }
    [
        "secret",
        "password",
        "token",
        "api_key",
        "routing_key",
        "service_key",
        "user_key",
        "webhook_url",
        "credentials",
    ]
    .iter()
    .any(|s| k.contains(s))
}

fn redact_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if is_secret_key(k) && !v.is_null() {
                    *v = serde_json::Value::String("<secret>".into());
                } else {
                    redact_value(v);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// Hides secrets in the integrations kept as generic maps.
pub(crate) fn redact_receiver(r: &mut ReceiverConfig) {
    for list in [
        &mut r.opsgenie_configs,
        &mut r.victorops_configs,
        &mut r.pushover_configs,
        &mut r.sns_configs,
        &mut r.telegram_configs,
        &mut r.wechat_configs,
        &mut r.webex_configs,
        &mut r.discord_configs,
        &mut r.msteams_configs,
        &mut r.msteamsv2_configs,
        &mut r.jira_configs,
        &mut r.rocketchat_configs,
        &mut r.mattermost_configs,
        &mut r.incidentio_configs,
    ] {
        for cfg in list.iter_mut().flatten() {
            for (k, v) in cfg.iter_mut() {
                if is_secret_key(k) && !v.is_null() {
                    *v = serde_json::Value::String("<secret>".into());
                } else {
                    redact_value(v);
                }
            }
        }
    }
}
