//! Number formatting as Prometheus's template functions do it: Go's `%g`
//! and `%v` for floats, and `humanize`, `humanize1024`, `humanizeDuration`,
//! `humanizePercentage`, `humanizeTimestamp`.

/// Go's `fmt.Sprintf("%.{prec}g", v)`: `prec` significant digits, exponent
/// form (`1.235e+06`) when the exponent is below -4 or at least `prec`,
/// trailing zeros removed.
pub fn go_g(v: f64, prec: usize) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let prec = prec.max(1);
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = split_exp(&sci);
    if exp < -4 || exp >= prec as i32 {
        format!(
            "{}e{}{:02}",
            trim_zeros(mant),
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

/// Go's `%v` for a float64 (`strconv.FormatFloat(v, 'g', -1, 64)`): the
/// shortest representation, in exponent form when the exponent is below -4
/// or at least 6 (`1234567` gives `1.234567e+06`).
pub fn go_v(v: f64) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{v:e}");
    let (mant, exp) = split_exp(&sci);
    if !(-4..6).contains(&exp) {
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        format!("{v}")
    }
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

fn split_exp(sci: &str) -> (&str, i32) {
    match sci.split_once('e') {
        Some((m, e)) => (m, e.parse().unwrap_or(0)),
        None => (sci, 0),
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `humanize`: SI prefixes (`1234567` gives `1.235M`, `0.0012` gives `1.2m`).
pub fn humanize(mut v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else if v != 0.0 {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// `humanize1024`: binary prefixes (`1048576` gives `1Mi`).
pub fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// `humanizeDuration`: seconds as `1d 2h 3m 4s`, `1m 30s`, `1.5s`, `500ms`.
pub fn humanize_duration(mut v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    if v == 0.0 {
        return format!("{}s", go_g(v, 4));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (secs, mins, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", go_g(v, 4));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g(v, 4))
}

/// `humanizePercentage`: a ratio as a percentage (`0.1234` gives `12.34%`).
pub fn humanize_percentage(v: f64) -> String {
    format!("{}%", go_g(v * 100.0, 4))
}

/// `humanizeTimestamp`: Unix seconds as Go prints a UTC `time.Time`
/// (`2009-11-10 23:00:00 +0000 UTC`, fractional seconds trimmed).
pub fn humanize_timestamp(v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return go_g(v, 4);
    }
    let secs = v.floor();
    let nanos = ((v - secs) * 1e9).round() as u32;
    if secs.abs() > 1e14 {
        return go_g(v, 4);
    }
    match chrono::DateTime::from_timestamp(secs as i64, nanos.min(999_999_999)) {
        Some(t) => {
            let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
            if nanos > 0 {
                let frac = format!("{:09}", nanos.min(999_999_999));
                s.push('.');
                s.push_str(frac.trim_end_matches('0'));
            }
            s.push_str(" +0000 UTC");
            s
        }
        None => go_g(v, 4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_g_matches_go() {
        assert_eq!(go_g(1.234567, 4), "1.235");
        assert_eq!(go_g(100.0, 4), "100");
        assert_eq!(go_g(12345.0, 4), "1.234e+04");
        assert_eq!(go_g(0.00001234, 4), "1.234e-05");
        assert_eq!(go_g(0.0001234, 4), "0.0001234");
        assert_eq!(go_g(f64::INFINITY, 4), "+Inf");
        assert_eq!(go_g(0.0, 4), "0");
    }

    #[test]
    fn go_v_matches_go() {
        assert_eq!(go_v(1234567.0), "1.234567e+06");
        assert_eq!(go_v(123456.0), "123456");
        assert_eq!(go_v(1e21), "1e+21");
        assert_eq!(go_v(0.5), "0.5");
        assert_eq!(go_v(0.00001), "1e-05");
        assert_eq!(go_v(-2.5), "-2.5");
        assert_eq!(go_v(f64::NAN), "NaN");
    }

    #[test]
    fn humanize_like_prometheus() {
        assert_eq!(humanize(1234567.0), "1.235M");
        assert_eq!(humanize(0.0), "0");
        assert_eq!(humanize(1.0), "1");
        assert_eq!(humanize(999.0), "999");
        assert_eq!(humanize(1000.0), "1k");
        assert_eq!(humanize(0.0012), "1.2m");
        assert_eq!(humanize(-1234.5), "-1.234k");
        assert_eq!(humanize(f64::INFINITY), "+Inf");
        assert_eq!(humanize1024(1048576.0), "1Mi");
        assert_eq!(humanize1024(1.0), "1");
        assert_eq!(humanize1024(1536.0), "1.5ki");
    }

    #[test]
    fn humanize_duration_like_prometheus() {
        assert_eq!(humanize_duration(90.0), "1m 30s");
        assert_eq!(humanize_duration(0.0), "0s");
        assert_eq!(humanize_duration(1.5), "1.5s");
        assert_eq!(humanize_duration(0.5), "500ms");
        assert_eq!(humanize_duration(3661.0), "1h 1m 1s");
        assert_eq!(humanize_duration(90061.0), "1d 1h 1m 1s");
        assert_eq!(humanize_duration(-90.0), "-1m 30s");
        assert_eq!(humanize_duration(0.000_001), "1us");
    }

    #[test]
    fn humanize_percentage_and_timestamp() {
        assert_eq!(humanize_percentage(0.1234), "12.34%");
        assert_eq!(humanize_percentage(1.0), "100%");
        assert_eq!(
            humanize_timestamp(1257894000.0),
            "2009-11-10 23:00:00 +0000 UTC"
        );
        assert_eq!(humanize_timestamp(1.5), "1970-01-01 00:00:01.5 +0000 UTC");
    }
}
