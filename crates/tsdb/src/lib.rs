//! Telltale's embedded time-series storage engine.
//!
//! Samples arrive through an [`Appender`](telltale_model::Appender): each
//! commit is written to the write-ahead log ([`wal`]) and then applied to
//! the in-memory head, where every series keeps its recent samples in
//! compressed chunks ([`chunkenc`]): the chunk being appended to is an XOR
//! chunk (delta-of-delta timestamps, XOR values, Prometheus's layout);
//! closed chunks and block chunks take the smallest of XOR, a decimal
//! encoding and a bit-packed decimal encoding ([`chunkenc::to_xor`] gives
//! Prometheus XOR chunks back for remote read). The head is persisted
//! periodically into immutable
//! blocks on disk (chunk files, an index of symbols, series and postings,
//! and `meta.json`), which are compacted into larger ones and deleted by
//! retention. A [`Querier`](telltale_model::Querier) reads head and blocks
//! together. Formats are described in `docs/format/`.
//!
//! # Example
//!
//! ```
//! use telltale_model::{Appendable, Labels, Matcher, Queryable, SelectHints};
//! use telltale_tsdb::{Db, Options};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let db = Db::open(dir.path(), Options::default()).unwrap();
//! let up = Labels::from_pairs(&[("__name__", "up"), ("job", "node")]);
//! let mut app = db.appender();
//! let mut r = 0;
//! for i in 0..10 {
//!     r = app.append(r, &up, i * 15_000, 1.0).unwrap();
//! }
//! app.commit().unwrap();
//!
//! let q = db.querier(0, 60_000).unwrap();
//! let mut series = q.select(&SelectHints::default(), &[Matcher::equal("job", "node")]).unwrap();
//! assert_eq!(series[0].samples.collect_all().unwrap().len(), 5);
//! db.close().unwrap();
//! ```
//!
//! # Layout
//!
//! - [`chunkenc`]: the bit stream and the chunk codecs (XOR, decimal, packed).
//! - [`wal`]: segments of CRC-checked records, record types, checkpoints.
//! - `head`: series, postings, symbols, appending, replay.
//! - `block`: chunk files, index, `meta.json`, tombstones, block writer.
//! - `querier`, `iter`: reading head and blocks, merging sources.
//! - `persist`, `compact`: head to blocks, checkpoints, deletes, compaction,
//!   retention.
//! - [`workload`]: a node_exporter-shaped workload generator for tests and
//!   benchmarks.

mod block;
pub mod chunkenc;
mod compact;
mod db;
pub(crate) mod encoding;
pub mod error;
mod head;
mod iter;
pub mod options;
mod persist;
mod querier;
mod stats;
pub mod wal;
pub mod workload;

pub use block::meta::{BlockMeta, BlockStats};
pub use db::Db;
pub use error::TsdbError;
pub use options::{FsyncPolicy, Options};
pub use stats::{BlockInfo, IngestCounters, NameCount, TsdbStats};
