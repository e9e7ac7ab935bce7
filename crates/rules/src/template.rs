//! Alert label and annotation templates: Go `text/template` syntax (through
//! the `gotmpl` crate) with Prometheus's data and functions.
//!
//! Every template is run with Prometheus's header, so `$labels`,
//! `$externalLabels`, `$externalURL` and `$value` are defined, and with the
//! functions of Prometheus's `template` package: `humanize`,
//! `humanize1024`, `humanizeDuration`, `humanizePercentage`,
//! `humanizeTimestamp`, `query`, `first`, `label`, `value`, `strvalue`,
//! `sortByLabel`, `args`, `reReplaceAll`, `match`, `title`, `toUpper`,
//! `toLower`, `stripPort`, `stripDomain`, `safeHtml`, `toTime`,
//! `toDuration`, `parseDuration`, `externalURL`, `pathPrefix`,
//! `graphLink`, `tableLink`, plus Go's builtins (`printf`, `if`, `range`,
//! `with`, comparisons...).
//!
//! Two details make the output match Prometheus's where `gotmpl` differs
//! from Go: a float printed directly (`{{ $value }}`) is formatted like Go's
//! `%v` (`1.234567e+06`), and a missing label prints as the empty string
//! (Prometheus runs templates with `missingkey=zero` over string maps).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use gotmpl::{Template, TemplateError, Value};
use regex::Regex;
use telltale_model::Labels;

use crate::query::QueryFn;

/// The most bytes a rendered template may have; longer output is cut.
pub const MAX_TEMPLATE_OUTPUT: usize = 64 << 10;

/// Most iterations of `range` in one template execution.
const MAX_RANGE_ITERS: u64 = 100_000;

const HEADER: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// The data a template sees.
#[derive(Debug, Clone, Default)]
pub struct TemplateData {
    /// `$labels`: the labels of the sample that caused the alert (`__name__`
    /// included when the expression kept it, as in Prometheus).
    pub labels: BTreeMap<String, String>,
    /// `$externalLabels`.
    pub external_labels: BTreeMap<String, String>,
    /// `$externalURL`.
    pub external_url: String,
    /// `$value`: the sample value that caused the alert.
    pub value: f64,
}

impl TemplateData {
    /// Data for an alert with `labels` and `value`.
    pub fn new(labels: &Labels, value: f64) -> Self {
        TemplateData {
            labels: labels_map(labels),
            value,
            ..Default::default()
        }
    }
}

/// A query function and the time to run it at, for `query` in templates.
#[derive(Clone)]
pub struct TemplateQuery {
    /// Runs the query.
    pub query: Arc<dyn QueryFn>,
    /// The evaluation time in milliseconds.
    pub t_ms: i64,
}

/// Checks that `text` parses as a template (what promtool checks).
///
/// # Errors
///
/// The parser's message.
pub fn check(name: &str, text: &str) -> Result<(), String> {
    build(name, text, SharedCtx::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Renders `text` with `data`. `query` enables the `query` function.
///
/// # Errors
///
/// The template engine's message when the template does not parse or
/// fails while running (Prometheus then puts
/// `<error expanding template: ...>` in place of the text: see
/// [`expand_or_error`]).
pub fn expand(
    name: &str,
    text: &str,
    data: &TemplateData,
    query: Option<&TemplateQuery>,
) -> Result<String, String> {
    if !text.contains("{{") {
        return Ok(text.to_string());
    }
    let cache = TemplateCache::new();
    cache.set_context(query.cloned(), &data.external_url);
    let tmpl = build(name, text, cache.ctx.clone()).map_err(|e| e.to_string())?;
    run(&tmpl, data)
}

fn run(tmpl: &Template, data: &TemplateData) -> Result<String, String> {
    let mut out = tmpl
        .execute_to_string(&data_value(data))
        .map_err(|e| e.to_string())?;
    if out.contains("<no value>") {
        out = out.replace("<no value>", "");
    }
    if out.len() > MAX_TEMPLATE_OUTPUT {
        let mut cut = MAX_TEMPLATE_OUTPUT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    Ok(out)
}

/// As [`expand`], but a failure renders as Prometheus does:
/// `<error expanding template: MESSAGE>`.
pub fn expand_or_error(
    name: &str,
    text: &str,
    data: &TemplateData,
    query: Option<&TemplateQuery>,
) -> String {
    expand(name, text, data, query).unwrap_or_else(|e| format!("<error expanding template: {e}>"))
}

/// What the `query`, `externalURL` and `pathPrefix` functions of compiled
/// templates read at run time.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) query: Option<TemplateQuery>,
    pub(crate) external_url: String,
}

pub(crate) type SharedCtx = Arc<RwLock<Ctx>>;

/// The compiled templates of one rule, reused across evaluations (a
/// template is parsed once, not once per alert and evaluation). Its size is
/// bounded by the number of templates the rule has.
#[derive(Clone, Default)]
pub struct TemplateCache {
    ctx: SharedCtx,
    compiled: HashMap<String, Arc<Result<Template, String>>>,
}

impl std::fmt::Debug for TemplateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateCache")
            .field("compiled", &self.compiled.len())
            .finish()
    }
}

