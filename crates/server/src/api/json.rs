//! Writes query results as the Prometheus API's JSON, by hand.
//!
//! Prometheus prints timestamps as seconds with at most three decimals
//! (`1435781451.781`, `1435781451` for whole seconds) and values as strings
//! formatted like Go's `strconv.FormatFloat(v, 'f', -1, 64)` (`"1"`,
//! `"0.1"`, `"NaN"`, `"+Inf"`). A general JSON serialiser would print whole
//! seconds as `1435781451.0`, and building a tree of values for a large
//! matrix costs more than writing the text directly.

use std::fmt::Write as _;

use telltale_model::Labels;
use telltale_promql::Value;

/// Formats a sample value as Prometheus's API does.
pub fn fmt_value(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Rust's Display for f64 is the shortest round-trip decimal without
        // an exponent: the same digits as Go's 'f' with precision -1.
        let _ = write!(out, "{v}");
    }
}

/// Formats a millisecond timestamp as seconds, as Prometheus's API does.
pub fn fmt_ts(t: i64, out: &mut String) {
    let secs = t.div_euclid(1000);
    let ms = t.rem_euclid(1000);
    if ms == 0 {
        let _ = write!(out, "{secs}");
    } else {
        // Negative times with a fraction: -0.5 s is secs = -1, ms = 500.
        let f = secs as f64 + ms as f64 / 1000.0;
        let _ = write!(out, "{f}");
    }
}

/// Writes `s` as a JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a label set as a JSON object.
pub fn labels_json(l: &Labels, out: &mut String) {
    out.push('{');
    for (i, lab) in l.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(&lab.name, out);
        out.push(':');
        json_str(&lab.value, out);
    }
    out.push('}');
}

fn point(t: i64, v: f64, out: &mut String) {
    out.push('[');
    fmt_ts(t, out);
    out.push_str(",\"");
    fmt_value(v, out);
    out.push_str("\"]");
}

/// Writes `{"resultType":...,"result":...}` for a query result.
pub fn result_json(v: &Value) -> String {
    let mut out = String::with_capacity(256);
    match v {
        Value::Scalar { t, v } => {
            out.push_str("{\"resultType\":\"scalar\",\"result\":");
            point(*t, *v, &mut out);
        }
        Value::String { t, v } => {
            out.push_str("{\"resultType\":\"string\",\"result\":[");
            fmt_ts(*t, &mut out);
            out.push(',');
            json_str(v, &mut out);
            out.push(']');
        }
        Value::Vector(samples) => {
            out.push_str("{\"resultType\":\"vector\",\"result\":[");
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                labels_json(&s.labels, &mut out);
                out.push_str(",\"value\":");
                point(s.t, s.v, &mut out);
                out.push('}');
            }
            out.push(']');
        }
        Value::Matrix(series) => {
            out.push_str("{\"resultType\":\"matrix\",\"result\":[");
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                labels_json(&s.labels, &mut out);
                out.push_str(",\"values\":[");
                for (j, p) in s.samples.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    point(p.t, p.v, &mut out);
                }
                out.push_str("]}");
            }
            out.push(']');
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_format_like_go() {
        let f = |v: f64| {
            let mut s = String::new();
            fmt_value(v, &mut s);
            s
        };
        assert_eq!(f(1.0), "1");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1e21), "1000000000000000000000");
        assert_eq!(f(1e-7), "0.0000001");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn timestamps_as_seconds() {
        let f = |t: i64| {
            let mut s = String::new();
            fmt_ts(t, &mut s);
            s
        };
        assert_eq!(f(1435781451781), "1435781451.781");
        assert_eq!(f(1435781451000), "1435781451");
        assert_eq!(f(-500), "-0.5");
        assert_eq!(f(1500), "1.5");
    }

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        json_str("a\"b\\c\n\u{1}", &mut s);
        assert_eq!(s, r#""a\"b\\c\n\u0001""#);
    }
}
