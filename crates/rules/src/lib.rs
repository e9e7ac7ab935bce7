//! Prometheus rule files and their evaluation.
//!
//! (Overview and example are completed below as modules land.)

pub mod duration;
pub mod error;
pub mod file;
pub mod humanize;
pub mod query;
pub mod template;
mod template_funcs;

pub use error::RulesError;
pub mod alert;
pub mod group;
pub mod recording;
pub mod sink;
pub use alert::{ActiveAlert, AlertState, AlertingRule};
pub use file::{GroupSpec, RuleKind, RuleSpec};
pub use group::{Group, GroupOptions, Health, Rule, RuleEntry};
pub use query::{EngineQuery, InstantSample, QueryFn};
pub use sink::{Alert, AlertSink, MemorySink};
