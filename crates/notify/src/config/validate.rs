//! Loading a configuration in the order Alertmanager checks it: strict
//! decoding, the checks each block makes while being decoded, then the
//! cross-references of `Config.UnmarshalYAML`.

use std::collections::{HashMap, HashSet};

use super::Config;
use super::globals::{SLACK_POST_MESSAGE, apply_globals};
use super::integrations::{self, KINDS};
use super::redact::redact_receiver;
use super::types::*;
use crate::inhibit::{InhibitRule, check_inhibit_rule};
use crate::route::{Route, check_route_node};
use crate::timeinterval::TimeInterval;

/// Inputs larger than this are refused before parsing.
const MAX_CONFIG_BYTES: usize = 16 << 20;

fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let mut t = l.trim_start();
            while let Some(rest) = t.strip_prefix("- ") {
                t = rest.trim_start();
            }
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

fn unknown_field_error(line: usize, field: &str, go_type: &str) -> String {
    format!("yaml: unmarshal errors:\n  line {line}: field {field} not found in type {go_type}")
}

fn decode(text: &str) -> Result<ConfigFile, String> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "configuration is larger than {MAX_CONFIG_BYTES} bytes"
        ));
    }
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    serde_saphyr::from_str_with_options::<Option<ConfigFile>>(text, options)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let msg = e.to_string();
            if let Some(rest) = msg.split("unknown field `").nth(1) {
                let field = rest.split('`').next().unwrap_or("");
                let line = e
                    .location()
                    .map(|l| l.line() as usize)
                    .or_else(|| line_of_key(text, field))
                    .unwrap_or(0);
                return unknown_field_error(line, field, "config.plain");
            }
            format!("yaml: {msg}")
        })
}

fn both<T: AsRef<str>>(a: bool, b: T, what: &str) -> Result<(), String> {
    if a && !b.as_ref().is_empty() {
        return Err(format!(
            "at most one of {what} & {what}_file must be configured"
        ));
    }
    Ok(())
}

