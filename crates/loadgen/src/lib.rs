//! The side-by-side benchmark's workload sender and measuring driver.
//!
//! Telltale, Prometheus and VictoriaMetrics are each started fresh on
//! loopback, fed the same node_exporter-shaped workload over remote write
//! 1.0, queried with the same dashboard and alert-rule queries, persisted,
//! measured and restarted; the figures become a Markdown table with
//! Telltale's ratio to each peer. `bench/run.sh` is the one command that
//! builds everything and runs it; the `telltale-loadgen` binary is its
//! engine (`bench` runs the comparison, `send` only feeds one receiver).
//!
//! # Example
//!
//! Generating a stream and encoding it into remote write bodies (no
//! network):
//!
//! ```
//! use telltale_loadgen::{Batcher, ScrapeConfig, ScrapeStream};
//!
//! let text = "# TYPE node_load1 gauge\nnode_load1 0.5\n";
//! let cfg = ScrapeConfig {
//!     hosts: 3,
//!     scrapes: 4,
//!     interval_ms: 15_000,
//!     start_ms: 1_700_000_000_000,
//!     jitter_ms: 10,
//!     spread: true,
//!     seed: 42,
//! };
//! let mut stream = ScrapeStream::from_exposition(text, cfg).unwrap();
//! let mut batcher = Batcher::new(stream.labels(), 2, 1_000);
//! let mut samples = 0;
//! while let Some(round) = stream.next_round() {
//!     for (i, &v) in round.values.iter().enumerate() {
//!         assert!(batcher.push(i, round.host_ts[i], v).is_none());
//!         samples += 1;
//!     }
//! }
//! let bodies = batcher.finish(); // one snappy protobuf body per shard
//! assert_eq!(bodies.iter().map(|b| b.samples).sum::<usize>(), samples);
//! assert_eq!(samples, 12);
//! ```
//!
//! # Layout
//!
//! - `scrapes`: [`ScrapeStream`], time-ordered scrape rounds over H hosts
//!   (on top of `telltale_tsdb::workload`), with per-host offsets and
//!   jitter.
//! - `batch`: [`Batcher`], direct protobuf encoding into per-shard bodies.
//! - `send`: [`send()`], in-order sharded sending with bounded queues.
//! - `api`: the query set [`QUERIES`] and [`api::run`].
//! - `digest`: canonical answers, digests, [`compare`] with tolerance.
//! - `system`: starting, stopping and measuring each server process.
//! - `driver`: [`run_system`], the whole measurement of one system.
//! - `report`: the Markdown tables and the doc splice.
//! - `targets`: many `/metrics` targets served by one process.
//! - `scrape_path`: each system scraping them; exporters side by side.

pub mod api;
pub mod batch;
pub mod digest;
pub mod driver;
mod error;
pub mod report;
pub mod scrape_path;
pub mod scrapes;
pub mod send;
pub mod system;
pub mod targets;

pub use api::{QUERIES, Query};
pub use batch::{Batcher, Body};
pub use digest::{Answer, compare};
pub use driver::{BenchConfig, QueryFigures, SystemFigures, run_system};
pub use error::{Error, Result};
pub use scrapes::{Round, ScrapeConfig, ScrapeStream};
pub use send::{SendConfig, SendStats, send};
pub use system::{Kind, Server, Spec};
