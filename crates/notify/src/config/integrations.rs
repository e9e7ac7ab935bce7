//! Checks for the receiver integrations Telltale accepts in a configuration
//! but does not deliver to (OpsGenie, VictorOps, Pushover, SNS, Telegram,
//! WeChat, Webex, Discord, MS Teams, Jira, Rocket.Chat, Mattermost,
//! incident.io): the fields each one knows, and the rules Alertmanager checks
//! when it loads them, with Alertmanager's messages.

use super::types::{GenericConfig, GlobalConfig};

/// The YAML key, the Go type Alertmanager names in errors, and known fields.
pub(crate) struct Kind {
    pub key: &'static str,
    pub go_type: &'static str,
    pub fields: &'static [&'static str],
}

const COMMON: &[&str] = &["send_resolved", "http_config"];

/// Every generic integration kind.
pub(crate) const KINDS: &[Kind] = &[
    Kind {
        key: "opsgenie_configs",
        go_type: "opsgenie.plain",
        fields: &[
            "api_key",
            "api_key_file",
            "api_url",
            "message",
            "description",
            "source",
            "details",
            "entity",
            "responders",
            "actions",
            "tags",
            "note",
            "priority",
            "update_alerts",
        ],
    },
    Kind {
        key: "victorops_configs",
        go_type: "victorops.plain",
        fields: &[
            "api_key",
            "api_key_file",
            "api_url",
            "routing_key",
            "message_type",
            "entity_display_name",
            "state_message",
            "monitoring_tool",
            "custom_fields",
        ],
    },
    Kind {
        key: "pushover_configs",
        go_type: "pushover.plain",
        fields: &[
            "user_key",
            "user_key_file",
            "token",
            "token_file",
            "title",
            "message",
            "url",
            "url_title",
            "device",
            "sound",
            "priority",
            "retry",
            "expire",
            "ttl",
            "html",
            "monospace",
        ],
    },
    Kind {
        key: "sns_configs",
        go_type: "sns.plain",
        fields: &[
            "api_url",
            "sigv4",
            "topic_arn",
            "phone_number",
            "target_arn",
            "subject",
            "message",
            "attributes",
        ],
    },
    Kind {
        key: "telegram_configs",
        go_type: "telegram.plain",
        fields: &[
            "api_url",
            "bot_token",
            "bot_token_file",
            "chat_id",
            "chat_id_file",
            "message_thread_id",
            "message",
            "disable_notifications",
            "parse_mode",
        ],
    },
    Kind {
        key: "wechat_configs",
        go_type: "wechat.plain",
        fields: &[
            "api_secret",
            "api_secret_file",
            "api_url",
            "corp_id",
            "message",
            "message_type",
            "agent_id",
            "to_user",
            "to_party",
            "to_tag",
        ],
    },
    Kind {
        key: "webex_configs",
        go_type: "webex.plain",
        fields: &["api_url", "room_id", "message"],
    },
    Kind {
        key: "discord_configs",
        go_type: "discord.plain",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "title",
            "message",
            "content",
            "username",
            "avatar_url",
        ],
    },
    Kind {
        key: "msteams_configs",
        go_type: "msteams.plain",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "title",
            "summary",
            "text",
        ],
    },
    Kind {
        key: "msteamsv2_configs",
        go_type: "msteamsv2.plain",
        fields: &["webhook_url", "webhook_url_file", "title", "text"],
    },
    Kind {
        key: "jira_configs",
        go_type: "jira.plain",
        fields: &[
            "api_url",
            "api_type",
            "project",
            "summary",
            "description",
            "labels",
            "priority",
            "issue_type",
            "reopen_transition",
            "resolve_transition",
            "wont_fix_resolution",
            "reopen_duration",
            "fields",
        ],
    },
    Kind {
        key: "rocketchat_configs",
        go_type: "rocketchat.plain",
        fields: &[
            "api_url",
            "channel",
            "token",
            "token_file",
            "token_id",
            "token_id_file",
            "color",
            "emoji",
            "icon_url",
            "text",
            "title",
            "title_link",
            "fields",
            "short_fields",
            "image_url",
            "thumb_url",
            "link_names",
            "actions",
        ],
    },
    Kind {
        key: "mattermost_configs",
        go_type: "mattermost.plain",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "channel",
            "username",
            "text",
            "icon_url",
            "icon_emoji",
            "attachments",
            "props",
            "priority",
        ],
    },
    Kind {
        key: "incidentio_configs",
        go_type: "incidentio.plain",
        fields: &[
            "url",
            "url_file",
            "alert_source_token",
            "alert_source_token_file",
            "max_alerts",
            "timeout",
        ],
    },
];

