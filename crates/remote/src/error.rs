//! The crate's error type.

use axum::http::StatusCode;

/// Everything that can go wrong in the remote paths. Each variant knows
/// its HTTP status ([`Error::status`]) so handlers map errors in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request body could not be decoded (snappy, protobuf, JSON, labels,
    /// matchers).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request is valid but asks for more than the configured limits.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The request uses a content type or encoding we do not speak.
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(String),
    /// Too many requests are in flight.
    #[error("too many concurrent requests (limit {0})")]
    TooManyRequests(usize),
    /// The storage failed.
    #[error("storage: {0}")]
    Storage(#[from] telltale_model::StorageError),
    /// A configuration value is unusable.
    #[error("remote_write {name:?}: {reason}")]
    Config {
        /// The destination's name or URL.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading the WAL or the position file failed.
    #[error("{context} {path}: {message}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A WAL record could not be decoded.
    #[error("WAL segment {segment} offset {offset}: {reason}")]
    WalRecord {
        /// The segment number.
        segment: u64,
        /// The record's offset in the segment.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The HTTP status a handler answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Limit(_) => StatusCode::BAD_REQUEST,
            Error::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Storage(e) if e.is_sample_error() => StatusCode::BAD_REQUEST,
            Error::Storage(telltale_model::StorageError::Limit(_)) => StatusCode::BAD_REQUEST,
            Error::Storage(telltale_model::StorageError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    #[allow(dead_code)]
    pub(crate) fn io(context: &'static str, path: &std::path::Path, e: &std::io::Error) -> Self {
        Error::Io {
            context,
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

impl axum::response::IntoResponse for Error {
    fn into_response(self) -> axum::response::Response {
        (self.status(), format!("{self}\n")).into_response()
    }
}
