//! [`PromqlError`]: everything a query can fail with.

use telltale_model::StorageError;
use thiserror::Error;

/// A query failed. [`PromqlError::error_type`] gives the `errorType` string
/// Prometheus's HTTP API reports for it.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PromqlError {
    /// The query text does not parse, or is not allowed (an experimental
    /// feature that is off, a bad argument type).
    #[error("{message}")]
    Parse {
        /// What is wrong, as the parser put it.
        message: String,
        /// The byte offset in the query the error refers to, when known.
        position: Option<usize>,
    },
    /// Evaluation failed (many-to-many matching, duplicate label sets, a bad
    /// argument value).
    #[error("{0}")]
    Execution(String),
    /// The query ran past its timeout.
    #[error("query timed out in {0}")]
    Timeout(String),
    /// The caller cancelled the query.
    #[error("query was canceled in {0}")]
    Canceled(String),
    /// The query would hold more samples in memory than allowed.
    #[error("query processing would load too many samples into memory in {stage}")]
    TooManySamples {
        /// The configured limit.
        limit: usize,
        /// Where the limit was hit (`query execution`).
        stage: String,
    },
    /// The storage failed while the query read from it.
    #[error("storage error: {0}")]
    Storage(#[from] StorageError),
}

impl PromqlError {
    /// Prometheus's API `errorType` for this error: `bad_data`, `execution`,
    /// `timeout`, `canceled` or `internal`.
    pub fn error_type(&self) -> &'static str {
        match self {
            PromqlError::Parse { .. } => "bad_data",
            PromqlError::Execution(_) | PromqlError::TooManySamples { .. } => "execution",
            PromqlError::Timeout(_) => "timeout",
            PromqlError::Canceled(_) => "canceled",
            PromqlError::Storage(_) => "internal",
        }
    }

    /// Same as [`PromqlError::error_type`].
    pub fn kind(&self) -> &'static str {
        self.error_type()
    }

    pub(crate) fn parse(message: impl Into<String>) -> Self {
        PromqlError::Parse {
            message: message.into(),
            position: None,
        }
    }

    pub(crate) fn exec(message: impl Into<String>) -> Self {
        PromqlError::Execution(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_match_prometheus() {
        assert_eq!(PromqlError::parse("x").error_type(), "bad_data");
        assert_eq!(PromqlError::exec("x").error_type(), "execution");
        assert_eq!(PromqlError::Timeout("q".into()).error_type(), "timeout");
        assert_eq!(PromqlError::Canceled("q".into()).kind(), "canceled");
        let e = PromqlError::TooManySamples {
            limit: 1,
            stage: "query execution".into(),
        };
        assert_eq!(
            e.to_string(),
            "query processing would load too many samples into memory in query execution"
        );
    }
}
