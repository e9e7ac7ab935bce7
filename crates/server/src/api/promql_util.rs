//! PromQL helpers the API needs besides evaluation: series selectors for
//! `match[]`, `format_query` and `parse_query`.

use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{self, Expr};
use telltale_model::{METRIC_NAME, MatchOp, Matcher};
use telltale_promql::PromqlError;

/// Parses a series selector such as `up{job="node"}` (what `match[]` takes)
/// into matchers, with Prometheus 3 regex semantics.
///
/// # Errors
///
/// A message saying why it is not a selector, or not a valid one.
pub fn parse_selector(s: &str) -> Result<Vec<Matcher>, String> {
    let expr = parser::parse(s)?;
    let Expr::VectorSelector(vs) = expr else {
        return Err(format!("{s:?} is not a series selector"));
    };
    if !vs.matchers.or_matchers.is_empty() {
        return Err(format!(
            "{s:?}: `or` in a series selector is not supported here"
        ));
    }
    let mut out = Vec::new();
    if let Some(name) = &vs.name {
        out.push(Matcher::equal(METRIC_NAME, name));
    }
    for m in &vs.matchers.matchers {
        let op = match &m.op {
            PMatchOp::Equal => MatchOp::Equal,
            PMatchOp::NotEqual => MatchOp::NotEqual,
            PMatchOp::Re(_) => MatchOp::Regex,
            PMatchOp::NotRe(_) => MatchOp::NotRegex,
        };
        out.push(Matcher::new(op, &m.name, &m.value).map_err(|e| e.to_string())?);
    }
    if out.iter().all(|m| m.matches_empty()) {
        return Err(format!(
            "{s:?}: match[] must contain at least one non-empty matcher"
        ));
    }
    Ok(out)
}

/// Pretty-prints an expression as `format_query` does.
///
/// # Errors
///
/// The parse error, as a `bad_data` [`PromqlError`].
pub fn format_query(q: &str) -> Result<String, PromqlError> {
    telltale_promql::format_query(q)
}

fn bad(message: String) -> PromqlError {
    PromqlError::Parse {
        message,
        position: None,
    }
}

/// The expression's syntax tree as JSON, as `parse_query` answers.
///
/// # Errors
///
/// The parse error, as a `bad_data` [`PromqlError`].
pub fn parse_query_json(q: &str) -> Result<serde_json::Value, PromqlError> {
    let e = telltale_promql::parse(q)?;
    serde_json::to_value(&e).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_with_name_and_regex() {
        let m = parse_selector(r#"up{job=~"no.*"}"#).unwrap();
        assert_eq!(m.len(), 2);
        assert!(m[1].matches("node"));
        assert!(parse_selector("rate(up[5m])").is_err());
        assert!(parse_selector(r#"{job=""}"#).is_err());
    }
}
