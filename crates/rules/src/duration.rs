//! Durations as Prometheus writes them in rule files (`30s`, `5m`, `1h30m`,
//! `1d`, `0s`): parsing and formatting like Go's `model.Duration`.

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// Parses a Prometheus duration (`1y2w3d4h5m6s7ms`, units in that order,
/// each at most once; `0` alone is zero) into milliseconds.
///
/// # Errors
///
/// A message naming the string when it is not a duration or overflows.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let bad = || format!("not a valid duration string: {s:?}");
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration string".to_string());
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut next_unit = 0;
    let mut total: u64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(bad());
        }
        let n: u64 = s[start..i].parse().map_err(|_| bad())?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let pos = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(bad)?;
        let mult = UNITS[next_unit + pos].1;
        next_unit += pos + 1;
        total = n
            .checked_mul(mult)
            .and_then(|x| total.checked_add(x))
            .filter(|x| *x <= i64::MAX as u64)
            .ok_or_else(|| format!("duration out of range: {s:?}"))?;
    }
    Ok(total)
}

/// Formats milliseconds as Go's `model.Duration` does: largest units first,
/// zero parts left out, `0s` for zero (`90_000` gives `1m30s`).
pub fn format_duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut rest = ms;
    let mut out = String::new();
    for (u, mult) in UNITS {
        let n = rest / mult;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(u);
            rest -= n * mult;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_durations() {
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
        assert_eq!(parse_duration_ms("1m30s"), Ok(90_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("1d2h"), Ok(93_600_000));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert!(parse_duration_ms("1.5s").is_err());
        assert!(parse_duration_ms("-1s").is_err());
        assert!(parse_duration_ms("1s1m").is_err());
        assert!(parse_duration_ms("1x").is_err());
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("99999999999999999999y").is_err());
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration_ms(0), "0s");
        assert_eq!(format_duration_ms(90_000), "1m30s");
        assert_eq!(format_duration_ms(300_000), "5m");
        assert_eq!(format_duration_ms(86_400_000), "1d");
        assert_eq!(format_duration_ms(1_500), "1s500ms");
    }
}
