//! What the parser yields: borrowed entries that point into the input.

use std::borrow::Cow;

use telltale_model::{Label, Labels, METRIC_NAME, MetricType};

use crate::lex::{is_label_char, is_label_start, scan, scan_quoted, unescape_label};

/// One entry of an exposition: a metadata line, a comment or a sample.
///
/// Everything borrows from the input buffer; nothing is allocated unless a
/// name or text has escapes to undo (then the [`Cow`] is owned).
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    /// `# HELP name text`; the text is unescaped.
    Help {
        /// The family name, unquoted and unescaped.
        name: Cow<'a, str>,
        /// The help text, unescaped.
        text: Cow<'a, str>,
    },
    /// `# TYPE name type`.
    Type {
        /// The family name, unquoted and unescaped.
        name: Cow<'a, str>,
        /// The declared type (`untyped` gives [`MetricType::Unknown`]).
        metric_type: MetricType,
    },
    /// `# UNIT name unit` (OpenMetrics only).
    Unit {
        /// The family name, unquoted and unescaped.
        name: Cow<'a, str>,
        /// The unit, possibly empty.
        unit: &'a str,
    },
    /// Any other `#` line (text format 0.0.4 only): the text after `#` and
    /// the blanks that follow it.
    Comment(Cow<'a, str>),
    /// A sample line.
    Series(Series<'a>),
}

/// One sample line: name, labels, value, optional timestamp and exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    /// The metric name as written, without quotes and still escaped.
    pub(crate) name: &'a str,
    /// Whether the name was quoted (and so may hold escapes).
    pub(crate) name_quoted: bool,
    /// The labels between the braces.
    pub(crate) labels: LabelSet<'a>,
    /// The bytes `name{labels}` as written: a good cache key for a scrape
    /// loop that wants to skip rebuilding label sets it has seen.
    pub(crate) text: &'a [u8],
    /// The value.
    pub value: f64,
    /// The timestamp in milliseconds, if the line has one. OpenMetrics
    /// seconds are converted.
    pub timestamp: Option<i64>,
    /// The exemplar, if the line has one (OpenMetrics only).
    pub exemplar: Option<Exemplar<'a>>,
    /// The type of the family the sample belongs to, when the last `# TYPE`
    /// line names its family (`x_bucket` belongs to histogram `x`);
    /// otherwise [`MetricType::Unknown`].
    pub metric_type: MetricType,
}

impl<'a> Series<'a> {
    /// The metric name (`x_bucket` for a histogram bucket), unescaped.
    pub fn name(&self) -> Cow<'a, str> {
        if self.name_quoted {
            unescape_label(self.name)
        } else {
            Cow::Borrowed(self.name)
        }
    }

    /// The labels other than the metric name, unescaped, in input order.
    ///
    /// Values are as written: to store `le` and `quantile` the way
    /// Prometheus 3 does (`1` as `1.0`), pass them through
    /// [`normalize_float_label`](crate::normalize_float_label) with
    /// [`Series::metric_type`]; [`parse_families`](crate::parse_families)
    /// does that already.
    pub fn labels(&self) -> LabelIter<'a> {
        self.labels.iter()
    }

    /// The raw text `name{labels}` as it appears in the input.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// Whether this is an OpenMetrics `_created` sample of a counter,
    /// histogram, gauge histogram or summary (its value is a Unix time in
    /// seconds).
    pub fn is_created(&self) -> bool {
        matches!(
            self.metric_type,
            MetricType::Counter
                | MetricType::Histogram
                | MetricType::GaugeHistogram
                | MetricType::Summary
        ) && self.name.ends_with("_created")
    }

    /// Builds the full label set (`__name__` included). This allocates; the
    /// hot path should use [`Series::name`] and [`Series::labels`].
    pub fn to_labels(&self) -> Labels {
        let mut v: Vec<Label> = Vec::with_capacity(self.labels.len_hint() + 1);
        v.push(Label::new(METRIC_NAME, self.name().into_owned()));
        v.extend(
            self.labels()
                .map(|(n, val)| Label::new(n.into_owned(), val.into_owned())),
        );
        Labels::new(v)
    }
}

