//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while generating, sending or measuring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workload's source exposition could not be read.
    #[error("workload: {0}")]
    Workload(String),
    /// A file or directory operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP request failed or got an unexpected status.
    #[error("{system}: {url}: {message}")]
    Http {
        /// Which system was being talked to.
        system: String,
        /// The request's URL.
        url: String,
        /// What happened (status and body start, or the transport error).
        message: String,
    },
    /// A query API answer could not be understood.
    #[error("query {query:?}: bad answer: {message}")]
    Answer {
        /// The PromQL expression.
        query: String,
        /// What was wrong with the JSON.
        message: String,
    },
    /// A server did not become ready, or did not stop, in time.
    #[error("{system}: {message}")]
    Process {
        /// Which system.
        system: String,
        /// What happened.
        message: String,
    },
    /// A command line or configuration value is invalid.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which setting.
        what: &'static str,
        /// Why.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] with context.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
