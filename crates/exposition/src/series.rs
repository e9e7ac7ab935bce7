//! Sample lines: name, label set, value, timestamp and exemplar, for both
//! formats (the differences are in blanks: 0.0.4 allows spaces and tabs
//! around every token, OpenMetrics exactly one space between fields).

use telltale_model::{METRIC_NAME, MetricType};

use crate::entry::{Entry, Exemplar, LabelSet, Series};
use crate::error::Error;
use crate::lex::{
    NumError, is_label_char, is_label_start, is_name_char, is_name_start, parse_float,
    parse_int_timestamp, parse_om_timestamp, scan, scan_quoted,
};
use crate::parser::Parser;
use crate::validate;

/// What a label set held besides its labels.
pub(crate) struct Braces<'a> {
    /// The validated text between the braces.
    pub(crate) set: LabelSet<'a>,
    /// The inner span of a quoted metric name found inside the braces.
    pub(crate) name: Option<(usize, usize)>,
    /// The index just past `}`.
    pub(crate) end: usize,
    /// The raw value of an `le` label, if any.
    pub(crate) le: Option<&'a [u8]>,
    /// The raw value of a `quantile` label, if any.
    pub(crate) quantile: Option<&'a [u8]>,
}

/// How many label names `braces` tracks on the stack.
const SMALL: usize = 16;

