//! The routers: pages and assets ([`router`]) and dashboards
//! ([`dashboards_router`]).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::assets;
use crate::dashboard::{self, Dashboard, MAX_DASHBOARD_BYTES};
use crate::grafana;

/// The pages the single-page application answers (each serves
/// `index.html`; the JavaScript picks the view from the path).
pub const PAGES: &[&str] = &[
    "/",
    "/explore",
    "/alerts",
    "/targets",
    "/status",
    "/dashboards",
    "/dashboards/{*rest}",
    "/graph",
];

/// The prefix of every static asset.
pub const ASSET_PREFIX: &str = "/ui/";

/// Pages and embedded assets. Stateless; claims only [`PAGES`] and `/ui/*`.
pub fn router() -> Router {
    let mut r = Router::new();
    for p in PAGES {
        r = r.route(p, get(index));
    }
    r.route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    assets::serve("index.html", &headers)
}

async fn asset(UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    if path.starts_with("api/") {
        return (StatusCode::NOT_FOUND, "unknown UI endpoint\n").into_response();
    }
    assets::serve(&path, &headers)
}

/// The dashboards API under `/ui/api/dashboards`:
///
/// - `GET /ui/api/dashboards`: `{"dashboards": [{id, title, tags, source}],
///   "errors": ["..."]}`, the built-in ones and those in `dir`;
/// - `GET /ui/api/dashboards/{id}`: one dashboard in our JSON format;
/// - `POST /ui/api/dashboards/import`: a Grafana dashboard JSON in the body,
///   converted and returned (nothing is stored);
/// - `GET /ui/api/dashboards/{id}/grafana`: one dashboard in Grafana's JSON.
///
/// The directory is read on every request, so edited files show at once.
pub fn dashboards_router(dir: Option<PathBuf>) -> Router {
    let dir = Arc::new(dir);
    Router::new()
        .route("/ui/api/dashboards", get(list))
        .route("/ui/api/dashboards/import", post(import))
        .route("/ui/api/dashboards/{id}", get(one))
        .route("/ui/api/dashboards/{id}/grafana", get(one_grafana))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_DASHBOARD_BYTES))
        .with_state(dir)
}

type Dir = State<Arc<Option<PathBuf>>>;

async fn load(dir: Arc<Option<PathBuf>>) -> (Vec<(Dashboard, String)>, Vec<String>) {
    tokio::task::spawn_blocking(move || {
        let (l, e) = dashboard::load_all((*dir).as_deref());
        (l, e.iter().map(ToString::to_string).collect())
    })
    .await
    .unwrap_or_else(|e| (Vec::new(), vec![format!("loading dashboards: {e}")]))
}

fn error(status: StatusCode, msg: String) -> Response {
    (status, Json(json!({"status": "error", "error": msg}))).into_response()
}

async fn list(State(dir): Dir) -> Response {
    let (l, errors) = load(dir).await;
    let list: Vec<Value> = l.iter().map(|(d, src)| json!(d.summary(src))).collect();
    Json(json!({"dashboards": list, "errors": errors})).into_response()
}

async fn find(dir: Arc<Option<PathBuf>>, id: &str) -> Result<Dashboard, Response> {
    let (l, errors) = load(dir).await;
    l.into_iter()
        .find(|(d, _)| d.id == id)
        .map(|(d, _)| d)
        .ok_or_else(|| {
            let mut m = format!("no dashboard {id:?}");
            if !errors.is_empty() {
                m.push_str(&format!(
                    " ({} files failed to load: {})",
                    errors.len(),
                    errors.join("; ")
                ));
            }
            error(StatusCode::NOT_FOUND, m)
        })
}

async fn one(State(dir): Dir, UrlPath(id): UrlPath<String>) -> Response {
    match find(dir, &id).await {
        Ok(d) => Json(d).into_response(),
        Err(r) => r,
    }
}

async fn one_grafana(State(dir): Dir, UrlPath(id): UrlPath<String>) -> Response {
    match find(dir, &id).await {
        Ok(d) => Json(grafana::export(&d)).into_response(),
        Err(r) => r,
    }
}

async fn import(body: Bytes) -> Response {
    let path = std::path::Path::new("<upload>.json");
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                crate::UiError::json(path, &e).to_string(),
            );
        }
    };
    let parsed = if grafana::looks_like_grafana(&v) {
        grafana::import(path, &v)
    } else {
        serde_json::from_value::<Dashboard>(v).map_err(|e| crate::UiError::Yaml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    };
    match parsed {
        Ok(mut d) => {
            if d.id.is_empty() {
                d.id = "imported".to_string();
            }
            Json(d).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}
