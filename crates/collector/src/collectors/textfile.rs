//! `textfile`: metrics that other programs write as `*.prom` files in a
//! directory (text format 0.0.4), plus `node_textfile_mtime_seconds` and
//! `node_textfile_scrape_error`.
//!
//! The parser here is deliberately small: `# HELP`, `# TYPE`, and sample
//! lines `name{label="value",...} value`. Client-side timestamps are
//! refused as node_exporter refuses them. A file that does not parse is
//! skipped whole and sets `node_textfile_scrape_error 1`.

use std::path::{Path, PathBuf};

use telltale_model::MetricType;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{dir_names, read_string_limit};
use crate::registry::Collector;

/// The largest `*.prom` file read.
const MAX_FILE: u64 = 16 << 20;
/// The most `*.prom` files read from the directory.
const MAX_FILES: usize = 1000;

pub(crate) struct Textfile {
    dir: Option<PathBuf>,
}

impl Textfile {
    pub(crate) fn new(dir: Option<&Path>) -> Self {
        Textfile {
            dir: dir.map(Path::to_path_buf),
        }
    }
}

/// One sample line: the name, the labels and the value.
type ParsedSample = (String, Vec<(String, String)>, f64);

/// What one file holds: help and type per family, then samples.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) help: Vec<(String, String)>,
    pub(crate) types: Vec<(String, MetricType)>,
    pub(crate) samples: Vec<ParsedSample>,
}

/// Parses text format 0.0.4. Errors name the line.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Parsed, CollectorError> {
    let mut p = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        let err = |m: &str| CollectorError::parse(path, i + 1, m);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim_start();
            if let Some(rest) = c.strip_prefix("HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                p.help.push((name.to_string(), unescape(help, false)));
            } else if let Some(rest) = c.strip_prefix("TYPE ") {
                let (name, ty) = rest
                    .split_once(' ')
                    .ok_or_else(|| err("TYPE without a type"))?;
                let ty = MetricType::parse(ty.trim()).ok_or_else(|| err("unknown type"))?;
                p.types.push((name.to_string(), ty));
            }
            continue;
        }
        let name_end = line
            .find(|c: char| c == '{' || c.is_ascii_whitespace())
            .ok_or_else(|| err("sample without a value"))?;
        let name = &line[..name_end];
        if !valid_name(name) {
            return Err(err("bad metric name"));
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            let (ls, after) = parse_labels(r).ok_or_else(|| err("bad label set"))?;
            labels = ls;
            rest = after;
        }
        let mut fields = rest.split_ascii_whitespace();
        let value = fields.next().ok_or_else(|| err("sample without a value"))?;
        let value = parse_value(value).ok_or_else(|| err("bad value"))?;
        if fields.next().is_some() {
            return Err(err("client-side timestamps are not supported"));
        }
        p.samples.push((name.to_string(), labels, value));
    }
    Ok(p)
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Unescapes `\\`, `\n` and (in label values) `\"`.
fn unescape(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some('"') if quotes => out.push('"'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Parses `a="1",b="2"}` and returns the labels and what follows `}`.
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('}') {
            return Some((labels, rest));
        }
        let eq = s.find('=')?;
        let name = s[..eq].trim();
        if !valid_name(name) || name.contains(':') {
            return None;
        }
        let v = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut end = None;
        let mut escaped = false;
        for (i, c) in v.char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        labels.push((name.to_string(), unescape(&v[..end], true)));
        s = v[end + 1..].trim_start();
        if let Some(rest) = s.strip_prefix(',') {
            s = rest;
        }
    }
}

impl Textfile {
    fn read_file(&self, out: &mut Emitter, path: &Path) -> Result<f64, CollectorError> {
        let meta = std::fs::metadata(path).map_err(|e| CollectorError::io(path, e))?;
        let text = read_string_limit(path, MAX_FILE)?;
        let parsed = parse(path, &text)?;
        let default_help = format!("Metric read from {}", path.display());
        for (name, labels, v) in &parsed.samples {
            // Histogram and summary samples belong to their base family.
            let family = family_of(name, &parsed.types);
            let ty = parsed
                .types
                .iter()
                .find(|(n, _)| n == family)
                .map_or(MetricType::Unknown, |(_, t)| *t);
            let help = parsed
                .help
                .iter()
                .find(|(n, _)| n == family)
                .map_or(default_help.as_str(), |(_, h)| h.as_str());
            let labels: Vec<(&str, &str)> = labels
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            out.family(family, help, ty).push_named(name, &labels, *v);
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs() as f64);
        Ok(mtime)
    }
}

