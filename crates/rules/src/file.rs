//! Rule files in Prometheus's format: the YAML shape, and loading it into
//! validated [`GroupSpec`]s with promtool's checks and messages.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::duration::parse_duration_ms;
use crate::error::RulesError;
use crate::validate::validate_rule;
pub use crate::validate::{is_valid_label_name, is_valid_metric_name};

/// The largest rule file read (bytes); rule files are written by people, a
/// bigger one is a mistake, not a configuration.
pub const MAX_RULE_FILE_BYTES: u64 = 64 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    groups: Vec<Spanned<RawGroup>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    name: String,
    #[serde(default)]
    interval: Option<String>,
    #[serde(default)]
    query_offset: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    pub(crate) record: Option<String>,
    #[serde(default)]
    pub(crate) alert: Option<String>,
    #[serde(default)]
    pub(crate) expr: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub(crate) for_: Option<String>,
    #[serde(default)]
    pub(crate) keep_firing_for: Option<String>,
    #[serde(default)]
    pub(crate) labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) annotations: Option<BTreeMap<String, String>>,
}

/// What a rule computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// A recording rule (`record:`): its result is stored under a new name.
    Recording,
    /// An alerting rule (`alert:`): its result drives alerts.
    Alerting,
}

/// One validated rule, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleSpec {
    /// Recording or alerting.
    pub kind: RuleKind,
    /// The `record` or `alert` name.
    pub name: String,
    /// The PromQL expression.
    pub expr: String,
    /// `for`, in milliseconds (0 for recording rules).
    pub for_ms: u64,
    /// `keep_firing_for`, in milliseconds.
    pub keep_firing_for_ms: u64,
    /// Labels added to every result (the group's labels merged in, the
    /// rule's own win); values of alerting rules are templates.
    pub labels: BTreeMap<String, String>,
    /// Annotation templates (alerting rules only).
    pub annotations: BTreeMap<String, String>,
    /// The line of the rule in its file (0 when unknown).
    pub line: u64,
}

/// One validated group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupSpec {
    /// The group name, unique within its file.
    pub name: String,
    /// The file the group was read from.
    pub file: String,
    /// `interval` in milliseconds; `None` means the global evaluation interval.
    pub interval_ms: Option<u64>,
    /// `query_offset` in milliseconds; `None` means the global one.
    pub query_offset_ms: Option<u64>,
    /// `limit`: the most series a rule may produce (alerts for alerting
    /// rules); 0 means no limit.
    pub limit: usize,
    /// The group's `labels` (already merged into each rule's labels).
    pub labels: BTreeMap<String, String>,
    /// The rules in file order.
    pub rules: Vec<RuleSpec>,
}

/// Reads and validates one rule file.
///
/// # Errors
///
/// Every problem found (not only the first), each naming the file and,
/// where it applies, the group, the rule's index and its line.
pub fn load_file(path: &str) -> Result<Vec<GroupSpec>, Vec<RulesError>> {
    let meta = std::fs::metadata(path).map_err(|e| vec![RulesError::io(path, &e)])?;
    if meta.len() > MAX_RULE_FILE_BYTES {
        return Err(vec![RulesError::Io {
            file: path.to_string(),
            message: format!("file is larger than {MAX_RULE_FILE_BYTES} bytes"),
        }]);
    }
    let text = std::fs::read_to_string(path).map_err(|e| vec![RulesError::io(path, &e)])?;
    parse_rule_file(path, &text)
}

/// Reads and validates several rule files (the groups of all of them, in order).
///
/// # Errors
///
/// The problems of every file.
pub fn load_files<S: AsRef<str>>(paths: &[S]) -> Result<Vec<GroupSpec>, Vec<RulesError>> {
    let mut groups = Vec::new();
    let mut errs = Vec::new();
    for p in paths {
        match load_file(p.as_ref()) {
            Ok(g) => groups.extend(g),
            Err(e) => errs.extend(e),
        }
    }
    if errs.is_empty() {
        Ok(groups)
    } else {
        Err(errs)
    }
}

