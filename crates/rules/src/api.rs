//! The JSON of Prometheus's `/api/v1/rules` and `/api/v1/alerts` for a set
//! of groups.

use serde_json::{Map, Value, json};

use crate::alert::{ActiveAlert, AlertState};
use crate::group::{Group, Rule};
use crate::sink::rfc3339;

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`, as Prometheus formats alert
/// values (`2e+00`, `1.5e-01`).
pub fn go_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
        }
        None => s,
    }
}

fn time_or_zero(ms: i64) -> String {
    if ms == 0 {
        "0001-01-01T00:00:00Z".into()
    } else {
        rfc3339(ms)
    }
}

fn alert_json(a: &ActiveAlert) -> Value {
    let labels: Map<String, Value> = a
        .labels
        .iter()
        .map(|l| (l.name.clone(), Value::String(l.value.clone())))
        .collect();
    let mut o = json!({
        "labels": labels,
        "annotations": a.annotations,
        "state": a.state.as_str(),
        "activeAt": rfc3339(a.active_at_ms),
        "value": go_e(a.value),
    });
    if a.keep_firing_since_ms != 0 {
        o["keepFiringSince"] = Value::String(rfc3339(a.keep_firing_since_ms));
    }
    o
}

fn query_text(expr: &str) -> String {
    telltale_promql::format_query(expr).unwrap_or_else(|_| expr.to_string())
}

/// The `data` of `/api/v1/rules`: `kind` `Some("alert")` or
/// `Some("record")` keeps only that kind of rule (groups left empty are
/// dropped, as Prometheus does).
pub fn rules_json<'a>(groups: impl IntoIterator<Item = &'a Group>, kind: Option<&str>) -> Value {
    let mut out = Vec::new();
    for g in groups {
        let mut rules = Vec::new();
        for e in g.rules() {
            let spec = e.rule.spec();
            let mut r = match &e.rule {
                Rule::Alerting(a) => {
                    if kind == Some("record") {
                        continue;
                    }
                    let alerts: Vec<Value> = a
                        .alerts()
                        .into_iter()
                        .filter(|x| x.state != AlertState::Inactive)
                        .map(alert_json)
                        .collect();
                    json!({
                        "state": a.state().as_str(),
                        "name": spec.name,
                        "query": query_text(&spec.expr),
                        "duration": spec.for_ms as f64 / 1000.0,
                        "keepFiringFor": spec.keep_firing_for_ms as f64 / 1000.0,
                        "labels": spec.labels,
                        "annotations": spec.annotations,
                        "alerts": alerts,
                        "type": "alerting",
                    })
                }
                Rule::Recording(_) => {
                    if kind == Some("alert") {
                        continue;
                    }
                    let mut r = json!({
                        "name": spec.name,
                        "query": query_text(&spec.expr),
                        "type": "recording",
                    });
                    if !spec.labels.is_empty() {
                        r["labels"] = json!(spec.labels);
                    }
                    r
                }
            };
            r["health"] = Value::String(e.health.as_str().into());
            if let Some(err) = &e.last_error {
                r["lastError"] = Value::String(err.clone());
            }
            r["evaluationTime"] = json!(e.eval_seconds);
            r["lastEvaluation"] = Value::String(time_or_zero(e.last_eval_ms));
            rules.push(r);
        }
        if kind.is_some() && rules.is_empty() {
            continue;
        }
        out.push(json!({
            "name": g.name(),
            "file": g.file(),
            "rules": rules,
            "interval": g.interval_ms() as f64 / 1000.0,
            "limit": g.spec().limit,
            "evaluationTime": g.eval_seconds,
            "lastEvaluation": time_or_zero(g.last_eval_ms),
        }));
    }
    json!({ "groups": out })
}

/// The `data` of `/api/v1/alerts`: every pending and firing alert.
pub fn alerts_json<'a>(groups: impl IntoIterator<Item = &'a Group>) -> Value {
    let mut alerts = Vec::new();
    for g in groups {
        for e in g.rules() {
            if let Rule::Alerting(a) = &e.rule {
                alerts.extend(
                    a.alerts()
                        .into_iter()
                        .filter(|x| x.state != AlertState::Inactive)
                        .map(alert_json),
                );
            }
        }
    }
    json!({ "alerts": alerts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_e_formats_like_go() {
        assert_eq!(go_e(2.0), "2e+00");
        assert_eq!(go_e(0.15), "1.5e-01");
        assert_eq!(go_e(1234.5), "1.2345e+03");
        assert_eq!(go_e(f64::NAN), "NaN");
    }
}
