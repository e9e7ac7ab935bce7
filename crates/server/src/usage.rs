//! `GET /avg_usage` and `GET /metrics_usage`: CPU, memory and disk usage in
//! percent for people who do not write PromQL.
//!
//! Both translate the request into PromQL over node_exporter's metric names
//! (which Telltale's host collectors produce), so they work the same over
//! local and remote storage:
//!
//! | resource | usage in percent |
//! |---|---|
//! | `cpu` | `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[W])))` |
//! | `memory` | `100 * (1 - MemAvailable / MemTotal)` per instance |
//! | `disk` | `100 * (1 - sum(avail) / sum(size))` per instance, over real filesystems |
//!
//! `/avg_usage` evaluates one instant query at `end` whose window covers the
//! whole range (the rate over the range is the average CPU usage;
//! `avg_over_time` averages memory and disk). `/metrics_usage` runs a range
//! query with a window of at least one minute and at least one step.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use telltale_promql::{CancelToken, Value as PValue};

use crate::api::params::Params;
use crate::api::read_params;
use crate::state::{AppState, now_ms};

/// Filesystems that are not real disks, left out of disk usage.
const PSEUDO_FS: &str =
    "tmpfs|devtmpfs|overlay|squashfs|ramfs|nsfs|fuse.lxcfs|autofs|proc|sysfs|cgroup2?";

/// A client error: 400 with a JSON body naming the parameter.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"status": "error", "errorType": "bad_data", "error": self.0})),
        )
            .into_response()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Resource {
    Cpu,
    Memory,
    Disk,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
            Resource::Disk => "disk",
        }
    }
}

fn resource(p: &Params) -> Result<Resource, BadRequest> {
    match p.get("resource") {
        Some("cpu") => Ok(Resource::Cpu),
        Some("memory") | Some("mem") => Ok(Resource::Memory),
        Some("disk") => Ok(Resource::Disk),
        Some(other) => Err(BadRequest(format!(
            "invalid parameter \"resource\": {other:?} is not one of cpu, memory, disk"
        ))),
        None => Err(BadRequest(
            "missing parameter \"resource\": give one of cpu, memory, disk".into(),
        )),
    }
}

/// Escapes a label value for a PromQL string literal.
fn quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The PromQL for usage in percent per instance, averaged over `window`.
fn usage_expr(r: Resource, instance: Option<&str>, window: &str) -> String {
    let inst = instance
        .map(|i| format!(",instance={}", quote(i)))
        .unwrap_or_default();
    match r {
        Resource::Cpu => format!(
            "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{mode=\"idle\"{inst}}}[{window}])))"
        ),
        Resource::Memory => format!(
            "100 * (1 - avg by (instance) (avg_over_time(node_memory_MemAvailable_bytes{{job!=\"\"{inst}}}[{window}])) / avg by (instance) (avg_over_time(node_memory_MemTotal_bytes{{job!=\"\"{inst}}}[{window}])))"
        ),
        Resource::Disk => format!(
            "100 * (1 - sum by (instance) (avg_over_time(node_filesystem_avail_bytes{{fstype!~\"{PSEUDO_FS}\"{inst}}}[{window}])) / sum by (instance) (avg_over_time(node_filesystem_size_bytes{{fstype!~\"{PSEUDO_FS}\"{inst}}}[{window}])))"
        ),
    }
}

/// `start`/`end` or `range` (ending now), in ms.
fn time_range(p: &Params) -> Result<(i64, i64), BadRequest> {
    let now = now_ms();
    let end = p.time_or("end", now).map_err(|e| BadRequest(e.message))?;
    let start = match (p.get("start"), p.get("range")) {
        (Some(_), _) => p.time("start").map_err(|e| BadRequest(e.message))?,
        (None, Some(_)) => {
            let r = p
                .duration("range")
                .map_err(|e| BadRequest(e.message))?
                .unwrap_or(0);
            if r <= 0 {
                return Err(BadRequest(
                    "invalid parameter \"range\": must be a positive duration such as 1h".into(),
                ));
            }
            end - r
        }
        (None, None) => {
            return Err(BadRequest(
                "missing parameter \"start\" (or \"range\"): give a Unix time or RFC 3339 time, or a range such as 1h".into(),
            ));
        }
    };
    if end <= start {
        return Err(BadRequest(
            "invalid parameter \"end\": must be after \"start\"".into(),
        ));
    }
    Ok((start, end))
}

fn window(ms: i64) -> String {
    format!("{}ms", ms.max(1))
}

