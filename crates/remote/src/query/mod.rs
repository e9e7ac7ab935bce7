//! Reading from elsewhere: `remote_read` endpoints merged into local
//! queries, and a remote Prometheus-compatible query API as storage.
//!
//! - `bridge`: running async HTTP from the synchronous querier seam.
//! - `remote_read`: [`RemoteReadConfig`], [`RemoteReadQueryable`].
//! - `merge`: [`MergeQueryable`], local plus remote read.
//! - `prom_api`: [`PromApiQueryable`] over `/api/v1/query`.

pub mod bridge;
pub mod merge;
pub mod prom_api;
pub mod remote_read;

pub use merge::MergeQueryable;
pub use prom_api::{PromApiQueryable, RemoteQueryConfig};
pub use remote_read::{RemoteReadConfig, RemoteReadQueryable};
