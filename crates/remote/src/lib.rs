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
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use telltale_model::{Appendable, Labels, MemStorage};
//! use telltale_remote::{ReadLimits, remote_read_router};
//!
//! let db = Arc::new(MemStorage::new());
//! let mut app = db.appender();
//! app.append(0, &Labels::from_pairs(&[("__name__", "up")]), 1_000, 1.0).unwrap();
//! app.commit().unwrap();
//! // Serve it: `axum::serve(listener, router)`.
//! let router: axum::Router = remote_read_router(db, ReadLimits::default());
//! ```

pub mod error;
pub mod otlp;
pub mod query;
pub mod read;
pub mod write;

pub use error::Error;
pub use otlp::{OtlpLimits, OtlpReceiver, otlp_router};
pub use query::{
    MergeQueryable, PromApiQueryable, RemoteQueryConfig, RemoteReadConfig, RemoteReadQueryable,
};
pub use read::{ReadLimits, remote_read_router};
pub use write::{RemoteWriteConfig, RemoteWriter, SenderOptions};
