//! The parser driver: line dispatch, comments and metadata lines. Sample
//! lines are in `series.rs`.

use std::borrow::Cow;

use telltale_model::MetricType;

use crate::entry::Entry;
use crate::error::{Error, Position, excerpt};
use crate::format::Format;
use crate::lex::{is_name_char, is_name_start, scan, scan_quoted, unescape_help, unescape_label};

/// A zero-copy, pull-style parser over an exposition held in memory.
///
/// It is an [`Iterator`] of `Result<Entry, Error>`; after the first error,
/// or after the end (`# EOF` in OpenMetrics), it yields nothing more. It
/// does no I/O and allocates nothing per sample.
///
/// ```
/// use telltale_exposition::{Entry, Format, Parser};
///
/// let body = b"# TYPE up gauge\nup{job=\"node\"} 1 1700000000000\n";
/// let mut samples = 0;
/// for entry in Parser::new(body, Format::Text) {
///     if let Entry::Series(s) = entry.unwrap() {
///         assert_eq!(s.name(), "up");
///         assert_eq!(s.timestamp, Some(1_700_000_000_000));
///         samples += 1;
///     }
/// }
/// assert_eq!(samples, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Parser<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) format: Format,
    /// The whole input as `&str` when it is valid UTF-8 (checked once, in
    /// one fast pass); then every name and value is an O(1) slice of it.
    text: Option<&'a str>,
    /// Set after an error or the end; the iterator then yields `None`.
    done: bool,
    /// The family named by the last metadata line and its declared type,
    /// used to type samples and to check the format's rules.
    pub(crate) family: Cow<'a, str>,
    pub(crate) family_type: MetricType,
}

impl<'a> Parser<'a> {
    /// A parser of `buf` in `format`.
    pub fn new(buf: &'a [u8], format: Format) -> Self {
        Parser {
            buf,
            pos: 0,
            format,
            text: std::str::from_utf8(buf).ok(),
            done: false,
            family: Cow::Borrowed(""),
            family_type: MetricType::Unknown,
        }
    }

    /// The format being parsed.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The byte offset of the next line to parse.
    pub fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn om(&self) -> bool {
        self.format == Format::OpenMetrics
    }

    pub(crate) fn unexpected(&self, expected: &'static str, at: usize) -> Error {
        Error::Unexpected {
            pos: Position::locate(self.buf, at),
            expected,
            got: excerpt(self.buf, at),
        }
    }

    pub(crate) fn invalid(&self, at: usize, reason: String) -> Error {
        Error::Invalid {
            pos: Position::locate(self.buf, at),
            reason,
        }
    }

    pub(crate) fn missing_eof(&self) -> Error {
        Error::MissingEof {
            pos: Position::locate(self.buf, self.buf.len()),
        }
    }

    /// The next entry, `Ok(None)` at the end.
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, Error> {
        loop {
            let Some(&c) = self.buf.get(self.pos) else {
                return if self.om() {
                    Err(self.missing_eof())
                } else {
                    Ok(None)
                };
            };
            if self.om() {
                return match c {
                    b'#' => self.om_hash_line(),
                    b'{' => self.series_line().map(Some),
                    c if is_name_start(c) => self.series_line().map(Some),
                    _ => Err(self.unexpected("a valid start token", self.pos)),
                };
            }
            match c {
                b' ' | b'\t' | b'\n' => self.pos += 1,
                b'#' => return self.text_hash_line().map(Some),
                b'{' => return self.series_line().map(Some),
                c if is_name_start(c) => return self.series_line().map(Some),
                _ => return Err(self.unexpected("a metric name, '{' or '#'", self.pos)),
            }
        }
    }

    /// The end of the line that contains `from` (the index of its `\n`, or
    /// the end of the input).
    pub(crate) fn line_end(&self, from: usize) -> usize {
        self.buf[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.buf.len(), |i| from + i)
    }

    /// Reads a metric name (plain or quoted) at `at`; returns the name,
    /// whether it was quoted and where it ends.
    fn meta_name(&self, at: usize, keyword: &'static str) -> Result<(Cow<'a, str>, usize), Error> {
        let expected = match keyword {
            "HELP" => "metric name after HELP",
            "TYPE" => "metric name after TYPE",
            _ => "metric name after UNIT",
        };
        match self.buf.get(at) {
            Some(&c) if is_name_start(c) => {
                let end = scan(self.buf, at, is_name_char);
                let name = self.utf8(at, end).unwrap_or_default();
                Ok((Cow::Borrowed(name), end))
            }
            Some(b'"') => {
                let end =
                    scan_quoted(self.buf, at, true).map_err(|_| self.unexpected(expected, at))?;
                let raw = self
                    .utf8(at + 1, end - 1)
                    .map_err(|e| self.invalid(e, "metric name is not valid UTF-8".into()))?;
                if raw.is_empty() {
                    return Err(self.invalid(at, "empty metric name".into()));
                }
                Ok((unescape_label(raw), end))
            }
            _ => Err(self.unexpected(expected, at)),
        }
    }

