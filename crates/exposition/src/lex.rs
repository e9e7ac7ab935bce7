//! Byte-level lexing helpers shared by both formats: character classes,
//! quoted strings, unescaping and number parsing.

use std::borrow::Cow;

/// Character classes, one bit each, looked up in [`CLASS`].
const NAME_START: u8 = 1;
const NAME_CHAR: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CHAR: u8 = 8;
/// Bytes that end the fast scan of a quoted string: `"`, `\`, newline, NUL.
const QUOTE_SPECIAL: u8 = 16;

/// The class bits of every byte, built at compile time.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let alpha = c.is_ascii_alphabetic();
        let digit = c.is_ascii_digit();
        let mut bits = 0;
        if alpha || c == b'_' || c == b':' {
            bits |= NAME_START | NAME_CHAR;
        }
        if digit {
            bits |= NAME_CHAR | LABEL_CHAR;
        }
        if alpha || c == b'_' {
            bits |= LABEL_START | LABEL_CHAR;
        }
        if c == b'"' || c == b'\\' || c == b'\n' || c == 0 {
            bits |= QUOTE_SPECIAL;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

/// A byte that may start a legacy metric name: `[a-zA-Z_:]`.
#[inline]
pub(crate) fn is_name_start(b: u8) -> bool {
    CLASS[b as usize] & NAME_START != 0
}

/// A byte that may continue a legacy metric name: `[a-zA-Z0-9_:]`.
#[inline]
pub(crate) fn is_name_char(b: u8) -> bool {
    CLASS[b as usize] & NAME_CHAR != 0
}

/// A byte that may start a legacy label name: `[a-zA-Z_]`.
#[inline]
pub(crate) fn is_label_start(b: u8) -> bool {
    CLASS[b as usize] & LABEL_START != 0
}

/// A byte that may continue a legacy label name: `[a-zA-Z0-9_]`.
#[inline]
pub(crate) fn is_label_char(b: u8) -> bool {
    CLASS[b as usize] & LABEL_CHAR != 0
}

/// Whether `s` is a metric name that needs no quoting: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_name_start(b[0]) && b[1..].iter().all(|&c| is_name_char(c))
}

/// Whether `s` is a label name that needs no quoting: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_label_start(b[0]) && b[1..].iter().all(|&c| is_label_char(c))
}

/// Scans `[start..]` while `pred` holds and returns the end.
#[inline]
pub(crate) fn scan(buf: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = start;
    while i < buf.len() && pred(buf[i]) {
        i += 1;
    }
    i
}

/// Scans a quoted string whose opening `"` is at `start`. Returns the index
/// just past the closing quote, or the index of the offending byte (a
/// newline, a NUL when `allow_nul` is false, or the end of input) as `Err`.
#[inline]
pub(crate) fn scan_quoted(buf: &[u8], start: usize, allow_nul: bool) -> Result<usize, usize> {
    let mut i = start + 1;
    while i < buf.len() {
        // Skip ordinary bytes quickly; only the special ones need a look.
        if CLASS[buf[i] as usize] & QUOTE_SPECIAL == 0 {
            i += 1;
            continue;
        }
        match buf[i] {
            b'"' => return Ok(i + 1),
            b'\\' => {
                // An escape takes the next byte whatever it is, except a
                // newline: strings never span lines.
                if i + 1 >= buf.len() || buf[i + 1] == b'\n' {
                    return Err(i + 1);
                }
                i += 2;
            }
            b'\n' => return Err(i),
            0 if !allow_nul => return Err(i),
            _ => i += 1,
        }
    }
    Err(i)
}

/// Undoes the escaping of label values and quoted names: `\\`, `\"` and
/// `\n`. Any other backslash is kept as it is, as Prometheus does. Borrows
/// when there is nothing to undo.
pub fn unescape_label(s: &str) -> Cow<'_, str> {
    unescape(s, true)
}

/// Undoes the escaping of 0.0.4 HELP text: only `\\` and `\n`.
pub fn unescape_help(s: &str) -> Cow<'_, str> {
    unescape(s, false)
}

fn unescape(s: &str, quote: bool) -> Cow<'_, str> {
    if !s.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('\\') => {
                out.push('\\');
                chars.next();
            }
            Some('n') => {
                out.push('\n');
                chars.next();
            }
            Some('"') if quote => {
                out.push('"');
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// `p`, `P` or `_`: formats Prometheus refuses although Go parses them.
    Unsupported,
    /// Not a number.
    Syntax,
    /// Too large for an `f64` (Go reports this as an error too).
    Range,
}

