//! The experimental `anchored` and `smoothed` selector modifiers.
//!
//! promql-parser does not know them, so [`rewrite_modifiers`] moves each
//! one into a marker matcher (`__telltale_mod__="smoothed"`) on the selector
//! it follows; the evaluator reads the marker back with [`modifier`].
//!
//! - `anchored`: a range starts at the last sample at or before its left
//!   edge (within the lookback delta); no extrapolation.
//! - `smoothed`: the values at both edges are interpolated linearly between
//!   the neighbouring samples; an instant selector interpolates at the
//!   evaluation time.

use promql_parser::parser::VectorSelector;
use telltale_model::Sample;

/// The marker label carrying a modifier through the parser.
pub(crate) const MARKER: &str = "__telltale_mod__";

/// A range or instant selector modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modifier {
    Anchored,
    Smoothed,
}

/// The modifier recorded on a selector, if any.
pub(crate) fn modifier(vs: &VectorSelector) -> Option<Modifier> {
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == MARKER)
        .map(|m| {
            if m.value == "anchored" {
                Modifier::Anchored
            } else {
                Modifier::Smoothed
            }
        })
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// Where the selector ending `out` starts its matchers, and whether it has
/// braces: strips trailing `offset`/`@` modifiers and a `[range]`.
fn marker_insert(out: &str) -> Option<(usize, bool, bool)> {
    let offset_re = regex::Regex::new(r"(?i)\s*offset\s+[-+]?[0-9][0-9a-z.]*\s*$").ok()?;
    let at_re =
        regex::Regex::new(r"(?i)\s*@\s*(?:[-+]?[0-9][0-9.e+\-]*|start\(\s*\)|end\(\s*\))\s*$")
            .ok()?;
    let mut end = out.trim_end().len();
    loop {
        let s = &out[..end];
        if let Some(m) = offset_re.find(s).or_else(|| at_re.find(s)) {
            end = m.start();
        } else {
            break;
        }
    }
    let mut s = out[..end].trim_end();
    if s.ends_with(']') {
        let open = s.rfind('[')?;
        s = s[..open].trim_end();
    }
    if s.ends_with('}') {
        let open = s.rfind('{')?;
        let empty = s[open + 1..s.len() - 1].trim().is_empty();
        return Some((open + 1, true, empty));
    }
    if s.as_bytes().last().is_some_and(|b| is_word(*b)) {
        return Some((s.len(), false, true));
    }
    None
}

/// Moves `anchored`/`smoothed` keywords into marker matchers; `None` if the
/// query has none (or they cannot be placed).
pub(crate) fn rewrite_modifiers(q: &str) -> Option<String> {
    let b = q.as_bytes();
    let mut out = String::with_capacity(q.len() + 32);
    let mut i = 0;
    let mut brace = 0;
    let mut changed = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' && c != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push_str(&q[start..i]);
                continue;
            }
            b'{' => brace += 1,
            b'}' => brace -= 1,
            _ => {}
        }
        if brace == 0 && (i == 0 || !is_word(b[i - 1])) && q.len() >= i + 8 {
            let word = &b[i..i + 8];
            let kind = if word.eq_ignore_ascii_case(b"anchored") {
                Some("anchored")
            } else if word.eq_ignore_ascii_case(b"smoothed") {
                Some("smoothed")
            } else {
                None
            };
            if let Some(kind) = kind
                && b.get(i + 8).is_none_or(|x| !is_word(*x))
            {
                let (p, braces, empty) = marker_insert(&out)?;
                let ins = match (braces, empty) {
                    (true, true) => format!("{MARKER}=\"{kind}\""),
                    (true, false) => format!("{MARKER}=\"{kind}\", "),
                    (false, _) => format!("{{{MARKER}=\"{kind}\"}}"),
                };
                out.insert_str(p, &ins);
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                i += 8;
                changed = true;
                continue;
            }
        }
        let ch = q[i..].chars().next()?;
        out.push(ch);
        i += ch.len_utf8();
    }
    changed.then_some(out)
}

