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
