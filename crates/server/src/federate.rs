//! `GET /federate?match[]=...`: the newest sample of every selected series,
//! as exposition text, so another Prometheus (or Telltale) can scrape it.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use telltale_model::{
    FamilySample, Labels, MetricFamily, MetricMetadata, SelectHints, is_stale_nan,
};

use crate::api::response::ApiError;
use crate::api::{parse_match_params, read_params};
use crate::state::{AppState, now_ms};

/// `GET /federate`.
pub async fn federate(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match run(st, &method, &uri, &headers).await {
        Ok(body) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(e) => (e.kind.status(), format!("{}\n", e.message)).into_response(),
    }
}

async fn run(
    st: AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Vec<u8>, ApiError> {
    let p = read_params(method, uri, headers, &Bytes::new());
    let sets = parse_match_params(&p)?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let now = now_ms();
    let mint = now - st.lookback_ms;
    let storage = st.storage.clone();
    tokio::task::spawn_blocking(move || {
        let q = storage.querier(mint, now)?;
        let mut newest: BTreeMap<Labels, (i64, f64)> = BTreeMap::new();
        for m in &sets {
            for mut s in q.select(&SelectHints::default(), m)? {
                let mut last = None;
                while let Some(x) = s.samples.next()? {
                    last = Some(x);
                }
                if let Some(x) = last {
                    // A series marked stale has no current value.
                    if !is_stale_nan(x.v) {
                        newest.insert(s.labels, (x.t, x.v));
                    }
                }
            }
        }
        let mut families: Vec<MetricFamily> = Vec::new();
        for (labels, (t, v)) in newest {
            let name = labels.metric_name().to_string();
            if families.last().is_none_or(|f| f.name != name) {
                families.push(MetricFamily::new(name, MetricMetadata::default()));
            }
            if let Some(f) = families.last_mut() {
                f.samples.push(FamilySample {
                    labels,
                    value: v,
                    timestamp: Some(t),
                });
            }
        }
        let mut out = Vec::new();
        telltale_exposition::encode_text(&families, &mut out);
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}
