//! Telltale's PromQL engine, with Prometheus 3 semantics.
//!
//! Queries are parsed by `promql-parser` and evaluated here over any
//! storage behind the [`telltale_model::Queryable`] seam: left-open range
//! windows, a 5-minute lookback, staleness markers, delayed removal of
//! `__name__`, `@` and `offset`, subqueries, every stable function and
//! aggregation, and Prometheus's warning and info annotations.
//!
//! # Example
//!
//! ```
//! use telltale_model::{Labels, MemStorage, Sample};
//! use telltale_promql::{CancelToken, Engine, EngineOptions, Value};
//!
//! let db = MemStorage::new();
//! let l = Labels::from_pairs(&[("__name__", "up"), ("job", "node")]);
//! db.insert(l, [Sample::new(0, 1.0), Sample::new(15_000, 1.0)]);
//!
//! let engine = Engine::new(EngineOptions::default());
//! let r = engine
//!     .instant_query(&db, "sum by (job) (up)", 20_000, &CancelToken::new())
//!     .unwrap();
//! match r.value {
//!     Value::Vector(v) => assert_eq!(v[0].v, 1.0),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```
//!
//! # Experimental features
//!
//! With [`EngineOptions::enable_experimental`]: `limitk`, `limit_ratio`,
//! `info()`, `sort_by_label`, `double_exponential_smoothing`, `*_over_time`
//! extras (`mad_`, `first_`, `ts_of_*`), `histogram_quantiles`, `fill()`
//! binop modifiers, duration expressions (`[5m+1m]`, `offset step()`) and the
//! `anchored`/`smoothed` modifiers. promql-parser parses neither of the last
//! two, so the query text is rewritten first (see `duration_expr` and
//! `eval::extended`).
//!
//! # Limitations
//!
//! - No native histograms: the storage model holds float samples only.
//! - Evaluation is per expression node over the whole step grid (one
//!   optional value per series and step), not streamed step by step; the
//!   grid is bounded by [`EngineOptions::max_samples`].
//! - Parse errors carry promql-parser's message, without a position.
//!
//! # Layout
//!
//! - [`engine`]: [`Engine`], [`EngineOptions`], [`CancelToken`], parsing
//!   helpers.
//! - `eval`: the evaluator (selectors, binary operators, aggregations,
//!   functions, classic histograms, annotation positions).
//! - [`value`]: results and [`format_float`].
//! - [`promqltest`]: the runner for Prometheus's `.test` script format.

mod duration_expr;
pub mod engine;
pub mod error;
pub(crate) mod eval;
pub mod promqltest;
pub mod value;

pub use engine::{CancelToken, Engine, EngineOptions, format_query, parse, parse_query_json};
pub use error::PromqlError;
pub use value::{QueryResult, RangeSeries, Value, VectorSample, format_float};
