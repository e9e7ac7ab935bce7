//! Prometheus text format 0.0.4 and OpenMetrics 1.0: a zero-copy parser and
//! an encoder.
//!
//! The parser is a byte lexer over `&[u8]`: no I/O, no allocation per sample.
//! [`Parser`] is an iterator of [`Entry`] values that borrow from the input
//! (metadata, comments, and [`Series`] lines with name, labels, value,
//! timestamp and exemplar). Errors say where (line, column, byte offset) and
//! what was expected. [`parse_families`] builds owned
//! [`telltale_model::MetricFamily`] values for callers that want them.
//! [`encode_text`] and [`encode_openmetrics`] write families back out, with
//! floats formatted as Prometheus (Go) formats them.
//!
//! # Example
//!
//! ```
//! use telltale_exposition::{Entry, Format, Parser, format_from_content_type};
//!
//! let body = b"# TYPE http_requests counter\n\
//! http_requests_total{code=\"200\",path=\"/a\\\"b\"} 1027 # {trace_id=\"abc\"} 1 1.5\n\
//! ## EOF\n";
//! let format = format_from_content_type("application/openmetrics-text; version=1.0.0");
//! assert_eq!(format, Format::OpenMetrics);
//!
//! for entry in Parser::new(body, format) {
//!     match entry.unwrap() {
//!         Entry::Series(s) => {
//!             assert_eq!(s.name(), "http_requests_total");
//!             let labels: Vec<_> = s.labels().collect();
//!             assert_eq!(labels[1].1, "/a\"b"); // unescaped
//!             assert_eq!(s.value, 1027.0);
//!             let ex = s.exemplar.as_ref().unwrap();
//!             assert_eq!(ex.timestamp, Some(1500)); // seconds to milliseconds
//!         }
//!         Entry::Type { name, .. } => assert_eq!(name, "http_requests"),
//!         _ => {}
//!     }
//! }
//!
//! // Or build owned families, and write them out again.
//! let families = telltale_exposition::parse_families(body, format).unwrap();
//! let mut out = Vec::new();
//! telltale_exposition::encode_openmetrics(&families, &mut out);
//! assert!(out.ends_with(b"# EOF\n"));
//! ```
//!
//! # Layout
//!
//! - [`format`](mod@format): [`Format`], content negotiation.
//! - `parser`: the [`Parser`] driver, comments and metadata lines;
//!   `series`: sample lines and label sets; `validate`: the rules on them.
//! - `entry`: [`Entry`], [`Series`], [`Exemplar`], [`LabelIter`].
//! - `family`: [`parse_families`].
//! - `encode`: [`encode_text`], [`encode_openmetrics`]; `float`:
//!   [`format_float`], Go's `strconv.FormatFloat(v, 'g', -1, 64)`.
//! - `error`: [`Error`] and [`Position`].

mod encode;
mod entry;
mod error;
mod family;
mod float;
pub mod format;
mod lex;
mod parser;
mod series;
mod validate;

pub use encode::{encode_openmetrics, encode_text};
pub use entry::{EXEMPLAR_MAX_LABEL_SET_CHARS, Entry, Exemplar, LabelIter, Series};
pub use error::{Error, Position};
pub use family::{normalize_float_label, parse_families};
pub use float::{format_float, format_openmetrics_float};
pub use format::{
    Format, OPENMETRICS_CONTENT_TYPE, SCRAPE_ACCEPT, TEXT_CONTENT_TYPE, format_from_accept,
    format_from_content_type, is_protobuf_content_type,
};
pub use lex::{is_legacy_label_name, is_legacy_metric_name, unescape_help, unescape_label};
pub use parser::Parser;
