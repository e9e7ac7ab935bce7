//! Telltale's demo service: something to monitor, with knobs to make it
//! misbehave, instrumented with `prometheus-client` the way your own Rust
//! service would be.
//!
//! The demo is an axum HTTP service. It exposes request metrics
//! (`http_requests_total{method,endpoint,status}`,
//! `http_request_duration_seconds`, `http_requests_in_flight`), a
//! `demo_build_info{version}`, business gauges a user moves
//! (`demo_active_users` through `GET /update?users=N`,
//! `demo_cpu_usage_percent` through `GET /cpu?value=X`), stock levels per
//! product that drift on their own (`demo_stock_level{product}`), and the
//! process's CPU and memory. It can be made to burn a CPU
//! (`GET /cpu_task?seconds=N`), hold memory (`GET /ram_task?mb=N&seconds=S`),
//! fail (`GET /error`) and be slow (`GET /slow?ms=N`), every one of them
//! bounded ([`DemoConfig`]). Every 10 seconds it prints a log line
//! `2026-11-23 14:15:30,123 - WARNING - slow database query` to standard
//! output.
//!
//! [`DEMO_RULES`] are alert rules for it and [`scrape_config_yaml`] the
//! scrape job (`demo`) Telltale adds for `telltale serve --demo`. The
//! guided tour is `docs/demo.md`.
//!
//! # Example
//!
//! Start the demo on a free port beside your own code, use it, stop it:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use telltale_demo::{DemoConfig, start};
//!
//! let demo = start(DemoConfig {
//!     listen: "127.0.0.1:0".parse().unwrap(),
//!     log_interval: None,
//!     ..DemoConfig::default()
//! })
//! .await
//! .unwrap();
//! let addr = demo.local_addr(); // scrape http://{addr}/metrics
//! assert_ne!(addr.port(), 0);
//! assert!(telltale_demo::scrape_config_yaml(addr).contains(&addr.to_string()));
//! demo.shutdown().await.unwrap();
//! # });
//! ```
//!
//! Or run it until Ctrl-C, as `telltale demo` does:
//!
//! ```no_run
//! # async fn f() -> Result<(), telltale_demo::DemoError> {
//! telltale_demo::run(telltale_demo::DemoConfig::default(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! # Layout
//!
//! - `config`: [`DemoConfig`] and its bounds.
//! - `server`: the router, the instrumentation middleware, [`serve`],
//!   [`run`], [`start`] and [`DemoHandle`].
//! - `handlers`: `/`, `/metrics`, `/update`, `/cpu`, `/error`, `/slow`;
//!   `tasks`: `/cpu_task`, `/ram_task`.
//! - `background`: the log line and the stock walk.
//! - `metrics`: [`DemoMetrics`], the registry; `process`: the
//!   `/proc/self` collector.
//! - `rules`: [`DEMO_RULES`], [`scrape_config_yaml`].
//! - `state`: the shared state, [`Rng`]; `error`: [`DemoError`].

mod background;
mod config;
mod error;
mod handlers;
mod metrics;
mod process;
mod rules;
mod server;
mod state;
mod tasks;

pub use background::{LEVELS, log_line, stock_step};
pub use config::{DEFAULT_DEMO_LISTEN, DemoConfig, PRODUCTS, STOCK_MAX};
pub use error::DemoError;
pub use handlers::INDEX;
pub use metrics::{
    DURATION_BUCKETS, DemoMetrics, LevelLabels, METRICS_CONTENT_TYPE, ProductLabels, RequestLabels,
    RouteLabels,
};
pub use process::{ProcessCollector, ProcessStats};
pub use rules::{
    DEMO_RULES, DEMO_RULES_FOR, DEMO_RULES_INTERVAL, DEMO_RULES_WINDOW, demo_rules_with,
    scrape_config_yaml, scrape_config_yaml_every,
};
pub use server::{DemoHandle, run, serve, start};
pub use state::Rng;
