//! [`TsdbError`]: everything that can go wrong in the storage engine.

use std::path::{Path, PathBuf};

use telltale_model::StorageError;
use thiserror::Error;

/// An error of the storage engine, with the file and offset it concerns.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TsdbError {
    /// An I/O operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`open`, `read`, `write`, `rename`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Data on disk is damaged or not in a format this version reads.
    #[error("corruption in {file} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file.
        file: PathBuf,
        /// The byte offset of the damage.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// A chunk could not be decoded (no file is known at this layer).
    #[error("invalid chunk at bit {bit}: {reason}")]
    Chunk {
        /// The bit position in the chunk where decoding failed.
        bit: u64,
        /// What was wrong.
        reason: &'static str,
    },
    /// The options are not usable.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A per-sample or seam-level error.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Another process has the data directory open (it holds the lock on
    /// the directory's `lock` file).
    #[error(
        "data directory {dir} is in use by another process (it holds {dir}/lock); stop it first"
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
    },
    /// The database is closed or a lock was poisoned by a panicking thread.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl TsdbError {
    /// Builds an [`TsdbError::Io`] for `path`.
    pub fn io(op: &'static str, path: &Path, source: std::io::Error) -> Self {
        TsdbError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Builds a [`TsdbError::Corruption`].
    pub fn corruption(file: &Path, offset: u64, reason: impl Into<String>) -> Self {
        TsdbError::Corruption {
            file: file.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }

    /// Gives a chunk error the file and offset of the chunk it came from.
    pub fn in_file(self, file: &Path, offset: u64) -> Self {
        match self {
            TsdbError::Chunk { bit, reason } => TsdbError::Corruption {
                file: file.to_path_buf(),
                offset,
                reason: format!("chunk at this offset: {reason} (bit {bit})"),
            },
            other => other,
        }
    }
}

impl From<TsdbError> for StorageError {
    fn from(e: TsdbError) -> Self {
        match e {
            TsdbError::Storage(s) => s,
            TsdbError::Io { op, path, source } => {
                StorageError::io(format!("{op} {}", path.display()), &source)
            }
            TsdbError::Corruption {
                file,
                offset,
                reason,
            } => StorageError::Corruption {
                file: file.display().to_string(),
                offset,
                reason,
            },
            TsdbError::Chunk { bit, reason } => StorageError::Corruption {
                file: "<chunk>".into(),
                offset: bit / 8,
                reason: reason.into(),
            },
            TsdbError::Unavailable(s) => StorageError::Unavailable(s),
            other => StorageError::Other(other.to_string()),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = TsdbError> = std::result::Result<T, E>;

/// The error for a poisoned lock.
pub(crate) fn poisoned() -> TsdbError {
    TsdbError::Unavailable("a lock was poisoned by a panicking thread".into())
}
