//! Chunk files of a block: `chunks/000001`, `chunks/000002`, ...
//!
//! ```text
//! file  = "TTCK" | version u8 = 1 | 3 zero bytes | chunk*
//! chunk = len uvarint | encoding u8 | data (len bytes) | crc32c(encoding, data) u32le
//! ref   = file number (1-based) << 32 | offset of the chunk in that file
//! ```

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use super::mmap::map_file;
use crate::chunkenc::known_encoding;
use crate::encoding::Enc;
use crate::error::{Result, TsdbError};

/// Magic bytes of a chunk file.
pub const CHUNKS_MAGIC: &[u8; 4] = b"TTCK";
/// Chunk file format version.
pub const CHUNKS_VERSION: u8 = 1;
const HEADER_LEN: u64 = 8;
/// The largest chunk file before a new one is started.
pub const MAX_CHUNK_FILE: u64 = 512 << 20;

fn file_name(n: u32) -> String {
    format!("{n:06}")
}

/// Writes chunk files.
pub(crate) struct ChunkWriter {
    dir: PathBuf,
    file: Option<(u32, BufWriter<File>, PathBuf)>,
    n: u32,
    offset: u64,
    scratch: Vec<u8>,
}

impl ChunkWriter {
    pub fn new(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| TsdbError::io("create dir", dir, e))?;
        Ok(ChunkWriter {
            dir: dir.to_path_buf(),
            file: None,
            n: 0,
            offset: 0,
            scratch: Vec::new(),
        })
    }

    fn cut(&mut self) -> Result<()> {
        self.finish_file()?;
        self.n += 1;
        let p = self.dir.join(file_name(self.n));
        let f = File::create(&p).map_err(|e| TsdbError::io("create", &p, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut hdr = [0u8; HEADER_LEN as usize];
        hdr[..4].copy_from_slice(CHUNKS_MAGIC);
        hdr[4] = CHUNKS_VERSION;
        w.write_all(&hdr)
            .map_err(|e| TsdbError::io("write", &p, e))?;
        self.offset = HEADER_LEN;
        self.file = Some((self.n, w, p));
        Ok(())
    }

    fn finish_file(&mut self) -> Result<()> {
        if let Some((_, w, p)) = self.file.take() {
            let f = w
                .into_inner()
                .map_err(|e| TsdbError::io("write", &p, e.into_error()))?;
            f.sync_all().map_err(|e| TsdbError::io("fsync", &p, e))?;
        }
        Ok(())
    }

    /// Writes one chunk of encoding `enc` and returns its reference.
    pub fn write(&mut self, enc: u8, data: &[u8]) -> Result<u64> {
        self.scratch.clear();
        self.scratch.put_uvarint(data.len() as u64);
        let hdr = self.scratch.len();
        self.scratch.push(enc);
        self.scratch.extend_from_slice(data);
        let crc = crc32c::crc32c(&self.scratch[hdr..]);
        self.scratch.put_u32(crc);
        if self.file.is_none() || self.offset + self.scratch.len() as u64 > MAX_CHUNK_FILE {
            self.cut()?;
        }
        let Some((n, w, p)) = self.file.as_mut() else {
            return Err(TsdbError::Unavailable("chunk file not open".into()));
        };
        w.write_all(&self.scratch)
            .map_err(|e| TsdbError::io("write", p, e))?;
        let r = (u64::from(*n) << 32) | self.offset;
        self.offset += self.scratch.len() as u64;
        Ok(r)
    }

    pub fn close(mut self) -> Result<()> {
        self.finish_file()
    }
}

/// The bytes of one chunk inside a mapped chunk file.
#[derive(Clone)]
pub(crate) struct MappedChunk {
    pub enc: u8,
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for MappedChunk {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

/// Reads the chunk files of a block.
pub(crate) struct ChunkReader {
    files: Vec<(PathBuf, Arc<Mmap>)>,
}

impl ChunkReader {
    pub fn open(dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        for n in 1.. {
            let p = dir.join(file_name(n));
            if !p.exists() {
                break;
            }
            let m = map_file(&p)?;
            if m.len() < HEADER_LEN as usize || &m[..4] != CHUNKS_MAGIC {
                return Err(TsdbError::corruption(&p, 0, "bad chunk file magic"));
            }
            if m[4] != CHUNKS_VERSION {
                return Err(TsdbError::corruption(
                    &p,
                    4,
                    format!("unsupported chunk file version {}", m[4]),
                ));
            }
            files.push((p, Arc::new(m)));
        }
        Ok(ChunkReader { files })
    }

    /// The chunk at `r`, checksum verified.
    pub fn chunk(&self, r: u64) -> Result<MappedChunk> {
        let n = (r >> 32) as usize;
        let off = (r & 0xffff_ffff) as usize;
        let Some((p, m)) = n.checked_sub(1).and_then(|i| self.files.get(i)) else {
            return Err(TsdbError::Corruption {
                file: PathBuf::from(format!("chunks/{}", file_name(n as u32))),
                offset: off as u64,
                reason: "chunk reference to a missing chunk file".into(),
            });
        };
        let bad = |reason: &str| TsdbError::corruption(p, off as u64, reason.to_string());
        if off >= m.len() {
            return Err(bad("chunk reference beyond the end of the file"));
        }
        let mut d = crate::encoding::Dec::new(&m[off..]);
        let len = d
            .uvarint("chunk length")
            .map_err(|_| bad("truncated chunk length"))? as usize;
        let start = off + d.pos();
        let end = start
            .checked_add(1 + len + 4)
            .filter(|e| *e <= m.len())
            .ok_or_else(|| bad("chunk extends beyond the end of the file"))?;
        let body = &m[start..end - 4];
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&m[end - 4..end]);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc) {
            return Err(bad("chunk checksum mismatch"));
        }
        if !known_encoding(body[0]) {
            return Err(bad("unknown chunk encoding"));
        }
        Ok(MappedChunk {
            enc: body[0],
            map: m.clone(),
            start: start + 1,
            end: end - 4,
        })
    }

    pub fn size(&self) -> u64 {
        self.files.iter().map(|(_, m)| m.len() as u64).sum()
    }
}
