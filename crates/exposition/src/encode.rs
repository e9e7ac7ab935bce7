//! The encoders: metric families to text 0.0.4 or OpenMetrics 1.0.

use std::io::Write as _;

use telltale_model::{FamilySample, METRIC_NAME, MetricFamily, MetricType};

use crate::float::{write_float, write_openmetrics_float};
use crate::lex::{is_legacy_label_name, is_legacy_metric_name};

/// Appends `s` with `\`, `"` and newline escaped, as label values are.
fn escape_value(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b => out.push(b),
        }
    }
}

/// Appends help text: `\` and newline escaped, and `"` too in OpenMetrics.
fn escape_help(out: &mut Vec<u8>, s: &str, om: bool) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'"' if om => out.extend_from_slice(b"\\\""),
            b => out.push(b),
        }
    }
}

/// A metric name in a metadata line: bare if legacy, else quoted.
fn write_meta_name(out: &mut Vec<u8>, name: &str) {
    if is_legacy_metric_name(name) {
        out.extend_from_slice(name.as_bytes());
    } else {
        out.push(b'"');
        escape_value(out, name);
        out.push(b'"');
    }
}

/// `name{a="b"}`, or `{"na.me",a="b"}` for a name that needs quotes.
fn write_series(out: &mut Vec<u8>, name: &str, s: &FamilySample) {
    let legacy = is_legacy_metric_name(name);
    let mut first = true;
    if legacy {
        out.extend_from_slice(name.as_bytes());
    } else {
        out.extend_from_slice(b"{\"");
        escape_value(out, name);
        out.push(b'"');
        first = false;
    }
    for l in s.labels.iter().filter(|l| l.name != METRIC_NAME) {
        out.push(if first { b'{' } else { b',' });
        first = false;
        if is_legacy_label_name(&l.name) {
            out.extend_from_slice(l.name.as_bytes());
        } else {
            out.push(b'"');
            escape_value(out, &l.name);
            out.push(b'"');
        }
        out.extend_from_slice(b"=\"");
        escape_value(out, &l.value);
        out.push(b'"');
    }
    if !first {
        out.push(b'}');
    }
}

fn sample_name<'s>(f: &'s MetricFamily, s: &'s FamilySample) -> &'s str {
    match s.labels.metric_name() {
        "" => &f.name,
        n => n,
    }
}

/// Writes families in Prometheus text format 0.0.4.
///
/// Each family gets `# HELP` (when it has help) and `# TYPE`; OpenMetrics
/// types are written as their nearest 0.0.4 type (gauge histogram as
/// `histogram`, info and state set as `gauge`, unknown as `untyped`).
/// Values are formatted as Go formats them (`1e+06`, `NaN`, `+Inf`); names
/// that are not legacy names are quoted (`{"my.metric"}`).
pub fn encode_text(families: &[MetricFamily], out: &mut Vec<u8>) {
    for f in families {
        if !f.metadata.help.is_empty() {
            out.extend_from_slice(b"# HELP ");
            write_meta_name(out, &f.name);
            out.push(b' ');
            escape_help(out, &f.metadata.help, false);
            out.push(b'\n');
        }
        let t = match f.metadata.metric_type {
            MetricType::Counter => "counter",
            MetricType::Gauge | MetricType::Info | MetricType::StateSet => "gauge",
            MetricType::Histogram | MetricType::GaugeHistogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Unknown => "untyped",
        };
        out.extend_from_slice(b"# TYPE ");
        write_meta_name(out, &f.name);
        out.push(b' ');
        out.extend_from_slice(t.as_bytes());
        out.push(b'\n');
        for s in &f.samples {
            write_series(out, sample_name(f, s), s);
            out.push(b' ');
            write_float(out, s.value);
            if let Some(ts) = s.timestamp {
                let _ = write!(out, " {ts}");
            }
            out.push(b'\n');
        }
    }
}

