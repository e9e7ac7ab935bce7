//! Telltale's ingestion paths other than the exposition parser: scrape
//! configuration, relabelling, service discovery, scrape loops, the
//! Pushgateway-compatible push API and the remote write receiver. Every
//! path ends in [`telltale_model::Appendable::appender`].
//!
//! # Overview
//!
//! A Prometheus `scrape_configs` section is parsed by [`parse_config`]
//! into [`ScrapeConfig`]s. A [`ScrapeManager`] runs them: per job a pool
//! discovers targets ([`discovery`]: static, file and HTTP), builds them
//! with [relabelling](mod@relabel) ([`target`]), and runs one loop per target that
//! scrapes at the target's slot in the interval, appends the samples with
//! `honor_labels`/`honor_timestamps` semantics, limits and
//! `metric_relabel_configs`, writes the report series (`up`,
//! `scrape_duration_seconds`, ...) and stale markers for vanished series and
//! vanished targets. [`ScrapeManager::apply_config`] reloads without
//! restarting loops of unchanged targets; [`ScrapeManager::targets`] and
//! [`ScrapeManager::metadata`] feed the HTTP API.
//!
//! The [`push`] API ([`push_router`] over a [`PushState`]) accepts
//! Pushgateway pushes and appends every group at each interval, as a
//! Prometheus scraping a Pushgateway would; the [`remote_write`] receiver
//! ([`remote_write_router`] over a [`RemoteWriteState`]) accepts remote
//! write 1.0. The server mounts both routers.
//!
//! # Example
//!
//! ```
//! use telltale_scrape::{parse_config, relabel, target::{TargetOutcome, targets_from_group}};
//! use telltale_scrape::discovery::static_groups;
//!
//! let yaml = r#"
//! scrape_configs:
//!   - job_name: node
//!     scrape_interval: 15s
//!     static_configs: [{targets: ['127.0.0.1:9100'], labels: {env: prod}}]
//!     relabel_configs:
//!       - {source_labels: [env], target_label: tier, replacement: 'tier-$1'}
//! "#;
//! let cfg = &parse_config(yaml, "prometheus.yml").unwrap().scrape_configs[0];
//! let groups = static_groups(&cfg.static_configs);
//! let TargetOutcome::Active(t) = &targets_from_group(cfg, &groups[0])[0] else { panic!() };
//! assert_eq!(t.url, "http://127.0.0.1:9100/metrics");
//! assert_eq!(t.series_labels().get("tier"), "tier-prod");
//! assert_eq!(t.series_labels().get("instance"), "127.0.0.1:9100");
//! ```
//!
//! Running the jobs (inside a tokio runtime):
//!
//! ```no_run
//! # async fn run(storage: std::sync::Arc<dyn telltale_model::Appendable>) {
//! let cfg = telltale_scrape::parse_config("scrape_configs: [{job_name: a}]", "p.yml").unwrap();
//! let mgr = telltale_scrape::ScrapeManager::new(storage).unwrap();
//! mgr.apply_config(&cfg.scrape_configs).unwrap();
//! for t in mgr.targets() {
//!     println!("{} {} {}", t.scrape_url, t.health.as_str(), t.last_error);
//! }
//! # }
//! ```
//!
//! # Compatibility with Prometheus
//!
//! Supported `scrape_configs` keys: `job_name`, `scrape_interval`,
//! `scrape_timeout`, `scrape_protocols`, `fallback_scrape_protocol`,
//! `metrics_path`, `scheme`, `params`, `honor_labels`, `honor_timestamps`,
//! `track_timestamps_staleness`, `enable_compression`, `follow_redirects`,
//! `enable_http2` (accepted), `body_size_limit`, `sample_limit`,
//! `label_limit`, `label_name_length_limit`, `label_value_length_limit`,
//! `target_limit`, `keep_dropped_targets`, `basic_auth`, `authorization`,
//! `tls_config`, `static_configs`, `file_sd_configs`, `http_sd_configs`,
//! `relabel_configs`, `metric_relabel_configs`. Any other key (`proxy_url`,
//! `oauth2`, `kubernetes_sd_configs`, ...) is an error with its line and
//! column rather than being silently ignored.
//!
//! Differences, each deliberate: a job without `body_size_limit` is bounded
//! at [`scrape::fetch::DEFAULT_BODY_LIMIT`]; a response without
//! `Content-Type` is parsed as text; protobuf scrape answers and native
//! histograms are not supported; `tls_config.server_name` is accepted but
//! the URL's host is what is verified; a target whose interval or timeout
//! changes on reload keeps its series (no stale markers); `target_limit`
//! drops only the targets over the limit, not the whole job.
//!
//! # Layout
//!
//! - [`config`] holds the YAML model, defaults and validation; [`duration`]:
//!   Prometheus durations and byte sizes.
//! - [`relabel`](mod@relabel) holds every relabel action.
//! - [`discovery`] holds target groups from static, file and HTTP sources.
//! - [`target`] holds groups to targets (`PopulateLabels`).
//! - [`scrape`] holds `append` (the pure body-to-samples core), `fetch` (one
//!   HTTP scrape), `scrape_loop`, the pool and the [`ScrapeManager`].
//! - [`push`] holds the push API: grouping keys, groups, the groups file,
//!   the routes.
//! - [`remote_write`] holds the remote write receiver.
//! - [`client`] holds HTTP client, credentials, bounded body reads.
//! - [`error`] holds [`ScrapeError`].

pub mod client;
pub mod config;
pub mod discovery;
pub mod duration;
pub mod error;
pub mod push;
pub mod relabel;
pub mod remote_write;
pub mod scrape;
pub mod target;

pub use config::{GlobalConfig, ScrapeConfig, ScrapeSection, parse_config};
pub use error::ScrapeError;
pub use push::router::push_router;
pub use push::{PushConfig, PushMode, PushState};
pub use relabel::{RelabelConfig, relabel};
pub use remote_write::{RemoteWriteConfig, RemoteWriteState, remote_write_router};
pub use scrape::manager::{ScrapeManager, TargetMetadata, TargetStatus};
pub use scrape::pool::DroppedTarget;
pub use scrape::scrape_loop::Health;
pub use target::Target;
