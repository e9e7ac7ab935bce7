//! The dashboard file format and loading it from files.
//!
//! A dashboard is a title, template variables and rows of panels. Files are
//! YAML (`.yaml`, `.yml`) or JSON (`.json`); a JSON file that looks like a
//! Grafana dashboard (it has `schemaVersion` or a top-level `panels` list)
//! is converted by [`crate::grafana::import`]. The format is documented in
//! `crates/ui/README.md`.

use std::path::{Path, PathBuf};

use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::grafana;

/// Largest dashboard file read, in bytes (4 MiB: the biggest community
/// dashboards are about 500 KiB).
pub const MAX_DASHBOARD_BYTES: usize = 4 << 20;
/// Most dashboard files read from one directory.
pub const MAX_DASHBOARD_FILES: usize = 1000;
/// Most bytes read from one directory per request (64 MiB), so a directory
/// of large files cannot exhaust memory.
pub const MAX_DASHBOARD_DIR_BYTES: u64 = 64 << 20;

/// A dashboard: variables and rows of panels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// URL-safe identifier; defaults to the file name without extension.
    #[serde(default)]
    pub id: String,
    /// Shown as the page heading.
    pub title: String,
    /// Shown under the heading.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Free-form tags for the list page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Default time range, a duration back from now (`1h`).
    #[serde(default = "default_time")]
    pub time: String,
    /// Default auto-refresh interval (`30s`), empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub refresh: String,
    /// Template variables, filled in order (later ones may use earlier).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    /// Rows of panels, top to bottom.
    #[serde(default)]
    pub rows: Vec<Row>,
    /// What an import could not convert (read-only, filled by importers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn default_time() -> String {
    "1h".to_string()
}

/// A template variable, used in queries as `$name` or `${name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The name used in queries.
    pub name: String,
    /// The selector's label; defaults to the name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// `label_values(label)` or `label_values(selector, label)`; empty when
    /// `values` is given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// A fixed list of values (Grafana's custom variables).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Whether several values may be chosen (joined as a regex `a|b`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub multi: bool,
    /// Whether an `All` choice (`.*`) is offered.
    #[serde(default, skip_serializing_if = "is_false")]
    pub include_all: bool,
    /// Keep only values matching this regular expression.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub regex: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A row of panels with an optional heading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The heading; empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Whether the row starts folded.
    #[serde(default, skip_serializing_if = "is_false")]
    pub collapsed: bool,
    /// The panels, left to right, wrapping on a 24-column grid.
    #[serde(default)]
    pub panels: Vec<Panel>,
}

/// How a panel draws its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// Lines over time.
    #[default]
    Timeseries,
    /// One big number per series.
    Stat,
    /// A dial per series.
    Gauge,
    /// A horizontal bar per series.
    Bargauge,
    /// A table of the latest values with their labels.
    Table,
}

/// One panel: queries and how to show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    /// The panel heading.
    pub title: String,
    /// How it is drawn.
    #[serde(default, rename = "type")]
    pub kind: PanelKind,
    /// A tooltip for the heading.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The PromQL queries.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// The unit (Grafana's names: `bytes`, `percent`, `percentunit`, `s`,
    /// `ms`, `Bps`, `bps`, `reqps`, `short`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Width in 24ths of the page (default 12).
    #[serde(default = "default_width")]
    pub width: u32,
    /// Whether time series are stacked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stacked: bool,
    /// The lower end of the axis or gauge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The upper end of the axis or gauge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Colour steps: a value at or over `value` takes `color`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<Threshold>,
    /// Whether the legend is shown (time series).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub legend: bool,
}

fn default_width() -> u32 {
    12
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One query of a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The PromQL expression; variables are substituted first.
    pub expr: String,
    /// The series name: `{{label}}` is replaced by the label's value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub legend: String,
    /// Whether the query is evaluated at the end only (tables and stats).
    #[serde(default, skip_serializing_if = "is_false")]
    pub instant: bool,
}

/// A colour step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The lower bound of the step; `null` for the base colour.
    pub value: Option<f64>,
    /// A CSS colour or one of `green`, `yellow`, `orange`, `red`, `blue`.
    pub color: String,
}

/// A dashboard's entry in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The identifier.
    pub id: String,
    /// The title.
    pub title: String,
    /// The tags.
    pub tags: Vec<String>,
    /// `builtin` or the file name it came from.
    pub source: String,
}

/// The dashboards shipped in the binary (`crates/ui/dashboards/`).
#[derive(RustEmbed)]
#[folder = "dashboards/"]
struct Builtin;

