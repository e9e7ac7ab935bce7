//! Rule validation with promtool's checks and messages.

use std::collections::BTreeMap;

use crate::duration::parse_duration_ms;
use crate::error::RulesError;
use crate::file::{RawRule, RuleKind, RuleSpec};
use crate::template;

/// Whether `s` is a legacy Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn is_valid_metric_name(s: &str) -> bool {
    let mut it = s.bytes();
    match it.next() {
        Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {}
        _ => return false,
    }
    it.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Whether `s` is a legacy Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn is_valid_label_name(s: &str) -> bool {
    let mut it = s.bytes();
    match it.next() {
        Some(c) if c.is_ascii_alphabetic() || c == b'_' => {}
        _ => return false,
    }
    it.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

pub(crate) fn validate_rule(
    file: &str,
    group: &str,
    index: usize,
    line: u64,
    r: RawRule,
    group_labels: &BTreeMap<String, String>,
) -> (Option<RuleSpec>, Vec<RulesError>) {
    let name = r
        .alert
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| r.record.clone())
        .unwrap_or_default();
    let (mut eline, mut ecol) = (line, 0);
    let mut errs: Vec<String> = Vec::new();
    let record = r.record.clone().filter(|s| !s.is_empty());
    let alert = r.alert.clone().filter(|s| !s.is_empty());
    if record.is_some() && alert.is_some() {
        errs.push("only one of 'record' and 'alert' must be set".into());
    }
    if record.is_none() && alert.is_none() {
        errs.push("one of 'record' or 'alert' must be set".into());
    }
    let expr = match &r.expr {
        Some(e) if !e.value.trim().is_empty() => {
            eline = e.referenced.line();
            ecol = e.referenced.column();
            if let Err(m) = promql_parser::parser::parse(&e.value) {
                errs.push(format!("could not parse expression: {}", m.trim()));
            }
            e.value.clone()
        }
        _ => {
            errs.push("field 'expr' must be set in rule".into());
            String::new()
        }
    };
    let dur = |what: &str, v: &Option<String>, errs: &mut Vec<String>| -> u64 {
        match v.as_deref().map(parse_duration_ms) {
            Some(Ok(ms)) => ms,
            Some(Err(e)) => {
                errs.push(format!("invalid field '{what}': {e}"));
                0
            }
            None => 0,
        }
    };
    let for_ms = dur("for", &r.for_, &mut errs);
    let keep_firing_for_ms = dur("keep_firing_for", &r.keep_firing_for, &mut errs);
    let annotations = r.annotations.unwrap_or_default();
    let own_labels = r.labels.unwrap_or_default();
    if let Some(rec) = &record {
        if !annotations.is_empty() {
            errs.push("invalid field 'annotations' in recording rule".into());
        }
        if for_ms != 0 {
            errs.push("invalid field 'for' in recording rule".into());
        }
        if keep_firing_for_ms != 0 {
            errs.push("invalid field 'keep_firing_for' in recording rule".into());
        }
        if !is_valid_metric_name(rec) {
            errs.push(format!("invalid recording rule name: {rec}"));
        }
    }
    for k in own_labels.keys() {
        if !is_valid_label_name(k) || k == telltale_model::METRIC_NAME {
            errs.push(format!("invalid label name: {k}"));
        }
    }
    for k in annotations.keys() {
        if !is_valid_label_name(k) {
            errs.push(format!("invalid annotation name: {k}"));
        }
    }
    if alert.is_some() {
        for (k, v) in own_labels.iter().chain(annotations.iter()) {
            if let Err(e) = template::check(k, v) {
                errs.push(format!("template: {e}"));
            }
        }
    }
    let errors: Vec<RulesError> = errs
        .into_iter()
        .map(|message| RulesError::Rule {
            file: file.to_string(),
            group: group.to_string(),
            rule: index,
            name: name.clone(),
            line: eline,
            column: ecol,
            message,
        })
        .collect();
    if !errors.is_empty() {
        return (None, errors);
    }
    let mut labels = group_labels.clone();
    labels.extend(own_labels);
    let kind = if alert.is_some() {
        RuleKind::Alerting
    } else {
        RuleKind::Recording
    };
    let spec = RuleSpec {
        kind,
        name,
        expr,
        for_ms,
        keep_firing_for_ms,
        labels,
        annotations,
        line,
    };
    (Some(spec), Vec::new())
}
