//! Writing a block: chunks first, then the index, then `meta.json`, all in
//! `<id>.tmp/`, synced, and renamed to `<id>/` in one step.

use std::fs;
use std::path::{Path, PathBuf};

use telltale_model::Labels;

use super::chunks::ChunkWriter;
use super::index::{ChunkMeta, IndexWriter};
use super::meta::{BlockCompaction, BlockMeta, BlockStats, META_VERSION};
use crate::chunkenc::{encode_best, num_samples};
use crate::error::{Result, TsdbError};
use crate::wal::segment::sync_dir;

/// A chunk to write: its time range and XOR bytes.
pub(crate) struct OutChunk {
    pub mint: i64,
    pub maxt: i64,
    pub enc: u8,
    pub data: Box<[u8]>,
}

/// Cuts samples (sorted, unique timestamps) into chunks of `per_chunk`.
pub(crate) fn rechunk(samples: &[(i64, f64)], per_chunk: usize) -> Vec<OutChunk> {
    samples
        .chunks(per_chunk.max(1))
        .filter_map(|part| {
            let (f, l) = (part.first()?, part.last()?);
            let (enc, data) = encode_best(part);
            Some(OutChunk {
                mint: f.0,
                maxt: l.0,
                enc,
                data: data.into_boxed_slice(),
            })
        })
        .collect()
}

/// Writes one block.
pub(crate) struct BlockWriter {
    parent: PathBuf,
    id: String,
    tmp: PathBuf,
    chunks: ChunkWriter,
    index: IndexWriter,
    stats: BlockStats,
    mint: i64,
    maxt: i64,
}

impl BlockWriter {
    /// Starts a block in `parent` whose series use only `symbols` (sorted,
    /// unique).
    pub fn new(parent: &Path, symbols: &[String]) -> Result<Self> {
        let id = super::new_block_id();
        let tmp = parent.join(format!("{id}.tmp"));
        fs::create_dir_all(&tmp).map_err(|e| TsdbError::io("create dir", &tmp, e))?;
        let chunks = ChunkWriter::new(&tmp.join("chunks"))?;
        let index = IndexWriter::new(&tmp.join("index"), symbols)?;
        Ok(BlockWriter {
            parent: parent.to_path_buf(),
            id,
            tmp,
            chunks,
            index,
            stats: BlockStats::default(),
            mint: i64::MAX,
            maxt: i64::MIN,
        })
    }

    /// Adds a series (in label order) with its chunks (in time order, not
    /// overlapping). A series without chunks is skipped.
    pub fn add_series(&mut self, labels: &Labels, chunks: &[OutChunk]) -> Result<()> {
        if chunks.is_empty() {
            return Ok(());
        }
        let mut metas = Vec::with_capacity(chunks.len());
        for c in chunks {
            let r = self.chunks.write(c.enc, &c.data)?;
            metas.push(ChunkMeta {
                mint: c.mint,
                maxt: c.maxt,
                r,
            });
            self.stats.num_samples += num_samples(&c.data) as u64;
            self.mint = self.mint.min(c.mint);
            self.maxt = self.maxt.max(c.maxt);
        }
        self.stats.num_chunks += chunks.len() as u64;
        self.stats.num_series += 1;
        self.index.add_series(labels, &metas)?;
        Ok(())
    }

    /// Finishes the block and moves it into place. Returns `None` (and
    /// leaves nothing behind) when no series was added.
    pub fn finish(self, level: u32, parents: Vec<String>) -> Result<Option<(PathBuf, BlockMeta)>> {
        self.chunks.close()?;
        self.index.finish()?;
        if self.stats.num_series == 0 {
            fs::remove_dir_all(&self.tmp).map_err(|e| TsdbError::io("remove", &self.tmp, e))?;
            return Ok(None);
        }
        let meta = BlockMeta {
            version: META_VERSION,
            ulid: self.id.clone(),
            min_time: self.mint,
            max_time: self.maxt,
            stats: self.stats,
            compaction: BlockCompaction { level, parents },
        };
        meta.write(&self.tmp)?;
        sync_dir(&self.tmp.join("chunks"))?;
        sync_dir(&self.tmp)?;
        let fin = self.parent.join(&self.id);
        fs::rename(&self.tmp, &fin).map_err(|e| TsdbError::io("rename", &self.tmp, e))?;
        sync_dir(&self.parent)?;
        Ok(Some((fin, meta)))
    }
}