/// Writes families in OpenMetrics 1.0, ending with `# EOF`.
///
/// Counter families are named without `_total` and their samples with it
/// (a sample named like the family gets `_total` added). `# UNIT` is written
/// only when the unit is a suffix of the family name, as the format
/// requires. Values are Go-formatted with `.0` on integral values;
/// timestamps are seconds with exactly three decimals (`1520879607.789`), so
/// that milliseconds round-trip exactly.
pub fn encode_openmetrics(families: &[MetricFamily], out: &mut Vec<u8>) {
    for f in families {
        let t = f.metadata.metric_type;
        let fam = match t {
            MetricType::Counter => f.name.strip_suffix("_total").unwrap_or(&f.name),
            _ => f.name.as_str(),
        };
        if !f.metadata.help.is_empty() {
            out.extend_from_slice(b"# HELP ");
            write_meta_name(out, fam);
            out.push(b' ');
            escape_help(out, &f.metadata.help, true);
            out.push(b'\n');
        }
        out.extend_from_slice(b"# TYPE ");
        write_meta_name(out, fam);
        out.push(b' ');
        out.extend_from_slice(t.as_str().as_bytes());
        out.push(b'\n');
        let unit = &f.metadata.unit;
        let unit_ok = fam.len() > unit.len()
            && fam.ends_with(unit.as_str())
            && fam.as_bytes()[fam.len() - unit.len() - 1] == b'_';
        if !unit.is_empty() && unit_ok {
            out.extend_from_slice(b"# UNIT ");
            write_meta_name(out, fam);
            out.push(b' ');
            out.extend_from_slice(unit.as_bytes());
            out.push(b'\n');
        }
        for s in &f.samples {
            let name = sample_name(f, s);
            if t == MetricType::Counter && name == fam {
                let total = format!("{name}_total");
                write_series(out, &total, s);
            } else {
                write_series(out, name, s);
            }
            out.push(b' ');
            write_openmetrics_float(out, s.value);
            if let Some(ts) = s.timestamp {
                let sign = if ts < 0 { "-" } else { "" };
                let abs = ts.unsigned_abs();
                let _ = write!(out, " {sign}{}.{:03}", abs / 1000, abs % 1000);
            }
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"# EOF\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::MetricMetadata;

    fn counter() -> MetricFamily {
        let mut f = MetricFamily::new(
            "requests_total",
            MetricMetadata {
                metric_type: MetricType::Counter,
                help: "Requests \"served\".\nBy path \\.".into(),
                unit: String::new(),
            },
        );
        f.push(&[("path", "/a\"b\\c\nd")], 1e6);
        f.samples[0].timestamp = Some(1_520_879_607_789);
        f
    }

    #[test]
    fn text_golden() {
        let mut out = Vec::new();
        encode_text(&[counter()], &mut out);
        let want = "# HELP requests_total Requests \"served\".\\nBy path \\\\.\n\
# TYPE requests_total counter\n\
requests_total{path=\"/a\\\"b\\\\c\\nd\"} 1e+06 1520879607789\n";
        assert_eq!(String::from_utf8_lossy(&out), want);
    }

    #[test]
    fn openmetrics_golden() {
        let mut out = Vec::new();
        encode_openmetrics(&[counter()], &mut out);
        let want = "# HELP requests Requests \\\"served\\\".\\nBy path \\\\.\n\
# TYPE requests counter\n\
requests_total{path=\"/a\\\"b\\\\c\\nd\"} 1e+06 1520879607.789\n\
# EOF\n";
        assert_eq!(String::from_utf8_lossy(&out), want);
    }

    #[test]
    fn utf8_names_are_quoted() {
        let mut f = MetricFamily::new("my.metric", MetricMetadata::default());
        f.push(&[("a.b", "c"), ("ok", "1")], 2.0);
        let mut g = MetricFamily::new("plain", MetricMetadata::default());
        g.push(&[], -0.5);
        let mut out = Vec::new();
        encode_text(&[f, g], &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "# TYPE \"my.metric\" untyped\n{\"my.metric\",\"a.b\"=\"c\",ok=\"1\"} 2\n# TYPE plain untyped\nplain -0.5\n"
        );
    }
}
