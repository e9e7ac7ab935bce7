//! The one place that maps files into memory.
#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use crate::error::{Result, TsdbError};

/// Maps the whole file at `path` read-only.
///
/// # Errors
///
/// I/O errors opening or mapping the file.
pub(crate) fn map_file(path: &Path) -> Result<Mmap> {
    let f = File::open(path).map_err(|e| TsdbError::io("open", path, e))?;
    // SAFETY: we only map files of finished blocks. A block is written in a
    // temporary directory, fsynced, and renamed into place; after that no
    // process of ours writes to its files again (deletion unlinks them,
    // which leaves existing mappings intact on Unix). Nothing else is meant
    // to write into the data directory. Reads through the map are bounds-
    // checked slices, and every structure read from it is checksummed.
    let m = unsafe { Mmap::map(&f) }.map_err(|e| TsdbError::io("mmap", path, e))?;
    Ok(m)
}