/// Checks made while decoding a receiver and its integrations.
fn check_receiver(text: &str, r: &ReceiverConfig) -> Result<(), String> {
    let name = r.name.as_deref().unwrap_or("");
    if name.is_empty() {
        return Err("missing name in receiver".into());
    }
    if let Some(v) = r.labels.as_ref().and_then(|l| l.get("name"))
        && v != name
    {
        return Err(format!(
            "receiver label \"name\" must match receiver name {name:?}, got {v:?}"
        ));
    }
    for w in r.webhook_configs.iter().flatten() {
        let has_url = w.url.as_ref().is_some_and(|u| !u.is_empty());
        let has_file = w.url_file.as_ref().is_some_and(|u| !u.is_empty());
        if !has_url && !has_file {
            return Err("one of url or url_file must be configured".into());
        }
        if has_url && has_file {
            return Err("at most one of url & url_file must be configured".into());
        }
        if let Some(u) = &w.url
            && !u.expose().contains("{{")
        {
            check_url(u.expose())?;
        }
    }
    for e in r.email_configs.iter().flatten() {
        if e.to.is_empty() {
            return Err("missing to address in email config".into());
        }
        let mut seen = HashSet::new();
        for h in e.headers.keys() {
            if !seen.insert(h.to_lowercase()) {
                return Err(format!("duplicate header {h:?} in email config"));
            }
        }
        if !e.auth_password.is_empty() && !e.auth_password_file.is_empty() {
            return Err(
                "at most one of auth_password & auth_password_file must be configured".into(),
            );
        }
        if !e.auth_secret.is_empty() && !e.auth_secret_file.is_empty() {
            return Err("at most one of auth_secret & auth_secret_file must be configured".into());
        }
    }
    for s in r.slack_configs.iter().flatten() {
        if !s.app_token.is_empty() && !s.app_token_file.is_empty() {
            return Err("at most one of app_token & app_token_file must be configured".into());
        }
        let has_url = s
            .api_url
            .as_ref()
            .is_some_and(|u| u.expose() != SLACK_POST_MESSAGE)
            || !s.api_url_file.is_empty();
        if s.api_url.is_some() && !s.api_url_file.is_empty() {
            return Err("at most one of api_url & api_url_file must be configured".into());
        }
        if has_url && (!s.app_token.is_empty() || !s.app_token_file.is_empty()) {
            return Err(
                "at most one of api_url/api_url_file & app_token/app_token_file must be configured"
                    .into(),
            );
        }
    }
    for p in r.pagerduty_configs.iter().flatten() {
        let rk = !p.routing_key.is_empty() || !p.routing_key_file.is_empty();
        let sk = !p.service_key.is_empty() || !p.service_key_file.is_empty();
        if !rk && !sk {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        if !p.routing_key.is_empty() && !p.routing_key_file.is_empty() {
            return Err("at most one of routing_key & routing_key_file must be configured".into());
        }
        if !p.service_key.is_empty() && !p.service_key_file.is_empty() {
            return Err("at most one of service_key & service_key_file must be configured".into());
        }
    }
    for kind in KINDS {
        for cfg in generic_configs(r, kind.key) {
            if let Some(f) = integrations::unknown_field(kind, cfg) {
                let line = line_of_key(text, f).unwrap_or(0);
                return Err(unknown_field_error(line, f, kind.go_type));
            }
            integrations::check_own(kind, cfg)?;
        }
    }
    Ok(())
}

fn check_url(u: &str) -> Result<(), String> {
    let ok = u.starts_with("http://") || u.starts_with("https://");
    if !ok {
        return Err(format!(
            "unsupported scheme \"{}\" for URL",
            u.split(':').next().unwrap_or("")
        ));
    }
    Ok(())
}

pub(crate) fn generic_configs<'a>(r: &'a ReceiverConfig, key: &str) -> &'a [GenericConfig] {
    let v = match key {
        "opsgenie_configs" => &r.opsgenie_configs,
        "victorops_configs" => &r.victorops_configs,
        "pushover_configs" => &r.pushover_configs,
        "sns_configs" => &r.sns_configs,
        "telegram_configs" => &r.telegram_configs,
        "wechat_configs" => &r.wechat_configs,
        "webex_configs" => &r.webex_configs,
        "discord_configs" => &r.discord_configs,
        "msteams_configs" => &r.msteams_configs,
        "msteamsv2_configs" => &r.msteamsv2_configs,
        "jira_configs" => &r.jira_configs,
        "rocketchat_configs" => &r.rocketchat_configs,
        "mattermost_configs" => &r.mattermost_configs,
        "incidentio_configs" => &r.incidentio_configs,
        _ => &None,
    };
    v.as_deref().unwrap_or(&[])
}

fn check_global(g: &GlobalConfig) -> Result<(), String> {
    if g.slack_api_url.is_some() && !g.slack_api_url_file.is_empty() {
        return Err("at most one of slack_api_url & slack_api_url_file must be configured".into());
    }
    both(
        !g.slack_app_token.is_empty(),
        &g.slack_app_token_file,
        "slack_app_token",
    )?;
    // A bot token with the chat.postMessage URL is the old way of
    // configuring an app; only a webhook URL conflicts with a token.
    let webhook_url = g
        .slack_api_url
        .as_ref()
        .is_some_and(|u| u.expose() != SLACK_POST_MESSAGE)
        || !g.slack_api_url_file.is_empty();
    if webhook_url && (!g.slack_app_token.is_empty() || !g.slack_app_token_file.is_empty()) {
        return Err("at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured".into());
    }
    both(
        !g.opsgenie_api_key.is_empty(),
        &g.opsgenie_api_key_file,
        "opsgenie_api_key",
    )?;
    both(
        !g.victorops_api_key.is_empty(),
        &g.victorops_api_key_file,
        "victorops_api_key",
    )?;
    both(
        !g.smtp_auth_password.is_empty(),
        &g.smtp_auth_password_file,
        "smtp_auth_password",
    )?;
    both(
        !g.smtp_auth_secret.is_empty(),
        &g.smtp_auth_secret_file,
        "smtp_auth_secret",
    )?;
    both(
        !g.telegram_bot_token.is_empty(),
        &g.telegram_bot_token_file,
        "telegram_bot_token",
    )?;
    both(
        !g.wechat_api_secret.is_empty(),
        &g.wechat_api_secret_file,
        "wechat_api_secret",
    )?;
    both(
        !g.rocketchat_token.is_empty(),
        &g.rocketchat_token_file,
        "rocketchat_token",
    )?;
    both(
        !g.rocketchat_token_id.is_empty(),
        &g.rocketchat_token_id_file,
        "rocketchat_token_id",
    )?;
    both(
        g.mattermost_webhook_url.is_some(),
        &g.mattermost_webhook_url_file,
        "mattermost_webhook_url",
    )?;
    Ok(())
}

