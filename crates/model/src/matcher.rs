//! Label matchers with Prometheus 3 semantics.

use std::fmt;

use regex::Regex;
use thiserror::Error;

use crate::labels::Labels;

/// The largest compiled regular expression a matcher may build, in bytes.
/// Bounds the memory one query can spend on a hostile pattern.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a matcher compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    /// The operator as written in PromQL.
    pub fn as_str(&self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// A matcher could not be built.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("invalid regular expression {pattern:?} for label {label:?}: {reason}")]
pub struct MatcherError {
    /// The label the matcher is for.
    pub label: String,
    /// The pattern as given.
    pub pattern: String,
    /// Why it does not compile.
    pub reason: String,
}

/// Selects label values: `name op "value"`.
///
/// A label that a series does not have has the empty value, so `foo=""`
/// matches series without `foo` and `foo!=""` those with it. Regular
/// expressions are anchored at both ends and `.` matches a newline, as in
/// Prometheus 3 (`^(?s:pattern)$`). A regex that is only a list of literal
/// alternatives (`a|b|c`) is matched as a set, without running the regex.
#[derive(Clone)]
pub struct Matcher {
    /// The label name.
    pub name: String,
    /// The operator.
    pub op: MatchOp,
    /// The value or the pattern as written.
    pub value: String,
    re: Option<Regex>,
    /// For regexes that are literal alternatives: the literals.
    set: Option<Vec<String>>,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.op.as_str(), self.value)
    }
}

impl Matcher {
    /// Builds a matcher; fails only for a regex that does not compile.
    ///
    /// # Errors
    ///
    /// [`MatcherError`] names the label, the pattern and the reason.
    pub fn new(op: MatchOp, name: &str, value: &str) -> Result<Self, MatcherError> {
        let (re, set) = match op {
            MatchOp::Equal | MatchOp::NotEqual => (None, None),
            MatchOp::Regex | MatchOp::NotRegex => {
                let set = literal_alternatives(value);
                let re = regex::RegexBuilder::new(&format!("^(?s:{value})$"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| MatcherError {
                        label: name.to_string(),
                        pattern: value.to_string(),
                        reason: e.to_string(),
                    })?;
                (Some(re), set)
            }
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            re,
            set,
        })
    }

    /// `name="value"`.
    pub fn equal(name: &str, value: &str) -> Self {
        Matcher {
            name: name.to_string(),
            op: MatchOp::Equal,
            value: value.to_string(),
            re: None,
            set: None,
        }
    }

    /// `name!="value"`.
    pub fn not_equal(name: &str, value: &str) -> Self {
        Matcher {
            op: MatchOp::NotEqual,
            ..Matcher::equal(name, value)
        }
    }

    /// Whether `value` (a label's value, `""` if absent) is selected.
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Equal => self.value == value,
            MatchOp::NotEqual => self.value != value,
            MatchOp::Regex => self.regex_matches(value),
            MatchOp::NotRegex => !self.regex_matches(value),
        }
    }

    fn regex_matches(&self, value: &str) -> bool {
        if let Some(set) = &self.set {
            return set.iter().any(|s| s == value);
        }
        match &self.re {
            Some(re) => re.is_match(value),
            None => false,
        }
    }

    /// Whether the matcher selects the empty value, that is, series that do
    /// not have the label at all.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// For `=` and for regexes that are literal alternatives: the exact values
    /// that match. Storage uses this to look postings up directly.
    pub fn set_values(&self) -> Option<Vec<&str>> {
        match self.op {
            MatchOp::Equal => Some(vec![self.value.as_str()]),
            MatchOp::Regex => self
                .set
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect()),
            _ => None,
        }
    }

    /// Whether a series with these labels is selected.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get(&self.name))
    }
}

/// Whether all matchers select the series.
pub fn matches_all(matchers: &[Matcher], labels: &Labels) -> bool {
    matchers.iter().all(|m| m.matches_labels(labels))
}

/// If `pattern` is only literal alternatives (`a|b|c`, no metacharacters),
/// returns them. `""` is not treated as a set (it must match only the empty
/// string, which the set would do too, but keep the regex path simple).
fn literal_alternatives(pattern: &str) -> Option<Vec<String>> {
    if pattern.is_empty() {
        return None;
    }
    const META: &[char] = &[
        '\\', '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '^', '$',
    ];
    if pattern.contains(META) {
        return None;
    }
    Some(pattern.split('|').map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_and_dot_matches_newline() {
        let m = Matcher::new(MatchOp::Regex, "a", "fo.").unwrap();
        assert!(m.matches("foo"));
        assert!(m.matches("fo\n"));
        assert!(!m.matches("xfoo"));
        assert!(!m.matches("foox"));
    }

    #[test]
    fn literal_set_matches_like_regex() {
        let m = Matcher::new(MatchOp::Regex, "a", "x|yy|").unwrap();
        assert_eq!(m.set_values(), Some(vec!["x", "yy", ""]));
        assert!(m.matches("yy"));
        assert!(m.matches(""));
        assert!(!m.matches("y"));
        let n = Matcher::new(MatchOp::NotRegex, "a", "x|yy").unwrap();
        assert!(n.matches("y"));
        assert!(!n.matches("x"));
    }

    #[test]
    fn absent_label_is_empty_value() {
        let l = Labels::from_pairs(&[("__name__", "up")]);
        assert!(Matcher::equal("job", "").matches_labels(&l));
        assert!(!Matcher::not_equal("job", "").matches_labels(&l));
        assert!(
            Matcher::new(MatchOp::Regex, "job", ".*")
                .unwrap()
                .matches_empty()
        );
    }

    #[test]
    fn bad_regex_names_label_and_pattern() {
        let e = Matcher::new(MatchOp::Regex, "job", "(").unwrap_err();
        assert_eq!(e.label, "job");
        assert!(e.to_string().contains("\"(\""));
    }
}