/// `GET /avg_usage?resource=cpu|memory|disk[&instance=..]&start=..&end=..` or `&range=1h`.
pub async fn avg_usage(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let p = read_params(&method, &uri, &headers, &Bytes::new());
    match avg(st, &p).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn avg(st: AppState, p: &Params) -> Result<Value, BadRequest> {
    let r = resource(p)?;
    let (start, end) = time_range(p)?;
    let instance = p.get("instance").map(str::to_string);
    let expr = usage_expr(r, instance.as_deref(), &window(end - start));
    let engine = st.engine.clone();
    let storage = st.storage.clone();
    let res = tokio::task::spawn_blocking(move || {
        engine.instant_query(storage.as_ref(), &expr, end, &CancelToken::new())
    })
    .await
    .map_err(|e| BadRequest(format!("query failed: {e}")))?
    .map_err(|e| BadRequest(format!("query failed: {e}")))?;
    let mut per = Vec::new();
    if let PValue::Vector(v) = res.value {
        for s in v {
            if s.v.is_finite() {
                per.push((s.labels.get("instance").to_string(), s.v));
            }
        }
    }
    per.sort_by(|a, b| a.0.cmp(&b.0));
    let overall = if per.is_empty() {
        Value::Null
    } else {
        json!(per.iter().map(|x| x.1).sum::<f64>() / per.len() as f64)
    };
    Ok(json!({
        "resource": r.name(),
        "unit": "percent",
        "start": start as f64 / 1000.0,
        "end": end as f64 / 1000.0,
        "instances": per.iter().map(|(i, v)| json!({"instance": i, "avg_usage": v})).collect::<Vec<_>>(),
        "avg_usage": overall,
    }))
}

/// `GET /metrics_usage?resource=..&start=..&end=..&step=..[&instance=..]`.
pub async fn metrics_usage(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let p = read_params(&method, &uri, &headers, &Bytes::new());
    match points(st, &p).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn points(st: AppState, p: &Params) -> Result<Value, BadRequest> {
    let r = resource(p)?;
    let (start, end) = time_range(p)?;
    let step = match p.duration("step").map_err(|e| BadRequest(e.message))? {
        Some(s) if s > 0 => s,
        Some(_) => {
            return Err(BadRequest(
                "invalid parameter \"step\": must be a positive duration such as 15s".into(),
            ));
        }
        // About 250 points by default, at least 15 s apart.
        None => ((end - start) / 250).max(15_000),
    };
    if (end - start) / step > 11_000 {
        return Err(BadRequest(
            "invalid parameter \"step\": more than 11,000 points; use a larger step".into(),
        ));
    }
    let instance = p.get("instance").map(str::to_string);
    let expr = usage_expr(r, instance.as_deref(), &window(step.max(60_000)));
    let engine = st.engine.clone();
    let storage = st.storage.clone();
    let res = tokio::task::spawn_blocking(move || {
        engine.range_query(
            storage.as_ref(),
            &expr,
            start,
            end,
            step,
            &CancelToken::new(),
        )
    })
    .await
    .map_err(|e| BadRequest(format!("query failed: {e}")))?
    .map_err(|e| BadRequest(format!("query failed: {e}")))?;
    let mut series = Vec::new();
    if let PValue::Matrix(m) = res.value {
        for s in m {
            let pts: Vec<Value> = s
                .samples
                .iter()
                .filter(|x| x.v.is_finite())
                .map(|x| json!([x.t as f64 / 1000.0, x.v]))
                .collect();
            series.push(json!({"instance": s.labels.get("instance"), "values": pts}));
        }
    }
    Ok(json!({
        "resource": r.name(),
        "unit": "percent",
        "start": start as f64 / 1000.0,
        "end": end as f64 / 1000.0,
        "step": step as f64 / 1000.0,
        "series": series,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_filter_instance_safely() {
        let e = usage_expr(Resource::Cpu, Some("a\"b"), "1h");
        assert!(e.contains(r#"instance="a\"b""#), "{e}");
    }

    #[test]
    fn missing_resource_names_parameter() {
        let p = Params::from_pairs(&[("start", "1")]);
        let e = resource(&p).err().map(|e| e.0).unwrap_or_default();
        assert!(e.contains("\"resource\""), "{e}");
    }

    #[test]
    fn range_or_start_required() {
        let p = Params::from_pairs(&[("resource", "cpu")]);
        assert!(time_range(&p).is_err());
        let p = Params::from_pairs(&[("resource", "cpu"), ("range", "1h"), ("end", "7200")]);
        assert_eq!(time_range(&p).ok(), Some((3_600_000, 7_200_000)));
    }
}
