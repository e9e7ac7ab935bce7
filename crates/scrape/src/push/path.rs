//! Grouping keys from Pushgateway URL paths:
//! `/metrics/job/<job>{/<label>/<value>}`, where a name ending in
//! `@base64` has a URL-safe base64 value (padding optional; `=` alone is the
//! empty value), and other values are percent-decoded.

use std::collections::BTreeMap;

use base64::Engine;

use crate::error::ScrapeError;

/// A grouping key: label name to value, `job` always present.
pub type GroupingKey = BTreeMap<String, String>;

fn bad(msg: impl Into<String>) -> ScrapeError {
    ScrapeError::BadPush(msg.into())
}

fn percent_decode(s: &str) -> Result<String, ScrapeError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(format!("invalid percent-encoding in {s:?}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad(format!("path segment {s:?} is not UTF-8")))
}

fn decode_base64(s: &str) -> Result<String, ScrapeError> {
    if s == "=" {
        return Ok(String::new());
    }
    let trimmed = s.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .map_err(|e| bad(format!("invalid base64 encoding {s:?}: {e}")))?;
    String::from_utf8(bytes).map_err(|_| bad(format!("base64 value {s:?} is not UTF-8")))
}

/// Whether `s` is a valid grouping label name (`[a-zA-Z_][a-zA-Z0-9_]*`,
/// not starting with `__`).
fn valid_label_name(s: &str) -> bool {
    crate::relabel::is_legacy_label_name(s) && !s.starts_with("__")
}

/// Parses the part of a push path after `/metrics/`: `job/<job>/...`.
///
/// # Errors
///
/// [`ScrapeError::BadPush`] for a missing or empty job, an odd number of
/// segments, an invalid or repeated label name, or bad encoding.
pub fn parse_grouping_key(rest: &str) -> Result<GroupingKey, ScrapeError> {
    let rest = rest.trim_end_matches('/');
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.len() < 2 || !segs.len().is_multiple_of(2) {
        return Err(bad(format!(
            "invalid path {rest:?}: expected job/<job>{{/<label>/<value>}}"
        )));
    }
    let mut key = GroupingKey::new();
    for pair in segs.chunks(2) {
        let (raw_name, raw_value) = (pair[0], pair[1]);
        let (name, value) = match raw_name.strip_suffix("@base64") {
            Some(n) => (
                percent_decode(n)?,
                decode_base64(&percent_decode(raw_value)?)?,
            ),
            None => (percent_decode(raw_name)?, percent_decode(raw_value)?),
        };
        if !valid_label_name(&name) {
            return Err(bad(format!("invalid label name {name:?} in grouping key")));
        }
        if key.contains_key(&name) {
            return Err(bad(format!(
                "duplicate label name {name:?} in grouping key"
            )));
        }
        key.insert(name, value);
    }
    if segs[0].trim_end_matches("@base64") != "job" {
        return Err(bad("the grouping key must start with job"));
    }
    if key.get("job").is_none_or(|j| j.is_empty()) {
        return Err(bad("job name is required"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_base64_keys() {
        let k = parse_grouping_key("job/batch/instance/h1").unwrap();
        assert_eq!(k["job"], "batch");
        assert_eq!(k["instance"], "h1");
        // "a/b" in URL-safe base64 without padding.
        let k = parse_grouping_key("job@base64/YS9i/path@base64/=").unwrap();
        assert_eq!(k["job"], "a/b");
        assert_eq!(k["path"], "");
        let k = parse_grouping_key("job/x%20y/").unwrap();
        assert_eq!(k["job"], "x y");
        let k = parse_grouping_key("job/j/v@base64/Zm9vYg==").unwrap();
        assert_eq!(k["v"], "foob");
    }

    #[test]
    fn bad_keys() {
        for p in [
            "job",
            "job/",
            "job/a/instance",
            "nojob/a",
            "job/a/job/b",
            "job/a/__x/1",
            "job/a/1x/1",
            "job@base64/!!!",
            "job/%zz",
        ] {
            assert!(parse_grouping_key(p).is_err(), "{p}");
        }
    }
}
