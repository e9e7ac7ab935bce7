//! Moving data from the head into blocks, WAL checkpoints, deletes,
//! snapshots and the maintenance pass that ties them together.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use telltale_model::{Labels, Matcher};

use crate::block::Block;
use crate::block::meta::BlockMeta;
use crate::block::writer::{BlockWriter, OutChunk, rechunk};
use crate::chunkenc::decode_any;
use crate::db::{Db, WAL_DIR};
use crate::error::{Result, TsdbError, poisoned};
use crate::head::TakenSeries;
use crate::head::replay::checkpoint_records;
use crate::wal::record::{RefTombstone, encode_tombstones};
use crate::wal::segment::sync_dir;
use crate::wal::write_checkpoint;

/// Write a checkpoint when this many WAL segments were started since the
/// last one, so replay time stays bounded even while the head is not
/// persisted.
const CHECKPOINT_EVERY_SEGMENTS: u64 = 2;

fn series_chunks(t: &TakenSeries, per_chunk: usize) -> Result<Vec<OutChunk>> {
    if t.ooo.is_empty() {
        return Ok(t
            .chunks
            .iter()
            .map(|c| OutChunk {
                mint: c.mint,
                maxt: c.maxt(),
                enc: c.enc,
                data: Box::from(&c.data[..]),
            })
            .collect());
    }
    let mut all: Vec<(i64, f64)> = Vec::new();
    for c in &t.chunks {
        all.extend(decode_any(c.enc, &c.data)?);
    }
    all.extend(t.ooo.iter().copied());
    all.sort_by_key(|s| s.0);
    all.dedup_by_key(|s| s.0);
    Ok(rechunk(&all, per_chunk))
}

impl Db {
    /// Persists everything in the head into a block now, then checkpoints
    /// the WAL. Used for snapshots, benchmarks and shutdown.
    ///
    /// # Errors
    ///
    /// I/O errors; the head keeps its data if the block was not written.
    pub fn flush(&self) -> Result<()> {
        let _m = self.inner.maintenance.lock().map_err(|_| poisoned())?;
        self.persist_before(i64::MAX)?;
        Ok(())
    }

    /// Persists head data older than `before` into a block.
    pub(crate) fn persist_before(&self, before: i64) -> Result<Option<BlockMeta>> {
        let inner = &self.inner;
        let seg = inner.wal.lock().map_err(|_| poisoned())?.rotate()?;
        let taken = inner.head.snapshot_before(before)?;
        let mut meta = None;
        if !taken.is_empty() {
            let mut order: Vec<(Labels, usize)> = taken
                .iter()
                .enumerate()
                .map(|(i, t)| (inner.head.labels_of(&t.series), i))
                .collect();
            order.sort();
            let mut symbols = BTreeSet::new();
            for (l, _) in &order {
                for x in l {
                    if !symbols.contains(&x.name) {
                        symbols.insert(x.name.clone());
                    }
                    if !symbols.contains(&x.value) {
                        symbols.insert(x.value.clone());
                    }
                }
            }
            let symbols: Vec<String> = symbols.into_iter().collect();
            let mut w = BlockWriter::new(&inner.dir, &symbols)?;
            for (l, i) in &order {
                w.add_series(l, &series_chunks(&taken[*i], inner.opts.samples_per_chunk)?)?;
            }
            if let Some((path, m)) = w.finish(1, Vec::new())? {
                let b = Arc::new(Block::open(&path)?);
                tracing::info!(block = %m.ulid, mint = m.min_time, maxt = m.max_time,
                    series = m.stats.num_series, samples = m.stats.num_samples, "head persisted");
                self.add_block(b)?;
                meta = Some(m);
            }
            inner.head.drop_persisted(&taken)?;
        }
        drop(taken);
        inner.head.gc()?;
        self.checkpoint(seg - 1)?;
        Ok(meta)
    }

    fn add_block(&self, b: Arc<Block>) -> Result<()> {
        let mut bl = self.inner.blocks.write().map_err(|_| poisoned())?;
        bl.push(b);
        bl.sort_by(|a, b| (a.meta.min_time, a.id()).cmp(&(b.meta.min_time, b.id())));
        Ok(())
    }

