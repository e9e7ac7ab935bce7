//! The functions of Prometheus's template package, for `gotmpl`.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{Template, TemplateError, Value};

use crate::humanize;
use crate::template::SharedCtx;

fn err(msg: impl Into<String>) -> TemplateError {
    TemplateError::Exec(msg.into())
}

fn s(v: impl AsRef<str>) -> Value {
    Value::String(Arc::from(v.as_ref()))
}

fn arg<'a>(name: &str, args: &'a [Value], n: usize) -> Result<&'a [Value], TemplateError> {
    if args.len() != n {
        return Err(TemplateError::ArgCount {
            name: name.to_string(),
            expected: n,
            got: args.len(),
        });
    }
    Ok(args)
}

/// Prometheus's `ConvertToFloat`: floats, integers and numeric strings.
fn to_float(v: &Value) -> Result<f64, TemplateError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        Value::String(st) => parse_go_float(st).ok_or_else(|| {
            err(format!(
                "strconv.ParseFloat: parsing {st:?}: invalid syntax"
            ))
        }),
        other => Err(err(format!("can't convert {other} to float"))),
    }
}

fn parse_go_float(st: &str) -> Option<f64> {
    match st {
        "Inf" | "+Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => st
            .parse::<f64>()
            .ok()
            .filter(|_| !st.eq_ignore_ascii_case("nan")),
    }
}

fn to_str(v: &Value) -> String {
    match v {
        Value::String(st) => st.to_string(),
        Value::Nil => String::new(),
        other => other.to_string(),
    }
}

fn float_fn(t: Template, name: &'static str, f: fn(f64) -> String) -> Template {
    t.func(name, move |a: &[Value]| {
        let a = arg(name, a, 1)?;
        Ok(s(f(to_float(&a[0])?)))
    })
}

fn title(st: &str) -> String {
    let mut out = String::with_capacity(st.len());
    let mut prev_letter = false;
    for c in st.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '\'';
    }
    out
}

/// Go's `net.SplitHostPort`, returning the input when it has no port.
fn strip_port(hp: &str) -> String {
    if let Some(rest) = hp.strip_prefix('[')
        && let Some((host, port)) = rest.split_once("]:")
        && !port.contains(':')
    {
        return host.to_string();
    }
    match hp.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => host.to_string(),
        _ => hp.to_string(),
    }
}

fn strip_domain(hp: &str) -> String {
    let (host, port) = match hp.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (hp, None),
    };
    if host.parse::<std::net::IpAddr>().is_ok() {
        return hp.to_string();
    }
    let short = host.split('.').next().unwrap_or(host);
    match port {
        Some(p) => format!("{short}:{p}"),
        None => short.to_string(),
    }
}

fn sample_value(labels: &telltale_model::Labels, v: f64) -> Value {
    let lm: BTreeMap<Arc<str>, Value> = labels
        .iter()
        .map(|l| (Arc::from(l.name.as_str()), s(&l.value)))
        .collect();
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert("Labels".into(), Value::Map(Arc::new(lm)));
    m.insert("Value".into(), Value::Float(v));
    Value::Map(Arc::new(m))
}

fn sample_label(sample: &Value, name: &str) -> String {
    sample
        .field("Labels")
        .and_then(|l| l.field(name))
        .map(to_str)
        .unwrap_or_default()
}

fn go_duration(secs: f64) -> String {
    // Go's time.Duration String: 1h2m3.5s, 1.5s, 500ms, 0s.
    if secs == 0.0 || !secs.is_finite() {
        return "0s".into();
    }
    let neg = secs < 0.0;
    let total_ns = (secs.abs() * 1e9).round();
    let sign = if neg { "-" } else { "" };
    if total_ns < 1e9 {
        let (v, unit) = if total_ns < 1e3 {
            (total_ns, "ns")
        } else if total_ns < 1e6 {
            (total_ns / 1e3, "µs")
        } else {
            (total_ns / 1e6, "ms")
        };
        return format!("{sign}{}{unit}", humanize::go_v(v));
    }
    let h = (total_ns / 3.6e12).floor();
    let m = ((total_ns - h * 3.6e12) / 6e10).floor();
    let sec = (total_ns - h * 3.6e12 - m * 6e10) / 1e9;
    let mut out = sign.to_string();
    if h > 0.0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0.0 || m > 0.0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", humanize::go_v((sec * 1e9).round() / 1e9)));
    out
}