/// The family a sample name belongs to: `x` for `x_bucket`, `x_sum`,
/// `x_count` when `x` is declared a histogram or summary.
fn family_of<'a>(name: &'a str, types: &[(String, MetricType)]) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types
                .iter()
                .any(|(n, t)| n == base && matches!(t, MetricType::Histogram | MetricType::Summary))
        {
            return base;
        }
    }
    name
}

impl Collector for Textfile {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let mut error = 0.0;
        if let Some(dir) = &self.dir {
            match dir_names(dir, MAX_FILES) {
                Ok(names) => {
                    for name in names.iter().filter(|n| n.ends_with(".prom")) {
                        let path = dir.join(name);
                        match self.read_file(out, &path) {
                            Ok(mtime) => out.gauge(
                                "node_textfile_mtime_seconds",
                                "Unixtime mtime of textfiles successfully read.",
                                &[("file", &path.to_string_lossy())],
                                mtime,
                            ),
                            Err(_) => error = 1.0,
                        }
                    }
                }
                Err(_) => error = 1.0,
            }
        }
        out.gauge(
            "node_textfile_scrape_error",
            "1 if there was an error opening or reading a file, 0 otherwise",
            &[],
            error,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_help_type_labels_and_escapes() {
        let p = parse(
            Path::new("x.prom"),
            "# HELP a_total Some \\\\ help\n# TYPE a_total counter\na_total{x=\"q\\\"}\",y=\"2\"} 3\nb 1e3\n",
        )
        .unwrap();
        assert_eq!(p.help[0], ("a_total".into(), "Some \\ help".into()));
        assert_eq!(p.types[0], ("a_total".into(), MetricType::Counter));
        assert_eq!(p.samples[0].1[0], ("x".into(), "q\"}".into()));
        assert_eq!(p.samples[1].2, 1000.0);
    }

    #[test]
    fn refuses_timestamps_and_garbage() {
        for bad in [
            "a 1 123",
            "a{x=1} 2",
            "1a 2",
            "a{x=\"1\" 2",
            "a",
            "# TYPE a bogus",
        ] {
            assert!(parse(Path::new("x.prom"), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn histogram_samples_join_their_family() {
        let types = vec![("h".to_string(), MetricType::Histogram)];
        assert_eq!(family_of("h_bucket", &types), "h");
        assert_eq!(family_of("x_count", &types), "x_count");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn escape(v: &str) -> String {
            v.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        }

        proptest! {
            #[test]
            fn never_panics_on_any_text(text in "\\PC{0,200}") {
                let _ = parse(Path::new("x.prom"), &text);
            }

            #[test]
            fn never_panics_on_near_misses(text in "[a-z_{}=\",\\\\ 0-9#.\n+-]{0,200}") {
                let _ = parse(Path::new("x.prom"), &text);
            }

            #[test]
            fn sample_lines_round_trip(
                name in "[a-zA-Z_:][a-zA-Z0-9_:]{0,20}",
                labels in proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,10}", "\\PC{0,12}", 0..4),
                value in proptest::num::f64::NORMAL | proptest::num::f64::ZERO,
            ) {
                let body: Vec<String> = labels
                    .iter()
                    .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
                    .collect();
                let line = format!("{name}{{{}}} {value:?}\n", body.join(","));
                let p = parse(Path::new("x.prom"), &line).unwrap();
                prop_assert_eq!(p.samples.len(), 1);
                let (n, ls, v) = &p.samples[0];
                prop_assert_eq!(n, &name);
                let want: Vec<(String, String)> = labels.into_iter().collect();
                prop_assert_eq!(ls, &want);
                prop_assert_eq!(*v, value);
            }
        }
    }
}
