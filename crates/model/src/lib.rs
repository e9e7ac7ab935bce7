//! Telltale's shared data model and the seams between its parts.
//!
//! Every other crate speaks in these types: a series is identified by its
//! [`Labels`] (a sorted label set that includes `__name__`), a [`Sample`] is a
//! millisecond timestamp with an `f64` value, and [`Matcher`]s select series
//! with Prometheus 3 semantics (regular expressions fully anchored, `.`
//! matching a newline).
//!
//! # Layout
//!
//! - [`labels`]: [`Label`], [`Labels`] and [`LabelsBuilder`].
//! - [`matcher`]: [`Matcher`] and [`MatchOp`].
//! - [`family`]: [`MetricFamily`], samples grouped with type and help.
//! - [`sample`]: [`Sample`], the stale marker and metric metadata.
//! - [`storage`]: the seams. Ingest paths write through an [`Appender`]
//!   obtained from an [`Appendable`]; every reader (PromQL, API, rules,
//!   federation, remote read) reads through a [`Querier`] obtained from a
//!   [`Queryable`]. Nothing reaches around them.
//! - [`mem`]: [`MemStorage`], a small in-memory implementation of both seams
//!   for tests and for the PromQL test-script runner.
//!
//! # Example
//!
//! ```
//! use telltale_model::{Appendable, Labels, Matcher, MemStorage, Queryable};
//!
//! let db = MemStorage::new();
//! let mut app = db.appender();
//! let up = Labels::from_pairs(&[("__name__", "up"), ("job", "node")]);
//! app.append(0, &up, 1_000, 1.0).unwrap();
//! app.commit().unwrap();
//!
//! let q = db.querier(0, 10_000).unwrap();
//! let sel = [Matcher::equal("__name__", "up")];
//! let series = q.select(&Default::default(), &sel).unwrap();
//! assert_eq!(series.len(), 1);
//! ```

pub mod error;
pub mod family;
pub mod labels;
pub mod matcher;
pub mod mem;
pub mod sample;
pub mod storage;

pub use error::StorageError;
pub use family::{FamilySample, MetricFamily};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher, MatcherError};
pub use mem::MemStorage;
pub use sample::{MetricMetadata, MetricType, STALE_NAN_BITS, Sample, is_stale_nan, stale_nan};
pub use storage::{
    Appendable, Appender, Querier, Queryable, SampleIterator, SelectHints, Series, SeriesRef,
    VecIterator,
};
