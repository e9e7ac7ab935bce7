//! tmp
#![allow(missing_docs)]
pub mod chunkenc;
pub(crate) mod encoding;
pub mod error;
pub mod options;
pub mod wal;
