//! Immutable time blocks on disk: one directory per block with chunk files,
//! an index and `meta.json` (formats in `docs/format/`).
//!
//! ```text
//! data/
//!   01JD3.../            a block
//!     meta.json
//!     index
//!     chunks/000001
//!     tombstones         (only after deletes)
//!   01JD4....tmp/        a block being written (removed on start)
//! ```

pub(crate) mod chunks;
pub(crate) mod index;
pub mod meta;
pub(crate) mod mmap;
pub(crate) mod writer;

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use telltale_model::{Labels, Matcher};

use crate::error::{Result, poisoned};
use crate::head::index::resolve_matchers;
use crate::iter::{ChunksIter, Intervals};
use chunks::{ChunkReader, MappedChunk};
use index::{ChunkMeta, IndexReader};
use meta::{BlockMeta, Tombstones};

/// A new block id: 26 characters of Crockford base32 over 48 bits of
/// milliseconds and 80 bits of randomness (a ULID), so ids sort by creation.
pub(crate) fn new_block_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ms = now.as_millis() as u64 & ((1 << 48) - 1);
    let mut x = (now.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut rnd = || {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let v: u128 = (u128::from(ms) << 80) | (u128::from(rnd()) << 16) | u128::from(rnd() & 0xffff);
    (0..26)
        .rev()
        .map(|i| ALPHABET[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// An open block.
pub(crate) struct Block {
    pub dir: PathBuf,
    pub meta: BlockMeta,
    pub index: IndexReader,
    pub chunks: ChunkReader,
    pub tombstones: RwLock<Tombstones>,
}

impl Block {
    /// Opens the block in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = BlockMeta::read(dir)?;
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = ChunkReader::open(&dir.join("chunks"))?;
        let tombstones = meta::read_tombstones(dir)?;
        Ok(Block {
            dir: dir.to_path_buf(),
            meta,
            index,
            chunks,
            tombstones: RwLock::new(tombstones),
        })
    }

    pub fn id(&self) -> &str {
        &self.meta.ulid
    }

    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.meta.min_time <= maxt && self.meta.max_time >= mint
    }

    /// Bytes on disk (index and chunks).
    pub fn size(&self) -> u64 {
        self.index.size() + self.chunks.size()
    }

    /// Series ids selected by `matchers`, sorted (so sorted by labels).
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<u64>> {
        let err = std::cell::RefCell::new(None);
        let keep = |r: Result<Vec<u64>>| match r {
            Ok(v) => v,
            Err(e) => {
                err.borrow_mut().get_or_insert(e);
                Vec::new()
            }
        };
        let ids = resolve_matchers(
            matchers,
            |n, v| keep(self.index.postings(n, v)),
            |n, f| keep(self.index.union_where(n, f)),
            || keep(self.index.all_postings()),
        );
        match err.into_inner() {
            Some(e) => Err(e),
            None => Ok(ids),
        }
    }

    pub fn series(&self, id: u64) -> Result<(Labels, Vec<ChunkMeta>)> {
        self.index.series(id)
    }

    pub fn deleted(&self, id: u64) -> Intervals {
        self.tombstones
            .read()
            .ok()
            .and_then(|t| t.get(&id).cloned())
            .unwrap_or_default()
    }

    /// An iterator over the samples of a series in `[mint, maxt]`.
    pub fn iter(
        &self,
        id: u64,
        metas: &[ChunkMeta],
        mint: i64,
        maxt: i64,
    ) -> Result<ChunksIter<MappedChunk>> {
        let mut cs = Vec::new();
        for m in metas {
            if m.maxt >= mint && m.mint <= maxt {
                let c = self.chunks.chunk(m.r)?;
                cs.push((c.enc, c));
            }
        }
        Ok(ChunksIter::new(cs, mint, maxt, self.deleted(id)))
    }

    /// Records that `[mint, maxt]` of the selected series is deleted.
    /// Returns the number of series affected.
    pub fn delete(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<usize> {
        if !self.overlaps(mint, maxt) {
            return Ok(0);
        }
        let ids = self.select(matchers)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let mut ts = self.tombstones.write().map_err(|_| poisoned())?;
        let mut new = ts.clone();
        for id in &ids {
            new.entry(*id).or_default().push((mint, maxt));
        }
        meta::write_tombstones(&self.dir, &new)?;
        *ts = new;
        Ok(ids.len())
    }

    pub fn has_tombstones(&self) -> bool {
        self.tombstones
            .read()
            .map(|t| !t.is_empty())
            .unwrap_or(false)
    }
}
