//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong loading or converting a dashboard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UiError {
    /// A dashboard file could not be read.
    #[error("reading dashboard {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A dashboard file is larger than [`crate::MAX_DASHBOARD_BYTES`].
    #[error("dashboard {path} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The file (or `<request>` for an upload).
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A dashboard does not parse as JSON.
    #[error("dashboard {path}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// The file (or `<request>`).
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A dashboard does not parse as YAML or does not fit the format.
    #[error("dashboard {path}: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message, with its location.
        message: String,
    },
    /// A Grafana dashboard could not be converted.
    #[error("dashboard {path}: not a Grafana dashboard: {message}")]
    Grafana {
        /// The file (or `<request>`).
        path: PathBuf,
        /// What is missing or wrong.
        message: String,
    },
}

impl UiError {
    pub(crate) fn json(path: &std::path::Path, e: &serde_json::Error) -> Self {
        UiError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}
