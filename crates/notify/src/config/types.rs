//! The configuration file's shape, field for field as Alertmanager's YAML.
//!
//! Every struct rejects unknown fields, as Alertmanager's strict YAML
//! decoding does. Receivers we do not deliver to are kept as generic maps and
//! checked against the field lists in [`super::integrations`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::duration::PromDuration;

/// A value that must not be shown back (passwords, tokens, keys): printed
/// and serialised as `<secret>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret(String::deserialize(d)?))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<secret>")
    }
}

/// A generic configuration block kept as data (receivers we only validate).
pub type GenericConfig = BTreeMap<String, serde_json::Value>;

/// The top level of an Alertmanager configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Defaults shared by receivers.
    #[serde(default)]
    pub global: Option<GlobalConfig>,
    /// The root of the routing tree.
    #[serde(default)]
    pub route: Option<RouteConfig>,
    /// Inhibition rules.
    #[serde(default)]
    pub inhibit_rules: Option<Vec<InhibitRuleConfig>>,
    /// Notification receivers.
    #[serde(default)]
    pub receivers: Option<Vec<ReceiverConfig>>,
    /// Template file globs.
    #[serde(default)]
    pub templates: Option<Vec<String>>,
    /// Deprecated name for `time_intervals`.
    #[serde(default)]
    pub mute_time_intervals: Option<Vec<TimeIntervalConfig>>,
    /// Named time intervals for muting or activating routes.
    #[serde(default)]
    pub time_intervals: Option<Vec<TimeIntervalConfig>>,
    /// Tracing settings (accepted, unused).
    #[serde(default)]
    pub tracing: Option<GenericConfig>,
}

/// The `global:` block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct GlobalConfig {
    /// Time after which an alert without `endsAt` is resolved (default 5m).
    pub resolve_timeout: PromDuration,
    /// Default HTTP client settings.
    pub http_config: Option<HttpConfig>,
    pub smtp_from: String,
    pub smtp_hello: String,
    pub smtp_smarthost: String,
    pub smtp_auth_username: String,
    pub smtp_auth_password: Secret,
    pub smtp_auth_password_file: String,
    pub smtp_auth_secret: Secret,
    pub smtp_auth_secret_file: String,
    pub smtp_auth_identity: String,
    pub smtp_require_tls: bool,
    pub smtp_tls_config: Option<GenericConfig>,
    pub smtp_force_implicit_tls: Option<bool>,
    pub slack_api_url: Option<Secret>,
    pub slack_api_url_file: String,
    pub slack_app_token: Secret,
    pub slack_app_token_file: String,
    pub slack_app_url: Option<String>,
    pub pagerduty_url: String,
    pub opsgenie_api_url: Option<String>,
    pub opsgenie_api_key: Secret,
    pub opsgenie_api_key_file: String,
    pub victorops_api_url: Option<String>,
    pub victorops_api_key: Secret,
    pub victorops_api_key_file: String,
    pub wechat_api_url: Option<String>,
    pub wechat_api_secret: Secret,
    pub wechat_api_secret_file: String,
    pub wechat_api_corp_id: String,
    pub telegram_api_url: Option<String>,
    pub telegram_bot_token: Secret,
    pub telegram_bot_token_file: String,
    pub webex_api_url: Option<String>,
    pub rocketchat_api_url: Option<String>,
    pub rocketchat_token: Secret,
    pub rocketchat_token_file: String,
    pub rocketchat_token_id: Secret,
    pub rocketchat_token_id_file: String,
    pub mattermost_webhook_url: Option<Secret>,
    pub mattermost_webhook_url_file: String,
    pub jira_api_url: Option<String>,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            resolve_timeout: PromDuration(std::time::Duration::from_secs(300)),
            http_config: None,
            smtp_from: String::new(),
            smtp_hello: "localhost".into(),
            smtp_smarthost: String::new(),
            smtp_auth_username: String::new(),
            smtp_auth_password: Secret::default(),
            smtp_auth_password_file: String::new(),
            smtp_auth_secret: Secret::default(),
            smtp_auth_secret_file: String::new(),
            smtp_auth_identity: String::new(),
            smtp_require_tls: true,
            smtp_tls_config: None,
            smtp_force_implicit_tls: None,
            slack_api_url: None,
            slack_api_url_file: String::new(),
            slack_app_token: Secret::default(),
            slack_app_token_file: String::new(),
            slack_app_url: None,
            pagerduty_url: "https://events.pagerduty.com/v2/enqueue".into(),
            opsgenie_api_url: None,
            opsgenie_api_key: Secret::default(),
            opsgenie_api_key_file: String::new(),
            victorops_api_url: None,
            victorops_api_key: Secret::default(),
            victorops_api_key_file: String::new(),
            wechat_api_url: None,
            wechat_api_secret: Secret::default(),
            wechat_api_secret_file: String::new(),
            wechat_api_corp_id: String::new(),
            telegram_api_url: None,
            telegram_bot_token: Secret::default(),
            telegram_bot_token_file: String::new(),
            webex_api_url: None,
            rocketchat_api_url: None,
            rocketchat_token: Secret::default(),
            rocketchat_token_file: String::new(),
            rocketchat_token_id: Secret::default(),
            rocketchat_token_id_file: String::new(),
            mattermost_webhook_url: None,
            mattermost_webhook_url_file: String::new(),
            jira_api_url: None,
        }
    }
}

