//! Compaction (merging blocks into larger ones), tombstone cleanup and
//! retention.
//!
//! Block ranges grow by threes from the block duration (2h, 6h, 18h, 54h,
//! ...) up to a tenth of the retention (31 days without one), as in
//! Prometheus: few enough blocks to keep queries cheap, small enough that
//! retention frees space in reasonable steps.

use std::collections::BTreeSet;
use std::fs;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use telltale_model::{Labels, Sample, SampleIterator};

use crate::block::Block;
use crate::block::index::ChunkMeta;
use crate::block::writer::{BlockWriter, OutChunk, rechunk};
use crate::chunkenc::num_samples;
use crate::db::{Db, WAL_DIR};
use crate::error::{Result, TsdbError, poisoned};
use crate::options::Options;

/// The block ranges compaction builds, smallest first.
pub(crate) fn ranges(opts: &Options) -> Vec<i64> {
    let base = opts.block_ms();
    let cap = match opts.retention {
        Some(r) => (i64::try_from(r.as_millis()).unwrap_or(i64::MAX) / 10).max(base),
        None => 31 * 24 * 3600 * 1000,
    };
    let mut out = vec![base];
    let mut r = base;
    while let Some(next) = r.checked_mul(3) {
        if next > cap {
            break;
        }
        out.push(next);
        r = next;
    }
    out
}

/// Chooses blocks to compact next: overlapping blocks first, then blocks
/// that together fill a finished window of a larger range.
pub(crate) fn plan(blocks: &[Arc<Block>], ranges: &[i64], newest: i64) -> Option<Vec<Arc<Block>>> {
    // Overlaps (out-of-order data, or a crash between persisting and
    // checkpointing).
    let mut sorted: Vec<&Arc<Block>> = blocks.iter().collect();
    sorted.sort_by_key(|b| b.meta.min_time);
    let mut group: Vec<Arc<Block>> = Vec::new();
    let mut group_max = i64::MIN;
    for b in &sorted {
        if !group.is_empty() && b.meta.min_time <= group_max {
            group.push((*b).clone());
            group_max = group_max.max(b.meta.max_time);
            continue;
        }
        if group.len() > 1 {
            return Some(group);
        }
        group = vec![(*b).clone()];
        group_max = b.meta.max_time;
    }
    if group.len() > 1 {
        return Some(group);
    }
    for &r in ranges.iter().skip(1) {
        let mut windows: std::collections::BTreeMap<i64, Vec<Arc<Block>>> = Default::default();
        for b in blocks {
            let w = b.meta.min_time.div_euclid(r);
            if b.meta.max_time.div_euclid(r) == w {
                windows.entry(w).or_default().push(b.clone());
            }
        }
        for (w, bs) in windows {
            let end = (w + 1).saturating_mul(r);
            if bs.len() > 1 && newest >= end {
                return Some(bs);
            }
        }
    }
    None
}

/// Cursor over one input block's series, in label order.
struct Cursor {
    ids: Vec<u64>,
    pos: usize,
    cur: Option<(Labels, Vec<ChunkMeta>)>,
}

impl Cursor {
    fn advance(&mut self, b: &Block) -> Result<()> {
        self.cur = match self.ids.get(self.pos) {
            Some(&id) => Some(b.series(id)?),
            None => None,
        };
        self.pos += 1;
        Ok(())
    }
}

/// Writes the union of `blocks` (tombstones applied) as one new block.
pub(crate) fn compact_blocks(
    dir: &std::path::Path,
    blocks: &[Arc<Block>],
    per_chunk: usize,
) -> Result<Option<Arc<Block>>> {
    let mut symbols = BTreeSet::new();
    for b in blocks {
        symbols.extend(b.index.symbols()?);
    }
    let symbols: Vec<String> = symbols.into_iter().collect();
    let mut w = BlockWriter::new(dir, &symbols)?;
    let mut cursors = Vec::with_capacity(blocks.len());
    for b in blocks {
        let mut c = Cursor {
            ids: b.index.all_postings()?,
            pos: 0,
            cur: None,
        };
        c.advance(b)?;
        cursors.push(c);
    }
    while let Some(min) = cursors
        .iter()
        .filter_map(|c| c.cur.as_ref().map(|x| &x.0))
        .min()
        .cloned()
    {
        let mut sources: Vec<(usize, u64, Vec<ChunkMeta>)> = Vec::new();
        for (i, c) in cursors.iter_mut().enumerate() {
            if c.cur.as_ref().is_some_and(|x| x.0 == min) {
                let id = c.ids[c.pos - 1];
                if let Some((_, metas)) = c.cur.take() {
                    sources.push((i, id, metas));
                }
                c.advance(&blocks[i])?;
            }
        }
        let chunks = merge_series(blocks, &sources, per_chunk)?;
        w.add_series(&min, &chunks)?;
    }
    let level = blocks
        .iter()
        .map(|b| b.meta.compaction.level)
        .max()
        .unwrap_or(0)
        + 1;
    let parents = blocks.iter().map(|b| b.id().to_string()).collect();
    match w.finish(level, parents)? {
        Some((path, _)) => Ok(Some(Arc::new(Block::open(&path)?))),
        None => Ok(None),
    }
}