    /// Writes a checkpoint standing for WAL segments up to `upto`.
    fn checkpoint(&self, upto: u64) -> Result<()> {
        let records = checkpoint_records(&self.inner.head)?;
        write_checkpoint(&self.inner.dir.join(WAL_DIR), upto, &records)?;
        *self
            .inner
            .last_checkpoint_segment
            .lock()
            .map_err(|_| poisoned())? = upto + 1;
        Ok(())
    }

    /// One pass of background work: persists the oldest block range of the
    /// head once the head spans 1.5 block durations, checkpoints a growing
    /// WAL, compacts blocks, applies retention and drops empty series.
    /// The background thread calls this every
    /// [`Options::maintenance_interval`](crate::Options::maintenance_interval).
    ///
    /// # Errors
    ///
    /// I/O errors; the pass can simply be retried.
    pub fn run_maintenance(&self) -> Result<()> {
        let _m = self.inner.maintenance.lock().map_err(|_| poisoned())?;
        let block = self.inner.opts.block_ms();
        loop {
            let hmin = self.inner.head.min_time.load(Ordering::Relaxed);
            let hmax = self.inner.head.max_time.load(Ordering::Relaxed);
            if hmin == i64::MAX || hmax.saturating_sub(hmin) < block / 2 * 3 {
                break;
            }
            let before = hmin
                .div_euclid(block)
                .saturating_add(1)
                .saturating_mul(block);
            self.persist_before(before)?;
        }
        let cur = self
            .inner
            .wal
            .lock()
            .map_err(|_| poisoned())?
            .current_segment();
        let last = *self
            .inner
            .last_checkpoint_segment
            .lock()
            .map_err(|_| poisoned())?;
        if cur.saturating_sub(last) >= CHECKPOINT_EVERY_SEGMENTS {
            let seg = self.inner.wal.lock().map_err(|_| poisoned())?.rotate()?;
            self.inner.head.gc()?;
            self.checkpoint(seg - 1)?;
        }
        self.compact_all()?;
        self.apply_retention()?;
        self.inner.head.gc()?;
        Ok(())
    }

    /// Deletes the samples in `[mint, maxt]` of the series selected by
    /// `matchers`: at once from the head (logged to the WAL), through
    /// tombstones in blocks (rewritten by [`Db::clean_tombstones`]).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn delete(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<()> {
        let _m = self.inner.maintenance.lock().map_err(|_| poisoned())?;
        let series = self.inner.head.select_series(matchers);
        if !series.is_empty() {
            let ts: Vec<RefTombstone> = series
                .iter()
                .map(|s| RefTombstone { r: s.r, mint, maxt })
                .collect();
            let mut rec = Vec::new();
            encode_tombstones(&mut rec, &ts);
            let mut wal = self.inner.wal.lock().map_err(|_| poisoned())?;
            wal.log(&[&rec])?;
            for s in &series {
                s.data
                    .lock()
                    .map_err(|_| poisoned())?
                    .delete_range(mint, maxt);
            }
        }
        for b in self.blocks() {
            b.delete(matchers, mint, maxt)?;
        }
        Ok(())
    }

    /// Persists the head and writes a copy of every block into `dir`
    /// (hard links where possible), a consistent backup that opens as a
    /// database of its own.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn snapshot(&self, dir: &Path) -> Result<()> {
        self.flush()?;
        let _m = self.inner.maintenance.lock().map_err(|_| poisoned())?;
        fs::create_dir_all(dir).map_err(|e| TsdbError::io("create dir", dir, e))?;
        for b in self.blocks() {
            copy_dir(&b.dir, &dir.join(b.id()))?;
        }
        sync_dir(dir)
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| TsdbError::io("create dir", to, e))?;
    let rd = fs::read_dir(from).map_err(|e| TsdbError::io("read dir", from, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| TsdbError::io("read dir", from, e))?;
        let (src, dst) = (ent.path(), to.join(ent.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else if fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).map_err(|e| TsdbError::io("copy", &src, e))?;
        }
    }
    sync_dir(to)
}
