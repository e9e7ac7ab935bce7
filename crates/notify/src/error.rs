//! The crate's one error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in the notifier.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The configuration did not load; the message is the one Alertmanager
    /// gives for the same input where one is known.
    #[error("{0}")]
    Config(String),
    /// Reading or writing a file failed.
    #[error("{context} {path}: {source}", path = path.display())]
    Io {
        /// What we were doing.
        context: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A persisted state file could not be decoded.
    #[error("corrupt state file {path} at line {line}: {reason}", path = path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the bad record.
        line: usize,
        /// Why it could not be decoded.
        reason: String,
    },
    /// A matcher or a matcher string did not parse.
    #[error("bad matcher {input:?}: {reason}")]
    Matcher {
        /// The text as given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A silence is invalid.
    #[error("invalid silence: {0}")]
    InvalidSilence(String),
    /// No silence with this id.
    #[error("silence {0} not found")]
    SilenceNotFound(String),
    /// An alert is invalid.
    #[error("invalid alert: {0}")]
    InvalidAlert(String),
    /// A notification could not be delivered.
    #[error("{receiver}/{integration}[{index}]: {reason}")]
    Notify {
        /// The receiver's name.
        receiver: String,
        /// The integration kind (`webhook`, `email`...).
        integration: &'static str,
        /// Index of the integration within the receiver.
        index: usize,
        /// What went wrong.
        reason: String,
        /// Whether another try may succeed.
        retry: bool,
    },
    /// A template did not render.
    #[error("template {name}: {reason}")]
    Template {
        /// The template's name or text.
        name: String,
        /// Why it failed.
        reason: String,
    },
}

impl NotifyError {
    /// Wraps an I/O error with what we were doing and the file.
    pub fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NotifyError::Io {
            context,
            path: path.into(),
            source,
        }
    }

    /// Whether this is a failure that a retry might fix.
    pub fn is_retryable(&self) -> bool {
        matches!(self, NotifyError::Notify { retry: true, .. })
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = NotifyError> = std::result::Result<T, E>;
