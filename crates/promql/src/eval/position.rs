//! Source positions for annotations.
//!
//! promql-parser's AST carries no positions, but Prometheus prints one with
//! every annotation (`(1:6)`). A small lexer finds each call and aggregation
//! in the text; walking the AST in pre-order visits them in the same order,
//! so the k-th `rate(` in the text is the k-th `rate` call in the tree.
//! Positions are recorded for calls, aggregations and their arguments, keyed
//! by node address.

use std::collections::HashMap;

use promql_parser::parser::Expr;

use super::ptr;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Open(u8),
    Close,
    Comma,
    Other,
}

fn lex(q: &str) -> Vec<(Tok, usize)> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' | b'`' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' && c != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push((Tok::Other, start));
            }
            b'(' | b'[' | b'{' => {
                out.push((Tok::Open(c), i));
                i += 1;
            }
            b')' | b']' | b'}' => {
                out.push((Tok::Close, i));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, i));
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':')
                {
                    i += 1;
                }
                out.push((Tok::Ident(q[start..i].to_string()), start));
            }
            _ => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                out.push((Tok::Other, start));
            }
        }
    }
    out
}

/// A call site: the name's offset and the offsets of its arguments.
struct Site {
    name: String,
    at: usize,
    args: Vec<usize>,
}

fn sites(toks: &[(Tok, usize)]) -> Vec<Site> {
    let mut out = Vec::new();
    for (k, (t, at)) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let mut j = k + 1;
        // `sum by (x) (...)`: skip the grouping clause.
        if let Some((Tok::Ident(kw), _)) = toks.get(j)
            && (kw == "by" || kw == "without")
        {
            j = skip_group(toks, j + 1);
        }
        if !matches!(toks.get(j), Some((Tok::Open(b'('), _))) {
            continue;
        }
        let mut args = Vec::new();
        let mut depth = 0;
        let mut expect_arg = true;
        for (t2, off) in &toks[j + 1..] {
            match t2 {
                Tok::Close if depth == 0 => break,
                Tok::Comma if depth == 0 => {
                    expect_arg = true;
                    continue;
                }
                _ => {}
            }
            if expect_arg {
                args.push(*off);
                expect_arg = false;
            }
            match t2 {
                Tok::Open(_) => depth += 1,
                Tok::Close => depth -= 1,
                _ => {}
            }
        }
        out.push(Site {
            name: name.clone(),
            at: *at,
            args,
        });
    }
    out
}

fn skip_group(toks: &[(Tok, usize)], j: usize) -> usize {
    if !matches!(toks.get(j), Some((Tok::Open(_), _))) {
        return j;
    }
    let mut depth = 0;
    for (k, (t, _)) in toks.iter().enumerate().skip(j) {
        match t {
            Tok::Open(_) => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// Positions (byte offsets) of calls, aggregations and their arguments.
pub(crate) fn positions(query: &str, expr: &Expr) -> HashMap<usize, usize> {
    let toks = lex(query);
    let all = sites(&toks);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = HashMap::new();
    walk(expr, &all, &mut seen, &mut out);
    out
}

fn record(
    node: &Expr,
    name: &str,
    args: &[&Expr],
    all: &[Site],
    seen: &mut HashMap<String, usize>,
    out: &mut HashMap<usize, usize>,
) {
    let k = seen.entry(name.to_string()).or_insert(0);
    let site = all.iter().filter(|s| s.name == name).nth(*k);
    *k += 1;
    if let Some(s) = site {
        out.insert(ptr(node), s.at);
        for (a, off) in args.iter().zip(&s.args) {
            out.insert(ptr(a), *off);
        }
    }
}

fn walk(
    e: &Expr,
    all: &[Site],
    seen: &mut HashMap<String, usize>,
    out: &mut HashMap<usize, usize>,
) {
    match e {
        Expr::Aggregate(a) => {
            let mut args: Vec<&Expr> = Vec::new();
            if let Some(p) = &a.param {
                args.push(p);
            }
            args.push(&a.expr);
            record(e, &a.op.to_string(), &args, all, seen, out);
            for x in args {
                walk(x, all, seen, out);
            }
        }
        Expr::Call(c) => {
            let args: Vec<&Expr> = c.args.args.iter().map(|b| &**b).collect();
            record(e, c.func.name, &args, all, seen, out);
            for x in args {
                walk(x, all, seen, out);
            }
        }
        Expr::Unary(u) => walk(&u.expr, all, seen, out),
        Expr::Binary(b) => {
            walk(&b.lhs, all, seen, out);
            walk(&b.rhs, all, seen, out);
        }
        Expr::Paren(p) => walk(&p.expr, all, seen, out),
        Expr::Subquery(s) => walk(&s.expr, all, seen, out),
        _ => {}
    }
}

/// String literals whose Go meaning is not valid UTF-8 (`"\\xff"`):
/// promql-parser decodes `\\xNN` as a code point, Go as a raw byte. Returns
/// each literal's decoded value and its text as written.
pub(crate) fn non_utf8_literals(q: &str) -> Vec<(String, String)> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            let mut high_byte = false;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    if b.get(i + 1) == Some(&b'x')
                        && b.get(i + 2)
                            .is_some_and(|h| matches!(h, b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'))
                    {
                        high_byte = true;
                    }
                    i += 1;
                }
                i += 1;
            }
            let end = (i + 1).min(b.len());
            if high_byte {
                let lit = &q[start..end];
                if let Ok(v) = promql_parser::util::unquote_string(lit) {
                    out.push((v, lit.to_string()));
                }
            }
        } else if c == b'`' {
            i += 1;
            while i < b.len() && b[i] != b'`' {
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// 1-based line and column of byte offset `off`, as Prometheus prints them.
pub(crate) fn line_col(q: &str, off: usize) -> (usize, usize) {
    let before = &q.as_bytes()[..off.min(q.len())];
    let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
    let last_nl = before.iter().rposition(|&c| c == b'\n');
    let col = match last_nl {
        Some(p) => off - p,
        None => off + 1,
    };
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_argument_positions() {
        let q = "count(limit_ratio(1.1, http_requests) and http_requests)";
        let e = promql_parser::parser::parse(q).unwrap();
        let p = positions(q, &e);
        let offs: std::collections::BTreeSet<usize> = p.values().copied().collect();
        assert!(offs.contains(&18), "{offs:?}");
        assert_eq!(line_col(q, 18), (1, 19));
    }
}
