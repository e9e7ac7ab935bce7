//! Alertmanager's matcher strings (`{env="prod", team=~"a|b"}`) and how
//! Alertmanager prints matchers back (route keys, group keys).

use telltale_model::{Labels, MatchOp, Matcher};

/// Whether `name` is a classic label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Quotes `s` as Go's `strconv.Quote` does: printable characters as they
/// are, `\"`, `\\` and control characters escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One matcher printed as Alertmanager prints it: `name=~"value"`, the name
/// quoted when it is not a classic label name.
pub fn matcher_string(m: &Matcher) -> String {
    let name = if is_legacy_label_name(&m.name) {
        m.name.clone()
    } else {
        go_quote(&m.name)
    };
    format!("{name}{}{}", m.op.as_str(), go_quote(&m.value))
}

fn op_rank(op: MatchOp) -> u8 {
    match op {
        MatchOp::Equal => 0,
        MatchOp::NotEqual => 1,
        MatchOp::Regex => 2,
        MatchOp::NotRegex => 3,
    }
}

/// Sorts matchers as Alertmanager's `labels.Matchers` does: by name, value,
/// then operator.
pub fn sort_matchers(ms: &mut [Matcher]) {
    ms.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.value.cmp(&b.value))
            .then_with(|| op_rank(a.op).cmp(&op_rank(b.op)))
    });
}

/// A matcher set printed as `{a="1",b!~"x"}` in the given order.
pub fn matchers_string(ms: &[Matcher]) -> String {
    let parts: Vec<String> = ms.iter().map(matcher_string).collect();
    format!("{{{}}}", parts.join(","))
}

/// A label set printed as Prometheus's `model.LabelSet.String()`:
/// `{a="1", b="2"}`, names sorted.
pub fn labelset_string(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| format!("{}={}", l.name, go_quote(&l.value)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Parses a matcher string: one or more `name op value` separated by commas,
/// optionally wrapped in `{}`. Names and values may be double-quoted (with
/// `\"`, `\\`, `\n` escapes, any UTF-8); unquoted values run to the next
/// comma.
///
/// # Errors
///
/// A message saying what is wrong and where.
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, String> {
    let mut s = input.trim();
    if let Some(rest) = s.strip_prefix('{') {
        s = rest
            .strip_suffix('}')
            .ok_or_else(|| format!("{input}: missing closing '}}'"))?
            .trim();
    } else if s.ends_with('}') {
        return Err(format!("{input}: missing opening '{{'"));
    }
    let mut out = Vec::new();
    let mut p = Cursor { s, pos: 0 };
    p.skip_ws();
    if p.at_end() {
        return Ok(out);
    }
    loop {
        p.skip_ws();
        let name = if p.peek() == Some('"') {
            p.quoted().map_err(|e| format!("{input}: {e}"))?
        } else {
            p.token(|c| !matches!(c, '=' | '!' | '~' | ',' | '"') && !c.is_whitespace())
                .to_string()
        };
        if name.is_empty() {
            return Err(format!("{input}: expected label name at offset {}", p.pos));
        }
        p.skip_ws();
        let rest = &p.s[p.pos..];
        let op = if rest.starts_with("=~") {
            MatchOp::Regex
        } else if rest.starts_with("!~") {
            MatchOp::NotRegex
        } else if rest.starts_with("!=") {
            MatchOp::NotEqual
        } else if rest.starts_with('=') {
            MatchOp::Equal
        } else {
            return Err(format!(
                "{input}: expected an operator (=, !=, =~, !~) after {name:?} at offset {}",
                p.pos
            ));
        };
        p.pos += if op == MatchOp::Equal { 1 } else { 2 };
        p.skip_ws();
        let value = if p.peek() == Some('"') {
            p.quoted().map_err(|e| format!("{input}: {e}"))?
        } else {
            p.token(|c| c != ',').trim_end().to_string()
        };
        let m = Matcher::new(op, &name, &value).map_err(|e| format!("{input}: {e}"))?;
        out.push(m);
        p.skip_ws();
        if p.at_end() {
            break;
        }
        if p.peek() != Some(',') {
            return Err(format!("{input}: expected ',' at offset {}", p.pos));
        }
        p.pos += 1;
        p.skip_ws();
        if p.at_end() {
            // A trailing comma is allowed.
            break;
        }
    }
    Ok(out)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }
    fn token(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !keep(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.s[start..self.pos]
    }
    fn quoted(&mut self) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self
                .peek()
                .ok_or_else(|| format!("unterminated quoted string at offset {start}"))?;
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self
                        .peek()
                        .ok_or_else(|| format!("unterminated escape at offset {}", self.pos))?;
                    self.pos += e.len_utf8();
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '\\' => out.push('\\'),
                        '"' => out.push('"'),
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Matcher {
        let mut v = parse_matchers(s).unwrap();
        assert_eq!(v.len(), 1, "{s}");
        v.remove(0)
    }

    #[test]
    fn parses_braced_quoted_and_bare_forms() {
        let m = one(r#"{owner="team-A"}"#);
        assert_eq!(
            (m.name.as_str(), m.op, m.value.as_str()),
            ("owner", MatchOp::Equal, "team-A")
        );
        let m = one(r#"env=~"produ.*""#);
        assert_eq!(m.op, MatchOp::Regex);
        assert!(m.matches("production"));
        let m = one("wait=long");
        assert_eq!(m.value, "long");
        let m = one(r#"{baz!~".*quux"}"#);
        assert_eq!(m.op, MatchOp::NotRegex);
        let m = one(r#""föö bar"="ünï\"code""#);
        assert_eq!(m.name, "föö bar");
        assert_eq!(m.value, "ünï\"code");
        assert_eq!(matcher_string(&m), r#""föö bar"="ünï\"code""#);
    }

    #[test]
    fn parses_lists_and_rejects_garbage() {
        let v = parse_matchers(r#"{a="1", b!="2",}"#).unwrap();
        assert_eq!(v.len(), 2);
        assert!(parse_matchers("a").is_err());
        assert!(parse_matchers(r#"a="1"#).is_err());
        assert!(parse_matchers(r#"{a="1""#).is_err());
        assert!(parse_matchers(r#"a=~"(""#).is_err());
        assert!(parse_matchers("").unwrap().is_empty());
    }

    #[test]
    fn prints_like_alertmanager() {
        let mut v = parse_matchers(r#"owner="team-A",level!="critical""#).unwrap();
        sort_matchers(&mut v);
        assert_eq!(matchers_string(&v), r#"{level!="critical",owner="team-A"}"#);
        let l = Labels::from_pairs(&[("job", "y"), ("alertname", "X")]);
        assert_eq!(labelset_string(&l), r#"{alertname="X", job="y"}"#);
    }

    proptest::proptest! {
        #[test]
        fn printed_matchers_parse_back(
            name in "[a-zA-Z_][a-zA-Z0-9_]{0,8}|[\\PC]{1,8}",
            value in "[\\PC]{0,12}",
            op in 0usize..2,
        ) {
            let op = [MatchOp::Equal, MatchOp::NotEqual][op];
            let m = Matcher::new(op, &name, &value).unwrap();
            let text = matcher_string(&m);
            let back = parse_matchers(&text).unwrap();
            proptest::prop_assert_eq!(back.len(), 1);
            proptest::prop_assert_eq!(&back[0].name, &name);
            proptest::prop_assert_eq!(&back[0].value, &value);
            proptest::prop_assert_eq!(back[0].op, op);
        }

        #[test]
        fn parser_never_panics(input in "\\PC{0,40}") {
            let _ = parse_matchers(&input);
        }
    }
}
