//! `telltale check rules FILE...`: what `promtool check rules` prints.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::file::{RuleKind, load_file};

/// The outcome of [`check_rules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The text to print, promtool's wording.
    pub output: String,
    /// Whether every file passed (the exit code is 1 otherwise).
    pub success: bool,
    /// The number of rules found in the files that passed.
    pub rules: usize,
}

/// Checks rule files as `promtool check rules` does: for each file
/// `Checking FILE` then `  SUCCESS: N rules found`, or `  FAILED:` and one
/// line per problem. Duplicate recording rules (same name and labels) are
/// reported as a warning.
pub fn check_rules<S: AsRef<str>>(paths: &[S]) -> CheckReport {
    let mut out = String::new();
    let mut success = true;
    let mut total = 0;
    for p in paths {
        let p = p.as_ref();
        let _ = writeln!(out, "Checking {p}");
        match load_file(p) {
            Ok(groups) => {
                let n: usize = groups.iter().map(|g| g.rules.len()).sum();
                total += n;
                let mut seen: BTreeMap<(String, Vec<(String, String)>), usize> = BTreeMap::new();
                for r in groups.iter().flat_map(|g| &g.rules) {
                    if r.kind == RuleKind::Recording {
                        let key = (
                            r.name.clone(),
                            r.labels
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        );
                        *seen.entry(key).or_default() += 1;
                    }
                }
                let dups: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
                if !dups.is_empty() {
                    let _ = writeln!(out, "  WARNING:\n{} duplicate rule(s) found.", dups.len());
                    for ((name, labels), _) in dups {
                        let _ = writeln!(out, "Metric: {name}\nLabel(s):");
                        for (k, v) in labels {
                            let _ = writeln!(out, "\t{k}: {v}");
                        }
                    }
                    let _ = writeln!(
                        out,
                        "Might cause inconsistency while recording expressions."
                    );
                }
                let _ = writeln!(out, "  SUCCESS: {n} rules found\n");
            }
            Err(errs) => {
                success = false;
                let _ = writeln!(out, "  FAILED:");
                for e in errs {
                    let _ = writeln!(out, "{e}");
                }
                let _ = writeln!(out);
            }
        }
    }
    CheckReport {
        output: out,
        success,
        rules: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_success_and_failure_like_promtool() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.yml");
        std::fs::write(
            &good,
            "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n  - record: x\n    expr: up\n",
        )
        .unwrap();
        let bad = dir.path().join("bad.yml");
        std::fs::write(
            &bad,
            "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: 'up =='\n",
        )
        .unwrap();
        let g = good.to_string_lossy().to_string();
        let b = bad.to_string_lossy().to_string();
        let r = check_rules(&[g.as_str()]);
        assert!(r.success);
        assert_eq!(r.rules, 2);
        assert!(r.output.starts_with(&format!("Checking {g}\n")));
        assert!(r.output.contains("1 duplicate rule(s) found."));
        assert!(r.output.ends_with("  SUCCESS: 2 rules found\n\n"));
        let r = check_rules(&[b.as_str()]);
        assert!(!r.success);
        assert!(r.output.contains("  FAILED:\n"));
        assert!(
            r.output.contains(&format!(
                "{b}: 5:11: group \"a\", rule 1, \"A\": could not parse expression"
            )),
            "{}",
            r.output
        );
        let r = check_rules(&["/nonexistent/rules.yml"]);
        assert!(!r.success);
    }
}