impl TemplateCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets what `query` runs against and `$externalURL`-derived functions
    /// return, for the expansions that follow.
    pub fn set_context(&self, query: Option<TemplateQuery>, external_url: &str) {
        if let Ok(mut c) = self.ctx.write() {
            c.query = query;
            c.external_url = external_url.to_string();
        }
    }

    /// Renders `text` (compiled on first use) with `data`; failures render
    /// as `<error expanding template: MESSAGE>`.
    pub fn expand_or_error(&mut self, name: &str, text: &str, data: &TemplateData) -> String {
        if !text.contains("{{") {
            return text.to_string();
        }
        let ctx = self.ctx.clone();
        let compiled = self
            .compiled
            .entry(text.to_string())
            .or_insert_with(|| Arc::new(build(name, text, ctx).map_err(|e| e.to_string())))
            .clone();
        match compiled.as_ref() {
            Ok(t) => run(t, data),
            Err(e) => Err(e.clone()),
        }
        .unwrap_or_else(|e| format!("<error expanding template: {e}>"))
    }
}

fn labels_map(labels: &Labels) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect()
}

fn str_map(m: &BTreeMap<String, String>) -> Value {
    let map: BTreeMap<Arc<str>, Value> = m
        .iter()
        .map(|(k, v)| (Arc::from(k.as_str()), Value::String(Arc::from(v.as_str()))))
        .collect();
    Value::Map(Arc::new(map))
}

fn data_value(d: &TemplateData) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert("Labels".into(), str_map(&d.labels));
    m.insert("ExternalLabels".into(), str_map(&d.external_labels));
    m.insert(
        "ExternalURL".into(),
        Value::String(d.external_url.as_str().into()),
    );
    m.insert("Value".into(), Value::Float(d.value));
    Value::Map(Arc::new(m))
}

fn value_print_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\{\{(-?\s*)(\$value|\.Value)(\s*-?)\}\}").unwrap_or_else(|_| unreachable_re())
    })
}