fn route_refs<'a>(r: &'a RouteConfig, out: &mut Vec<&'a RouteConfig>) {
    out.push(r);
    for c in r.routes.iter().flatten() {
        route_refs(c, out);
    }
}

pub(super) fn load(text: &str) -> Result<Config, String> {
    let mut file = decode(text)?;

    // Checks Alertmanager makes while decoding each block.
    for r in file.receivers.iter().flatten() {
        check_receiver(text, r)?;
    }
    let mut intervals: HashMap<String, Vec<TimeInterval>> = HashMap::new();
    for ti in file
        .mute_time_intervals
        .iter()
        .flatten()
        .chain(file.time_intervals.iter().flatten())
    {
        if ti.name.as_deref().unwrap_or("").is_empty() {
            return Err("missing name in time interval".into());
        }
        for spec in ti.time_intervals.iter().flatten() {
            TimeInterval::from_spec(spec)?;
        }
    }
    if let Some(route) = &file.route {
        check_route_node(route)?;
    }
    for rule in file.inhibit_rules.iter().flatten() {
        check_inhibit_rule(rule)?;
    }

    // Config.UnmarshalYAML.
    let global = file.global.clone().unwrap_or_default();
    check_global(&global)?;
    let mut names = HashSet::new();
    let mut receivers = file.receivers.take().unwrap_or_default();
    for r in &mut receivers {
        let name = r.name.clone().unwrap_or_default();
        if names.contains(&name) {
            return Err(format!("notification config name {name:?} is not unique"));
        }
        apply_globals(r, &global)?;
        names.insert(name);
    }
    for ti in file.mute_time_intervals.iter().flatten() {
        let name = ti.name.clone().unwrap_or_default();
        if intervals.contains_key(&name) {
            return Err(format!("mute time interval {name:?} is not unique"));
        }
        let parsed = ti
            .time_intervals
            .iter()
            .flatten()
            .map(TimeInterval::from_spec)
            .collect::<Result<Vec<_>, _>>()?;
        intervals.insert(name, parsed);
    }
    for ti in file.time_intervals.iter().flatten() {
        let name = ti.name.clone().unwrap_or_default();
        if intervals.contains_key(&name) {
            return Err(format!("time interval {name:?} is not unique"));
        }
        let parsed = ti
            .time_intervals
            .iter()
            .flatten()
            .map(TimeInterval::from_spec)
            .collect::<Result<Vec<_>, _>>()?;
        intervals.insert(name, parsed);
    }
    let route_cfg = file.route.clone().ok_or("no routes provided")?;
    if route_cfg.receiver.as_deref().unwrap_or("").is_empty() {
        return Err("root route must specify a default receiver".into());
    }
    if route_cfg.match_eq.as_ref().is_some_and(|m| !m.is_empty())
        || route_cfg.match_re.as_ref().is_some_and(|m| !m.is_empty())
        || route_cfg.matchers.as_ref().is_some_and(|m| !m.is_empty())
    {
        return Err("root route must not have any matchers".into());
    }
    if route_cfg
        .mute_time_intervals
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        return Err("root route must not have any mute time intervals".into());
    }
    if route_cfg
        .active_time_intervals
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        return Err("root route must not have any active time intervals".into());
    }
    if route_cfg.continue_matching {
        return Err("cannot have continue in root route".into());
    }
    let mut nodes = Vec::new();
    route_refs(&route_cfg, &mut nodes);
    for n in &nodes {
        if let Some(r) = n.receiver.as_deref().filter(|r| !r.is_empty())
            && !names.contains(r)
        {
            return Err(format!("undefined receiver {r:?} used in route"));
        }
    }
    for n in &nodes {
        for name in n
            .mute_time_intervals
            .iter()
            .flatten()
            .chain(n.active_time_intervals.iter().flatten())
        {
            if !intervals.contains_key(name) {
                return Err(format!("undefined time interval {name:?} used in route"));
            }
        }
    }
    let route = Route::build(&route_cfg, None)?;
    let inhibit_rules = file
        .inhibit_rules
        .iter()
        .flatten()
        .map(InhibitRule::build)
        .collect::<Result<Vec<_>, _>>()?;
    let mut shown = file.clone();
    shown.global = Some(global.clone());
    let mut shown_receivers = receivers.clone();
    for r in &mut shown_receivers {
        redact_receiver(r);
    }
    shown.receivers = Some(shown_receivers);
    let redacted = serde_saphyr::to_string(&shown).unwrap_or_default();
    Ok(Config {
        global,
        route,
        inhibit_rules,
        receivers,
        time_intervals: intervals,
        templates: file.templates.clone().unwrap_or_default(),
        redacted,
        original: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_key() {
        let t = "a:\n  - b: 1\n    c: 2\n";
        assert_eq!(line_of_key(t, "c"), Some(3));
        assert_eq!(line_of_key(t, "b"), Some(2));
        assert_eq!(line_of_key(t, "z"), None);
    }

    #[test]
    fn status_config_hides_secrets() {
        let cfg = load(
            "global:\n  smtp_smarthost: 'localhost:25'\n  smtp_from: a@b.c\n  smtp_auth_password: pw-1\n  slack_api_url: 'http://hook-2'\nroute:\n  receiver: r\nreceivers:\n- name: r\n  opsgenie_configs:\n  - api_key: key-3\n  pagerduty_configs:\n  - routing_key: rk-4\n  webhook_configs:\n  - url: 'http://x/5'\n    http_config:\n      basic_auth: {username: u, password: pw-6}\n",
        )
        .unwrap();
        for s in ["pw-1", "hook-2", "key-3", "rk-4", "x/5", "pw-6"] {
            assert!(!cfg.redacted.contains(s), "{s} leaked:\n{}", cfg.redacted);
        }
        assert!(cfg.redacted.contains("<secret>"));
    }

    #[test]
    fn empty_text_has_no_routes() {
        assert_eq!(load("").unwrap_err(), "no routes provided");
    }

    #[test]
    fn unknown_top_level_field_is_rejected() {
        let err = load("route:\n  receiver: a\nreceivers:\n- name: a\nbogus: 1\n").unwrap_err();
        assert!(err.contains("field bogus not found"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn loading_never_panics(input in "\\PC{0,200}") {
            let _ = load(&input);
        }

        #[test]
        fn loading_mangled_configs_never_panics(cut in 0usize..400, junk in "[ :\\-\\[\\]{}'\"a-z0-9\\n]{0,12}") {
            let base = "route:\n  receiver: a\n  group_by: [x, '...']\n  routes:\n  - matchers: ['a=~\"b\"']\n    mute_time_intervals: [t]\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x\ntime_intervals:\n- name: t\n  time_intervals:\n  - times: [{start_time: '09:00', end_time: '17:00'}]\n";
            let cut = cut.min(base.len());
            let text = format!("{}{junk}{}", &base[..cut], &base[cut..]);
            let _ = load(&text);
        }
    }
}