/// HTTP client settings (`http_config`). Authorisation and timeouts are
/// applied; proxy and TLS settings are accepted and validated for shape.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct HttpConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub bearer_token: Option<Secret>,
    pub bearer_token_file: Option<String>,
    pub oauth2: Option<GenericConfig>,
    pub proxy_url: Option<String>,
    pub no_proxy: Option<String>,
    pub proxy_from_environment: Option<bool>,
    pub proxy_connect_header: Option<GenericConfig>,
    pub tls_config: Option<GenericConfig>,
    pub follow_redirects: Option<bool>,
    pub enable_http2: Option<bool>,
    pub http_headers: Option<GenericConfig>,
}

/// `basic_auth:` in an `http_config`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct BasicAuth {
    pub username: String,
    pub username_file: String,
    pub password: Secret,
    pub password_file: String,
}

/// `authorization:` in an `http_config`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct Authorization {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub credentials: Option<Secret>,
    pub credentials_file: Option<String>,
}

/// One node of the routing tree as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouteConfig {
    /// Receiver for alerts that stop at this node (inherited when empty).
    pub receiver: Option<String>,
    /// Labels to group by; `...` groups by all labels.
    pub group_by: Option<Vec<String>>,
    /// Legacy equality matchers.
    #[serde(rename = "match")]
    pub match_eq: Option<BTreeMap<String, String>>,
    /// Legacy regex matchers (anchored).
    pub match_re: Option<BTreeMap<String, Option<String>>>,
    /// Matcher strings.
    pub matchers: Option<Vec<String>>,
    /// Whether matching continues with the next sibling.
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    /// Child routes.
    pub routes: Option<Vec<RouteConfig>>,
    /// Wait before the first notification of a new group.
    pub group_wait: Option<PromDuration>,
    /// Wait between notifications about changes in a group.
    pub group_interval: Option<PromDuration>,
    /// Wait before repeating an unchanged notification.
    pub repeat_interval: Option<PromDuration>,
    /// Time intervals during which notifications are muted.
    pub mute_time_intervals: Option<Vec<String>>,
    /// Time intervals outside of which notifications are muted.
    pub active_time_intervals: Option<Vec<String>>,
    /// Labels attached to groups of this route (merged parent to child).
    pub labels: Option<BTreeMap<String, String>>,
}

/// One inhibition rule as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct InhibitRuleConfig {
    pub name: Option<String>,
    pub source_match: Option<BTreeMap<String, String>>,
    pub source_match_re: Option<BTreeMap<String, Option<String>>>,
    pub source_matchers: Option<Vec<String>>,
    pub target_match: Option<BTreeMap<String, String>>,
    pub target_match_re: Option<BTreeMap<String, Option<String>>>,
    pub target_matchers: Option<Vec<String>>,
    /// Labels that must be equal on source and target.
    pub equal: Option<Vec<String>>,
}

/// A named set of time intervals.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeIntervalConfig {
    /// The name routes refer to.
    pub name: Option<String>,
    /// The intervals; a time is inside when any of them contains it.
    pub time_intervals: Option<Vec<TimeIntervalSpec>>,
}

/// One interval: every given field must contain the time.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct TimeIntervalSpec {
    pub times: Option<Vec<TimeRangeSpec>>,
    pub weekdays: Option<Vec<String>>,
    pub days_of_month: Option<Vec<String>>,
    pub months: Option<Vec<String>>,
    pub years: Option<Vec<String>>,
    pub location: Option<String>,
}

