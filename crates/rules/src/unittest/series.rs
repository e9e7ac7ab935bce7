//! The input of rule unit tests: series selectors (`up{job="a"}`) and the
//! expanding value notation (`1+2x10`, `_`, `_x3`, `stale`).

use telltale_model::{Label, Labels, METRIC_NAME, stale_nan};

/// The most values one `values` string may expand to (memory bound).
pub const MAX_EXPANDED_VALUES: usize = 1_000_000;

/// Parses a series description like `up{job="a", instance="b"}` (or `{}`)
/// into labels.
///
/// # Errors
///
/// The parser's message when the text is not a plain series selector with
/// only `=` matchers.
pub fn parse_series(text: &str) -> Result<Labels, String> {
    let t = text.trim();
    if t.is_empty() || t == "{}" {
        return Ok(Labels::empty());
    }
    let expr = promql_parser::parser::parse(t).map_err(|e| format!("bad series {t:?}: {e}"))?;
    let promql_parser::parser::Expr::VectorSelector(vs) = expr else {
        return Err(format!("bad series {t:?}: not a series selector"));
    };
    let mut labels = Vec::new();
    if let Some(n) = vs.name {
        labels.push(Label::new(METRIC_NAME, n));
    }
    for m in vs.matchers.matchers {
        if !matches!(m.op, promql_parser::label::MatchOp::Equal) {
            return Err(format!(
                "bad series {t:?}: only '=' matchers describe a series"
            ));
        }
        labels.push(Label::new(m.name, m.value));
    }
    if vs.offset.is_some() || vs.at.is_some() || !vs.matchers.or_matchers.is_empty() {
        return Err(format!("bad series {t:?}: not a plain series"));
    }
    Ok(Labels::new(labels))
}

fn parse_num(s: &str) -> Result<f64, String> {
    match s {
        "Inf" | "+Inf" | "inf" | "+inf" => Ok(f64::INFINITY),
        "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        "NaN" | "nan" => Ok(f64::NAN),
        _ => s.parse::<f64>().map_err(|_| format!("bad number {s:?}")),
    }
}

/// Splits `a+b` / `a-b` at the operator (not a sign of `a` nor of an
/// exponent).
fn split_op(s: &str) -> Option<(&str, f64, &str)> {
    let b = s.as_bytes();
    for i in 1..b.len() {
        if (b[i] == b'+' || b[i] == b'-') && !matches!(b[i - 1], b'e' | b'E') {
            let sign = if b[i] == b'+' { 1.0 } else { -1.0 };
            return Some((&s[..i], sign, &s[i + 1..]));
        }
    }
    None
}

/// Expands a `values` string into one entry per step: `None` for a missing
/// sample, `Some(stale marker)` for `stale`.
///
/// # Errors
///
/// A message naming the bad item, or when the expansion exceeds
/// [`MAX_EXPANDED_VALUES`].
pub fn expand_values(text: &str) -> Result<Vec<Option<f64>>, String> {
    let mut out: Vec<Option<f64>> = Vec::new();
    let push = |out: &mut Vec<Option<f64>>, v: Option<f64>| -> Result<(), String> {
        if out.len() >= MAX_EXPANDED_VALUES {
            return Err(format!("more than {MAX_EXPANDED_VALUES} values"));
        }
        out.push(v);
        Ok(())
    };
    for item in text.split_whitespace() {
        match item {
            "_" => push(&mut out, None)?,
            "stale" => push(&mut out, Some(stale_nan()))?,
            _ => {
                if let Some(n) = item.strip_prefix("_x") {
                    let n: usize = n.parse().map_err(|_| format!("bad item {item:?}"))?;
                    for _ in 0..n {
                        push(&mut out, None)?;
                    }
                    continue;
                }
                let Some((head, count)) = item.rsplit_once('x') else {
                    push(&mut out, Some(parse_num(item)?))?;
                    continue;
                };
                let n: usize = count.parse().map_err(|_| format!("bad item {item:?}"))?;
                let (start, step) = match split_op(head) {
                    Some((a, sign, b)) => (parse_num(a)?, sign * parse_num(b)?),
                    None => (parse_num(head)?, 0.0),
                };
                if n >= MAX_EXPANDED_VALUES {
                    return Err(format!("more than {MAX_EXPANDED_VALUES} values"));
                }
                for k in 0..=n {
                    push(&mut out, Some(start + step * k as f64))?;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::is_stale_nan;

    fn vals(s: &str) -> Vec<Option<f64>> {
        expand_values(s).unwrap()
    }

    #[test]
    fn expanding_notation_like_promtool() {
        assert_eq!(
            vals("-2+4x3"),
            vec![Some(-2.0), Some(2.0), Some(6.0), Some(10.0)]
        );
        assert_eq!(
            vals("1-2x4"),
            vec![Some(1.0), Some(-1.0), Some(-3.0), Some(-5.0), Some(-7.0)]
        );
        assert_eq!(vals("1x4"), vec![Some(1.0); 5]);
        let v = vals("1 _x3 stale _");
        assert_eq!(v.len(), 6);
        assert_eq!(&v[..4], &[Some(1.0), None, None, None]);
        assert!(is_stale_nan(v[4].unwrap()));
        assert_eq!(v[5], None);
        assert_eq!(vals("1e3+1e-1x1"), vec![Some(1000.0), Some(1000.1)]);
        assert!(vals("Inf").first().unwrap().unwrap().is_infinite());
        assert!(expand_values("1+x").is_err());
        assert!(expand_values("abc").is_err());
        assert!(expand_values("1x99999999999").is_err());
    }

    #[test]
    fn series_descriptions() {
        let l = parse_series(r#"up{job="a", instance="b:1"}"#).unwrap();
        assert_eq!(l.metric_name(), "up");
        assert_eq!(l.get("instance"), "b:1");
        assert_eq!(parse_series("{}").unwrap(), Labels::empty());
        assert_eq!(parse_series(r#"{job="x"}"#).unwrap().get("job"), "x");
        assert!(parse_series(r#"up{job=~"a"}"#).is_err());
        assert!(parse_series("sum(up)").is_err());
    }
}
