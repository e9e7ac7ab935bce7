//! Parsing of the `.test` script format into commands.

use telltale_model::{Label, Labels, METRIC_NAME, stale_nan};

/// One value position of a series line: a float, nothing, or a native
/// histogram (which this engine does not store).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point {
    /// A float sample.
    Float(f64),
    /// No sample at this position (`_`).
    Missing,
    /// A native histogram sample (unsupported).
    Histogram,
}

/// A series line: labels and expanded values.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    /// The series' labels.
    pub labels: Labels,
    /// One entry per position.
    pub points: Vec<Point>,
}

/// What an `eval` expects.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The query must fail (optionally with a message or regex).
    pub fail: Option<Option<Matcher>>,
    /// `expect warn` lines (None = any).
    pub warn: Vec<Option<Matcher>>,
    /// `expect info` lines.
    pub info: Vec<Option<Matcher>>,
    /// `expect no_warn`.
    pub no_warn: bool,
    /// `expect no_info`.
    pub no_info: bool,
    /// The result must be in the listed order.
    pub ordered: bool,
    /// An expected string result.
    pub string: Option<String>,
    /// An expected scalar result.
    pub scalar: Option<f64>,
    /// `expect range vector from .. to .. step ..` (ms).
    pub range_vector: Option<(i64, i64, i64)>,
    /// Expected series.
    pub series: Vec<SeriesLine>,
}

/// An exact message or a regex for an error or annotation.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Exact text.
    Msg(String),
    /// A regular expression.
    Regex(String),
}

impl Matcher {
    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Msg(m) => m == s,
            Matcher::Regex(r) => regex::Regex::new(r)
                .map(|re| re.is_match(s))
                .unwrap_or(false),
        }
    }
}

/// An `eval` command.
#[derive(Debug, Clone)]
pub struct Eval {
    /// The line number (1-based) of the `eval` line.
    pub line: usize,
    /// The query.
    pub expr: String,
    /// `Some((start, end, step))` for range queries; instant queries use `start`.
    pub range: Option<(i64, i64, i64)>,
    /// Instant query time (ms).
    pub at: i64,
    /// Expectations.
    pub expect: Expect,
}

/// A script command.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Drop all data.
    Clear,
    /// Load series (samples at `k * interval`).
    Load {
        /// Spacing in ms.
        interval: i64,
        /// The series lines.
        series: Vec<SeriesLine>,
    },
    /// Run a query and check it.
    Eval(Eval),
}

/// Parses a Prometheus duration (`0`, `5m`, `1h30m`, `-1m`, `10`).
pub fn parse_dur(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('-') {
        return parse_dur(rest).map(|d| -d);
    }
    if s == "0" {
        return Ok(0);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n * 1000);
    }
    let bad = || format!("bad duration {s:?}");
    let mut total: i64 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let nd = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..nd].parse().map_err(|_| bad())?;
        rest = &rest[nd..];
        let ul = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mult = match &rest[..ul] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return Err(bad()),
        };
        total = total.saturating_add(n.saturating_mul(mult));
        rest = &rest[ul..];
    }
    Ok(total)
}

/// Parses a value item (no hex: `0x5` means repetition there).
fn parse_val(s: &str) -> Option<f64> {
    if s.contains(['x', 'X']) {
        return None;
    }
    parse_num(s)
}

/// Parses Go-style float literals used in scripts (hex integers too).
pub fn parse_num(s: &str) -> Option<f64> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => return Some(f64::NAN),
        _ => {}
    }
    let (neg, body) = match l.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, l.strip_prefix('+').unwrap_or(&l)),
    };
    if let Some(h) = body.strip_prefix("0x") {
        return i64::from_str_radix(h, 16)
            .ok()
            .map(|v| if neg { -(v as f64) } else { v as f64 });
    }
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    l.parse::<f64>().ok()
}

/// Splits a series line into its selector and the rest.
fn split_selector(line: &str) -> (&str, &str) {
    let b = line.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    let mut depth = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (&line[..=i], &line[i + 1..]);
                    }
                }
                b' ' | b'\t' if depth == 0 => return (&line[..i], &line[i..]),
                _ => {}
            }
        }
        i += 1;
    }
    (line, "")
}

fn unquote(s: &str) -> Result<(String, usize), String> {
    // `s` starts with a quote; returns the value and bytes consumed.
    let q = s.chars().next().ok_or("empty")?;
    let mut out = String::new();
    let mut it = s.char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        if c == q {
            return Ok((out, i + 1));
        }
        if c == '\\' {
            let Some((_, e)) = it.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        } else {
            out.push(c);
        }
    }
    Err(format!("unterminated string in {s:?}"))
}

