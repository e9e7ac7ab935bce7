//! The error type shared by the storage seams.

use thiserror::Error;

/// An error returned through the [`Appender`](crate::Appender) and
/// [`Querier`](crate::Querier) seams.
///
/// The variants are the kinds a caller must tell apart: an ingest path maps
/// the per-sample kinds to counters and to the status codes senders expect
/// (400 for data that must not be retried, 5xx or 429 for the rest), the HTTP
/// API maps the query kinds to Prometheus's `errorType`.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum StorageError {
    /// A sample is older than the newest sample of its series and outside the
    /// out-of-order window.
    #[error(
        "out of order sample for series {series}: timestamp {timestamp} is older than the accepted window (newest {newest})"
    )]
    OutOfOrder {
        /// The series, printed as `name{labels}`.
        series: String,
        /// The rejected timestamp in milliseconds.
        timestamp: i64,
        /// The newest timestamp of the series in milliseconds.
        newest: i64,
    },
    /// A sample is older than anything the storage still accepts (behind
    /// the head, or behind retention).
    #[error(
        "sample for series {series} is too old: timestamp {timestamp} is before the minimum accepted timestamp {min_valid}"
    )]
    TooOld {
        /// The series, printed as `name{labels}`.
        series: String,
        /// The rejected timestamp in milliseconds.
        timestamp: i64,
        /// The oldest timestamp the storage accepts now.
        min_valid: i64,
    },
    /// A sample has the same timestamp as a stored one but a different value.
    #[error("duplicate sample for series {series} at timestamp {timestamp} with a different value")]
    DuplicateSample {
        /// The series, printed as `name{labels}`.
        series: String,
        /// The timestamp in milliseconds.
        timestamp: i64,
    },
    /// Creating the series would exceed the configured limit of active series.
    #[error("limit of {limit} active series reached: new series {series} rejected")]
    SeriesLimit {
        /// The configured limit.
        limit: usize,
        /// The rejected series.
        series: String,
    },
    /// A label set is not acceptable (too many labels, a name or value too
    /// long, an empty or invalid name, duplicate names, no metric name).
    #[error("invalid label set {series}: {reason}")]
    InvalidLabels {
        /// The rejected series.
        series: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The series reference passed to an appender is not known (any more).
    #[error("unknown series reference {0}")]
    UnknownSeriesRef(u64),
    /// Data on disk is damaged.
    #[error("corruption in {file} at offset {offset}: {reason}")]
    Corruption {
        /// The file that holds the damage.
        file: String,
        /// The byte offset of the damage in that file.
        offset: u64,
        /// What was found there.
        reason: String,
    },
    /// An I/O error, with what was being done.
    #[error("{context}: {message}")]
    Io {
        /// What was being done (and to which file).
        context: String,
        /// The operating system's message.
        message: String,
    },
    /// A query asked for more than it may (too many samples or series).
    #[error("query limit exceeded: {0}")]
    Limit(String),
    /// The storage is closed or not ready yet.
    #[error("storage is not available: {0}")]
    Unavailable(String),
    /// Any other failure of an implementation.
    #[error("{0}")]
    Other(String),
}

impl StorageError {
    /// Builds an [`StorageError::Io`] from an I/O error and what was being done.
    pub fn io(context: impl Into<String>, err: &std::io::Error) -> Self {
        StorageError::Io {
            context: context.into(),
            message: err.to_string(),
        }
    }

    /// Whether the error concerns only the one sample that was appended (the
    /// rest of the batch can still be committed), as opposed to a failure of
    /// the storage itself.
    pub fn is_sample_error(&self) -> bool {
        matches!(
            self,
            StorageError::OutOfOrder { .. }
                | StorageError::TooOld { .. }
                | StorageError::DuplicateSample { .. }
                | StorageError::SeriesLimit { .. }
                | StorageError::InvalidLabels { .. }
        )
    }
}
