//! The OTLP/HTTP metrics receiver, mapping OpenTelemetry metrics to
//! Prometheus series as Prometheus's own receiver does.
//!
//! - `proto`: the messages (protobuf and OTLP/JSON).
//! - `names`: metric and label name translation.
//! - `convert`: a request to samples (pure).
//! - `receiver`: the HTTP handler.

pub mod convert;
mod json;
pub mod names;
pub mod proto;
pub mod receiver;

pub use convert::{OtlpSample, Rejected, convert};
pub use receiver::{OTLP_PATH, OtlpLimits, OtlpReceiver, OtlpStats, decode_request, otlp_router};

#[cfg(test)]
mod tests;
