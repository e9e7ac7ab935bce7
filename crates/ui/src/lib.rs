//! Telltale's built-in web UI.
//!
//! Plain HTML, CSS and JavaScript modules (no build step) embedded in the
//! binary, served by [`router`]: the overview dashboard on `/`, dashboards on
//! `/dashboards/...`, the expression browser on `/explore`, alerts, targets
//! and status pages, and the assets under `/ui/`. The pages talk only to the
//! HTTP APIs the server already has (Prometheus API v1, Alertmanager API v2,
//! `/alert`) and to [`dashboards_router`], which serves dashboards defined as
//! YAML or JSON files (ours or Grafana's) plus the shipped defaults.
//!
//! ```
//! use axum::Router;
//!
//! // Mount beside the API routers; neither claims the other's paths.
//! let app: Router = telltale_ui::router().merge(telltale_ui::dashboards_router(None));
//! # let _ = app;
//! ```
//!
//! # Layout
//!
//! - [`assets`]: the embedded files, content types and ETags.
//! - [`dashboard`]: the dashboard file format, the built-ins and loading.
//! - [`grafana`]: Grafana JSON import and export.
//! - [`routes`]: the two routers.
//!
//! The browser side lives in `crates/ui/assets/js/`: `app.js` (routing and
//! page shell), `chart.js` (canvas time series with per-pixel min/max
//! decimation), `panels.js` and `dashboard.js` (dashboards), `editor.js`
//! (the PromQL editor and completion), and one module per page.

pub mod assets;
pub mod dashboard;
mod error;
pub mod grafana;
pub mod routes;

pub use dashboard::{Dashboard, MAX_DASHBOARD_BYTES, Panel, PanelKind, Row, Target, Variable};
pub use error::UiError;
pub use routes::{dashboards_router, router};

/// Both routers merged: the UI with dashboards read from `dir` (if any).
pub fn ui_router(dir: Option<std::path::PathBuf>) -> axum::Router {
    router().merge(dashboards_router(dir))
}
