//! Request parameters: the merged query string and form body, and the time
//! and duration formats the Prometheus API accepts.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, header};

use super::response::ApiError;

/// The biggest timestamp the API accepts, in ms: far beyond any real data,
/// far enough from `i64::MAX` that adding a range or lookback cannot overflow.
pub const MAX_TIME_MS: i64 = i64::MAX / 4;
/// The smallest timestamp, in ms.
pub const MIN_TIME_MS: i64 = -MAX_TIME_MS;

/// Request parameters from the query string and, for form-encoded POSTs
/// (what Grafana sends), the body. Keys may repeat (`match[]`).
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Merges the query string and a form-encoded body.
    pub fn from_parts(
        query: Option<&str>,
        method: &Method,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(q) = query {
            pairs.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.starts_with("application/x-www-form-urlencoded"))
            .unwrap_or(false);
        if *method == Method::POST && is_form && !body.is_empty() {
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        Params { pairs }
    }

    /// Builds parameters from pairs (tests, internal callers).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Params {
            pairs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The first value of `key`, if given and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The parameters as a map of first values (for logging and tests).
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        for (k, v) in &self.pairs {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    }

    /// A required time parameter.
    ///
    /// # Errors
    ///
    /// `bad_data` naming the parameter when it is missing or malformed.
    pub fn time(&self, key: &str) -> Result<i64, ApiError> {
        match self.get(key) {
            Some(v) => parse_time(v)
                .map_err(|e| ApiError::bad_data(format!("invalid parameter \"{key}\": {e}"))),
            None => Err(ApiError::bad_data(format!(
                "invalid parameter \"{key}\": missing (give a Unix timestamp in seconds or an RFC 3339 time)"
            ))),
        }
    }

    /// An optional time parameter with a default.
    ///
    /// # Errors
    ///
    /// `bad_data` naming the parameter when it is malformed.
    pub fn time_or(&self, key: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(key) {
            Some(_) => self.time(key),
            None => Ok(default),
        }
    }

    /// An optional duration parameter (float seconds or `5m`), in ms.
    ///
    /// # Errors
    ///
    /// `bad_data` naming the parameter when it is malformed.
    pub fn duration(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            Some(v) => parse_duration(v)
                .map(Some)
                .map_err(|e| ApiError::bad_data(format!("invalid parameter \"{key}\": {e}"))),
            None => Ok(None),
        }
    }

    /// An optional non-negative integer parameter.
    ///
    /// # Errors
    ///
    /// `bad_data` naming the parameter when it is not a non-negative integer.
    pub fn usize(&self, key: &str) -> Result<Option<usize>, ApiError> {
        match self.get(key) {
            Some(v) => v.parse::<usize>().map(Some).map_err(|_| {
                ApiError::bad_data(format!(
                    "invalid parameter \"{key}\": {v:?} is not a non-negative integer"
                ))
            }),
            None => Ok(None),
        }
    }
}

/// Reads the body of a request into [`Params`] together with its query string.
pub fn params(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap, body: &Bytes) -> Params {
    Params::from_parts(uri.query(), method, headers, body)
}

/// Parses a time as the Prometheus API does: Unix seconds with an optional
/// fraction, or RFC 3339. Returns milliseconds.
///
/// # Errors
///
/// A message saying what was expected.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        if !f.is_finite() {
            return Err(format!("cannot parse {s:?} to a valid timestamp"));
        }
        let ms = (f * 1000.0).round();
        if ms > MAX_TIME_MS as f64 || ms < MIN_TIME_MS as f64 {
            return Err(format!("timestamp {s:?} is out of range"));
        }
        return Ok(ms as i64);
    }
    // Prometheus's clients send these for "no bound".
    match s {
        "0001-01-01T00:00:00Z" => return Ok(MIN_TIME_MS),
        "9999-12-31T23:59:59Z" => return Ok(MAX_TIME_MS),
        _ => {}
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| format!("cannot parse {s:?} to a valid timestamp"))
}

/// Parses a duration as the Prometheus API does: float seconds, or a
/// Prometheus duration such as `1h30m` or `500ms`. Returns milliseconds.
///
/// # Errors
///
/// A message saying what was expected.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        if !f.is_finite() || f.abs() > (i64::MAX / 1000) as f64 {
            return Err(format!("cannot parse {s:?} to a valid duration"));
        }
        return Ok((f * 1000.0).round() as i64);
    }
    parse_prom_duration(s).ok_or_else(|| {
        format!("cannot parse {s:?} to a valid duration (use seconds or units like 30s, 5m, 1h)")
    })
}

/// Parses `1y2w3d4h5m6s7ms` style durations into milliseconds.
pub fn parse_prom_duration(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
        let n: i64 = s[start..i].parse().ok()?;
        let unit_start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let mult: i64 = match &s[unit_start..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_formats() {
        assert_eq!(parse_time("1.5").unwrap(), 1500);
        assert_eq!(
            parse_time("2015-07-01T20:10:51.781Z").unwrap(),
            1435781451781
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("NaN").is_err());
    }

    #[test]
    fn durations_in_both_formats() {
        assert_eq!(parse_duration("15").unwrap(), 15_000);
        assert_eq!(parse_duration("0.5").unwrap(), 500);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("100ms").unwrap(), 100);
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn form_body_merges_with_query() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let p = Params::from_parts(
            Some("match[]=up&start=1"),
            &Method::POST,
            &h,
            b"match%5B%5D=foo&end=2",
        );
        assert_eq!(p.all("match[]"), vec!["up", "foo"]);
        assert_eq!(p.get("end"), Some("2"));
    }
}
