//! User templates in Go template syntax (through `gotmpl`): the data as
//! template values, helper functions, and the default templates made
//! callable by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{Template, Value};

use super::{TemplateAlert, TemplateData, default_templates};
use crate::error::{NotifyError, Result};

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(Arc::new(
        m.iter()
            .map(|(k, v)| (Arc::from(k.as_str()), Value::String(Arc::from(v.as_str()))))
            .collect(),
    ))
}

fn s(v: &str) -> Value {
    Value::String(Arc::from(v))
}

fn alert_value(a: &TemplateAlert) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert(Arc::from("Status"), s(a.status));
    m.insert(Arc::from("Labels"), map_value(&a.labels));
    m.insert(Arc::from("Annotations"), map_value(&a.annotations));
    m.insert(Arc::from("StartsAt"), s(&a.starts_at.to_string()));
    m.insert(Arc::from("EndsAt"), s(&a.ends_at.to_string()));
    m.insert(Arc::from("GeneratorURL"), s(&a.generator_url));
    m.insert(Arc::from("Fingerprint"), s(&a.fingerprint));
    Value::Map(Arc::new(m))
}

/// Where `.Alerts.Firing` is found: Go's `Alerts` is a slice type with
/// methods, which template data here cannot have, so the method calls are
/// rewritten to these fields before parsing.
const FIRING_FIELD: &str = "TelltaleAlertsFiring";
const RESOLVED_FIELD: &str = "TelltaleAlertsResolved";

/// Rewrites `.Alerts.Firing` and `.Alerts.Resolved` (also after `$`) to the
/// fields that hold them.
fn rewrite_methods(text: &str) -> String {
    text.replace(".Alerts.Firing", &format!(".{FIRING_FIELD}"))
        .replace(".Alerts.Resolved", &format!(".{RESOLVED_FIELD}"))
}

/// The data as a template value: `.Receiver`, `.Status`, `.Alerts`,
/// `.GroupLabels`, `.CommonLabels`, `.CommonAnnotations`, `.ExternalURL`...
pub fn data_value(d: &TemplateData) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    m.insert(Arc::from("Receiver"), s(&d.receiver));
    m.insert(Arc::from("Status"), s(d.status));
    m.insert(
        Arc::from("Alerts"),
        Value::List(d.alerts.iter().map(alert_value).collect()),
    );
    m.insert(
        Arc::from(FIRING_FIELD),
        Value::List(d.firing().map(alert_value).collect()),
    );
    m.insert(
        Arc::from(RESOLVED_FIELD),
        Value::List(d.resolved().map(alert_value).collect()),
    );
    m.insert(Arc::from("GroupLabels"), map_value(&d.group_labels));
    m.insert(Arc::from("CommonLabels"), map_value(&d.common_labels));
    m.insert(
        Arc::from("CommonAnnotations"),
        map_value(&d.common_annotations),
    );
    m.insert(Arc::from("RouteLabels"), map_value(&d.route_labels));
    m.insert(Arc::from("ExternalURL"), s(&d.external_url));
    m.insert(Arc::from("GroupKey"), s(&d.group_key));
    let defaults: BTreeMap<String, String> = default_templates(d)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    m.insert(Arc::from("TelltaleDefaults"), map_value(&defaults));
    Value::Map(Arc::new(m))
}

fn str_arg(args: &[Value], i: usize) -> String {
    match args.get(i) {
        Some(Value::String(s)) => s.to_string(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Renders user templates (notification fields such as a Slack title) with
/// the default templates and the files named by `templates:` available.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// Contents of the user's template files.
    files: Vec<String>,
}

impl Templates {
    /// Loads the template files matching the globs (`*` in the file name).
    ///
    /// # Errors
    ///
    /// [`NotifyError::Template`] when a file does not parse.
    pub fn load(globs: &[String]) -> Result<Templates> {
        let mut files = Vec::new();
        for g in globs {
            for path in expand_glob(g) {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| NotifyError::io("reading template", &path, e))?;
                Template::new("check")
                    .parse(&text)
                    .map_err(|e| NotifyError::Template {
                        name: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                files.push(text);
            }
        }
        Ok(Templates { files })
    }

    /// Renders `text` against `d`. Text without `{{` is returned as is.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Template`] when it does not parse or execute.
    pub fn render(&self, text: &str, d: &TemplateData) -> Result<String> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let err = |e: gotmpl::TemplateError| NotifyError::Template {
            name: text.chars().take(60).collect(),
            reason: e.to_string(),
        };
        let mut t = Template::new("notification")
            .func("toUpper", |a| Ok(s(&str_arg(a, 0).to_uppercase())))
            .func("toLower", |a| Ok(s(&str_arg(a, 0).to_lowercase())))
            .func("title", |a| {
                let t: String = str_arg(a, 0)
                    .split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        match c.next() {
                            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                            None => String::new(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                Ok(s(&t))
            })
            .func("join", |a| {
                let sep = str_arg(a, 0);
                let items: Vec<String> = match a.get(1) {
                    Some(Value::List(l)) => l.iter().map(|v| v.to_string()).collect(),
                    Some(Value::Map(m)) => m.values().map(|v| v.to_string()).collect(),
                    _ => Vec::new(),
                };
                Ok(s(&items.join(&sep)))
            })
            .func("safeHtml", |a| Ok(s(&str_arg(a, 0))))
            .func("trimSpace", |a| Ok(s(str_arg(a, 0).trim())));
        let mut defs = String::new();
        for name in default_templates(d).keys() {
            defs.push_str(&format!(
                "{{{{ define \"{name}\" }}}}{{{{ index $.TelltaleDefaults \"{name}\" }}}}{{{{ end }}}}"
            ));
        }
        // `$` inside a define is the template's own argument; defaults
        // called with a non-root argument fall back to empty text.
        let defs = defs.replace("$.TelltaleDefaults", ".TelltaleDefaults");
        t = t.parse(&defs).map_err(err)?;
        for f in &self.files {
            t = t.parse(&rewrite_methods(f)).map_err(err)?;
        }
        t = t.parse(&rewrite_methods(text)).map_err(err)?;
        t.execute_to_string(&data_value(d)).map_err(err)
    }
}

fn expand_glob(pattern: &str) -> Vec<std::path::PathBuf> {
    let path = std::path::Path::new(pattern);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if !name.contains('*') {
        return if path.exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let (prefix, suffix) = name.split_once('*').unwrap_or((name, ""));
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    out.sort();
    out
}