/// Parses `name{a="b", ...}`, `{__name__="x"}` or `name`.
pub fn parse_selector(sel: &str) -> Result<Labels, String> {
    let sel = sel.trim();
    let (name, rest) = match sel.find('{') {
        Some(i) => (&sel[..i], &sel[i..]),
        None => (sel, ""),
    };
    let mut labels = Vec::new();
    if !name.is_empty() {
        labels.push(Label::new(METRIC_NAME, name.trim()));
    }
    if !rest.is_empty() {
        let inner = rest
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .ok_or_else(|| format!("bad selector {sel:?}"))?;
        let mut s = inner.trim_start();
        while !s.is_empty() {
            let (lname, after) = if s.starts_with('"') {
                let (v, n) = unquote(s)?;
                (v, &s[n..])
            } else {
                let end = s
                    .find(|c: char| c == '=' || c.is_whitespace())
                    .unwrap_or(s.len());
                (s[..end].to_string(), &s[end..])
            };
            let after = after.trim_start();
            if lname.is_empty() || after.is_empty() || after.starts_with(',') {
                // `{"metric"}`: a quoted metric name.
                labels.push(Label::new(METRIC_NAME, lname));
                s = after.trim_start_matches(',').trim_start();
                continue;
            }
            let after = after
                .strip_prefix('=')
                .ok_or_else(|| format!("expected '=' in {sel:?}"))?
                .trim_start();
            let (v, n) = unquote(after)?;
            labels.push(Label::new(lname, v));
            s = after[n..].trim_start();
            s = s.strip_prefix(',').unwrap_or(s).trim_start();
        }
    }
    Ok(Labels::new(labels))
}

/// Splits value items, keeping `{{ ... }}` histograms together.
fn value_items(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            c if c.is_whitespace() && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Expands value notation (`1 2+3x4 _ _x3 stale`).
pub fn parse_values(s: &str) -> Result<Vec<Point>, String> {
    let mut out = Vec::new();
    for item in value_items(s) {
        if item.contains("{{") {
            let times = item
                .rsplit_once("}}x")
                .and_then(|(_, n)| n.parse::<usize>().ok())
                .map(|n| n + 1)
                .unwrap_or(1);
            out.extend(std::iter::repeat_n(Point::Histogram, times));
            continue;
        }
        if item == "_" {
            out.push(Point::Missing);
            continue;
        }
        if let Some(n) = item.strip_prefix("_x") {
            let n: usize = n.parse().map_err(|_| format!("bad item {item:?}"))?;
            out.extend(std::iter::repeat_n(Point::Missing, n));
            continue;
        }
        if item == "stale" {
            out.push(Point::Float(stale_nan()));
            continue;
        }
        if let Some(v) = parse_val(&item) {
            out.push(Point::Float(v));
            continue;
        }
        let (base, times) = item
            .rsplit_once('x')
            .ok_or_else(|| format!("bad value {item:?}"))?;
        let times: usize = times.parse().map_err(|_| format!("bad value {item:?}"))?;
        if let Some(v) = parse_val(base) {
            out.extend(std::iter::repeat_n(Point::Float(v), times + 1));
            continue;
        }
        // `a+b` or `a-b`: find the operator after the first character.
        let bytes = base.as_bytes();
        let mut split = None;
        for i in 1..bytes.len() {
            if (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
                split = Some(i);
                break;
            }
        }
        let i = split.ok_or_else(|| format!("bad value {item:?}"))?;
        let a = parse_val(&base[..i]).ok_or_else(|| format!("bad value {item:?}"))?;
        let mut d = parse_val(&base[i + 1..]).ok_or_else(|| format!("bad value {item:?}"))?;
        if bytes[i] == b'-' {
            d = -d;
        }
        let mut k = a;
        for _ in 0..=times {
            out.push(Point::Float(k));
            k += d;
        }
    }
    Ok(out)
}

/// Parses a series line.
pub fn parse_series(line: &str) -> Result<SeriesLine, String> {
    let (sel, vals) = split_selector(line);
    Ok(SeriesLine {
        labels: parse_selector(sel)?,
        points: parse_values(vals)?,
    })
}

fn strip_quoted_string(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        return Some(s[1..s.len() - 1].to_string());
    }
    if s.starts_with('"') {
        return unquote(s).ok().map(|(v, _)| v);
    }
    None
}