/// The newest sample at or before `t` (within `lookback`) and the oldest
/// after it (within `lookback`).
fn neighbours(s: &[Sample], t: i64, lookback: i64) -> (Option<Sample>, Option<Sample>) {
    let idx = s.partition_point(|x| x.t <= t);
    let before = idx
        .checked_sub(1)
        .map(|k| s[k])
        .filter(|x| x.t > t.saturating_sub(lookback));
    let after = s
        .get(idx)
        .copied()
        .filter(|x| x.t <= t.saturating_add(lookback));
    (before, after)
}

/// Linear interpolation at `t`; `counter` models a drop as a restart from 0.
fn interpolate(p: Sample, n: Sample, t: i64, counter: bool) -> f64 {
    let f = (t - p.t) as f64 / (n.t - p.t) as f64;
    if counter && n.v < p.v {
        n.v * f
    } else {
        p.v + (n.v - p.v) * f
    }
}

/// The value of an instant `smoothed` selector at `t`.
pub(crate) fn smoothed_value(s: &[Sample], t: i64, lookback: i64) -> Option<f64> {
    match neighbours(s, t, lookback) {
        (Some(p), _) if p.t == t => Some(p.v),
        (Some(p), Some(n)) => Some(interpolate(p, n, t, false)),
        (Some(p), None) => Some(p.v),
        _ => None,
    }
}

/// The points a modified range uses at reference time `r`: the boundary
/// points and the samples in `(r - range, r]`. Empty when the window has no
/// sample.
pub(crate) fn points(
    m: Modifier,
    s: &[Sample],
    r: i64,
    range: i64,
    lookback: i64,
    counter: bool,
) -> Vec<Sample> {
    let start = r.saturating_sub(range);
    let lo = s.partition_point(|x| x.t <= start);
    let hi = s.partition_point(|x| x.t <= r);
    let inner = &s[lo..hi.max(lo)];
    let mut out = Vec::with_capacity(inner.len() + 2);
    match m {
        Modifier::Anchored => {
            if inner.is_empty() {
                return out;
            }
            if let Some(p) = lo
                .checked_sub(1)
                .map(|k| s[k])
                .filter(|x| x.t > start.saturating_sub(lookback))
            {
                out.push(p);
            }
            out.extend_from_slice(inner);
        }
        Modifier::Smoothed => {
            // Data is needed on both sides: up to the right edge and after
            // the left edge.
            let edge = |t: i64| match neighbours(s, t, lookback) {
                (Some(p), _) if p.t == t => Some(p.v),
                (Some(p), Some(n)) => Some(interpolate(p, n, t, counter)),
                (Some(p), None) => Some(p.v),
                (None, Some(n)) => Some(n.v),
                (None, None) => None,
            };
            let has_before = hi > 0 && s[hi - 1].t > start.saturating_sub(lookback);
            let has_after = s.get(lo).is_some_and(|x| x.t <= r.saturating_add(lookback));
            if !has_before || !has_after {
                return out;
            }
            let (Some(left), Some(right)) = (edge(start), edge(r)) else {
                return out;
            };
            out.push(Sample::new(start, left));
            out.extend_from_slice(inner);
            out.push(Sample::new(r, right));
        }
    }
    out
}

/// Increase over `points`, treating every drop as a counter reset.
pub(crate) fn counter_increase(p: &[Sample]) -> f64 {
    p.windows(2)
        .map(|w| {
            if w[1].v >= w[0].v {
                w[1].v - w[0].v
            } else {
                w[1].v
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_modifiers_into_markers() {
        assert_eq!(
            rewrite_modifiers("increase(m[1m] anchored)").as_deref(),
            Some("increase(m{__telltale_mod__=\"anchored\"}[1m])")
        );
        assert_eq!(
            rewrite_modifiers("m{a=\"b\"} offset -100 smoothed + 0").as_deref(),
            Some("m{__telltale_mod__=\"smoothed\", a=\"b\"} offset -100 + 0")
        );
        assert_eq!(rewrite_modifiers("smoothed_total"), None);
    }

    #[test]
    fn interpolates_edges() {
        let s: Vec<Sample> = (0..5)
            .map(|k| Sample::new(k * 15_000, (k + 1) as f64))
            .collect();
        let p = points(Modifier::Smoothed, &s, 50_000, 60_000, 300_000, true);
        let inc = counter_increase(&p);
        assert!((inc - 3.333_333_333_333_333).abs() < 1e-9, "{inc}");
    }
}
