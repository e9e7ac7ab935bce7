//! `meta.json` and the `tombstones` file of a block.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::encoding::{Dec, Enc};
use crate::error::{Result, TsdbError};
use crate::iter::Intervals;
use crate::wal::segment::sync_dir;

/// The block metadata format version.
pub const META_VERSION: u32 = 1;
/// The file name of the metadata.
pub const META_FILE: &str = "meta.json";
/// The file name of the tombstones.
pub const TOMBSTONES_FILE: &str = "tombstones";
const TOMBSTONES_MAGIC: &[u8; 4] = b"TTTS";
const TOMBSTONES_VERSION: u8 = 1;

/// Counts of what a block holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStats {
    /// Samples.
    pub num_samples: u64,
    /// Series.
    pub num_series: u64,
    /// Chunks.
    pub num_chunks: u64,
}

/// How a block came to be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockCompaction {
    /// 1 for a block written from the head, +1 per compaction.
    pub level: u32,
    /// The ids of the blocks this one replaces (deleted once it exists).
    #[serde(default)]
    pub parents: Vec<String>,
}

/// The contents of `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// Format version of the block ([`META_VERSION`]).
    pub version: u32,
    /// The block id (also its directory name).
    pub ulid: String,
    /// The oldest sample's timestamp.
    pub min_time: i64,
    /// The newest sample's timestamp (inclusive).
    pub max_time: i64,
    /// Counts.
    pub stats: BlockStats,
    /// Compaction history.
    pub compaction: BlockCompaction,
}

impl BlockMeta {
    /// Reads `dir/meta.json`.
    ///
    /// # Errors
    ///
    /// I/O errors and [`TsdbError::Corruption`] for bad JSON or an unknown
    /// version.
    pub fn read(dir: &Path) -> Result<Self> {
        let p = dir.join(META_FILE);
        let b = fs::read(&p).map_err(|e| TsdbError::io("read", &p, e))?;
        let m: BlockMeta = serde_json::from_slice(&b).map_err(|e| {
            TsdbError::corruption(&p, e.column() as u64, format!("bad meta.json: {e}"))
        })?;
        if m.version != META_VERSION {
            return Err(TsdbError::corruption(
                &p,
                0,
                format!("unsupported block version {}", m.version),
            ));
        }
        Ok(m)
    }

    /// Writes `dir/meta.json` (synced).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let p = dir.join(META_FILE);
        let b = serde_json::to_vec_pretty(self).map_err(|e| TsdbError::InvalidOption {
            name: "meta",
            reason: e.to_string(),
        })?;
        write_synced(&p, &b)
    }
}

pub(crate) fn write_synced(p: &Path, b: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = fs::File::create(p).map_err(|e| TsdbError::io("create", p, e))?;
    f.write_all(b).map_err(|e| TsdbError::io("write", p, e))?;
    f.sync_all().map_err(|e| TsdbError::io("fsync", p, e))
}

/// Deleted intervals per series id.
pub(crate) type Tombstones = HashMap<u64, Intervals>;

/// Reads `dir/tombstones` (empty if absent).
pub(crate) fn read_tombstones(dir: &Path) -> Result<Tombstones> {
    let p = dir.join(TOMBSTONES_FILE);
    let b = match fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tombstones::new()),
        Err(e) => return Err(TsdbError::io("read", &p, e)),
    };
    if b.len() < 12 || &b[..4] != TOMBSTONES_MAGIC {
        return Err(TsdbError::corruption(&p, 0, "bad tombstones magic"));
    }
    if b[4] != TOMBSTONES_VERSION {
        return Err(TsdbError::corruption(
            &p,
            4,
            format!("unsupported tombstones version {}", b[4]),
        ));
    }
    let body = &b[8..b.len() - 4];
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&b[b.len() - 4..]);
    if crc32c::crc32c(body) != u32::from_le_bytes(crc) {
        return Err(TsdbError::corruption(&p, 8, "tombstones checksum mismatch"));
    }
    let bad = |e: crate::encoding::DecodeError| {
        TsdbError::corruption(&p, 8 + e.offset as u64, "bad tombstone entry")
    };
    let mut d = Dec::new(body);
    let n = d.len("count").map_err(bad)?;
    let mut out = Tombstones::new();
    for _ in 0..n {
        let id = d.uvarint("id").map_err(bad)?;
        let a = d.varint("mint").map_err(bad)?;
        let z = d.varint("maxt").map_err(bad)?;
        out.entry(id).or_default().push((a, z));
    }
    Ok(out)
}

/// Writes `dir/tombstones` atomically (temporary file and rename).
pub(crate) fn write_tombstones(dir: &Path, ts: &Tombstones) -> Result<()> {
    let mut body = Vec::new();
    let n: usize = ts.values().map(Vec::len).sum();
    body.put_uvarint(n as u64);
    let mut ids: Vec<&u64> = ts.keys().collect();
    ids.sort();
    for id in ids {
        for &(a, z) in &ts[id] {
            body.put_uvarint(*id);
            body.put_varint(a);
            body.put_varint(z);
        }
    }
    let mut b = Vec::with_capacity(body.len() + 12);
    b.extend_from_slice(TOMBSTONES_MAGIC);
    b.extend_from_slice(&[TOMBSTONES_VERSION, 0, 0, 0]);
    b.extend_from_slice(&body);
    b.put_u32(crc32c::crc32c(&body));
    let tmp = dir.join(format!("{TOMBSTONES_FILE}.tmp"));
    write_synced(&tmp, &b)?;
    let p = dir.join(TOMBSTONES_FILE);
    fs::rename(&tmp, &p).map_err(|e| TsdbError::io("rename", &tmp, e))?;
    sync_dir(dir)
}
