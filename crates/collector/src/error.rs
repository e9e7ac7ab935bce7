//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong while configuring or running a collector.
///
/// Collection errors never abort a scrape: the failing collector reports
/// `node_scrape_collector_success{collector="..."} 0` and the others carry
/// on. The variants carry the file (and line, where known) for the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectorError {
    /// A file or directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content did not have the expected shape.
    #[error("parsing {path} line {line}: {msg}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number (0 when not line oriented).
        line: usize,
        /// What was wrong.
        msg: String,
    },
    /// A file was larger than the collector is willing to read.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The data a collector needs does not exist on this machine (for
    /// example no `/sys/class/hwmon`).
    #[error("no data: {0}")]
    NoData(String),
    /// A collector name that this crate does not know.
    #[error("unknown collector {0:?}")]
    UnknownCollector(String),
    /// A command-line flag that could not be applied.
    #[error("bad flag {flag:?}: {msg}")]
    BadFlag {
        /// The flag as given.
        flag: String,
        /// Why it was refused.
        msg: String,
    },
    /// A regular expression in the configuration did not compile.
    #[error("bad regular expression {pattern:?}: {source}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// The compiler's error.
        #[source]
        source: regex::Error,
    },
}

impl CollectorError {
    /// An [`CollectorError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CollectorError::Io {
            path: path.into(),
            source,
        }
    }

    /// A [`CollectorError::Parse`] for `path` at `line`.
    pub(crate) fn parse(path: impl Into<PathBuf>, line: usize, msg: impl Into<String>) -> Self {
        CollectorError::Parse {
            path: path.into(),
            line,
            msg: msg.into(),
        }
    }
}
