//! Grafana dashboard JSON: [`import`] into our format and [`export`] from it.
//!
//! Import understands the panel types `timeseries` and `graph` (as time
//! series), `stat` and `singlestat`, `gauge`, `bargauge`, `table` and
//! `table-old`, with Prometheus targets (`expr`, `legendFormat`,
//! `instant`); rows (both the modern `row` panels and the old `rows` list);
//! units, min, max, thresholds and stacking from `fieldConfig` (or the old
//! `yaxes`/`stack` fields); and `query`, `custom`, `constant` and `interval`
//! template variables (the last three as fixed lists). Anything else becomes a warning on the dashboard rather than
//! an error, so community dashboards load with what we can show.

use std::path::Path;

use serde_json::{Value, json};

use crate::dashboard::{Dashboard, Panel, PanelKind, Row, Target, Threshold, Variable};
use crate::error::UiError;

/// Whether a JSON document is a Grafana dashboard rather than ours.
pub fn looks_like_grafana(v: &Value) -> bool {
    let v = v.get("dashboard").unwrap_or(v);
    v.get("schemaVersion").is_some()
        || v.get("panels").is_some_and(Value::is_array)
        || v.get("templating").is_some()
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Converts a Grafana dashboard (or an API export wrapping it in
/// `{"dashboard": ...}`) into ours.
///
/// # Errors
///
/// [`UiError::Grafana`] when it is not an object or has no panels at all.
pub fn import(path: &Path, v: &Value) -> Result<Dashboard, UiError> {
    let v = v.get("dashboard").unwrap_or(v);
    let err = |m: &str| UiError::Grafana {
        path: path.to_path_buf(),
        message: m.to_string(),
    };
    if !v.is_object() {
        return Err(err("the document is not a JSON object"));
    }
    let mut warnings = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    if let Some(panels) = v.get("panels").and_then(Value::as_array) {
        let mut sorted: Vec<&Value> = panels.iter().collect();
        sorted.sort_by_key(|p| (grid(p, "y"), grid(p, "x")));
        let mut current = Row {
            title: String::new(),
            collapsed: false,
            panels: Vec::new(),
        };
        for p in sorted {
            if str_of(p, "type") == "row" {
                if !current.panels.is_empty() || !current.title.is_empty() {
                    rows.push(current);
                }
                current = Row {
                    title: str_of(p, "title").to_string(),
                    collapsed: p.get("collapsed").and_then(Value::as_bool) == Some(true),
                    panels: Vec::new(),
                };
                // A collapsed row carries its panels inside it.
                if let Some(inner) = p.get("panels").and_then(Value::as_array) {
                    let mut inner: Vec<&Value> = inner.iter().collect();
                    inner.sort_by_key(|p| (grid(p, "y"), grid(p, "x")));
                    for ip in inner {
                        push_panel(&mut current.panels, ip, &mut warnings);
                    }
                }
            } else {
                push_panel(&mut current.panels, p, &mut warnings);
            }
        }
        if !current.panels.is_empty() || !current.title.is_empty() {
            rows.push(current);
        }
    } else if let Some(old) = v.get("rows").and_then(Value::as_array) {
        for r in old {
            let mut row = Row {
                title: str_of(r, "title").to_string(),
                collapsed: r.get("collapse").and_then(Value::as_bool) == Some(true),
                panels: Vec::new(),
            };
            for p in r
                .get("panels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                push_panel(&mut row.panels, p, &mut warnings);
            }
            rows.push(row);
        }
    } else {
        return Err(err("no \"panels\" or \"rows\""));
    }
    let variables = v
        .pointer("/templating/list")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|t| variable(t, &mut warnings))
                .collect()
        })
        .unwrap_or_default();
    let time = v
        .pointer("/time/from")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("now-"))
        .unwrap_or("1h")
        .to_string();
    let id = v
        .get("uid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(crate::dashboard::sanitize_id)
        .unwrap_or_default();
    Ok(Dashboard {
        id,
        title: match str_of(v, "title") {
            "" => "Imported dashboard".to_string(),
            t => t.to_string(),
        },
        description: str_of(v, "description").to_string(),
        tags: v
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        time,
        refresh: match v.get("refresh") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        variables,
        rows,
        warnings,
    })
}

