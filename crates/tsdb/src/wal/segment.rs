//! The record log: numbered segment files of CRC32C-checked records, with
//! no knowledge of what a record means (that is [`super::record`]).
//!
//! ```text
//! segment file = header record*
//! header       = "TTWL" (4 bytes) | version u8 = 1 | 3 zero bytes
//! record       = len u32le | crc32c(payload) u32le | payload (len bytes)
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, TsdbError};

/// The magic bytes that open every WAL segment.
pub const SEGMENT_MAGIC: &[u8; 4] = b"TTWL";
/// The segment format version.
pub const SEGMENT_VERSION: u8 = 1;
/// The size of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 8;
/// The size of a record frame before the payload.
pub const FRAME_LEN: usize = 8;
/// The largest record payload accepted (bounds memory on replay).
pub const MAX_RECORD_LEN: usize = 256 << 20;

/// The file name of segment `n`.
pub fn segment_name(n: u64) -> String {
    format!("{n:08}")
}

/// Lists the segments in `dir`, sorted by number.
///
/// # Errors
///
/// I/O errors reading the directory.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(TsdbError::io("read dir", dir, e)),
    };
    for ent in rd {
        let ent = ent.map_err(|e| TsdbError::io("read dir", dir, e))?;
        let name = ent.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() == 8
            && name.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = name.parse::<u64>()
        {
            out.push((n, ent.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// How reading a segment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentEnd {
    /// Every byte was part of a valid record.
    Clean,
    /// The data from `offset` on is not a valid record.
    Damaged {
        /// The offset of the first bad byte (a record boundary).
        offset: u64,
        /// Why it is bad.
        reason: String,
    },
}

/// Reads every valid record of the segment at `path`, calling `f` with each
/// record's offset and payload, and reports where (if anywhere) the valid data ends.
///
/// # Errors
///
/// I/O errors, and errors returned by `f`.
pub fn read_segment(
    path: &Path,
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<SegmentEnd> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut fh| fh.read_to_end(&mut data))
        .map_err(|e| TsdbError::io("read", path, e))?;
    if data.len() < SEGMENT_HEADER_LEN {
        return Ok(SegmentEnd::Damaged {
            offset: 0,
            reason: format!("segment header truncated ({} bytes)", data.len()),
        });
    }
    if &data[..4] != SEGMENT_MAGIC {
        return Ok(SegmentEnd::Damaged {
            offset: 0,
            reason: "bad segment magic".into(),
        });
    }
    if data[4] != SEGMENT_VERSION {
        return Err(TsdbError::corruption(
            path,
            4,
            format!("unsupported WAL segment version {}", data[4]),
        ));
    }
    let mut pos = SEGMENT_HEADER_LEN;
    while pos < data.len() {
        let rest = &data[pos..];
        if rest.len() < FRAME_LEN {
            return Ok(SegmentEnd::Damaged {
                offset: pos as u64,
                reason: format!("torn record frame ({} bytes)", rest.len()),
            });
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len == 0 || len > MAX_RECORD_LEN {
            return Ok(SegmentEnd::Damaged {
                offset: pos as u64,
                reason: format!("invalid record length {len}"),
            });
        }
        if rest.len() < FRAME_LEN + len {
            return Ok(SegmentEnd::Damaged {
                offset: pos as u64,
                reason: format!(
                    "torn record: {} of {} payload bytes present",
                    rest.len() - FRAME_LEN,
                    len
                ),
            });
        }
        let payload = &rest[FRAME_LEN..FRAME_LEN + len];
        if crc32c::crc32c(payload) != crc {
            return Ok(SegmentEnd::Damaged {
                offset: pos as u64,
                reason: "record checksum mismatch".into(),
            });
        }
        f(pos as u64, payload)?;
        pos += FRAME_LEN + len;
    }
    Ok(SegmentEnd::Clean)
}

/// An open segment being appended to.
#[derive(Debug)]
pub struct SegmentWriter {
    file: File,
    path: PathBuf,
    /// The segment number.
    pub number: u64,
    /// Bytes in the file.
    pub size: u64,
}

impl SegmentWriter {
    /// Creates segment `n` in `dir` (truncating any file of that name) and
    /// writes its header.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn create(dir: &Path, n: u64) -> Result<Self> {
        let path = dir.join(segment_name(n));
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| TsdbError::io("create", &path, e))?;
        let mut hdr = [0u8; SEGMENT_HEADER_LEN];
        hdr[..4].copy_from_slice(SEGMENT_MAGIC);
        hdr[4] = SEGMENT_VERSION;
        file.write_all(&hdr)
            .map_err(|e| TsdbError::io("write", &path, e))?;
        Ok(SegmentWriter {
            file,
            path,
            number: n,
            size: SEGMENT_HEADER_LEN as u64,
        })
    }

    /// Opens segment `n` for appending at its end (after repair, the end is
    /// a record boundary).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn open_append(dir: &Path, n: u64) -> Result<Self> {
        let path = dir.join(segment_name(n));
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| TsdbError::io("open", &path, e))?;
        let size = file
            .metadata()
            .map_err(|e| TsdbError::io("stat", &path, e))?
            .len();
        Ok(SegmentWriter {
            file,
            path,
            number: n,
            size,
        })
    }

    /// Writes framed bytes (see [`frame`]) in one system call.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&mut self, framed: &[u8]) -> Result<()> {
        self.file
            .write_all(framed)
            .map_err(|e| TsdbError::io("write", &self.path, e))?;
        self.size += framed.len() as u64;
        Ok(())
    }

    /// Flushes the file's data to stable storage.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| TsdbError::io("fsync", &self.path, e))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Appends `payload` with its frame to `out`.
pub fn frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Cuts the segment at `path` to `offset` bytes and syncs it.
///
/// # Errors
///
/// I/O errors.
pub fn truncate_segment(path: &Path, offset: u64) -> Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| TsdbError::io("open", path, e))?;
    f.set_len(offset)
        .map_err(|e| TsdbError::io("truncate", path, e))?;
    f.sync_all().map_err(|e| TsdbError::io("fsync", path, e))
}

/// Syncs a directory so that created, renamed and removed entries persist.
///
/// # Errors
///
/// I/O errors.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| TsdbError::io("fsync dir", dir, e))
}
