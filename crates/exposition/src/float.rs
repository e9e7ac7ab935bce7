//! Float formatting exactly as Prometheus writes floats: Go's
//! `strconv.FormatFloat(v, 'g', -1, 64)` (shortest digits that round-trip;
//! exponent form when the decimal exponent is below -4 or at least 6), with
//! `NaN`, `+Inf` and `-Inf` for the special values.

use std::io::Write as _;

/// Shortest round-trip decimal digits of `|v|` (finite, non-zero) and the
/// decimal exponent `e` such that `|v| = d1.d2d3... * 10^e`.
fn shortest_digits(v: f64, digits: &mut [u8; 32]) -> (usize, i32) {
    let mut buf = [0u8; 40];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    // Rust's `{:e}` prints the shortest digits that round-trip, like Go.
    let _ = write!(cur, "{:e}", v.abs());
    let len = cur.position() as usize;
    let s = &buf[..len];
    let epos = s.iter().position(|&c| c == b'e').unwrap_or(len);
    let mut n = 0;
    for &c in &s[..epos] {
        if c.is_ascii_digit() && n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    let exp = std::str::from_utf8(&s[(epos + 1).min(len)..])
        .ok()
        .and_then(|e| e.parse::<i32>().ok())
        .unwrap_or(0);
    (n, exp)
}

/// Appends `v` formatted like Go's `FormatFloat(v, 'g', -1, 64)`.
pub(crate) fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    let mut digits = [0u8; 32];
    let (nd, exp) = shortest_digits(v, &mut digits);
    let d = &digits[..nd];
    if !(-4..6).contains(&exp) {
        out.push(d[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&d[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let _ = write!(out, "{e}");
        return;
    }
    // Decimal point position: value = 0.d * 10^dp.
    let dp = exp + 1;
    if dp <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', dp.unsigned_abs() as usize));
        out.extend_from_slice(d);
    } else {
        let dp = dp as usize;
        if dp >= nd {
            out.extend_from_slice(d);
            out.extend(std::iter::repeat_n(b'0', dp - nd));
        } else {
            out.extend_from_slice(&d[..dp]);
            out.push(b'.');
            out.extend_from_slice(&d[dp..]);
        }
    }
}

/// Appends `v` as OpenMetrics wants it: like [`write_float`], but a value
/// without a fraction or exponent gets `.0` (`1.0`, `0.0`, `10.0`).
pub(crate) fn write_openmetrics_float(out: &mut Vec<u8>, v: f64) {
    let start = out.len();
    write_float(out, v);
    if v.is_finite() && !out[start..].iter().any(|&c| c == b'.' || c == b'e') {
        out.extend_from_slice(b".0");
    }
}

/// Formats `v` like Go's `strconv.FormatFloat(v, 'g', -1, 64)`, with `+Inf`
/// for positive infinity, as Prometheus writes values: `1e+06`, `123456`,
/// `0.0001`, `1e-05`, `NaN`, `-Inf`.
pub fn format_float(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Formats `v` as OpenMetrics `le` and `quantile` values and sample values
/// are written: [`format_float`] plus `.0` on integral values (`1.0`).
pub fn format_openmetrics_float(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_openmetrics_float(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_format_float_g_minus_one() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (123456.0, "123456"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (100.0, "100"),
            (4.9351e-05, "4.9351e-05"),
            (7.424100000000001e-05, "7.424100000000001e-05"),
            (1520872607.123, "1.520872607123e+09"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(format_float(*v), *want, "formatting {v:?}");
        }
    }

    #[test]
    fn openmetrics_adds_point_zero_to_integers() {
        assert_eq!(format_openmetrics_float(1.0), "1.0");
        assert_eq!(format_openmetrics_float(0.0), "0.0");
        assert_eq!(format_openmetrics_float(10.0), "10.0");
        assert_eq!(format_openmetrics_float(1e6), "1e+06");
        assert_eq!(format_openmetrics_float(0.25), "0.25");
        assert_eq!(format_openmetrics_float(f64::INFINITY), "+Inf");
    }

    #[test]
    fn round_trips_through_parse() {
        for v in [
            1.0,
            0.1,
            1e-300,
            123.456e7,
            2.5e-7,
            9007199254740993.0,
            -3e15,
        ] {
            let s = format_float(v);
            assert_eq!(s.parse::<f64>().ok(), Some(v), "{s}");
        }
    }
}