fn grid(p: &Value, k: &str) -> i64 {
    p.pointer(&format!("/gridPos/{k}"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn push_panel(out: &mut Vec<Panel>, p: &Value, warnings: &mut Vec<String>) {
    let title = str_of(p, "title").to_string();
    let kind = match str_of(p, "type") {
        "timeseries" | "graph" => PanelKind::Timeseries,
        "stat" | "singlestat" => PanelKind::Stat,
        "gauge" => PanelKind::Gauge,
        "bargauge" => PanelKind::Bargauge,
        "table" | "table-old" => PanelKind::Table,
        "row" => return,
        other => {
            warnings.push(format!("panel {title:?}: type {other:?} is not supported"));
            return;
        }
    };
    let targets: Vec<Target> = p
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t.get("hide").and_then(Value::as_bool) != Some(true))
        .filter_map(|t| {
            let expr = str_of(t, "expr");
            if expr.is_empty() {
                return None;
            }
            let legend = match str_of(t, "legendFormat") {
                "__auto" => "",
                l => l,
            };
            Some(Target {
                expr: expr.to_string(),
                legend: legend.to_string(),
                instant: t.get("instant").and_then(Value::as_bool) == Some(true)
                    && t.get("range").and_then(Value::as_bool) != Some(true),
            })
        })
        .collect();
    if targets.is_empty() {
        warnings.push(format!("panel {title:?}: no Prometheus queries"));
        return;
    }
    let d = p.pointer("/fieldConfig/defaults").unwrap_or(&Value::Null);
    let mut unit = str_of(d, "unit").to_string();
    if unit.is_empty() {
        unit = p
            .pointer("/yaxes/0/format")
            .or_else(|| p.get("format"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
    }
    let min = d.get("min").and_then(Value::as_f64);
    let max = d.get("max").and_then(Value::as_f64);
    let thresholds = d
        .pointer("/thresholds/steps")
        .and_then(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| {
                    let color = str_of(s, "color");
                    (!color.is_empty()).then(|| Threshold {
                        value: s.get("value").and_then(Value::as_f64),
                        color: color.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let stacked = d
        .pointer("/custom/stacking/mode")
        .and_then(Value::as_str)
        .is_some_and(|m| m != "none")
        || p.get("stack").and_then(Value::as_bool) == Some(true);
    let legend = p
        .pointer("/options/legend/showLegend")
        .or_else(|| p.pointer("/legend/show"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let width = p
        .pointer("/gridPos/w")
        .and_then(Value::as_u64)
        .or_else(|| p.get("span").and_then(Value::as_u64).map(|s| s * 2))
        .unwrap_or(12)
        .clamp(1, 24) as u32;
    out.push(Panel {
        title,
        kind,
        description: str_of(p, "description").to_string(),
        targets,
        unit,
        width,
        stacked,
        min,
        max,
        thresholds,
        legend,
    });
}

fn variable(t: &Value, warnings: &mut Vec<String>) -> Option<Variable> {
    let name = str_of(t, "name").to_string();
    let base = Variable {
        name: name.clone(),
        label: str_of(t, "label").to_string(),
        query: String::new(),
        values: Vec::new(),
        multi: t.get("multi").and_then(Value::as_bool) == Some(true),
        include_all: t.get("includeAll").and_then(Value::as_bool) == Some(true),
        regex: str_of(t, "regex").to_string(),
    };
    match str_of(t, "type") {
        "query" => {
            let q = match t.get("query") {
                Some(Value::String(s)) => s.clone(),
                Some(o) => str_of(o, "query").to_string(),
                None => String::new(),
            };
            if !q.trim_start().starts_with("label_values(") {
                warnings.push(format!(
                    "variable {name:?}: only label_values(...) queries are supported, got {q:?}"
                ));
                return None;
            }
            Some(Variable { query: q, ..base })
        }
        "custom" | "constant" | "interval" => {
            let values: Vec<String> = match t.get("options").and_then(Value::as_array) {
                Some(o) if !o.is_empty() => o
                    .iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .filter(|v| *v != "$__all" && *v != "$__auto_interval")
                    .map(String::from)
                    .collect(),
                _ => str_of(t, "query")
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            };
            Some(Variable { values, ..base })
        }
        "datasource" | "adhoc" | "textbox" => None,
        other => {
            warnings.push(format!(
                "variable {name:?}: type {other:?} is not supported"
            ));
            None
        }
    }
}

/// Converts one of our dashboards into Grafana's JSON (schema 39), with
/// every target on the data source variable `${datasource}` so it works
/// with the provisioned Telltale data source.
pub fn export(d: &Dashboard) -> Value {
    let mut panels = Vec::new();
    let mut y = 0i64;
    let mut id = 1;
    for r in &d.rows {
        if !r.title.is_empty() {
            panels.push(json!({
                "type": "row", "id": id, "title": r.title, "collapsed": false,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": [],
            }));
            id += 1;
            y += 1;
        }
        let mut x = 0i64;
        for p in &r.panels {
            let w = i64::from(p.width.clamp(1, 24));
            if x + w > 24 {
                x = 0;
                y += 8;
            }
            panels.push(export_panel(p, id, x, y, w));
            id += 1;
            x += w;
        }
        y += 8;
    }
    let mut list = vec![json!({
        "name": "datasource", "label": "Data source", "type": "datasource",
        "query": "prometheus", "current": {"text": "Telltale", "value": "telltale"},
    })];
    for v in &d.variables {
        let mut t = json!({
            "name": v.name,
            "label": if v.label.is_empty() { &v.name } else { &v.label },
            "multi": v.multi,
            "includeAll": v.include_all,
            "regex": v.regex,
            "refresh": 2,
        });
        if v.query.is_empty() {
            t["type"] = json!("custom");
            t["query"] = json!(v.values.join(","));
        } else {
            t["type"] = json!("query");
            t["datasource"] = json!({"type": "prometheus", "uid": "${datasource}"});
            t["query"] = json!({"query": v.query, "refId": "A"});
            t["definition"] = json!(v.query);
        }
        list.push(t);
    }
    json!({
        "uid": d.id,
        "title": d.title,
        "description": d.description,
        "tags": d.tags,
        "schemaVersion": 39,
        "editable": true,
        "time": {"from": format!("now-{}", d.time), "to": "now"},
        "refresh": d.refresh,
        "templating": {"list": list},
        "panels": panels,
    })
}

fn export_panel(p: &Panel, id: i64, x: i64, y: i64, w: i64) -> Value {
    let kind = match p.kind {
        PanelKind::Timeseries => "timeseries",
        PanelKind::Stat => "stat",
        PanelKind::Gauge => "gauge",
        PanelKind::Bargauge => "bargauge",
        PanelKind::Table => "table",
    };
    let targets: Vec<Value> = p
        .targets
        .iter()
        .zip(b'A'..=b'Z')
        .map(|(t, r)| {
            json!({
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": t.expr,
                "legendFormat": t.legend,
                "instant": t.instant,
                "range": !t.instant,
                "refId": (r as char).to_string(),
            })
        })
        .collect();
    let mut defaults = json!({"unit": if p.unit.is_empty() { "short" } else { &p.unit }});
    if let Some(m) = p.min {
        defaults["min"] = json!(m);
    }
    if let Some(m) = p.max {
        defaults["max"] = json!(m);
    }
    if !p.thresholds.is_empty() {
        defaults["thresholds"] = json!({
            "mode": "absolute",
            "steps": p.thresholds.iter().map(|t| json!({"value": t.value, "color": t.color})).collect::<Vec<_>>(),
        });
    }
    if p.kind == PanelKind::Timeseries {
        defaults["custom"] = json!({
            "stacking": {"mode": if p.stacked { "normal" } else { "none" }},
            "fillOpacity": if p.stacked { 30 } else { 10 },
        });
    }
    json!({
        "type": kind,
        "id": id,
        "title": p.title,
        "description": p.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"showLegend": p.legend, "displayMode": "list", "placement": "bottom"}},
    })
}