/// The first field of `cfg` that `kind` does not know.
pub(crate) fn unknown_field<'a>(kind: &Kind, cfg: &'a GenericConfig) -> Option<&'a str> {
    cfg.keys()
        .map(String::as_str)
        .find(|k| !COMMON.contains(k) && !kind.fields.contains(k))
}

fn set(cfg: &GenericConfig, key: &str) -> bool {
    match cfg.get(key) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn at_most_one(cfg: &GenericConfig, a: &str, b: &str) -> Result<(), String> {
    if set(cfg, a) && set(cfg, b) {
        return Err(format!("at most one of {a} & {b} must be configured"));
    }
    Ok(())
}

/// Checks Alertmanager makes while decoding one integration (before globals
/// are applied).
pub(crate) fn check_own(kind: &Kind, cfg: &GenericConfig) -> Result<(), String> {
    match kind.key {
        "opsgenie_configs" => {
            at_most_one(cfg, "api_key", "api_key_file")?;
            if let Some(serde_json::Value::Array(rs)) = cfg.get("responders") {
                for r in rs {
                    let ty = r.get("type").and_then(|v| v.as_str()).unwrap_or("");
                    if !matches!(ty, "team" | "teams" | "user" | "escalation" | "schedule")
                        && !ty.contains("{{")
                    {
                        return Err(format!(
                            "opsGenieConfig responder {ty:?} type does not match valid options team,teams,user,escalation,schedule"
                        ));
                    }
                    let has = |k: &str| {
                        r.get(k)
                            .and_then(|v| v.as_str())
                            .is_some_and(|s| !s.is_empty())
                    };
                    if !has("id") && !has("name") && !has("username") {
                        return Err("opsGenieConfig responder must have at least an id, a name or a username defined".into());
                    }
                }
            }
        }
        "victorops_configs" => {
            at_most_one(cfg, "api_key", "api_key_file")?;
            if !set(cfg, "routing_key") {
                return Err("missing Routing key in VictorOps config".into());
            }
        }
        "pushover_configs" => {
            if !set(cfg, "user_key") && !set(cfg, "user_key_file") {
                return Err("one of user_key or user_key_file must be configured".into());
            }
            at_most_one(cfg, "user_key", "user_key_file")?;
            if !set(cfg, "token") && !set(cfg, "token_file") {
                return Err("one of token or token_file must be configured".into());
            }
            at_most_one(cfg, "token", "token_file")?;
        }
        "sns_configs" => {
            let n = ["target_arn", "topic_arn", "phone_number"]
                .iter()
                .filter(|k| set(cfg, k))
                .count();
            if n != 1 {
                return Err(
                    "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config"
                        .into(),
                );
            }
        }
        "telegram_configs" => {
            at_most_one(cfg, "bot_token", "bot_token_file")?;
            if !set(cfg, "chat_id") && !set(cfg, "chat_id_file") {
                return Err("missing chat_id on telegram_config".into());
            }
            let mode = cfg.get("parse_mode").and_then(|v| v.as_str()).unwrap_or("");
            if !matches!(mode, "" | "Markdown" | "MarkdownV2" | "HTML") {
                return Err("unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into());
            }
        }
        "wechat_configs" => {
            at_most_one(cfg, "api_secret", "api_secret_file")?;
            let ty = cfg
                .get("message_type")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            if !matches!(ty, "" | "text" | "markdown") {
                return Err(format!(
                    "weChat message type {ty:?} does not match valid options text,markdown"
                ));
            }
        }
        "webex_configs" => {
            if !set(cfg, "room_id") {
                return Err("missing room_id on webex_config".into());
            }
            let auth = cfg
                .get("http_config")
                .and_then(|h| h.get("authorization"))
                .is_some_and(|a| !a.is_null());
            if !auth {
                return Err("missing webex_configs.http_config.authorization".into());
            }
        }
        "discord_configs" | "msteams_configs" | "msteamsv2_configs" => {
            if !set(cfg, "webhook_url") && !set(cfg, "webhook_url_file") {
                return Err("one of webhook_url or webhook_url_file must be configured".into());
            }
            at_most_one(cfg, "webhook_url", "webhook_url_file")?;
        }
        "jira_configs" => {
            if !set(cfg, "project") {
                return Err("missing project in jira_config".into());
            }
            if !set(cfg, "issue_type") {
                return Err("missing issue_type in jira_config".into());
            }
        }
        "rocketchat_configs" => {
            at_most_one(cfg, "token", "token_file")?;
            at_most_one(cfg, "token_id", "token_id_file")?;
        }
        "mattermost_configs" => at_most_one(cfg, "webhook_url", "webhook_url_file")?,
        "incidentio_configs" => {
            if !set(cfg, "url") && !set(cfg, "url_file") {
                return Err("one of url or url_file must be configured".into());
            }
            at_most_one(cfg, "url", "url_file")?;
            at_most_one(cfg, "alert_source_token", "alert_source_token_file")?;
        }
        _ => {}
    }
    Ok(())
}

/// Checks that need the global block (a default for a required secret).
pub(crate) fn check_with_global(
    kind: &Kind,
    cfg: &GenericConfig,
    g: &GlobalConfig,
) -> Result<(), String> {
    match kind.key {
        "opsgenie_configs"
            if !set(cfg, "api_key")
                && !set(cfg, "api_key_file")
                && g.opsgenie_api_key.is_empty()
                && g.opsgenie_api_key_file.is_empty() =>
        {
            Err("no global OpsGenie API Key set either inline or in a file".into())
        }
        "victorops_configs"
            if !set(cfg, "api_key")
                && !set(cfg, "api_key_file")
                && g.victorops_api_key.is_empty()
                && g.victorops_api_key_file.is_empty() =>
        {
            Err("no global VictorOps API Key set".into())
        }
        "telegram_configs"
            if !set(cfg, "bot_token")
                && !set(cfg, "bot_token_file")
                && g.telegram_bot_token.is_empty()
                && g.telegram_bot_token_file.is_empty() =>
        {
            Err("missing bot_token or bot_token_file on telegram_config".into())
        }
        "wechat_configs" => {
            if !set(cfg, "api_secret")
                && !set(cfg, "api_secret_file")
                && g.wechat_api_secret.is_empty()
                && g.wechat_api_secret_file.is_empty()
            {
                return Err("no global Wechat Api Secret set either inline or in a file".into());
            }
            if !set(cfg, "corp_id") && g.wechat_api_corp_id.is_empty() {
                return Err("no global Wechat CorpID set".into());
            }
            Ok(())
        }
        "rocketchat_configs" => {
            if !set(cfg, "token")
                && !set(cfg, "token_file")
                && g.rocketchat_token.is_empty()
                && g.rocketchat_token_file.is_empty()
            {
                return Err("no global Rocketchat Token set either inline or in a file".into());
            }
            if !set(cfg, "token_id")
                && !set(cfg, "token_id_file")
                && g.rocketchat_token_id.is_empty()
                && g.rocketchat_token_id_file.is_empty()
            {
                return Err("no global Rocketchat Token ID set either inline or in a file".into());
            }
            Ok(())
        }
        "mattermost_configs"
            if !set(cfg, "webhook_url")
                && !set(cfg, "webhook_url_file")
                && g.mattermost_webhook_url.is_none()
                && g.mattermost_webhook_url_file.is_empty() =>
        {
            Err("missing webhook_url or webhook_url_file on mattermost_config".into())
        }
        "jira_configs" if !set(cfg, "api_url") && g.jira_api_url.is_none() => {
            Err("missing api_url in jira_config".into())
        }
        _ => Ok(()),
    }
}