fn unreachable_re() -> Regex {
    // The pattern above is a constant known to compile; this keeps the
    // code free of panics all the same.
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// Rewrites `{{ $value }}` and `{{ .Value }}` to print floats like Go's `%v`.
fn rewrite_value_prints(text: &str) -> String {
    value_print_re()
        .replace_all(text, "{{${1}${2} | __goValue${3}}}")
        .into_owned()
}

fn build(name: &str, text: &str, ctx: SharedCtx) -> Result<Template, TemplateError> {
    let src = format!("{HEADER}{}", rewrite_value_prints(text));
    let mut t = Template::new(name).max_range_iters(MAX_RANGE_ITERS);
    t = crate::template_funcs::register(t, ctx);
    t.parse(&src)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, labels: &[(&str, &str)], value: f64) -> String {
        let data = TemplateData::new(&Labels::from_pairs(labels), value);
        expand("t", text, &data, None).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn labels_and_value() {
        assert_eq!(
            render(
                "{{ $labels.instance }} is {{ $value }}",
                &[("instance", "a:9100")],
                1.5
            ),
            "a:9100 is 1.5"
        );
        assert_eq!(render("{{ $value }}", &[], 1234567.0), "1.234567e+06");
        assert_eq!(render("{{- $value -}}", &[], 2.0), "2");
        assert_eq!(render("{{ .Value }}", &[], 0.00001), "1e-05");
        assert_eq!(render("[{{ $labels.missing }}]", &[], 0.0), "[]");
        assert_eq!(render("plain text", &[], 0.0), "plain text");
    }

    #[test]
    fn humanize_functions() {
        assert_eq!(render("{{ humanize $value }}", &[], 1234567.0), "1.235M");
        assert_eq!(render("{{ $value | humanize1024 }}", &[], 1048576.0), "1Mi");
        assert_eq!(render("{{ humanizeDuration 90 }}", &[], 0.0), "1m 30s");
        assert_eq!(
            render("{{ humanizePercentage $value }}", &[], 0.1234),
            "12.34%"
        );
        assert_eq!(render("{{ humanize \"1234\" }}", &[], 0.0), "1.234k");
        assert_eq!(
            render("{{ humanizeTimestamp 1257894000 }}", &[], 0.0),
            "2009-11-10 23:00:00 +0000 UTC"
        );
    }

    #[test]
    fn printf_and_control_flow() {
        assert_eq!(render("{{ printf \"%.2f\" $value }}", &[], 1.23456), "1.23");
        assert_eq!(
            render(
                "{{ if gt $value 80.0 }}high{{ else }}low{{ end }}",
                &[],
                90.0
            ),
            "high"
        );
        assert_eq!(
            render(
                "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
                &[("a", "1"), ("b", "2")],
                0.0
            ),
            "a=1;b=2;"
        );
        assert_eq!(
            render(
                "{{ with $labels.job }}job {{ . }}{{ end }}",
                &[("job", "x")],
                0.0
            ),
            "job x"
        );
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            render("{{ toUpper \"abc\" }} {{ toLower \"ABC\" }}", &[], 0.0),
            "ABC abc"
        );
        assert_eq!(
            render("{{ title \"hello wORLD\" }}", &[], 0.0),
            "Hello WORLD"
        );
        assert_eq!(
            render(
                "{{ stripPort \"host:9100\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"h\" }}",
                &[],
                0.0
            ),
            "host ::1 h"
        );
        assert_eq!(render("{{ stripDomain \"a.b.c:80\" }}", &[], 0.0), "a:80");
        assert_eq!(
            render("{{ reReplaceAll \"(a+)\" \"<$1>\" \"xaay\" }}", &[], 0.0),
            "x<aa>y"
        );
        assert_eq!(
            render("{{ if match \"^a.*\" \"abc\" }}yes{{ end }}", &[], 0.0),
            "yes"
        );
        assert_eq!(
            render("{{ $a := args 1 \"x\" }}{{ $a.arg1 }}", &[], 0.0),
            "x"
        );
    }

    #[test]
    fn errors_render_like_prometheus() {
        let d = TemplateData::default();
        let s = expand_or_error("t", "{{ humanize \"abc\" }}", &d, None);
        assert!(s.starts_with("<error expanding template: "), "{s}");
        assert!(check("t", "{{ $labels.x ").is_err());
        assert!(check("t", "{{ $labels.x }}").is_ok());
    }

    #[test]
    fn cache_reuses_compiled_templates_with_fresh_context() {
        let mut c = TemplateCache::new();
        c.set_context(None, "http://a");
        let d = TemplateData::new(&Labels::from_pairs(&[("i", "x")]), 2.0);
        assert_eq!(
            c.expand_or_error("t", "{{ $labels.i }} {{ externalURL }}", &d),
            "x http://a"
        );
        c.set_context(None, "http://b");
        let d = TemplateData::new(&Labels::from_pairs(&[("i", "y")]), 2.0);
        assert_eq!(
            c.expand_or_error("t", "{{ $labels.i }} {{ externalURL }}", &d),
            "y http://b"
        );
        assert!(
            c.expand_or_error("t", "{{ bad", &d)
                .starts_with("<error expanding template: ")
        );
        assert!(
            c.expand_or_error("t", "{{ query \"up\" }}", &d)
                .contains("query is not available")
        );
    }

    #[test]
    fn external_labels_and_url() {
        let mut d = TemplateData::default();
        d.external_labels.insert("cluster".into(), "eu".into());
        d.external_url = "http://tt:9099".into();
        assert_eq!(
            expand(
                "t",
                "{{ $externalLabels.cluster }} {{ $externalURL }}",
                &d,
                None
            )
            .unwrap(),
            "eu http://tt:9099"
        );
    }
}