impl Dashboard {
    /// Parses a dashboard from a file's bytes; `path` names the format (by
    /// extension) and is used in errors and for the default id.
    ///
    /// # Errors
    ///
    /// [`UiError::TooLarge`], [`UiError::Json`], [`UiError::Yaml`] or
    /// [`UiError::Grafana`] with the file's name and the location.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Dashboard, UiError> {
        if bytes.len() > MAX_DASHBOARD_BYTES {
            return Err(UiError::TooLarge {
                path: path.to_path_buf(),
                size: bytes.len() as u64,
                limit: MAX_DASHBOARD_BYTES,
            });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut d = if ext == "json" {
            let v: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| UiError::json(path, &e))?;
            if grafana::looks_like_grafana(&v) {
                grafana::import(path, &v)?
            } else {
                serde_json::from_value(v).map_err(|e| UiError::Yaml {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?
            }
        } else {
            let text = std::str::from_utf8(bytes).map_err(|e| UiError::Yaml {
                path: path.to_path_buf(),
                message: format!("not UTF-8 at byte {}", e.valid_up_to()),
            })?;
            serde_saphyr::from_str(text).map_err(|e| UiError::Yaml {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        };
        if d.id.is_empty() {
            d.id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("dashboard")
                .to_string();
        }
        d.id = sanitize_id(&d.id);
        Ok(d)
    }

    /// The summary for the list page.
    pub fn summary(&self, source: &str) -> Summary {
        Summary {
            id: self.id.clone(),
            title: self.title.clone(),
            tags: self.tags.clone(),
            source: source.to_string(),
        }
    }
}

/// Keeps letters, digits, `-` and `_`; everything else becomes `-`.
pub fn sanitize_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The dashboards compiled into the binary: the host overview (`host`) and
/// the HTTP service dashboard (`http-service`).
pub fn builtin() -> Vec<Dashboard> {
    let mut names: Vec<String> = Builtin::iter().map(|n| n.into_owned()).collect();
    names.sort();
    names
        .iter()
        .filter_map(|n| {
            let f = Builtin::get(n)?;
            Dashboard::parse(Path::new(n), &f.data).ok()
        })
        .collect()
}

/// Every dashboard: the built-in ones, then those in `dir` (a file whose id
/// matches a built-in one replaces it). Files that fail to load are
/// returned as errors beside the list, so one bad file does not hide the
/// others.
pub fn load_all(dir: Option<&Path>) -> (Vec<(Dashboard, String)>, Vec<UiError>) {
    let mut out: Vec<(Dashboard, String)> = builtin()
        .into_iter()
        .map(|d| (d, "builtin".to_string()))
        .collect();
    let mut errors = Vec::new();
    let Some(dir) = dir else {
        return (out, errors);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("json" | "yaml" | "yml")
                )
            })
            .take(MAX_DASHBOARD_FILES)
            .collect(),
        Err(e) => {
            errors.push(UiError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
            return (out, errors);
        }
    };
    files.sort();
    let mut budget = MAX_DASHBOARD_DIR_BYTES;
    for p in files {
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if size > budget {
            errors.push(UiError::TooLarge {
                path: p,
                size,
                limit: budget as usize,
            });
            continue;
        }
        budget -= size;
        match read_file(&p) {
            Ok(d) => {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.retain(|(o, _)| o.id != d.id);
                out.push((d, name));
            }
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

/// Reads and parses one dashboard file, refusing files over the size limit
/// before reading them.
///
/// # Errors
///
/// As [`Dashboard::parse`], plus [`UiError::Io`].
pub fn read_file(p: &Path) -> Result<Dashboard, UiError> {
    let io = |e| UiError::Io {
        path: p.to_path_buf(),
        source: e,
    };
    let size = std::fs::metadata(p).map_err(io)?.len();
    if size > MAX_DASHBOARD_BYTES as u64 {
        return Err(UiError::TooLarge {
            path: p.to_path_buf(),
            size,
            limit: MAX_DASHBOARD_BYTES,
        });
    }
    let bytes = std::fs::read(p).map_err(io)?;
    Dashboard::parse(p, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_dashboards_load() {
        let b = builtin();
        let ids: Vec<&str> = b.iter().map(|d| d.id.as_str()).collect();
        assert!(ids.contains(&"host"), "{ids:?}");
        assert!(ids.contains(&"http-service"), "{ids:?}");
        for d in &b {
            assert!(!d.rows.is_empty(), "{}", d.id);
            for r in &d.rows {
                for p in &r.panels {
                    assert!(!p.targets.is_empty(), "{}: {}", d.id, p.title);
                }
            }
        }
    }

    #[test]
    fn yaml_errors_name_the_file_and_place() {
        let e = Dashboard::parse(Path::new("bad.yaml"), b"title: x\nrows: [\n").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("bad.yaml"), "{m}");
        let e = Dashboard::parse(Path::new("bad.yaml"), b"title: x\nbogus: 1\n").unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        let e = Dashboard::parse(Path::new("bad.json"), b"{\n \"title\": }").unwrap_err();
        assert!(matches!(e, UiError::Json { line: 2, .. }), "{e}");
    }

    #[test]
    fn id_defaults_to_file_stem_and_is_sanitized() {
        let d = Dashboard::parse(
            Path::new("my board.yaml"),
            b"title: T\nrows:\n- panels:\n  - title: p\n    targets: [{expr: up}]\n",
        )
        .unwrap();
        assert_eq!(d.id, "my-board");
        assert_eq!(d.rows[0].panels[0].width, 12);
        assert!(d.rows[0].panels[0].legend);
        assert_eq!(d.time, "1h");
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = vec![b' '; MAX_DASHBOARD_BYTES + 1];
        assert!(matches!(
            Dashboard::parse(Path::new("x.json"), &big),
            Err(UiError::TooLarge { .. })
        ));
    }

    #[test]
    fn directory_files_override_builtin_and_bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("host.yaml"), "title: Mine\nrows: []\n").unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (list, errs) = load_all(Some(dir.path()));
        let host: Vec<_> = list.iter().filter(|(d, _)| d.id == "host").collect();
        assert_eq!(host.len(), 1);
        assert_eq!(host[0].0.title, "Mine");
        assert_eq!(host[0].1, "host.yaml");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().contains("broken.json"));
    }
}
