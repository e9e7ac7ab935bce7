//! The push API's HTTP routes, as the Pushgateway serves them.
//!
//! | route | answer |
//! |---|---|
//! | `PUT /metrics/job/<job>{/<label>/<value>}` | 200; replaces the group |
//! | `POST /metrics/job/...` | 200; replaces same-name families |
//! | `DELETE /metrics/job/...` | 202; deletes the group |
//! | `PUT /api/v1/admin/wipe` | 202; deletes every group |
//! | `GET /api/v1/metrics` | the groups as JSON, in the Pushgateway's shape |
//!
//! Errors: 400 for a bad path, body or inconsistent push; 413 for a body
//! over the limit (before or after gzip); 500 when storage fails. Bodies
//! are text 0.0.4, OpenMetrics, or protobuf delimited `MetricFamily`
//! messages, chosen by `Content-Type`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use std::io::Read;
use telltale_exposition::{format_from_content_type, is_protobuf_content_type, parse_families};

use super::path::parse_grouping_key;
use super::{PushMode, PushState};
use crate::duration::parse_duration;
use crate::error::ScrapeError;
use crate::scrape::scrape_loop::now_ms;

/// The request header that sets a group's time to live (`10m`, `1h`).
pub const TTL_HEADER: &str = "telltale-push-ttl";

/// The push routes over `state`, to be mounted by the server.
pub fn push_router(state: PushState) -> Router {
    let limit = state.config().max_body_bytes;
    Router::new()
        .route(
            "/metrics/{*rest}",
            put(put_group).post(post_group).delete(delete_group),
        )
        .route("/api/v1/admin/wipe", put(wipe))
        .route("/api/v1/metrics", get(list_groups))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Maps an error to the status the Pushgateway (and its clients) expect.
pub fn error_response(e: &ScrapeError) -> Response {
    let status = match e {
        ScrapeError::BadPush(_) | ScrapeError::Parse { .. } | ScrapeError::LabelLimit { .. } => {
            StatusCode::BAD_REQUEST
        }
        ScrapeError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, format!("{e}\n")).into_response()
}

fn key_from_uri(uri: &Uri) -> Result<super::path::GroupingKey, ScrapeError> {
    let p = uri.path();
    let Some(i) = p.find("/metrics/") else {
        return Err(ScrapeError::BadPush(format!("invalid push path {p:?}")));
    };
    parse_grouping_key(&p[i + "/metrics/".len()..])
}

/// Decompresses a gzip body within `limit` bytes.
fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, ScrapeError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ScrapeError::BadPush(format!("invalid gzip body: {e}")))?;
    if out.len() > limit {
        return Err(ScrapeError::BodyTooLarge {
            limit: limit as u64,
        });
    }
    Ok(out)
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn do_push(
    st: PushState,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    mode: PushMode,
) -> Response {
    let ct = header_str(&headers, header::CONTENT_TYPE.as_str()).to_string();
    let proto = is_protobuf_content_type(&ct);
    let ttl = match header_str(&headers, TTL_HEADER) {
        "" => None,
        s => match parse_duration(s) {
            Ok(d) if !d.is_zero() => Some(d),
            _ => {
                return error_response(&ScrapeError::BadPush(format!(
                    "invalid {TTL_HEADER} header {s:?}"
                )));
            }
        },
    };
    let gz = header_str(&headers, header::CONTENT_ENCODING.as_str()).eq_ignore_ascii_case("gzip");
    let limit = st.config().max_body_bytes;
    let res = tokio::task::spawn_blocking(move || {
        let key = key_from_uri(&uri)?;
        let now = now_ms();
        let data = if gz {
            gunzip(&body, limit)?
        } else {
            body.to_vec()
        };
        let parsed = if proto {
            super::proto::parse_delimited(&data)
        } else {
            parse_families(&data, format_from_content_type(&ct)).map_err(|e| ScrapeError::Parse {
                line: e.position().line,
                message: e.to_string(),
            })
        };
        let families = match parsed {
            Ok(f) => f,
            Err(err) => {
                // Record the failure on an existing group, as the
                // Pushgateway does.
                st.record_failure(&key, now);
                return Err(err);
            }
        };
        st.push(key, families, mode, ttl, now)
    })
    .await;
    match res {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(e)) => error_response(&e),
        Err(e) => error_response(&ScrapeError::BadPush(format!("push task failed: {e}"))),
    }
}

async fn put_group(
    State(st): State<PushState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    do_push(st, uri, headers, body, PushMode::Replace).await
}

async fn post_group(
    State(st): State<PushState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    do_push(st, uri, headers, body, PushMode::Merge).await
}

async fn delete_group(State(st): State<PushState>, uri: Uri) -> Response {
    let res = tokio::task::spawn_blocking(move || {
        let key = key_from_uri(&uri)?;
        st.delete(&key, now_ms())
    })
    .await;
    match res {
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(e)) => error_response(&e),
        Err(e) => error_response(&ScrapeError::BadPush(format!("delete task failed: {e}"))),
    }
}

async fn wipe(State(st): State<PushState>) -> Response {
    match tokio::task::spawn_blocking(move || st.wipe(now_ms())).await {
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(e)) => error_response(&e),
        Err(e) => error_response(&ScrapeError::BadPush(format!("wipe task failed: {e}"))),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a Unix time in milliseconds.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

async fn list_groups(State(st): State<PushState>) -> Response {
    use serde_json::{Map, Value, json};
    let mut data = Vec::new();
    for g in st.snapshot() {
        let mut obj = Map::new();
        obj.insert("labels".into(), json!(g.key));
        obj.insert(
            "last_push_successful".into(),
            json!(g.push_time_ms >= g.push_failure_time_ms),
        );
        let ts = rfc3339_ms(g.push_time_ms);
        for f in g.exposed_families() {
            let metrics: Vec<Value> = f
                .samples
                .iter()
                .map(|s| {
                    let labels: Map<String, Value> = s
                        .labels
                        .iter()
                        .filter(|l| l.name != telltale_model::METRIC_NAME)
                        .map(|l| (l.name.clone(), json!(l.value)))
                        .collect();
                    json!({"labels": labels, "value": telltale_exposition::format_float(s.value)})
                })
                .collect();
            obj.insert(
                f.name.clone(),
                json!({
                    "time_stamp": ts,
                    "type": f.metadata.metric_type.as_str().to_uppercase(),
                    "help": f.metadata.help,
                    "metrics": metrics,
                }),
            );
        }
        data.push(Value::Object(obj));
    }
    axum::Json(json!({"status": "success", "data": data})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn gunzip_is_bounded() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 100_000]).unwrap();
        let z = e.finish().unwrap();
        assert!(matches!(
            gunzip(&z, 1000),
            Err(ScrapeError::BodyTooLarge { .. })
        ));
        assert_eq!(gunzip(&z, 100_000).unwrap().len(), 100_000);
        assert!(gunzip(b"not gzip", 10).is_err());
    }
}