fn blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl<'a> Parser<'a> {
    fn skip_blanks(&self, at: usize) -> usize {
        if self.om() {
            at
        } else {
            scan(self.buf, at, blank)
        }
    }

    fn number_error(&self, at: usize, what: &str, e: NumError, token: &[u8]) -> Error {
        let token = String::from_utf8_lossy(token);
        let reason = match e {
            NumError::Unsupported => format!("unsupported character in {what} {token:?}"),
            NumError::Syntax => format!("invalid {what} {token:?}"),
            NumError::Range => format!("{what} {token:?} out of range"),
        };
        self.invalid(at, reason)
    }

    /// The end of a value or timestamp token starting at `at`.
    fn token_end(&self, at: usize) -> usize {
        if self.om() {
            scan(self.buf, at, |c| c != b' ' && c != b'\n')
        } else {
            scan(self.buf, at, |c| !blank(c) && c != b'\n')
        }
    }

    /// Parses one sample line starting at `self.pos`.
    pub(crate) fn series_line(&mut self) -> Result<Entry<'a>, Error> {
        let om = self.om();
        let start = self.pos;
        let mut name: Option<(usize, usize, bool)> = None;
        let mut i = start;
        if is_name_start(self.buf[i]) {
            let end = scan(self.buf, i, is_name_char);
            name = Some((i, end, false));
            i = end;
        }
        let mut set = LabelSet::default();
        let (mut le, mut quantile) = (None, None);
        let brace = if om { i } else { scan(self.buf, i, blank) };
        if self.buf.get(brace) == Some(&b'{') {
            let b = self.braces(brace, false)?;
            if let Some((s, e)) = b.name {
                if name.is_some() {
                    return Err(self.invalid(s, "metric name already set".into()));
                }
                name = Some((s, e, true));
            }
            set = b.set;
            le = b.le;
            quantile = b.quantile;
            i = b.end;
        }
        let text = &self.buf[start..i];
        let Some((ns, ne, quoted)) = name else {
            return Err(self.invalid(start, "metric name not set".into()));
        };
        let name = self
            .utf8(ns, ne)
            .map_err(|at| self.invalid(at, "metric name is not valid UTF-8".into()))?;
        if name.is_empty() {
            return Err(self.invalid(ns, "empty metric name".into()));
        }

        // The value.
        let vstart = if om {
            if self.buf.get(i) == Some(&b' ') {
                i + 1
            } else {
                i
            }
        } else {
            scan(self.buf, i, blank)
        };
        let needs_sep = om || text.last() != Some(&b'}');
        let vend = self.token_end(vstart);
        let bad_start = matches!(self.buf.get(vstart), None | Some(0) | Some(b'{'));
        if vend == vstart || bad_start || (needs_sep && vstart == i) {
            return Err(self.unexpected("value after metric", i));
        }
        let token = &self.buf[vstart..vend];
        let value = parse_float(token).map_err(|e| self.number_error(vstart, "float", e, token))?;

        let mut series = Series {
            name,
            name_quoted: quoted,
            labels: set,
            text,
            value,
            timestamp: None,
            exemplar: None,
            metric_type: MetricType::Unknown,
        };
        self.pos = if om {
            self.om_tail(vend, &mut series)?
        } else {
            self.text_tail(vend, &mut series)?
        };
        series.metric_type = validate::check_series(self, &series, ns, le, quantile)?;
        Ok(Entry::Series(series))
    }

    /// After the value in 0.0.4: optional integer timestamp, then the end of
    /// the line. Returns where the next line starts.
    fn text_tail(&self, at: usize, series: &mut Series<'a>) -> Result<usize, Error> {
        let ts = scan(self.buf, at, blank);
        match self.buf.get(ts) {
            None => return Ok(ts),
            Some(b'\n') => return Ok(ts + 1),
            _ => {}
        }
        let digits_from = if self.buf[ts] == b'-' { ts + 1 } else { ts };
        let ts_end = scan(self.buf, digits_from, |c| c.is_ascii_digit());
        if ts_end == digits_from {
            return Err(self.unexpected("timestamp or end of line", ts));
        }
        let token = &self.buf[ts..ts_end];
        let t =
            parse_int_timestamp(token).map_err(|e| self.number_error(ts, "timestamp", e, token))?;
        series.timestamp = Some(t);
        let after = scan(self.buf, ts_end, blank);
        match self.buf.get(after) {
            None => Ok(after),
            Some(b'\n') => Ok(after + 1),
            _ => Err(self.unexpected("next entry after timestamp", after)),
        }
    }

    /// After the value in OpenMetrics: ` timestamp`, ` # {exemplar} value
    /// [timestamp]`, then `\n` (the input must go on to `# EOF`).
    fn om_tail(&self, at: usize, series: &mut Series<'a>) -> Result<usize, Error> {
        let mut i = at;
        let mut seen_ts = false;
        loop {
            match self.buf.get(i) {
                None => return Err(self.missing_eof()),
                Some(b'\n') => return Ok(i + 1),
                _ => {}
            }
            // The lexer stops tokens at a space or newline, so this is a space.
            if self.buf[i + 1..].starts_with(b"# {") {
                let (ex, end) = self.exemplar(i + 3)?;
                series.exemplar = Some(ex);
                return Ok(end);
            }
            if seen_ts {
                return Err(self.unexpected("next entry after timestamp", i));
            }
            let ts = i + 1;
            let ts_end = self.token_end(ts);
            if ts_end == ts {
                return Err(self.unexpected("timestamp or exemplar", i));
            }
            let token = &self.buf[ts..ts_end];
            let t = parse_om_timestamp(token).map_err(|e| match e {
                NumError::Range => self.invalid(
                    ts,
                    format!("invalid timestamp {}", String::from_utf8_lossy(token)),
                ),
                e => self.number_error(ts, "timestamp", e, token),
            })?;
            series.timestamp = Some(t);
            seen_ts = true;
            i = ts_end;
        }
    }

    /// An exemplar whose `{` is at `at`: labels, value, optional timestamp,
    /// newline. Returns it and where the next line starts.
    fn exemplar(&self, at: usize) -> Result<(Exemplar<'a>, usize), Error> {
        let b = self.braces(at, true)?;
        let i = b.end;
        if self.buf.get(i) != Some(&b' ') {
            return Err(self.unexpected("value after exemplar labels", i));
        }
        let vend = self.token_end(i + 1);
        if vend == i + 1 {
            return Err(self.unexpected("value after exemplar labels", i));
        }
        let token = &self.buf[i + 1..vend];
        let value = parse_float(token).map_err(|e| self.number_error(i + 1, "float", e, token))?;
        let mut ex = Exemplar {
            labels: b.set,
            value,
            timestamp: None,
        };
        let mut i = vend;
        if self.buf.get(i) == Some(&b' ') {
            let ts_end = self.token_end(i + 1);
            let token = &self.buf[i + 1..ts_end];
            let t = parse_om_timestamp(token).map_err(|e| match e {
                NumError::Range => self.invalid(
                    i + 1,
                    format!(
                        "invalid exemplar timestamp {}",
                        String::from_utf8_lossy(token)
                    ),
                ),
                e => self.number_error(i + 1, "exemplar timestamp", e, token),
            })?;
            ex.timestamp = Some(t);
            i = ts_end;
        }
        match self.buf.get(i) {
            None => Err(self.missing_eof()),
            Some(b'\n') => Ok((ex, i + 1)),
            _ => Err(self.unexpected("next entry after exemplar", i)),
        }
    }

    /// A label set whose `{` is at `open`.
    ///
    /// One pass over the bytes: it checks the grammar, notes up to
    /// [`SMALL`] label-name spans on the stack to find duplicates without
    /// allocating, and remembers the `le` and `quantile` values.
    pub(crate) fn braces(&self, open: usize, exemplar: bool) -> Result<Braces<'a>, Error> {
        let om = self.om();
        let mut i = open + 1;
        let mut metric_name: Option<(usize, usize)> = None;
        let mut spans = [(0usize, 0usize); SMALL];
        let mut count = 0usize;
        // Names with escapes, or more than SMALL labels: checked by the
        // slower, allocating path at the end.
        let mut slow = false;
        let mut le = None;
        let mut quantile = None;
        let close = loop {
            i = self.skip_blanks(i);
            let Some(&c) = self.buf.get(i) else {
                return Err(self.unexpected("label name", i));
            };
            if c == b'}' {
                break i;
            }
            let (tok_end, quoted) = if is_label_start(c) {
                (scan(self.buf, i, is_label_char), false)
            } else if c == b'"' {
                let end =
                    scan_quoted(self.buf, i, true).map_err(|_| self.unexpected("label name", i))?;
                (end, true)
            } else {
                return Err(self.unexpected("label name", i));
            };
            let j = self.skip_blanks(tok_end);
            let next = self.buf.get(j).copied();
            if quoted && matches!(next, Some(b',') | Some(b'}')) {
                if exemplar {
                    return Err(self.unexpected("label name", j));
                }
                if metric_name.is_some() {
                    return Err(self.invalid(i, "metric name already set".into()));
                }
                metric_name = Some((i + 1, tok_end - 1));
                i = if next == Some(b',') { j + 1 } else { j };
                continue;
            }
            let (ns, ne) = if quoted {
                (i + 1, tok_end - 1)
            } else {
                (i, tok_end)
            };
            if ns == ne {
                return Err(self.invalid(i, "empty label name".into()));
            }
            if next != Some(b'=') {
                return Err(self.unexpected("equal", j));
            }
            let v = self.skip_blanks(j + 1);
            if self.buf.get(v) != Some(&b'"') {
                return Err(self.unexpected("label value", v));
            }
            let allow_nul = !(om && exemplar);
            let vend = scan_quoted(self.buf, v, allow_nul)
                .map_err(|_| self.unexpected("label value", v))?;
            let name = &self.buf[ns..ne];
            if quoted && name.contains(&b'\\') {
                slow = true;
            }
            if !slow {
                if !exemplar && name == METRIC_NAME.as_bytes() {
                    return Err(self.invalid(i, format!("duplicate label name {METRIC_NAME:?}")));
                }
                if count == SMALL {
                    slow = true;
                } else {
                    if spans[..count].iter().any(|&(a, b)| &self.buf[a..b] == name) {
                        let name = String::from_utf8_lossy(name);
                        return Err(self.invalid(i, format!("duplicate label name {name:?}")));
                    }
                    spans[count] = (ns, ne);
                }
            }
            match name {
                b"le" => le = Some((v + 1, vend - 1)),
                b"quantile" => quantile = Some((v + 1, vend - 1)),
                _ => {}
            }
            count += 1;
            i = self.skip_blanks(vend);
            match self.buf.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {}
                _ if om => return Err(self.unexpected("comma or brace close", i)),
                _ => {}
            }
        };
        let raw = self
            .utf8(open + 1, close)
            .map_err(|at| self.invalid(at, "invalid UTF-8 in label name or value".into()))?;
        let set = LabelSet { raw };
        if slow {
            validate::check_duplicates(self, &set, open, exemplar)?;
        }
        Ok(Braces {
            set,
            name: metric_name,
            end: close + 1,
            le: le.map(|(a, b)| &self.buf[a..b]),
            quantile: quantile.map(|(a, b)| &self.buf[a..b]),
        })
    }
}