/// Registers every Prometheus template function on `t`.
pub(crate) fn register(t: Template, ctx: SharedCtx) -> Template {
    let mut t = t.missing_key(gotmpl::MissingKey::ZeroValue);
    t = float_fn(t, "humanize", humanize::humanize);
    t = float_fn(t, "humanize1024", humanize::humanize1024);
    t = float_fn(t, "humanizeDuration", humanize::humanize_duration);
    t = float_fn(t, "humanizePercentage", humanize::humanize_percentage);
    t = float_fn(t, "humanizeTimestamp", humanize::humanize_timestamp);
    t = float_fn(t, "toDuration", go_duration);
    t = float_fn(t, "toTime", humanize::humanize_timestamp);
    t = t.func("__goValue", |a: &[Value]| {
        let a = arg("__goValue", a, 1)?;
        Ok(match &a[0] {
            Value::Float(f) => s(humanize::go_v(*f)),
            other => other.clone(),
        })
    });
    t = t.func("toUpper", |a: &[Value]| {
        Ok(s(to_str(&arg("toUpper", a, 1)?[0]).to_uppercase()))
    });
    t = t.func("toLower", |a: &[Value]| {
        Ok(s(to_str(&arg("toLower", a, 1)?[0]).to_lowercase()))
    });
    t = t.func("title", |a: &[Value]| {
        Ok(s(title(&to_str(&arg("title", a, 1)?[0]))))
    });
    t = t.func("safeHtml", |a: &[Value]| {
        Ok(s(to_str(&arg("safeHtml", a, 1)?[0])))
    });
    t = t.func("stripPort", |a: &[Value]| {
        Ok(s(strip_port(&to_str(&arg("stripPort", a, 1)?[0]))))
    });
    t = t.func("stripDomain", |a: &[Value]| {
        Ok(s(strip_domain(&to_str(&arg("stripDomain", a, 1)?[0]))))
    });
    t = t.func("match", |a: &[Value]| {
        let a = arg("match", a, 2)?;
        let re = regex::Regex::new(&to_str(&a[0])).map_err(|e| err(e.to_string()))?;
        Ok(Value::Bool(re.is_match(&to_str(&a[1]))))
    });
    t = t.func("reReplaceAll", |a: &[Value]| {
        let a = arg("reReplaceAll", a, 3)?;
        let re = regex::Regex::new(&to_str(&a[0])).map_err(|e| err(e.to_string()))?;
        Ok(s(re.replace_all(&to_str(&a[2]), to_str(&a[1]).as_str())))
    });
    t = t.func("args", |a: &[Value]| {
        let m: BTreeMap<Arc<str>, Value> = a
            .iter()
            .enumerate()
            .map(|(i, v)| (Arc::from(format!("arg{i}").as_str()), v.clone()))
            .collect();
        Ok(Value::Map(Arc::new(m)))
    });
    t = t.func("first", |a: &[Value]| match &arg("first", a, 1)?[0] {
        Value::List(l) => l
            .first()
            .cloned()
            .ok_or_else(|| err("first() called on vector with no elements")),
        other => Err(err(format!("first() called on {}", other.type_name()))),
    });
    t = t.func("label", |a: &[Value]| {
        let a = arg("label", a, 2)?;
        Ok(s(sample_label(&a[1], &to_str(&a[0]))))
    });
    t = t.func("strvalue", |a: &[Value]| {
        Ok(s(sample_label(&arg("strvalue", a, 1)?[0], "__value__")))
    });
    t = t.func("value", |a: &[Value]| {
        let a = arg("value", a, 1)?;
        Ok(a[0].field("Value").cloned().unwrap_or(Value::Nil))
    });
    t = t.func("sortByLabel", |a: &[Value]| {
        let a = arg("sortByLabel", a, 2)?;
        let name = to_str(&a[0]);
        match &a[1] {
            Value::List(l) => {
                let mut v: Vec<Value> = l.to_vec();
                v.sort_by_key(|x| sample_label(x, &name));
                Ok(Value::List(v.into()))
            }
            other => Err(err(format!("sortByLabel called on {}", other.type_name()))),
        }
    });
    t = t.func("parseDuration", |a: &[Value]| {
        let st = to_str(&arg("parseDuration", a, 1)?[0]);
        let ms = crate::duration::parse_duration_ms(&st).map_err(err)?;
        Ok(Value::Float(ms as f64 / 1000.0))
    });
    let c1 = ctx.clone();
    t = t.func("externalURL", move |_: &[Value]| {
        Ok(s(c1
            .read()
            .map(|c| c.external_url.clone())
            .unwrap_or_default()))
    });
    let c2 = ctx.clone();
    t = t.func("pathPrefix", move |_: &[Value]| {
        let url = c2
            .read()
            .map(|c| c.external_url.clone())
            .unwrap_or_default();
        Ok(s(path_prefix(&url)))
    });
    t = t.func("graphLink", |a: &[Value]| {
        let e = to_str(&arg("graphLink", a, 1)?[0]);
        Ok(s(format!("/graph?g0.expr={}&g0.tab=0", url_escape(&e))))
    });
    t = t.func("tableLink", |a: &[Value]| {
        let e = to_str(&arg("tableLink", a, 1)?[0]);
        Ok(s(format!("/graph?g0.expr={}&g0.tab=1", url_escape(&e))))
    });
    t = t.func("query", move |a: &[Value]| {
        let q = to_str(&arg("query", a, 1)?[0]);
        let Some(ctx) = ctx.read().ok().and_then(|c| c.query.clone()) else {
            return Err(err("query is not available here"));
        };
        let res = ctx.query.query(&q, ctx.t_ms).map_err(err)?;
        Ok(Value::List(
            res.iter()
                .map(|x| sample_value(&x.labels, x.value))
                .collect::<Vec<_>>()
                .into(),
        ))
    });
    t
}

/// The path of the external URL (`/prometheus` of
/// `http://host/prometheus/`), as Prometheus's `pathPrefix`.
fn path_prefix(url: &str) -> String {
    url.split_once("://")
        .and_then(|(_, rest)| {
            rest.find('/')
                .map(|i| rest[i..].trim_end_matches('/').to_string())
        })
        .unwrap_or_default()
}

/// Go's `url.QueryEscape`.
fn url_escape(st: &str) -> String {
    let mut out = String::new();
    for b in st.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_like_go() {
        assert_eq!(strip_port("a:1"), "a");
        assert_eq!(strip_port("[::1]:1"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("a"), "a");
    }

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration(90.0), "1m30s");
        assert_eq!(go_duration(3600.0), "1h0m0s");
        assert_eq!(go_duration(1.5), "1.5s");
        assert_eq!(go_duration(0.5), "500ms");
    }

    #[test]
    fn title_case() {
        assert_eq!(title("foo bar-baz"), "Foo Bar-Baz");
    }

    #[test]
    fn url_escape_like_go() {
        assert_eq!(url_escape("up == 0"), "up+%3D%3D+0");
    }
}
