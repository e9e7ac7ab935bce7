//! `series`, `labels`, `label/<name>/values`, `metadata`.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Map, Value, json};
use telltale_model::{Labels, Matcher, SelectHints};

use super::params::{MAX_TIME_MS, MIN_TIME_MS, Params};
use super::response::{ApiError, ApiResponse, ApiResult};
use super::{parse_match_params, read_params};
use crate::state::AppState;

fn labels_value(l: &Labels) -> Value {
    let mut m = Map::new();
    for x in l {
        m.insert(x.name.clone(), Value::String(x.value.clone()));
    }
    Value::Object(m)
}

fn range(p: &Params) -> Result<(i64, i64), ApiError> {
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    Ok((start, end))
}

/// Runs blocking storage work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("storage task failed: {e}")))?
}

/// Truncates `items` to `limit` (0 = none), adding Prometheus's warning.
fn apply_limit<T>(items: &mut Vec<T>, limit: Option<usize>, warnings: &mut Vec<String>) {
    if let Some(limit) = limit.filter(|l| *l > 0 && items.len() > *l) {
        items.truncate(limit);
        warnings.push("results truncated due to limit".to_string());
    }
}

/// `GET/POST /api/v1/series`.
pub async fn series(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let sets = parse_match_params(&p)?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let (start, end) = range(&p)?;
    let limit = p.usize("limit")?;
    let storage = st.storage.clone();
    let mut found: Vec<Labels> = blocking(move || {
        let q = storage.querier(start, end)?;
        let mut all = BTreeSet::new();
        for m in &sets {
            for s in q.select(&SelectHints::default(), m)? {
                all.insert(s.labels);
            }
        }
        Ok(all.into_iter().collect())
    })
    .await?;
    let mut warnings = Vec::new();
    apply_limit(&mut found, limit, &mut warnings);
    let mut r = ApiResponse::new(Value::Array(found.iter().map(labels_value).collect()));
    r.warnings = warnings;
    Ok(r)
}

/// `DELETE /api/v1/series` is not how Prometheus deletes series.
pub async fn delete_not_allowed() -> ApiError {
    ApiError::bad_data(
        "DELETE /api/v1/series is not supported; use POST /api/v1/admin/tsdb/delete_series",
    )
}

/// `GET/POST /api/v1/labels`.
pub async fn labels(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &body);
    let sets = parse_match_params(&p)?;
    let (start, end) = range(&p)?;
    let limit = p.usize("limit")?;
    let storage = st.storage.clone();
    let mut names: Vec<String> = blocking(move || {
        let q = storage.querier(start, end)?;
        let mut all = BTreeSet::new();
        if sets.is_empty() {
            all.extend(q.label_names(&[])?);
        }
        for m in &sets {
            all.extend(q.label_names(m)?);
        }
        Ok(all.into_iter().collect())
    })
    .await?;
    let mut warnings = Vec::new();
    apply_limit(&mut names, limit, &mut warnings);
    let mut r = ApiResponse::new(json!(names));
    r.warnings = warnings;
    Ok(r)
}

/// Whether `name` is a valid label name (Prometheus 3 accepts any UTF-8
/// name; the API still rejects an empty one).
fn valid_label_name(name: &str) -> bool {
    !name.is_empty()
}

/// Decodes the `U__` escaping Prometheus 3 uses for UTF-8 label names in
/// URL paths (`U__my_2e_label` is `my.label`).
fn unescape_label_name(name: &str) -> String {
    let Some(rest) = name.strip_prefix("U__") else {
        return name.to_string();
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            out.push(c);
            continue;
        }
        // `__` is a literal underscore; `_hex_` is a code point.
        if chars.peek() == Some(&'_') {
            chars.next();
            out.push('_');
            continue;
        }
        let hex: String = chars.by_ref().take_while(|c| *c != '_').collect();
        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
            Some(ch) => out.push(ch),
            None => return name.to_string(),
        }
    }
    out
}

/// `GET /api/v1/label/<name>/values`.
pub async fn label_values(
    State(st): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let p = read_params(&method, &uri, &headers, &Bytes::new());
    let name = unescape_label_name(&name);
    if !valid_label_name(&name) {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let sets = parse_match_params(&p)?;
    let (start, end) = range(&p)?;
    let limit = p.usize("limit")?;
    let storage = st.storage.clone();
    let mut values: Vec<String> = blocking(move || {
        let q = storage.querier(start, end)?;
        let mut all = BTreeSet::new();
        if sets.is_empty() {
            all.extend(q.label_values(&name, &[])?);
        }
        for m in &sets {
            let m: Vec<Matcher> = m.clone();
            all.extend(q.label_values(&name, &m)?);
        }
        Ok(all.into_iter().collect())
    })
    .await?;
    let mut warnings = Vec::new();
    apply_limit(&mut values, limit, &mut warnings);
    let mut r = ApiResponse::new(json!(values));
    r.warnings = warnings;
    Ok(r)
}

/// `GET /api/v1/metadata`.
pub async fn metadata(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> ApiResult {
    let p = read_params(&Method::GET, &uri, &headers, &Bytes::new());
    let limit = p
        .get("limit")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let per_metric = p
        .get("limit_per_metric")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let metric = p.get("metric");
    let all = st
        .targets
        .as_ref()
        .map(|t| t.metadata())
        .unwrap_or_default();
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (name, metas) in all {
        if metric.is_some_and(|m| m != name) {
            continue;
        }
        if limit >= 0 && out.len() as i64 >= limit {
            break;
        }
        let mut list = Vec::new();
        for m in metas {
            if per_metric >= 0 && list.len() as i64 >= per_metric {
                break;
            }
            list.push(json!({"type": m.metric_type.as_str(), "help": m.help, "unit": m.unit}));
        }
        out.insert(name, list);
    }
    Ok(ApiResponse::new(json!(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_label_names_unescape() {
        assert_eq!(unescape_label_name("job"), "job");
        assert_eq!(unescape_label_name("U__my_2e_label"), "my.label");
        assert_eq!(unescape_label_name("U__a__b"), "a_b");
    }
}
