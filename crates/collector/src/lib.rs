//! Host and container collectors under node_exporter's and cAdvisor's
//! names.
//!
//! Each collector reads flat files under a configurable root (`/proc`,
//! `/sys`, `/`), so tests run over fake trees, and produces
//! [`MetricFamily`](telltale_model::MetricFamily)s with node_exporter's
//! exact metric names, label names, types and help texts: existing
//! dashboards and alert rules work unchanged. [`Collectors::collect`] runs
//! the enabled ones and adds `node_scrape_collector_duration_seconds` and
//! `node_scrape_collector_success` per collector, as node_exporter does.
//!
//! # Example
//!
//! ```
//! use telltale_collector::{CollectorConfig, Collectors};
//!
//! let mut cfg = CollectorConfig::default();
//! cfg.apply_flags(&["--collector.disable-defaults", "--collector.loadavg"]).unwrap();
//! let collectors = Collectors::new(&cfg).unwrap();
//! let families = collectors.collect();
//! assert!(families.iter().any(|f| f.name == "node_scrape_collector_success"));
//! ```
//!
//! # Layout
//!
//! - [`config`]: [`CollectorConfig`], node_exporter's defaults and flags.
//! - `registry`: [`Collectors`], the list of names, one collection.
//! - `collectors/`: one module per subsystem (`cpu`, `meminfo`,
//!   `filesystem`, `diskstats`, `netdev`, `netclass`, `netstat` and
//!   `sockstat`, `vmstat` and `pressure`, `sensors` (hwmon, thermal),
//!   `system` (uname, os, time), `textfile`, `processes_top`, `cgroup`).
//! - `read`: bounded file reading shared by all of them.
//! - `ingest`: [`append_collection`] feeds a collection into storage with
//!   `job`/`instance` labels, without an HTTP hop.
//!
//! The `timex` collector of node_exporter is not here: `adjtimex(2)` has
//! no safe wrapper in rustix and the workspace forbids `unsafe`.

mod collectors;
pub mod config;
mod emit;
pub mod error;
mod ingest;
mod read;
mod registry;

pub use collectors::filesystem::{FsStats, StatfsFn, real_statfs};
pub use config::{CollectorConfig, MAX_PROCESSES_TOP_N, NODE_EXPORTER_ONLY};
pub use error::CollectorError;
pub use ingest::{append_collection, hostname, with_target_labels};
pub use registry::Collectors;
