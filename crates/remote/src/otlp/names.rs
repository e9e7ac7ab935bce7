//! Prometheus names from OpenTelemetry names, as Prometheus's OTLP
//! translator does with `translation_strategy: UnderscoreEscapingWithSuffixes`
//! (its default).
//!
//! Metric names: the name is split into tokens at every character that is
//! not a letter or digit (so `.`, `-`, `/` and `_` all separate); the unit's
//! Prometheus word is appended unless a token already says it (`s` →
//! `seconds`, `By` → `bytes`, `1` → nothing, `{requests}` → nothing), a
//! `/x` unit adds `per_<x>` (`/s` → `per_second`); monotonic cumulative sums
//! end in `total` (an earlier `total` token moves to the end); gauges of
//! unit `1` end in `ratio`. Tokens are joined with `_`, and a leading digit
//! gets a `_` prefix. Label names: every character outside `[A-Za-z0-9_]`
//! becomes `_`, a leading digit gets `key_`, a single leading `_` gets `key`.

/// What kind of Prometheus series a metric becomes (it decides suffixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A gauge (including non-monotonic sums).
    Gauge,
    /// A monotonic cumulative sum.
    Counter,
    /// A histogram or summary (suffixes `_bucket`, `_sum`, `_count` added later).
    Other,
}

fn main_unit(u: &str) -> &str {
    match u {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

fn per_unit(u: &str) -> &str {
    match u {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

/// Replaces characters that are not ASCII letters or digits with `_` and
/// trims `_` at both ends.
fn clean_unit(u: &str) -> String {
    let s: String = u
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    s.trim_matches('_').to_string()
}

fn unit_word(raw: &str, map: fn(&str) -> &str) -> String {
    let u = raw.trim();
    if u.is_empty() || u.contains(['{', '}']) {
        return String::new();
    }
    clean_unit(map(u))
}

/// The Prometheus metric name of an OpenTelemetry metric (before
/// `_bucket`/`_sum`/`_count`).
pub fn metric_name(name: &str, unit: &str, kind: Kind) -> String {
    let mut tokens: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .collect();
    let (main, per) = match unit.split_once('/') {
        Some((m, p)) => (m, Some(p)),
        None => (unit, None),
    };
    let main = unit_word(main, main_unit);
    if !main.is_empty() && !tokens.contains(&main) {
        tokens.push(main);
    }
    if let Some(p) = per {
        let per = unit_word(p, per_unit);
        if !per.is_empty() && !tokens.contains(&per) {
            tokens.push("per".into());
            tokens.push(per);
        }
    }
    if kind == Kind::Counter {
        tokens.retain(|t| t != "total");
        tokens.push("total".into());
    }
    if kind == Kind::Gauge && unit == "1" {
        tokens.retain(|t| t != "ratio");
        tokens.push("ratio".into());
    }
    let mut out = tokens.join("_");
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The Prometheus label name of an attribute key.
pub fn label_name(key: &str) -> String {
    let mut s: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "key_");
    } else if s.starts_with('_') && !s.starts_with("__") {
        s.insert_str(0, "key");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_prometheus_translator() {
        let cases = [
            (
                "http.server.duration",
                "s",
                Kind::Other,
                "http_server_duration_seconds",
            ),
            (
                "http.server.request.size",
                "By",
                Kind::Other,
                "http_server_request_size_bytes",
            ),
            ("requests", "{requests}", Kind::Counter, "requests_total"),
            ("requests_total", "1", Kind::Counter, "requests_total"),
            ("total.requests", "", Kind::Counter, "requests_total"),
            (
                "system.cpu.utilization",
                "1",
                Kind::Gauge,
                "system_cpu_utilization_ratio",
            ),
            (
                "disk.io",
                "By/s",
                Kind::Counter,
                "disk_io_bytes_per_second_total",
            ),
            ("latency_seconds", "s", Kind::Gauge, "latency_seconds"),
            (
                "process.runtime.go.mem.heap_alloc",
                "By",
                Kind::Gauge,
                "process_runtime_go_mem_heap_alloc_bytes",
            ),
            ("2xx.count", "", Kind::Gauge, "_2xx_count"),
            ("temp", "Cel", Kind::Gauge, "temp_celsius"),
            ("odd-unit", "km/h", Kind::Gauge, "odd_unit_km_per_hour"),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(metric_name(name, unit, kind), want, "{name} {unit}");
        }
    }

    #[test]
    fn label_names_are_sanitized() {
        assert_eq!(label_name("http.method"), "http_method");
        assert_eq!(label_name("k8s.pod.name"), "k8s_pod_name");
        assert_eq!(label_name("0abc"), "key_0abc");
        assert_eq!(label_name("_private"), "key_private");
        assert_eq!(label_name("__reserved"), "__reserved");
        assert_eq!(label_name("ünï"), "key_n_");
    }
}
