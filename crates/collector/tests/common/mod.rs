//! Helpers shared by the black-box tests: a tiny text-format encoder for
//! golden files and a reader of `# HELP` / `# TYPE` / label names from a
//! real node_exporter scrape.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use telltale_model::MetricFamily;

/// Where the shared conformance data lives (`TELLTALE_TESTDATA` overrides).
pub fn testdata_dir() -> PathBuf {
    match std::env::var_os("TELLTALE_TESTDATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    }
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// Text format 0.0.4, with each family's samples in the order given.
pub fn encode(fams: &[MetricFamily]) -> String {
    let mut s = String::new();
    for f in fams {
        let help = f.metadata.help.replace('\\', "\\\\").replace('\n', "\\n");
        let ty = match f.metadata.metric_type.as_str() {
            "unknown" => "untyped",
            t => t,
        };
        let _ = writeln!(s, "# HELP {} {}", f.name, help);
        let _ = writeln!(s, "# TYPE {} {}", f.name, ty);
        for smp in &f.samples {
            s.push_str(smp.labels.metric_name());
            let others: Vec<_> = smp.labels.iter().filter(|l| l.name != "__name__").collect();
            if !others.is_empty() {
                s.push('{');
                for (i, l) in others.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let v = l
                        .value
                        .replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n");
                    let _ = write!(s, "{}=\"{}\"", l.name, v);
                }
                s.push('}');
            }
            let _ = writeln!(s, " {}", fmt_value(smp.value));
        }
    }
    s
}

/// What a reference scrape says about one family.
#[derive(Debug, Default)]
pub struct RefFamily {
    pub metric_type: String,
    pub help: String,
    /// Label names seen on any sample, empty values included.
    pub labels_all: BTreeSet<String>,
    /// Label names seen with a non-empty value on some sample.
    pub labels_nonempty: BTreeSet<String>,
}

/// Reads HELP, TYPE and sample label names from a text-format page. Only
/// good enough for node_exporter's own well-formed output.
pub fn read_reference(text: &str) -> BTreeMap<String, RefFamily> {
    let mut out: BTreeMap<String, RefFamily> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.entry(name.into()).or_default().help =
                help.replace("\\n", "\n").replace("\\\\", "\\");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').unwrap_or((rest, ""));
            out.entry(name.into()).or_default().metric_type = ty.into();
        } else if !line.starts_with('#') && !line.is_empty() {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let name = &line[..name_end];
            let fam = out.entry(name.into()).or_default();
            if line[name_end..].starts_with('{') {
                let body = &line[name_end + 1..line.rfind('}').unwrap_or(line.len())];
                for (n, v) in split_labels(body) {
                    fam.labels_all.insert(n.clone());
                    if !v.is_empty() {
                        fam.labels_nonempty.insert(n);
                    }
                }
            }
        }
    }
    out
}

fn split_labels(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim_start_matches(',').trim().to_string();
        let v = &rest[eq + 2..];
        let mut end = v.len();
        let mut esc = false;
        for (i, c) in v.char_indices() {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                end = i;
                break;
            }
        }
        out.push((name, v[..end].to_string()));
        rest = v.get(end + 1..).unwrap_or("");
    }
    out
}

/// The type name as the text format spells it.
pub fn type_name(f: &MetricFamily) -> &'static str {
    match f.metadata.metric_type.as_str() {
        "unknown" => "untyped",
        "counter" => "counter",
        "gauge" => "gauge",
        "histogram" => "histogram",
        "summary" => "summary",
        _ => "other",
    }
}

/// The samples of a text-format page as `(series key, value)`, the key
/// being the name and the non-empty labels in name order.
pub fn read_samples(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = &line[..name_end];
        let (labels, rest) = if line[name_end..].starts_with('{') {
            let close = line.rfind('}').unwrap_or(line.len() - 1);
            (split_labels(&line[name_end + 1..close]), &line[close + 1..])
        } else {
            (Vec::new(), &line[name_end..])
        };
        let Some(v) = rest
            .split_ascii_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        let mut labels: Vec<(String, String)> =
            labels.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        labels.sort();
        out.insert(series_key(name, &labels), v);
    }
    out
}

/// `name{a="1",b="2"}` with labels in the order given.
pub fn series_key(name: &str, labels: &[(String, String)]) -> String {
    let mut k = name.to_string();
    k.push('{');
    for (i, (n, v)) in labels.iter().enumerate() {
        if i > 0 {
            k.push(',');
        }
        let _ = write!(k, "{n}={v:?}");
    }
    k.push('}');
    k
}

/// Our families as `(series key, value)`.
pub fn our_samples(fams: &[MetricFamily]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for f in fams {
        for s in &f.samples {
            let labels: Vec<(String, String)> = s
                .labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            out.insert(series_key(s.labels.metric_name(), &labels), s.value);
        }
    }
    out
}