    /// `buf[from..to]` as `&str`, or the offset of its first invalid byte.
    #[inline]
    pub(crate) fn utf8(&self, from: usize, to: usize) -> Result<&'a str, usize> {
        if let Some(s) = self.text.and_then(|t| t.get(from..to)) {
            return Ok(s);
        }
        std::str::from_utf8(&self.buf[from..to]).map_err(|e| from + e.valid_up_to())
    }

    #[allow(clippy::ptr_arg)] // the Cow is cloned to keep a borrow
    fn set_family(&mut self, name: &Cow<'a, str>) {
        if self.family.as_ref() != name.as_ref() {
            self.family = name.clone();
            self.family_type = MetricType::Unknown;
        }
    }

    /// A `#` line of text format 0.0.4: HELP, TYPE or a comment.
    fn text_hash_line(&mut self) -> Result<Entry<'a>, Error> {
        let start = self.pos;
        let end = self.line_end(start);
        let blank = |c: u8| c == b' ' || c == b'\t';
        let after_hash = scan(self.buf, start + 1, blank);
        let rest = &self.buf[after_hash..end];
        let keyword = if after_hash == start + 1 {
            None
        } else if rest.starts_with(b"HELP") && rest.get(4).is_some_and(|&c| blank(c)) {
            Some("HELP")
        } else if rest.starts_with(b"TYPE") && rest.get(4).is_some_and(|&c| blank(c)) {
            Some("TYPE")
        } else {
            None
        };
        let Some(keyword) = keyword else {
            self.pos = (end + 1).min(self.buf.len());
            return Ok(Entry::Comment(String::from_utf8_lossy(
                &self.buf[after_hash..end],
            )));
        };
        let name_at = scan(self.buf, after_hash + 4, blank);
        let (name, name_end) = self.meta_name(name_at, keyword)?;
        if name_end > end {
            return Err(self.unexpected("metric name", name_at));
        }
        // Prometheus drops the one blank between name and text.
        let text = &self.buf[(name_end + 1).min(end)..end];
        self.pos = (end + 1).min(self.buf.len());
        self.set_family(&name);
        if keyword == "TYPE" {
            let t = match text {
                b"counter" => MetricType::Counter,
                b"gauge" => MetricType::Gauge,
                b"histogram" => MetricType::Histogram,
                b"summary" => MetricType::Summary,
                b"untyped" | b"unknown" => MetricType::Unknown,
                _ => {
                    return Err(self.invalid(
                        name_end,
                        format!("invalid metric type {:?}", String::from_utf8_lossy(text)),
                    ));
                }
            };
            self.family_type = t;
            return Ok(Entry::Type {
                name,
                metric_type: t,
            });
        }
        let text = std::str::from_utf8(text)
            .map_err(|_| self.invalid(name_end, "help text is not valid UTF-8".into()))?;
        Ok(Entry::Help {
            name,
            text: unescape_help(text),
        })
    }

    /// A `#` line of OpenMetrics: `# HELP`, `# TYPE`, `# UNIT` or `# EOF`.
    fn om_hash_line(&mut self) -> Result<Option<Entry<'a>>, Error> {
        let start = self.pos;
        let rest = &self.buf[start..];
        if rest.starts_with(b"# EOF") {
            let mut end = start + 5;
            if self.buf.get(end) == Some(&b'\n') {
                end += 1;
            }
            if end != self.buf.len() {
                return Err(Error::DataAfterEof {
                    pos: Position::locate(self.buf, end),
                });
            }
            self.pos = end;
            return Ok(None);
        }
        let keyword = if rest.starts_with(b"# HELP ") {
            "HELP"
        } else if rest.starts_with(b"# TYPE ") {
            "TYPE"
        } else if rest.starts_with(b"# UNIT ") {
            "UNIT"
        } else {
            return Err(self.unexpected("a valid start token", start));
        };
        let (name, name_end) = self.meta_name(start + 7, keyword)?;
        let expected_text = || match keyword {
            "HELP" => "expected text in HELP",
            "TYPE" => "expected text in TYPE",
            _ => "expected text in UNIT",
        };
        if self.buf.get(name_end) != Some(&b' ') {
            return Err(self.invalid(name_end, expected_text().into()));
        }
        let Some(nl) = self.buf[name_end..].iter().position(|&b| b == b'\n') else {
            return Err(self.invalid(name_end, expected_text().into()));
        };
        let end = name_end + nl;
        let text = &self.buf[name_end + 1..end];
        self.pos = end + 1;
        self.set_family(&name);
        match keyword {
            "TYPE" => {
                let t = match text {
                    b"counter" => MetricType::Counter,
                    b"gauge" => MetricType::Gauge,
                    b"histogram" => MetricType::Histogram,
                    b"gaugehistogram" => MetricType::GaugeHistogram,
                    b"summary" => MetricType::Summary,
                    b"info" => MetricType::Info,
                    b"stateset" => MetricType::StateSet,
                    b"unknown" => MetricType::Unknown,
                    _ => {
                        return Err(self.invalid(
                            name_end + 1,
                            format!("invalid metric type {:?}", String::from_utf8_lossy(text)),
                        ));
                    }
                };
                self.family_type = t;
                Ok(Some(Entry::Type {
                    name,
                    metric_type: t,
                }))
            }
            "HELP" => {
                let text = std::str::from_utf8(text).map_err(|_| {
                    self.invalid(name_end + 1, "help text is not valid UTF-8".into())
                })?;
                Ok(Some(Entry::Help {
                    name,
                    text: unescape_label(text),
                }))
            }
            _ => {
                let unit = std::str::from_utf8(text)
                    .map_err(|_| self.invalid(name_end + 1, "unit is not valid UTF-8".into()))?;
                let suffix_ok = name.len() > unit.len()
                    && name.ends_with(unit)
                    && name.as_bytes()[name.len() - unit.len() - 1] == b'_';
                if !unit.is_empty() && !suffix_ok {
                    return Err(self.invalid(
                        name_end + 1,
                        format!("unit {unit:?} not a suffix of metric {name:?}"),
                    ));
                }
                Ok(Some(Entry::Unit { name, unit }))
            }
        }
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Entry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
