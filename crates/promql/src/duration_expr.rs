//! Duration expressions (`[5m+1m]`, `offset step()*2`, `[min_of(range(), 1h)]`),
//! an experimental Prometheus feature that promql-parser does not parse.
//!
//! [`rewrite`] evaluates every such expression in the query text to a plain
//! millisecond duration (`360000ms`), given the query's step and range, so
//! the rewritten text parses. Arithmetic is on seconds: a bare number is
//! seconds, `+ - * / % ^` and parentheses work as in PromQL, and `step()`,
//! `range()`, `min_of(a, b)` and `max_of(a, b)` are the only functions.
//! After `offset`, only a signed single term (a literal, a call or a
//! parenthesised expression) belongs to the offset: `x offset 1m + 2` adds
//! 2 to the result.

/// A cursor over the text of one duration expression.
struct P<'a> {
    s: &'a [u8],
    i: usize,
    step: f64,
    range: f64,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn expr(&mut self) -> Option<f64> {
        let mut v = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            let r = self.term()?;
            v = if c == b'+' { v + r } else { v - r };
        }
        Some(v)
    }

    fn term(&mut self) -> Option<f64> {
        let mut v = self.unary()?;
        while let Some(c @ (b'*' | b'/' | b'%')) = self.peek() {
            self.i += 1;
            let r = self.unary()?;
            v = match c {
                b'*' => v * r,
                b'/' => v / r,
                _ => v % r,
            };
        }
        Some(v)
    }

    fn unary(&mut self) -> Option<f64> {
        match self.peek()? {
            b'-' => {
                self.i += 1;
                Some(-self.unary()?)
            }
            b'+' => {
                self.i += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Option<f64> {
        let b = self.primary()?;
        if self.peek() == Some(b'^') {
            self.i += 1;
            let e = self.unary()?;
            return Some(b.powf(e));
        }
        Some(b)
    }

    fn primary(&mut self) -> Option<f64> {
        let c = self.peek()?;
        if c == b'(' {
            self.i += 1;
            let v = self.expr()?;
            if self.peek() != Some(b')') {
                return None;
            }
            self.i += 1;
            return Some(v);
        }
        if c.is_ascii_digit() || c == b'.' {
            return self.number();
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
            {
                self.i += 1;
            }
            let name = String::from_utf8_lossy(&self.s[start..self.i]).to_ascii_lowercase();
            if self.peek() != Some(b'(') {
                return None;
            }
            self.i += 1;
            let mut args = Vec::new();
            if self.peek() == Some(b')') {
                self.i += 1;
            } else {
                loop {
                    args.push(self.expr()?);
                    match self.peek()? {
                        b',' => self.i += 1,
                        b')' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            let minmax = |f: fn(f64, f64) -> f64| match args.as_slice() {
                [a, b] if a.is_nan() || b.is_nan() => Some(f64::NAN),
                [a, b] => Some(f(*a, *b)),
                _ => None,
            };
            return match (name.as_str(), args.len()) {
                ("step", 0) => Some(self.step),
                ("range", 0) => Some(self.range),
                ("min_of", _) => minmax(f64::min),
                ("max_of", _) => minmax(f64::max),
                _ => None,
            };
        }
        None
    }

    /// A number (seconds) or a duration literal such as `1h30m` or `500ms`.
    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        let mut total = 0.0;
        let mut any_unit = false;
        loop {
            let ns = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.')
            {
                self.i += 1;
            }
            if ns == self.i {
                break;
            }
            let n: f64 = std::str::from_utf8(&self.s[ns..self.i])
                .ok()?
                .parse()
                .ok()?;
            let rest = &self.s[self.i..];
            let (mult, len) = if rest.starts_with(b"ms") {
                (0.001, 2)
            } else {
                match rest.first() {
                    Some(b's') => (1.0, 1),
                    Some(b'm') => (60.0, 1),
                    Some(b'h') => (3600.0, 1),
                    Some(b'd') => (86_400.0, 1),
                    Some(b'w') => (604_800.0, 1),
                    Some(b'y') => (31_536_000.0, 1),
                    _ => {
                        if any_unit {
                            return None;
                        }
                        return Some(n);
                    }
                }
            };
            if rest.get(len).is_some_and(|c| c.is_ascii_alphabetic()) {
                return None;
            }
            self.i += len;
            total += n * mult;
            any_unit = true;
        }
        if start == self.i { None } else { Some(total) }
    }
}

fn literal(secs: f64) -> Option<String> {
    if !secs.is_finite() {
        return None;
    }
    let ms = (secs * 1000.0).round();
    if ms.abs() > 9e15 {
        return None;
    }
    Some(format!("{}ms", ms as i64))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// Rewrites duration expressions in `q` to literals; `None` if there is
/// nothing it can rewrite.
pub(crate) fn rewrite(q: &str, step_ms: i64, range_ms: i64) -> Option<String> {
    let b = q.as_bytes();
    let (step, range) = (step_ms as f64 / 1000.0, range_ms as f64 / 1000.0);
    let mut out = String::with_capacity(q.len());
    let mut i = 0;
    let mut changed = false;
    let mut brace = 0;
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
            }
            b'{' => {
                brace += 1;
                out.push('{');
                i += 1;
            }
            b'}' => {
                brace -= 1;
                out.push('}');
                i += 1;
            }
            b'[' if brace == 0 => {
                let end = i + q[i..].find(']')?;
                let inner = &q[i + 1..end];
                let mut parts = Vec::new();
                let mut depth = 0;
                let mut last = 0;
                for (k, ch) in inner.char_indices() {
                    match ch {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ':' if depth == 0 => {
                            parts.push(&inner[last..k]);
                            last = k + 1;
                        }
                        _ => {}
                    }
                }
                parts.push(&inner[last..]);
                let mut rendered = Vec::new();
                for p in parts {
                    if p.trim().is_empty() {
                        rendered.push(String::new());
                        continue;
                    }
                    let mut pp = P {
                        s: p.as_bytes(),
                        i: 0,
                        step,
                        range,
                    };
                    match pp.expr().and_then(|v| {
                        pp.ws();
                        if pp.i == p.len() { literal(v) } else { None }
                    }) {
                        Some(l) => {
                            changed = true;
                            rendered.push(l);
                        }
                        None => rendered.push(p.to_string()),
                    }
                }
                out.push('[');
                out.push_str(&rendered.join(":"));
                out.push(']');
                i = end + 1;
            }
            _ if brace == 0
                && c.is_ascii_alphabetic()
                && (i == 0 || !is_word(b[i - 1]))
                && q.len() >= i + 6
                && b[i..i + 6].eq_ignore_ascii_case(b"offset")
                && b.get(i + 6).is_none_or(|x| !is_word(*x)) =>
            {
                out.push_str(&q[i..i + 6]);
                i += 6;
                let mut pp = P {
                    s: &b[i..],
                    i: 0,
                    step,
                    range,
                };
                let v = match pp.peek() {
                    Some(b'-') => {
                        pp.i += 1;
                        pp.primary().map(|v| -v)
                    }
                    Some(b'+') => {
                        pp.i += 1;
                        pp.primary()
                    }
                    _ => pp.primary(),
                };
                if let Some(l) = v.and_then(literal) {
                    if l == "0ms" {
                        // promql-parser rejects a zero offset: drop it.
                        out.truncate(out.len() - 6);
                    } else {
                        out.push(' ');
                        out.push_str(&l);
                    }
                    i += pp.i;
                    changed = true;
                }
            }
            _ => {
                let ch = q[i..].chars().next()?;
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_ranges_and_offsets() {
        assert_eq!(
            rewrite("rate(x[26m+4m])", 0, 0).as_deref(),
            Some("rate(x[1800000ms])")
        );
        assert_eq!(
            rewrite("x[29s+1s:5s+5s] offset -(2*3s)", 0, 0).as_deref(),
            Some("x[30000ms:10000ms] offset -6000ms")
        );
        assert_eq!(
            rewrite("x offset step()*2", 5000, 0).as_deref(),
            Some("x offset 5000ms*2")
        );
        assert_eq!(
            rewrite("x[min_of(range(), 8s)]", 0, 10_000).as_deref(),
            Some("x[8000ms]")
        );
        assert_eq!(rewrite("x{offset=\"[1m+1m]\"}", 0, 0), None);
    }
}