/// An exemplar: a label set, a value and an optional timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    pub(crate) labels: LabelSet<'a>,
    /// The exemplar's value.
    pub value: f64,
    /// The exemplar's timestamp in milliseconds, if given.
    pub timestamp: Option<i64>,
}

/// The most characters (names and values together) an exemplar's label set
/// may have in OpenMetrics; Prometheus drops exemplars over it.
pub const EXEMPLAR_MAX_LABEL_SET_CHARS: usize = 128;

impl<'a> Exemplar<'a> {
    /// The number of UTF-8 characters in the label names and values, to
    /// compare with [`EXEMPLAR_MAX_LABEL_SET_CHARS`].
    pub fn label_set_chars(&self) -> usize {
        self.labels()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum()
    }

    /// The exemplar's labels, unescaped.
    pub fn labels(&self) -> LabelIter<'a> {
        self.labels.iter()
    }

    /// The exemplar's labels as a sorted set (allocates).
    pub fn to_labels(&self) -> Labels {
        self.labels()
            .map(|(n, v)| Label::new(n.into_owned(), v.into_owned()))
            .collect()
    }
}

/// The text between `{` and `}`, already validated by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct LabelSet<'a> {
    pub(crate) raw: &'a str,
}

impl<'a> LabelSet<'a> {
    pub(crate) fn iter(&self) -> LabelIter<'a> {
        LabelIter {
            raw: self.raw,
            pos: 0,
        }
    }

    /// An upper bound on the number of labels, for preallocation.
    fn len_hint(&self) -> usize {
        self.raw.bytes().filter(|&b| b == b'=').count()
    }
}

/// Iterates over `(name, value)` pairs of a label set, unescaped; a quoted
/// metric name inside the braces is skipped.
#[derive(Debug, Clone)]
pub struct LabelIter<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> LabelIter<'a> {
    /// Reads one name or quoted string at `pos`; returns (text, quoted, end).
    fn token(&self, pos: usize) -> Option<(&'a str, bool, usize)> {
        let b = self.raw.as_bytes();
        let c = *b.get(pos)?;
        if c == b'"' {
            let end = scan_quoted(b, pos, true).ok()?;
            Some((self.raw.get(pos + 1..end - 1)?, true, end))
        } else if is_label_start(c) {
            let end = scan(b, pos, is_label_char);
            Some((self.raw.get(pos..end)?, false, end))
        } else {
            None
        }
    }
}

fn skip_blanks(b: &[u8], pos: usize) -> usize {
    scan(b, pos, |c| c == b' ' || c == b'\t' || c == b',')
}

impl<'a> Iterator for LabelIter<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.raw.as_bytes();
        loop {
            let start = skip_blanks(b, self.pos);
            let (name, quoted, end) = self.token(start)?;
            let eq = scan(b, end, |c| c == b' ' || c == b'\t');
            if b.get(eq) != Some(&b'=') {
                // A quoted metric name: skip it.
                self.pos = end;
                continue;
            }
            let vstart = scan(b, eq + 1, |c| c == b' ' || c == b'\t');
            let (value, _, vend) = self.token(vstart)?;
            self.pos = vend;
            let name = if quoted {
                unescape_label(name)
            } else {
                Cow::Borrowed(name)
            };
            return Some((name, unescape_label(value)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_iter_skips_quoted_metric_name_and_unescapes() {
        let set = LabelSet {
            raw: r#"q="0.9", "http.status" , "a.b"="x\"y",c = "d","#,
        };
        let got: Vec<(String, String)> = set
            .iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("q".into(), "0.9".into()),
                ("a.b".into(), "x\"y".into()),
                ("c".into(), "d".into()),
            ]
        );
    }
}