fn merge_series(
    blocks: &[Arc<Block>],
    sources: &[(usize, u64, Vec<ChunkMeta>)],
    per_chunk: usize,
) -> Result<Vec<OutChunk>> {
    if let [(i, id, metas)] = sources {
        let b = &blocks[*i];
        let full = metas.len() <= 1
            || metas[..metas.len() - 1].iter().all(|m| {
                b.chunks
                    .chunk(m.r)
                    .is_ok_and(|c| num_samples(c.as_ref()) >= per_chunk)
            });
        if b.deleted(*id).is_empty() && full {
            let mut out = Vec::with_capacity(metas.len());
            for m in metas {
                let c = b.chunks.chunk(m.r)?;
                out.push(OutChunk {
                    mint: m.mint,
                    maxt: m.maxt,
                    enc: c.enc,
                    data: Box::from(c.as_ref()),
                });
            }
            return Ok(out);
        }
    }
    // Later blocks (newer data) win on equal timestamps.
    let mut all: Vec<(i64, usize, f64)> = Vec::new();
    for (k, (i, id, metas)) in sources.iter().enumerate() {
        let mut it = blocks[*i].iter(*id, metas, i64::MIN, i64::MAX)?;
        while let Some(Sample { t, v }) = it.next()? {
            all.push((t, k, v));
        }
    }
    all.sort_by_key(|a| (a.0, a.1));
    let mut samples: Vec<(i64, f64)> = Vec::with_capacity(all.len());
    for (t, _, v) in all {
        match samples.last_mut() {
            Some(last) if last.0 == t => last.1 = v,
            _ => samples.push((t, v)),
        }
    }
    Ok(rechunk(&samples, per_chunk))
}

impl Db {
    /// Replaces `old` blocks by `new` in the list, then deletes their
    /// directories.
    fn replace_blocks(&self, old: &[Arc<Block>], new: Option<Arc<Block>>) -> Result<()> {
        {
            let mut bl = self.inner.blocks.write().map_err(|_| poisoned())?;
            bl.retain(|b| !old.iter().any(|o| o.id() == b.id()));
            if let Some(n) = new {
                bl.push(n);
            }
            bl.sort_by(|a, b| (a.meta.min_time, a.id()).cmp(&(b.meta.min_time, b.id())));
        }
        for b in old {
            fs::remove_dir_all(&b.dir).map_err(|e| TsdbError::io("remove", &b.dir, e))?;
        }
        Ok(())
    }

    /// Compacts until there is nothing left to compact.
    pub(crate) fn compact_all(&self) -> Result<()> {
        let ranges = ranges(&self.inner.opts);
        for _ in 0..1000 {
            let blocks = self.blocks();
            let newest = blocks
                .iter()
                .map(|b| b.meta.max_time)
                .max()
                .unwrap_or(i64::MIN)
                .max(self.inner.head.max_time.load(Ordering::Relaxed));
            let Some(group) = plan(&blocks, &ranges, newest) else {
                break;
            };
            let new = compact_blocks(&self.inner.dir, &group, self.inner.opts.samples_per_chunk)?;
            tracing::info!(
                inputs = group.len(),
                output = new.as_ref().map(|b| b.id().to_string()),
                "blocks compacted"
            );
            self.replace_blocks(&group, new)?;
        }
        Ok(())
    }

    /// Rewrites every block that has tombstones without the deleted data.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn clean_tombstones(&self) -> Result<()> {
        let _m = self.inner.maintenance.lock().map_err(|_| poisoned())?;
        for b in self.blocks() {
            if !b.has_tombstones() {
                continue;
            }
            let new = compact_blocks(
                &self.inner.dir,
                std::slice::from_ref(&b),
                self.inner.opts.samples_per_chunk,
            )?;
            self.replace_blocks(std::slice::from_ref(&b), new)?;
        }
        Ok(())
    }

    /// Deletes blocks beyond the retention time or size.
    pub(crate) fn apply_retention(&self) -> Result<()> {
        let opts = &self.inner.opts;
        let mut blocks = self.blocks();
        blocks.sort_by_key(|b| b.meta.max_time);
        let mut doomed: Vec<Arc<Block>> = Vec::new();
        if let Some(r) = opts.retention {
            let newest = blocks
                .iter()
                .map(|b| b.meta.max_time)
                .max()
                .unwrap_or(i64::MIN)
                .max(self.inner.head.max_time.load(Ordering::Relaxed));
            let cutoff = newest.saturating_sub(i64::try_from(r.as_millis()).unwrap_or(i64::MAX));
            doomed.extend(blocks.iter().filter(|b| b.meta.max_time < cutoff).cloned());
        }
        if let Some(limit) = opts.retention_size {
            let mut total: u64 = crate::wal::dir_size(&self.inner.dir.join(WAL_DIR))
                + blocks
                    .iter()
                    .filter(|b| !doomed.iter().any(|d| d.id() == b.id()))
                    .map(|b| b.size())
                    .sum::<u64>();
            for b in &blocks {
                if total <= limit {
                    break;
                }
                if doomed.iter().any(|d| d.id() == b.id()) {
                    continue;
                }
                total = total.saturating_sub(b.size());
                doomed.push(b.clone());
            }
        }
        if !doomed.is_empty() {
            for b in &doomed {
                tracing::info!(
                    block = b.id(),
                    mint = b.meta.min_time,
                    maxt = b.meta.max_time,
                    "retention: deleting block"
                );
            }
            self.replace_blocks(&doomed, None)?;
        }
        Ok(())
    }
}
