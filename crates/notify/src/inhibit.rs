//! Inhibition rules: a firing source alert mutes matching target alerts that
//! share the `equal` labels.

use telltale_model::{MatchOp, Matcher};

use crate::alert::Alert;
use crate::config::matchers::{is_legacy_label_name, parse_matchers};
use crate::config::types::InhibitRuleConfig;
use std::collections::BTreeMap;

/// One rule, ready to apply.
#[derive(Debug, Clone)]
pub struct InhibitRule {
    /// Matchers a muting alert must satisfy.
    pub source: Vec<Matcher>,
    /// Matchers a muted alert must satisfy.
    pub target: Vec<Matcher>,
    /// Labels whose values must be the same on both.
    pub equal: Vec<String>,
}

fn side(
    eq: &Option<BTreeMap<String, String>>,
    re: &Option<BTreeMap<String, Option<String>>>,
    ms: &Option<Vec<String>>,
    what: &str,
) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    for (k, v) in eq.iter().flatten() {
        if !is_legacy_label_name(k) {
            return Err(format!("invalid label name {k:?} in {what}_match"));
        }
        out.push(Matcher::equal(k, v));
    }
    for (k, v) in re.iter().flatten() {
        let v = v
            .as_ref()
            .ok_or_else(|| format!("invalid regex in {what}_match_re for label {k}: null value"))?;
        out.push(
            Matcher::new(MatchOp::Regex, k, &format!("^(?:{v})$")).map_err(|e| e.to_string())?,
        );
    }
    for s in ms.iter().flatten() {
        out.extend(parse_matchers(s)?);
    }
    Ok(out)
}

/// Checks a rule as Alertmanager does while decoding it.
pub(crate) fn check_inhibit_rule(cfg: &InhibitRuleConfig) -> Result<(), String> {
    InhibitRule::build(cfg).map(|_| ())
}

impl InhibitRule {
    /// Builds a rule from its configuration.
    ///
    /// # Errors
    ///
    /// A message when a matcher is invalid.
    pub fn build(cfg: &InhibitRuleConfig) -> Result<InhibitRule, String> {
        let source = side(
            &cfg.source_match,
            &cfg.source_match_re,
            &cfg.source_matchers,
            "source",
        )?;
        let target = side(
            &cfg.target_match,
            &cfg.target_match_re,
            &cfg.target_matchers,
            "target",
        )?;
        let equal = cfg.equal.clone().unwrap_or_default();
        for l in &equal {
            if l.is_empty() {
                return Err("invalid label name \"\" in equal list".into());
            }
        }
        Ok(InhibitRule {
            source,
            target,
            equal,
        })
    }

    fn matches_source(&self, a: &Alert) -> bool {
        self.source.iter().all(|m| m.matches_labels(&a.labels))
    }

    fn matches_target(&self, a: &Alert) -> bool {
        self.target.iter().all(|m| m.matches_labels(&a.labels))
    }
}

/// The fingerprint of an alert that inhibits `target`, if any. `alerts` are
/// the candidates (resolved ones never inhibit).
pub fn inhibited_by<'a>(
    rules: &[InhibitRule],
    alerts: impl Iterator<Item = &'a Alert> + Clone,
    target: &Alert,
    now: jiff::Timestamp,
) -> Option<String> {
    for rule in rules {
        if !rule.matches_target(target) {
            continue;
        }
        let target_is_source = rule.matches_source(target);
        for src in alerts.clone() {
            if src.fingerprint() == target.fingerprint() || src.is_resolved_at(now) {
                continue;
            }
            if !rule.matches_source(src) {
                continue;
            }
            if target_is_source && rule.matches_target(src) {
                // An alert on both sides never mutes another one that is too.
                continue;
            }
            if rule
                .equal
                .iter()
                .all(|l| src.labels.get(l) == target.labels.get(l))
            {
                return Some(src.fingerprint_hex());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::Labels;

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert::firing(
            Labels::from_pairs(pairs),
            "2024-01-01T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn critical_mutes_warning_with_equal_labels() {
        let cfg: InhibitRuleConfig = serde_saphyr::from_str(
            "source_matchers: [severity=critical]\ntarget_matchers: [severity=warning]\nequal: [alertname]\n",
        )
        .unwrap();
        let rules = vec![InhibitRule::build(&cfg).unwrap()];
        let crit = alert(&[("alertname", "X"), ("severity", "critical")]);
        let warn = alert(&[("alertname", "X"), ("severity", "warning")]);
        let other = alert(&[("alertname", "Y"), ("severity", "warning")]);
        let all = [crit.clone(), warn.clone(), other.clone()];
        let now = "2024-01-01T00:01:00Z".parse().unwrap();
        assert_eq!(
            inhibited_by(&rules, all.iter(), &warn, now),
            Some(crit.fingerprint_hex())
        );
        assert_eq!(inhibited_by(&rules, all.iter(), &other, now), None);
        assert_eq!(inhibited_by(&rules, all.iter(), &crit, now), None);
    }

    #[test]
    fn null_regex_names_the_label() {
        let cfg: InhibitRuleConfig =
            serde_saphyr::from_str("source_match_re:\n  invalid_source_label:\n").unwrap();
        let err = InhibitRule::build(&cfg).unwrap_err();
        assert!(err.contains("invalid_source_label"));
    }
}
