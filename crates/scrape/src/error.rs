//! The crate's one error type.

use telltale_model::StorageError;
use thiserror::Error;

/// Everything that can go wrong in configuration, discovery, scraping,
/// pushing and receiving remote writes.
///
/// Scrape errors are also what the targets API shows as a target's
/// `lastError` (their `Display` text).
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ScrapeError {
    /// The configuration text is not valid YAML or has an unknown key or a
    /// value of the wrong type.
    #[error("{source_name}:{line}:{column}: {message}")]
    ConfigSyntax {
        /// The file name, or `<config>` for a string.
        source_name: String,
        /// The 1-based line of the error, 0 when not known.
        line: u64,
        /// The 1-based column of the error, 0 when not known.
        column: u64,
        /// What the parser said.
        message: String,
    },
    /// The configuration parses but is not valid (a missing job name, a
    /// timeout longer than the interval, a bad regex...).
    #[error("invalid scrape config for job {job:?}: {message}")]
    InvalidConfig {
        /// The job the error is in (empty for global settings).
        job: String,
        /// What is wrong.
        message: String,
    },
    /// A service discovery source could not be read.
    #[error("discovery {source_name}: {message}")]
    Discovery {
        /// The file or URL.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// The HTTP request of a scrape failed (connection, TLS, protocol).
    #[error("Get {url:?}: {message}")]
    Http {
        /// The scrape URL.
        url: String,
        /// The client's message.
        message: String,
    },
    /// The target answered with a status other than 200.
    #[error("server returned HTTP status {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The scrape did not finish within `scrape_timeout`.
    #[error("Get {url:?}: context deadline exceeded (scrape timeout {timeout})")]
    Timeout {
        /// The scrape URL.
        url: String,
        /// The configured timeout as written in the config.
        timeout: String,
    },
    /// The body was larger than `body_size_limit` (or a push or remote
    /// write body larger than its limit).
    #[error("body size limit exceeded: more than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body could not be parsed.
    #[error("parse error at line {line}: {message}")]
    Parse {
        /// The 1-based line, 0 when not known.
        line: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// A scrape returned more samples than `sample_limit`.
    #[error("sample limit exceeded: {got} samples, limit {limit}")]
    SampleLimit {
        /// The configured limit.
        limit: usize,
        /// How many samples the scrape had after metric relabelling.
        got: usize,
    },
    /// A series had more labels than `label_limit`, or a name or value
    /// longer than its limit.
    #[error("label limit exceeded for series {series}: {message}")]
    LabelLimit {
        /// The series.
        series: String,
        /// Which limit and by how much.
        message: String,
    },
    /// A push request is not acceptable (bad path, bad label, conflicting
    /// labels in the body).
    #[error("{0}")]
    BadPush(String),
    /// A remote write request is not acceptable (bad snappy, bad protobuf,
    /// bad labels); senders must not retry it.
    #[error("bad remote write request: {0}")]
    BadWrite(String),
    /// Reading or writing a file failed.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The storage refused a batch.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A function that spawns tasks was called outside a tokio runtime.
    #[error("no tokio runtime: {0}")]
    NoRuntime(String),
}

impl ScrapeError {
    /// Builds an [`ScrapeError::Io`] from an I/O error and a file name.
    pub fn io(file: impl Into<String>, err: &std::io::Error) -> Self {
        ScrapeError::Io {
            file: file.into(),
            message: err.to_string(),
        }
    }

    pub(crate) fn invalid(job: &str, message: impl Into<String>) -> Self {
        ScrapeError::InvalidConfig {
            job: job.to_string(),
            message: message.into(),
        }
    }
}
