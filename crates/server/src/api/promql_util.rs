//! Series selectors for `match[]`, with Prometheus 3 regex semantics.
//! (`format_query` and `parse_query` come from the PromQL crate.)

use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{self, Expr};
use telltale_model::{METRIC_NAME, MatchOp, Matcher};

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
