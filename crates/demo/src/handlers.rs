//! The plain endpoints: `/`, `/metrics`, `/update`, `/cpu`, `/error`,
//! `/slow`, and the query-parameter parsing they share. The load tasks
//! (`/cpu_task`, `/ram_task`) are in [`crate::tasks`].

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::error::DemoError;
use crate::metrics::METRICS_CONTENT_TYPE;
use crate::state::DemoState;

/// The query string as name to value (the last of repeated names wins).
pub(crate) type Params = Query<HashMap<String, String>>;

/// The text `GET /` answers with.
pub const INDEX: &str = "\
Telltale demo service

  GET /metrics                       metrics (OpenMetrics text)
  GET /update?users=N                set the active-users gauge (N >= 0)
  GET /cpu?value=X                   set the simulated CPU gauge (0 <= X <= 100)
  GET /cpu_task?seconds=N            burn CPU on one thread for N seconds (default 30)
  GET /ram_task?mb=N&seconds=S       hold N MiB of memory for S seconds (default 256 MiB, 30 s)
  GET /error                         answer 500
  GET /slow?ms=N                     answer after N milliseconds (default 1000)
";

/// Parses an optional whole-number parameter in `min..=max`.
pub(crate) fn whole(
    q: &HashMap<String, String>,
    name: &'static str,
    default: Option<u64>,
    min: u64,
    max: u64,
) -> Result<u64, DemoError> {
    let expected = || format!("a whole number from {min} to {max}");
    let Some(raw) = q.get(name) else {
        return default.ok_or_else(|| DemoError::MissingParameter {
            name,
            expected: expected(),
        });
    };
    let v: u64 = raw
        .trim()
        .parse()
        .map_err(|_| DemoError::bad(name, raw, expected()))?;
    if !(min..=max).contains(&v) {
        return Err(DemoError::bad(name, raw, expected()));
    }
    Ok(v)
}

/// `GET /`: the list of endpoints.
pub(crate) async fn index() -> &'static str {
    INDEX
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(s): State<DemoState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        s.metrics().encode(),
    )
}

/// `GET /update?users=N`: sets `demo_active_users`.
pub(crate) async fn update(
    State(s): State<DemoState>,
    Query(q): Params,
) -> Result<String, DemoError> {
    const EXPECTED: &str = "users must be a whole number, 0 or more";
    let Some(raw) = q.get("users") else {
        return Err(DemoError::MissingParameter {
            name: "users",
            expected: EXPECTED.into(),
        });
    };
    let users: i64 = raw
        .trim()
        .parse()
        .map_err(|_| DemoError::bad("users", raw, "not a whole number; ".to_string() + EXPECTED))?;
    if users < 0 {
        return Err(DemoError::bad(
            "users",
            raw,
            "users must not be negative; ".to_string() + EXPECTED,
        ));
    }
    s.metrics().active_users.set(users);
    Ok(format!("active users set to {users}\n"))
}

/// `GET /cpu?value=X`: sets `demo_cpu_usage_percent`.
pub(crate) async fn cpu(State(s): State<DemoState>, Query(q): Params) -> Result<String, DemoError> {
    const EXPECTED: &str = "value must be a number from 0 to 100";
    let Some(raw) = q.get("value") else {
        return Err(DemoError::MissingParameter {
            name: "value",
            expected: EXPECTED.into(),
        });
    };
    let v: f64 = match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => {
            return Err(DemoError::bad(
                "value",
                raw,
                "not a number; ".to_string() + EXPECTED,
            ));
        }
    };
    if !(0.0..=100.0).contains(&v) {
        return Err(DemoError::bad(
            "value",
            raw,
            "outside 0 to 100; ".to_string() + EXPECTED,
        ));
    }
    s.metrics().cpu_percent.set(v);
    Ok(format!("simulated CPU usage set to {v}%\n"))
}

/// `GET /error`: always 500.
pub(crate) async fn error() -> (StatusCode, &'static str) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "simulated internal server error\n",
    )
}

/// `GET /slow?ms=N`: answers after `N` milliseconds.
pub(crate) async fn slow(
    State(s): State<DemoState>,
    Query(q): Params,
) -> Result<String, DemoError> {
    let cfg = s.config();
    let ms = whole(&q, "ms", Some(cfg.default_slow_ms), 0, cfg.max_slow_ms)?;
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
        _ = s.stopped() => {}
    }
    Ok(format!("answered after {ms} ms\n"))
}

/// Any other path: 404, counted under the endpoint `other`.
pub(crate) async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not found; GET / lists the endpoints\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn whole_takes_the_default_and_checks_the_range() {
        assert_eq!(whole(&q(&[]), "ms", Some(5), 0, 10).ok(), Some(5));
        assert_eq!(whole(&q(&[("ms", " 7 ")]), "ms", None, 0, 10).ok(), Some(7));
        assert!(matches!(
            whole(&q(&[]), "ms", None, 0, 10),
            Err(DemoError::MissingParameter { name: "ms", .. })
        ));
        for bad in ["11", "-1", "x", "1.5", ""] {
            let e = whole(&q(&[("ms", bad)]), "ms", None, 0, 10);
            assert!(
                matches!(e, Err(DemoError::BadParameter { .. })),
                "{bad}: {e:?}"
            );
        }
    }
}
