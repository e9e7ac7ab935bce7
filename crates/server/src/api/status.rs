//! Targets, rules, alerts and the `status/*` pages.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use super::read_params;
use super::response::{ApiError, ApiResponse, ApiResult};
use crate::state::{AppState, TargetInfo, now_ms};

/// Formats a millisecond timestamp as RFC 3339 with nanoseconds, as Go does.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string())
}

fn target_json(t: &TargetInfo) -> Value {
    json!({
        "discoveredLabels": t.discovered_labels,
        "labels": t.labels,
        "scrapePool": t.scrape_pool,
        "scrapeUrl": t.scrape_url,
        "globalUrl": t.scrape_url,
        "lastError": t.last_error,
        "lastScrape": if t.last_scrape_ms > 0 { rfc3339(t.last_scrape_ms) } else { "0001-01-01T00:00:00Z".to_string() },
        "lastScrapeDuration": t.last_scrape_duration,
        "health": t.health,
        "scrapeInterval": t.scrape_interval,
        "scrapeTimeout": t.scrape_timeout,
    })
}

/// `GET /api/v1/targets?state=active|dropped|any&scrapePool=...`.
pub async fn targets(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> ApiResult {
    let p = read_params(&Method::GET, &uri, &headers, &Bytes::new());
    let state = p.get("state").unwrap_or("any").to_ascii_lowercase();
    if !matches!(state.as_str(), "any" | "active" | "dropped") {
        return Err(ApiError::bad_data(format!(
            "invalid parameter \"state\": {state:?} (allowed: active, dropped, any)"
        )));
    }
    let pool = p.get("scrapePool");
    let keep = |t: &TargetInfo| pool.is_none_or(|p| p == t.scrape_pool);
    let (active, dropped) = match &st.targets {
        Some(t) => (t.active(), t.dropped()),
        None => (Vec::new(), Vec::new()),
    };
    let active: Vec<Value> = if state != "dropped" {
        active.iter().filter(|t| keep(t)).map(target_json).collect()
    } else {
        Vec::new()
    };
    let mut counts = serde_json::Map::new();
    for t in &dropped {
        let e = counts.entry(t.scrape_pool.clone()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    let dropped: Vec<Value> = if state != "active" {
        dropped
            .iter()
            .filter(|t| keep(t))
            .map(|t| json!({"discoveredLabels": t.discovered_labels}))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ApiResponse::new(json!({
        "activeTargets": active,
        "droppedTargets": dropped,
        "droppedTargetCounts": counts,
    })))
}

/// `GET /api/v1/targets/metadata?match_target=...&metric=...&limit=...`.
pub async fn targets_metadata(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let p = read_params(&Method::GET, &uri, &headers, &Bytes::new());
    let metric = p.get("metric");
    let limit = p.usize("limit")?;
    let target_matchers = match p.get("match_target") {
        Some(s) => {
            let sel = if s.starts_with('{') {
                s.to_string()
            } else {
                format!("{{{s}}}")
            };
            // A target selector has no metric name; allow it by checking
            // the matchers ourselves.
            super::promql_util::parse_selector(&format!("__any__{sel}"))
                .map_err(|e| {
                    ApiError::bad_data(format!("invalid parameter \"match_target\": {e}"))
                })?
                .into_iter()
                .filter(|m| m.name != telltale_model::METRIC_NAME)
                .collect()
        }
        None => Vec::new(),
    };
    let all = st
        .targets
        .as_ref()
        .map(|t| t.target_metadata())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (target, name, m) in all {
        if metric.is_some_and(|x| x != name) {
            continue;
        }
        let ok = target_matchers.iter().all(|mm: &telltale_model::Matcher| {
            mm.matches(target.get(&mm.name).map(String::as_str).unwrap_or(""))
        });
        if !ok {
            continue;
        }
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        out.push(json!({"target": target, "metric": name, "type": m.metric_type.as_str(), "help": m.help, "unit": m.unit}));
    }
    Ok(ApiResponse::new(Value::Array(out)))
}

/// `GET /api/v1/rules?type=alert|record`.
pub async fn rules(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> ApiResult {
    let p = read_params(&Method::GET, &uri, &headers, &Bytes::new());
    let kind = p.get("type");
    if let Some(k) = kind.filter(|k| *k != "alert" && *k != "record") {
        return Err(ApiError::bad_data(format!(
            "invalid parameter \"type\": {k:?} (allowed: alert, record)"
        )));
    }
    Ok(ApiResponse::new(match &st.rules {
        Some(r) => r.rules(kind),
        None => json!({"groups": []}),
    }))
}

/// `GET /api/v1/alerts`.
pub async fn alerts(State(st): State<AppState>) -> ApiResult {
    Ok(ApiResponse::new(match &st.rules {
        Some(r) => r.alerts(),
        None => json!({"alerts": []}),
    }))
}

/// `GET /api/v1/alertmanagers`.
pub async fn alertmanagers(State(st): State<AppState>) -> ApiResult {
    Ok(ApiResponse::new(match &st.rules {
        Some(r) => r.alertmanagers(),
        None => json!({"activeAlertmanagers": [], "droppedAlertmanagers": []}),
    }))
}

/// `GET /api/v1/status/config`: the running configuration, secrets redacted.
pub async fn config(State(st): State<AppState>) -> ApiResult {
    let yaml = st.config_yaml.read().map(|s| s.clone()).unwrap_or_default();
    Ok(ApiResponse::new(json!({"yaml": yaml})))
}

/// `GET /api/v1/status/flags`.
pub async fn flags(State(st): State<AppState>) -> ApiResult {
    Ok(ApiResponse::new(json!(st.flags.as_ref())))
}

/// `GET /api/v1/status/runtimeinfo`.
pub async fn runtimeinfo(State(st): State<AppState>) -> ApiResult {
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    Ok(ApiResponse::new(json!({
        "startTime": rfc3339(st.start_time_ms),
        "CWD": cwd,
        "reloadConfigSuccess": true,
        "lastConfigTime": rfc3339(st.start_time_ms),
        "corruptionCount": 0,
        "goroutineCount": 0,
        "GOMAXPROCS": threads,
        "GOMEMLIMIT": 0,
        "GOGC": "",
        "GODEBUG": "",
        "storageRetention": st.storage_retention,
        "serverTime": rfc3339(now_ms()),
    })))
}

/// `GET /api/v1/status/buildinfo`.
pub async fn buildinfo(State(st): State<AppState>) -> ApiResult {
    Ok(ApiResponse::new(json!(st.build.as_ref())))
}

fn pairs(v: &[(String, u64)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(n, c)| json!({"name": n, "value": c}))
            .collect(),
    )
}

/// `GET /api/v1/status/tsdb?limit=10`.
pub async fn tsdb(State(st): State<AppState>, uri: Uri, headers: HeaderMap) -> ApiResult {
    let p = read_params(&Method::GET, &uri, &headers, &Bytes::new());
    let limit = p.usize("limit")?.unwrap_or(10);
    if limit == 0 {
        return Err(ApiError::bad_data(
            "invalid parameter \"limit\": must be a positive integer",
        ));
    }
    let Some(admin) = st.tsdb.clone() else {
        return Err(ApiError::unavailable("no local storage in this mode"));
    };
    let s = tokio::task::spawn_blocking(move || admin.status(limit))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)?;
    Ok(ApiResponse::new(json!({
        "headStats": {
            "numSeries": s.num_series,
            "numLabelPairs": s.num_label_pairs,
            "chunkCount": s.chunk_count,
            "minTime": s.min_time,
            "maxTime": s.max_time,
        },
        "seriesCountByMetricName": pairs(&s.series_count_by_metric_name),
        "labelValueCountByLabelName": pairs(&s.label_value_count_by_label_name),
        "memoryInBytesByLabelName": pairs(&s.memory_in_bytes_by_label_name),
        "seriesCountByLabelValuePair": pairs(&s.series_count_by_label_value_pair),
    })))
}

/// `GET /api/v1/status/walreplay`: replay runs before the server answers
/// queries, so once it is ready the replay is complete.
pub async fn walreplay(State(st): State<AppState>) -> ApiResult {
    let done = st.is_ready();
    Ok(ApiResponse::new(json!({
        "min": 0,
        "max": if done { 0 } else { 1 },
        "current": 0,
    })))
}
