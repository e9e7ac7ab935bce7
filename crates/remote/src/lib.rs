//! Telltale's scale-out paths (issue 11).
//!
//! - [`read`]: the remote read server, `POST /api/v1/read`, so a Prometheus
//!   (or anything speaking remote read) can read Telltale's data, sampled or
//!   streamed as XOR chunks.
//! - [`otlp`]: the OTLP/HTTP metrics receiver at Prometheus's path,
//!   `POST /api/v1/otlp/v1/metrics`, protobuf and JSON.
//! - [`query`]: reading from elsewhere: `remote_read` endpoints merged
//!   into local queries ([`MergeQueryable`]) and a remote
//!   Prometheus-compatible query API as storage ([`PromApiQueryable`]).
//! - [`write`]: remote write out. Each `remote_write` entry gets a
//!   [`RemoteWriter`] that tails the TSDB's WAL directory, so an outage of
//!   the receiver loses nothing still in the WAL.
//!
//! - [`sections`]: [`RemoteSections`], the `remote_write`, `remote_read`
//!   and `remote_query` sections of the configuration file.
//!
//! Every path goes through the model's seams: the read server and the
//! queryables through [`Queryable`](telltale_model::Queryable), the OTLP
//! receiver through [`Appendable`](telltale_model::Appendable); the sender
//! reads only the WAL files, never the TSDB's memory, so it cannot slow
//! ingestion down.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use telltale_model::{Appendable, Labels, MemStorage};
//! use telltale_remote::{ReadLimits, otlp_router, remote_read_router};
//!
//! let db = Arc::new(MemStorage::new());
//! let mut app = db.appender();
//! app.append(0, &Labels::from_pairs(&[("__name__", "up")]), 1_000, 1.0).unwrap();
//! app.commit().unwrap();
//! // `POST /api/v1/read` and `POST /api/v1/otlp/v1/metrics` in one router;
//! // serve it with `axum::serve(listener, router)`.
//! let router: axum::Router =
//!     remote_read_router(db.clone(), ReadLimits::default()).merge(otlp_router(db));
//! ```
//!
//! Sending a WAL to a remote write receiver (inside a tokio runtime):
//!
//! ```no_run
//! # async fn f() -> Result<(), telltale_remote::Error> {
//! use telltale_remote::{RemoteWriteConfig, RemoteWriter, SenderOptions};
//!
//! let cfg = RemoteWriteConfig::new("http://127.0.0.1:8428/api/v1/write");
//! let w = RemoteWriter::start(cfg, SenderOptions::for_data_dir("data".as_ref()))?;
//! println!("{:?}", w.stats().snapshot());
//! w.stop().await;
//! # Ok(()) }
//! ```

pub mod error;
pub mod otlp;
pub mod query;
pub mod read;
pub mod sections;
pub mod write;

pub use error::Error;
pub use otlp::{OtlpLimits, OtlpReceiver, otlp_router};
pub use query::{
    MergeQueryable, PromApiQueryable, RemoteQueryConfig, RemoteReadConfig, RemoteReadQueryable,
};
pub use read::{ReadLimits, remote_read_router};
pub use sections::RemoteSections;
pub use write::{RemoteWriteConfig, RemoteWriter, RemoteWriters, SenderOptions};
