//! [`RulesError`]: everything loading, checking and evaluating rules can fail with.

use thiserror::Error;

/// An error of the rules crate. Every variant names where it happened: the
/// file, the group, the rule (1-based index, as promtool counts) and the
/// line and column when the YAML parser could tell.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum RulesError {
    /// A file could not be read.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// A file is not valid YAML or does not have the expected structure
    /// (unknown fields, wrong types).
    #[error("{file}: {}{message}", position(*line, *column))]
    Yaml {
        /// The file.
        file: String,
        /// 1-based line, 0 when unknown.
        line: u64,
        /// 1-based column, 0 when unknown.
        column: u64,
        /// What the parser said.
        message: String,
    },
    /// A group is not valid (empty or duplicate name, bad interval).
    #[error("{file}: {}group {group:?}: {message}", position(*line, 0))]
    Group {
        /// The file.
        file: String,
        /// The group's name.
        group: String,
        /// The line of the group, 0 when unknown.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A rule is not valid (bad name, expression, label or template).
    #[error("{file}: {}group {group:?}, rule {rule}, {name:?}: {message}", position(*line, *column))]
    Rule {
        /// The file.
        file: String,
        /// The group's name.
        group: String,
        /// 1-based index of the rule in its group.
        rule: usize,
        /// The rule's `alert` or `record` name.
        name: String,
        /// 1-based line, 0 when unknown.
        line: u64,
        /// 1-based column, 0 when unknown.
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A template could not be parsed or executed.
    #[error("error expanding template {name}: {message}")]
    Template {
        /// The template's name (`__alert_HighCpu` and the like).
        name: String,
        /// The template engine's message.
        message: String,
    },
    /// A query failed during evaluation.
    #[error("query {expr:?} at {time_ms}: {message}")]
    Query {
        /// The expression.
        expr: String,
        /// The evaluation time in milliseconds.
        time_ms: i64,
        /// The engine's message.
        message: String,
    },
    /// A rule produced something it must not (a vector with duplicate label
    /// sets, more series than its group's `limit`).
    #[error("{0}")]
    Eval(String),
    /// Writing results to storage failed.
    #[error("storage: {0}")]
    Storage(#[from] telltale_model::StorageError),
    /// A rule unit-test file is not valid or could not be run.
    #[error("{file}: {message}")]
    Test {
        /// The unit-test file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Sending alerts to an Alertmanager failed.
    #[error("sending alerts to {url}: {message}")]
    Send {
        /// The Alertmanager URL.
        url: String,
        /// What failed.
        message: String,
    },
}

fn position(line: u64, column: u64) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (l, 0) => format!("{l}: "),
        (l, c) => format!("{l}:{c}: "),
    }
}

impl RulesError {
    pub(crate) fn io(file: &str, err: &std::io::Error) -> Self {
        RulesError::Io {
            file: file.to_string(),
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_errors_read_like_promtool() {
        let e = RulesError::Rule {
            file: "r.yml".into(),
            group: "g".into(),
            rule: 2,
            name: "HighCpu".into(),
            line: 7,
            column: 11,
            message: "could not parse expression: bad".into(),
        };
        assert_eq!(
            e.to_string(),
            "r.yml: 7:11: group \"g\", rule 2, \"HighCpu\": could not parse expression: bad"
        );
        let e = RulesError::Group {
            file: "r.yml".into(),
            group: "g".into(),
            line: 0,
            message: "repeated".into(),
        };
        assert_eq!(e.to_string(), "r.yml: group \"g\": repeated");
    }
}