/// Parses a float the way Prometheus does (Go's `strconv.ParseFloat`
/// without hex floats and underscores): decimal and exponent forms, `NaN`,
/// `Inf`, `+Inf`, `-Inf`, `infinity`, case-insensitive for the words.
#[inline]
pub(crate) fn parse_float(b: &[u8]) -> Result<f64, NumError> {
    // Fast path: a plain integer of at most 15 digits is exact in an f64.
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for &d in b {
            n = n * 10 + u64::from(d - b'0');
        }
        return Ok(n as f64);
    }
    if b.iter().any(|&c| c == b'p' || c == b'P' || c == b'_') {
        return Err(NumError::Unsupported);
    }
    let s = std::str::from_utf8(b).map_err(|_| NumError::Syntax)?;
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let word = unsigned
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic);
    if word {
        // Go accepts a sign before "inf" and "infinity" but not before "nan".
        let lower = unsigned.to_ascii_lowercase();
        return match lower.as_str() {
            "inf" | "infinity" if s.starts_with('-') => Ok(f64::NEG_INFINITY),
            "inf" | "infinity" => Ok(f64::INFINITY),
            "nan" if unsigned.len() == s.len() => Ok(f64::NAN),
            _ => Err(NumError::Syntax),
        };
    }
    let v: f64 = s.parse().map_err(|_| NumError::Syntax)?;
    if v.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(v)
}

/// Parses an integer millisecond timestamp (text format 0.0.4).
pub(crate) fn parse_int_timestamp(b: &[u8]) -> Result<i64, NumError> {
    let s = std::str::from_utf8(b).map_err(|_| NumError::Syntax)?;
    s.parse::<i64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
            NumError::Range
        }
        _ => NumError::Syntax,
    })
}

/// Parses an OpenMetrics timestamp (seconds, a float) into milliseconds.
///
/// A plain decimal (`1520879607.789`) is converted exactly, digit by digit,
/// so that what an encoder wrote as `secs.millis` comes back unchanged;
/// digits beyond milliseconds are truncated, as Go's `int64(ts*1000)` does.
/// Exponent forms go through `f64` like in Prometheus. NaN and infinities
/// are refused.
pub(crate) fn parse_om_timestamp(b: &[u8]) -> Result<i64, NumError> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let dot = digits.iter().position(|&c| c == b'.');
    let (int, frac) = match dot {
        Some(d) => (&digits[..d], &digits[d + 1..]),
        None => (digits, &digits[..0]),
    };
    let plain = !int.is_empty()
        && int.len() <= 15
        && int.iter().all(u8::is_ascii_digit)
        && frac.iter().all(u8::is_ascii_digit);
    if plain {
        let mut ms: i64 = 0;
        for &d in int {
            ms = ms * 10 + i64::from(d - b'0');
        }
        for i in 0..3 {
            ms = ms * 10 + frac.get(i).map_or(0, |&d| i64::from(d - b'0'));
        }
        return Ok(if neg { -ms } else { ms });
    }
    let v = parse_float(b)?;
    if !v.is_finite() {
        return Err(NumError::Range);
    }
    Ok((v * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_go_rules() {
        assert_eq!(parse_float(b"1"), Ok(1.0));
        assert_eq!(parse_float(b"-1.5e3"), Ok(-1500.0));
        assert_eq!(parse_float(b".5"), Ok(0.5));
        assert_eq!(parse_float(b"5."), Ok(5.0));
        assert_eq!(parse_float(b"+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_float(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"Infinity"), Ok(f64::INFINITY));
        assert!(parse_float(b"NaN").is_ok_and(f64::is_nan));
        assert!(parse_float(b"nan").is_ok_and(f64::is_nan));
        assert_eq!(parse_float(b"-NaN"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"1_2"), Err(NumError::Unsupported));
        assert_eq!(parse_float(b"0x1p-3"), Err(NumError::Unsupported));
        assert_eq!(parse_float(b"0x10"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"true"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"1e500"), Err(NumError::Range));
        assert_eq!(parse_float(b""), Err(NumError::Syntax));
        assert_eq!(
            parse_float(b"1234567890123456789"),
            Ok(1.2345678901234568e18)
        );
    }

    #[test]
    fn om_timestamps_are_exact_to_the_millisecond() {
        assert_eq!(parse_om_timestamp(b"1520879607.789"), Ok(1_520_879_607_789));
        assert_eq!(parse_om_timestamp(b"123.123"), Ok(123_123));
        assert_eq!(parse_om_timestamp(b"1"), Ok(1000));
        assert_eq!(parse_om_timestamp(b"-1.5"), Ok(-1500));
        assert_eq!(parse_om_timestamp(b"1.2345"), Ok(1234));
        assert_eq!(
            parse_om_timestamp(b"1.7268398142239082e+09"),
            Ok(1_726_839_814_223)
        );
        assert_eq!(parse_om_timestamp(b"NaN"), Err(NumError::Range));
        assert_eq!(parse_om_timestamp(b"1_2"), Err(NumError::Unsupported));
    }

    #[test]
    fn unescape_keeps_unknown_escapes() {
        assert_eq!(unescape_label(r#"a\"b\\c\nd\xe"#), "a\"b\\c\nd\\xe");
        assert_eq!(unescape_help(r#"a\"b\\c\n"#), "a\\\"b\\c\n");
        assert!(matches!(unescape_label("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn quoted_strings_stop_at_newline() {
        assert_eq!(scan_quoted(br#""ab\"c" x"#, 0, true), Ok(7));
        assert_eq!(scan_quoted(b"\"ab\ncd\"", 0, true), Err(3));
        assert_eq!(scan_quoted(b"\"a\0b\"", 0, false), Err(2));
        assert_eq!(scan_quoted(b"\"a\0b\"", 0, true), Ok(5));
        assert_eq!(scan_quoted(b"\"abc", 0, true), Err(4));
    }
}