/// Parses a whole script.
pub fn parse_script(text: &str) -> Result<Vec<Command>, String> {
    let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
    let instant_re = regex::Regex::new(
        r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$",
    )
    .map_err(|e| e.to_string())?;
    let range_re = regex::Regex::new(
        r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$",
    )
    .map_err(|e| e.to_string())?;
    let expect_re = regex::Regex::new(
        r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$",
    )
    .map_err(|e| e.to_string())?;
    let rv_re = regex::Regex::new(r"^expect range vector from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")
        .map_err(|e| e.to_string())?;
    let blank = |l: &str| l.is_empty() || l.starts_with('#');
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if blank(l) {
            i += 1;
            continue;
        }
        let lineno = i + 1;
        let first = l.split_whitespace().next().unwrap_or("").to_lowercase();
        if first == "clear" {
            cmds.push(Command::Clear);
            i += 1;
        } else if first.starts_with("load") {
            let iv = l
                .split_whitespace()
                .nth(1)
                .ok_or(format!("line {lineno}: load without interval"))?;
            let interval = parse_dur(iv)?;
            let mut series = Vec::new();
            i += 1;
            while i < lines.len() && !blank(lines[i]) {
                let sl = lines[i];
                let (sel, rest) = split_selector(sl);
                if !sel.ends_with("@st") && !rest.starts_with("@st") {
                    series.push(parse_series(sl).map_err(|e| format!("line {}: {e}", i + 1))?);
                }
                i += 1;
            }
            cmds.push(Command::Load { interval, series });
        } else if first.starts_with("eval") {
            let mut ev = if let Some(c) = instant_re.captures(l) {
                let at = c
                    .get(2)
                    .map(|m| parse_dur(m.as_str()))
                    .transpose()?
                    .unwrap_or(0);
                let mut ex = Expect::default();
                apply_prefix(&mut ex, c.get(1).map(|m| m.as_str()));
                Eval {
                    line: lineno,
                    expr: c[3].to_string(),
                    range: None,
                    at,
                    expect: ex,
                }
            } else if let Some(c) = range_re.captures(l) {
                let s = parse_dur(&c[2])?;
                let e = parse_dur(&c[3])?;
                let st = parse_dur(&c[4])?;
                if e < s {
                    return Err(format!("line {lineno}: end before start"));
                }
                let mut ex = Expect::default();
                apply_prefix(&mut ex, c.get(1).map(|m| m.as_str()));
                Eval {
                    line: lineno,
                    expr: c[5].to_string(),
                    range: Some((s, e, st)),
                    at: s,
                    expect: ex,
                }
            } else {
                return Err(format!("line {lineno}: invalid eval command {l:?}"));
            };
            i += 1;
            while i < lines.len() && !lines[i].is_empty() {
                let el = lines[i];
                i += 1;
                if el.starts_with('#') {
                    continue;
                }
                if let Some(m) = el.strip_prefix("expected_fail_message") {
                    ev.expect.fail = Some(Some(Matcher::Msg(m.trim().to_string())));
                    break;
                }
                if let Some(m) = el.strip_prefix("expected_fail_regexp") {
                    ev.expect.fail = Some(Some(Matcher::Regex(m.trim().to_string())));
                    break;
                }
                if let Some(c) = rv_re.captures(el) {
                    ev.expect.range_vector =
                        Some((parse_dur(&c[1])?, parse_dur(&c[2])?, parse_dur(&c[3])?));
                    continue;
                }
                if let Some(s) = el.strip_prefix("expect string") {
                    ev.expect.string = strip_quoted_string(s);
                    continue;
                }
                if let Some(c) = expect_re.captures(el) {
                    let m = c.get(2).map(|k| {
                        let text = c
                            .get(3)
                            .map(|t| t.as_str().trim())
                            .unwrap_or("")
                            .to_string();
                        if k.as_str() == "regex" {
                            Matcher::Regex(text)
                        } else {
                            Matcher::Msg(text)
                        }
                    });
                    match &c[1] {
                        "fail" => ev.expect.fail = Some(m),
                        "warn" => ev.expect.warn.push(m),
                        "info" => ev.expect.info.push(m),
                        "no_warn" => ev.expect.no_warn = true,
                        "no_info" => ev.expect.no_info = true,
                        _ => ev.expect.ordered = true,
                    }
                    continue;
                }
                if el == "expect" || el.starts_with("expect ") {
                    return Err(format!("line {}: invalid expect line {el:?}", i));
                }
                if let Some(v) = parse_scalar_line(el) {
                    ev.expect.scalar = Some(v);
                    break;
                }
                ev.expect
                    .series
                    .push(parse_series(el).map_err(|e| format!("line {i}: {e}"))?);
            }
            // Skip the rest of the block after a terminating line.
            while i < lines.len() && !lines[i].is_empty() {
                i += 1;
            }
            cmds.push(Command::Eval(ev));
        } else {
            return Err(format!("line {lineno}: invalid command {first:?}"));
        }
    }
    Ok(cmds)
}

fn apply_prefix(ex: &mut Expect, p: Option<&str>) {
    match p {
        Some("fail") => ex.fail = Some(None),
        Some("warn") => ex.warn.push(None),
        Some("info") => ex.info.push(None),
        Some("ordered") => ex.ordered = true,
        _ => {}
    }
}

fn parse_scalar_line(s: &str) -> Option<f64> {
    if s.contains(char::is_whitespace) {
        return None;
    }
    parse_num(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_values() {
        let v = parse_values("0+10x3 1-2x1 _x2 5x1 stale").unwrap();
        assert_eq!(v.len(), 4 + 2 + 2 + 2 + 1);
        assert_eq!(v[3], Point::Float(30.0));
        assert_eq!(v[5], Point::Float(-1.0));
        assert_eq!(v[6], Point::Missing);
    }

    #[test]
    fn parses_selectors() {
        let l = parse_selector(r#"foo{a="b", c="d\"e",}"#).unwrap();
        assert_eq!(l.get("c"), "d\"e");
        assert_eq!(l.metric_name(), "foo");
        let l = parse_selector(r#"{__name__="x"}"#).unwrap();
        assert_eq!(l.metric_name(), "x");
    }
}