/// Parses and validates the text of a rule file; `file` names it in errors.
///
/// # Errors
///
/// As for [`load_file`].
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<GroupSpec>, Vec<RulesError>> {
    let raw: RawFile = if text.trim().is_empty() {
        RawFile { groups: Vec::new() }
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let loc = e.location();
            vec![RulesError::Yaml {
                file: file.to_string(),
                line: loc.map(|l| l.line()).unwrap_or(0),
                column: loc.map(|l| l.column()).unwrap_or(0),
                message: yaml_message(&e),
            }]
        })?
    };
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for g in raw.groups {
        let line = g.referenced.line();
        let g = g.value;
        let gerr = |message: String| RulesError::Group {
            file: file.to_string(),
            group: g.name.clone(),
            line,
            message,
        };
        if g.name.is_empty() {
            errs.push(gerr("Groupname must not be empty".into()));
        } else if !seen.insert(g.name.clone()) {
            errs.push(gerr(format!(
                "groupname: \"{}\" is repeated in the same file",
                g.name
            )));
        }
        let interval_ms = match g.interval.as_deref().map(parse_duration_ms) {
            Some(Err(e)) => {
                errs.push(gerr(format!("invalid interval: {e}")));
                None
            }
            Some(Ok(0)) | None => None,
            Some(Ok(v)) => Some(v),
        };
        let query_offset_ms = match g.query_offset.as_deref().map(parse_duration_ms) {
            Some(Err(e)) => {
                errs.push(gerr(format!("invalid query_offset: {e}")));
                None
            }
            Some(Ok(v)) => Some(v),
            None => None,
        };
        let limit = match g.limit {
            Some(l) if l < 0 => {
                errs.push(gerr(format!("limit must not be negative, got {l}")));
                0
            }
            Some(l) => usize::try_from(l).unwrap_or(usize::MAX),
            None => 0,
        };
        let glabels = g.labels.unwrap_or_default();
        for k in glabels.keys() {
            if !is_valid_label_name(k) || k == telltale_model::METRIC_NAME {
                errs.push(gerr(format!("invalid label name: {k}")));
            }
        }
        let mut rules = Vec::new();
        for (i, r) in g.rules.into_iter().enumerate() {
            let rline = r.referenced.line();
            let (spec, rerrs) = validate_rule(file, &g.name, i + 1, rline, r.value, &glabels);
            errs.extend(rerrs);
            rules.extend(spec);
        }
        out.push(GroupSpec {
            name: g.name,
            file: file.to_string(),
            interval_ms,
            query_offset_ms,
            limit,
            labels: glabels,
            rules,
        });
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    // The crate's Display adds a snippet of the input; the first line is the
    // message itself, and the position is reported separately.
    let s = e.to_string();
    s.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
groups:
  - name: g1
    interval: 30s
    query_offset: 1m
    limit: 10
    labels:
      team: infra
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 1m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} is down ({{ $value }})"
"#;

    #[test]
    fn parses_groups_and_rules() {
        let g = parse_rule_file("f.yml", GOOD).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].interval_ms, Some(30_000));
        assert_eq!(g[0].query_offset_ms, Some(60_000));
        assert_eq!(g[0].limit, 10);
        assert_eq!(g[0].rules.len(), 2);
        let a = &g[0].rules[1];
        assert_eq!(a.kind, RuleKind::Alerting);
        assert_eq!(a.for_ms, 300_000);
        assert_eq!(a.keep_firing_for_ms, 60_000);
        assert_eq!(a.labels.get("team").map(String::as_str), Some("infra"));
        assert_eq!(a.labels.get("severity").map(String::as_str), Some("page"));
        assert_eq!(a.line, 12);
    }

    #[test]
    fn empty_file_has_no_groups() {
        assert_eq!(parse_rule_file("f.yml", "").unwrap().len(), 0);
        assert_eq!(parse_rule_file("f.yml", "groups: []\n").unwrap().len(), 0);
    }

    fn errors(text: &str) -> Vec<String> {
        parse_rule_file("f.yml", text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn duplicate_group_names_are_rejected() {
        let e = errors("groups:\n- name: a\n  rules: []\n- name: a\n  rules: []\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("groupname: \"a\" is repeated in the same file"),
            "{e:?}"
        );
    }

    #[test]
    fn bad_expression_names_rule_and_position() {
        let e = errors("groups:\n- name: a\n  rules:\n  - record: x\n    expr: sum(\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "f.yml: 5:11: group \"a\", rule 1, \"x\": could not parse expression:"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn invalid_names_are_rejected() {
        let e = errors(
            "groups:\n- name: a\n  rules:\n  - record: 'bad-name'\n    expr: up\n  - alert: A\n    expr: up\n    labels:\n      'bad-label': x\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("rule 1") && e[0].contains("invalid recording rule name: bad-name"));
        assert!(e[1].contains("rule 2") && e[1].contains("invalid label name: bad-label"));
    }

    #[test]
    fn recording_rules_reject_alert_fields() {
        let e = errors(
            "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    for: 1m\n    annotations:\n      a: b\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e.iter()
                .any(|m| m.contains("invalid field 'for' in recording rule"))
        );
        assert!(
            e.iter()
                .any(|m| m.contains("invalid field 'annotations' in recording rule"))
        );
    }

    #[test]
    fn record_and_alert_exclusive_and_expr_required() {
        let e =
            errors("groups:\n- name: a\n  rules:\n  - record: x\n    alert: y\n  - labels: {}\n");
        assert!(
            e.iter()
                .any(|m| m.contains("only one of 'record' and 'alert' must be set"))
        );
        assert!(
            e.iter()
                .any(|m| m.contains("one of 'record' or 'alert' must be set"))
        );
        assert_eq!(
            e.iter()
                .filter(|m| m.contains("field 'expr' must be set in rule"))
                .count(),
            2
        );
    }

    #[test]
    fn unknown_fields_are_rejected_with_line() {
        let e = parse_rule_file(
            "f.yml",
            "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    bogus: 1\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        match &e[0] {
            RulesError::Yaml { line, message, .. } => {
                assert_eq!(*line, 6, "{message}");
                assert!(message.contains("bogus"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_templates_are_rejected() {
        let e = errors(
            "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      s: '{{ $labels.x '\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("template"), "{e:?}");
    }

    #[test]
    fn name_validity() {
        assert!(is_valid_metric_name("job:up:sum"));
        assert!(!is_valid_metric_name("1x"));
        assert!(!is_valid_metric_name(""));
        assert!(is_valid_label_name("_x1"));
        assert!(!is_valid_label_name("a:b"));
    }

    #[test]
    fn numeric_scalars_read_as_strings() {
        let g = parse_rule_file(
            "f.yml",
            "groups:\n- name: 1\n  rules:\n  - record: x\n    expr: 1\n    labels:\n      level: 2\n      on: true\n",
        )
        .unwrap();
        assert_eq!(g[0].name, "1");
        assert_eq!(g[0].rules[0].expr, "1");
        assert_eq!(g[0].rules[0].labels["level"], "2");
        assert_eq!(g[0].rules[0].labels["on"], "true");
    }
}
