//! Prometheus-style durations (`1h30m`, `5m`, `0s`) with serde.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written the way Prometheus and Alertmanager write them: units
/// `y` (365d), `w`, `d`, `h`, `m`, `s`, `ms`, largest first, each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PromDuration(pub Duration);

const UNITS: &[(&str, u64)] = &[
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

impl PromDuration {
    /// Parses `1h30m`, `0`, `90s`...
    ///
    /// # Errors
    ///
    /// A message naming the input when it is not a valid duration.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "0" {
            return Ok(PromDuration(Duration::ZERO));
        }
        if s.is_empty() {
            return Err("empty duration string".into());
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut total: u64 = 0;
        let mut last_unit = 0usize;
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(format!("not a valid duration string: {s:?}"));
            }
            let n: u64 = s[start..i]
                .parse()
                .map_err(|_| format!("not a valid duration string: {s:?}"))?;
            let ustart = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &s[ustart..i];
            let pos = UNITS
                .iter()
                .position(|(u, _)| *u == unit)
                .ok_or_else(|| format!("not a valid duration string: {s:?}"))?;
            if pos < last_unit {
                return Err(format!("not a valid duration string: {s:?}"));
            }
            last_unit = pos + 1;
            total = n
                .checked_mul(UNITS[pos].1)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("duration out of range: {s:?}"))?;
        }
        Ok(PromDuration(Duration::from_millis(total)))
    }
}

impl fmt::Display for PromDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis() as u64;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in UNITS {
            if ms >= *size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PromDuration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for PromDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_prometheus() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("4h", 14400),
            ("1h30m", 5400),
            ("1d", 86400),
        ] {
            let d = PromDuration::parse(text).unwrap();
            assert_eq!(d.0, Duration::from_secs(secs));
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(PromDuration::parse("0").unwrap().to_string(), "0s");
        assert_eq!(PromDuration::parse("90s").unwrap().to_string(), "1m30s");
        assert!(PromDuration::parse("5x").is_err());
        assert!(PromDuration::parse("m5").is_err());
        assert!(PromDuration::parse("5m1h").is_err());
        assert!(PromDuration::parse("").is_err());
    }
}