/// `start_time`/`end_time` as `HH:MM`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct TimeRangeSpec {
    pub start_time: String,
    pub end_time: String,
}

/// A receiver: a name and its integrations.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct ReceiverConfig {
    pub name: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub webhook_configs: Option<Vec<WebhookConfig>>,
    pub email_configs: Option<Vec<EmailConfig>>,
    pub slack_configs: Option<Vec<SlackConfig>>,
    pub pagerduty_configs: Option<Vec<PagerdutyConfig>>,
    pub opsgenie_configs: Option<Vec<GenericConfig>>,
    pub victorops_configs: Option<Vec<GenericConfig>>,
    pub pushover_configs: Option<Vec<GenericConfig>>,
    pub sns_configs: Option<Vec<GenericConfig>>,
    pub telegram_configs: Option<Vec<GenericConfig>>,
    pub wechat_configs: Option<Vec<GenericConfig>>,
    pub webex_configs: Option<Vec<GenericConfig>>,
    pub discord_configs: Option<Vec<GenericConfig>>,
    pub msteams_configs: Option<Vec<GenericConfig>>,
    pub msteamsv2_configs: Option<Vec<GenericConfig>>,
    pub jira_configs: Option<Vec<GenericConfig>>,
    pub rocketchat_configs: Option<Vec<GenericConfig>>,
    pub mattermost_configs: Option<Vec<GenericConfig>>,
    pub incidentio_configs: Option<Vec<GenericConfig>>,
}

/// `webhook_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct WebhookConfig {
    /// Defaults to true.
    pub send_resolved: Option<bool>,
    pub http_config: Option<HttpConfig>,
    pub url: Option<Secret>,
    pub url_file: Option<String>,
    /// Keep only this many alerts (0: all).
    pub max_alerts: u64,
    pub timeout: Option<PromDuration>,
}

/// `email_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct EmailConfig {
    /// Defaults to false.
    pub send_resolved: Option<bool>,
    pub to: String,
    pub from: String,
    pub hello: String,
    pub smarthost: String,
    pub auth_username: String,
    pub auth_password: Secret,
    pub auth_password_file: String,
    pub auth_secret: Secret,
    pub auth_secret_file: String,
    pub auth_identity: String,
    pub headers: BTreeMap<String, String>,
    pub html: Option<String>,
    pub text: Option<String>,
    pub require_tls: Option<bool>,
    pub tls_config: Option<GenericConfig>,
    pub force_implicit_tls: Option<bool>,
    pub threading: Option<GenericConfig>,
}

/// `slack_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct SlackConfig {
    /// Defaults to false.
    pub send_resolved: Option<bool>,
    pub http_config: Option<HttpConfig>,
    pub api_url: Option<Secret>,
    pub api_url_file: String,
    pub app_token: Secret,
    pub app_token_file: String,
    pub app_url: Option<String>,
    pub channel: Option<String>,
    pub username: Option<String>,
    pub color: Option<String>,
    pub title: Option<String>,
    pub title_link: Option<String>,
    pub pretext: Option<String>,
    pub text: Option<String>,
    pub fields: Option<Vec<GenericConfig>>,
    pub short_fields: bool,
    pub footer: Option<String>,
    pub fallback: Option<String>,
    pub callback_id: Option<String>,
    pub icon_emoji: Option<String>,
    pub icon_url: Option<String>,
    pub image_url: Option<String>,
    pub thumb_url: Option<String>,
    pub link_names: bool,
    pub mrkdwn_in: Option<Vec<String>>,
    pub actions: Option<Vec<GenericConfig>>,
    pub update_message: bool,
    pub timeout: Option<PromDuration>,
}

/// `pagerduty_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct PagerdutyConfig {
    /// Defaults to true.
    pub send_resolved: Option<bool>,
    pub http_config: Option<HttpConfig>,
    pub service_key: Secret,
    pub service_key_file: String,
    pub routing_key: Secret,
    pub routing_key_file: String,
    pub url: Option<String>,
    pub client: Option<String>,
    pub client_url: Option<String>,
    pub description: Option<String>,
    pub details: Option<BTreeMap<String, String>>,
    pub images: Option<Vec<GenericConfig>>,
    pub links: Option<Vec<GenericConfig>>,
    pub source: Option<String>,
    pub severity: Option<String>,
    pub class: Option<String>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub timeout: Option<PromDuration>,
}
