//! The head: the most recent data, in memory.
//!
//! Series live in [`SHARDS`] shards, each behind its own lock; a series
//! reference carries its shard in the low bits, so lookups by reference and
//! by label hash both touch one shard. Each series has its own lock for its
//! chunks. Postings and symbols have one lock each and are touched only when
//! series are created, removed or selected.
//!
//! - [`series`]: one series, its chunks and the acceptance rules.
//! - [`index`]: series maps, postings, symbols.
//! - [`append`]: the [`HeadAppender`] (WAL first, then memory).
//! - [`read`]: what queries read.
//! - [`replay`]: rebuilding the head from the WAL.

pub(crate) mod append;
pub(crate) mod index;
pub(crate) mod read;
pub(crate) mod replay;
pub(crate) mod series;

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use telltale_model::{Labels, StorageError};

use crate::error::{Result, poisoned};
use crate::options::Options;
use index::{Postings, Shard, Symbols};
use series::{AppendParams, HeadChunk, MemSeries};

pub(crate) use append::HeadAppender;

/// The number of series shards (a power of two).
pub(crate) const SHARDS: usize = 64;
const SHARD_BITS: u32 = 6;

/// Counters of what happened to appended samples.
#[derive(Debug, Default)]
pub(crate) struct HeadCounters {
    pub samples: AtomicU64,
    pub out_of_order_accepted: AtomicU64,
    pub out_of_order_rejected: AtomicU64,
    pub duplicates_rejected: AtomicU64,
    pub series_limit_rejected: AtomicU64,
    pub series_created: AtomicU64,
    pub series_removed: AtomicU64,
}

pub(crate) struct Head {
    shards: Box<[RwLock<Shard>]>,
    counter: AtomicU64,
    num_series: AtomicUsize,
    pub postings: RwLock<Postings>,
    pub symbols: RwLock<Symbols>,
    pub params: AppendParams,
    max_series: usize,
    max_labels: usize,
    max_label_len: usize,
    /// The oldest and newest timestamps appended since the last truncation
    /// (`i64::MAX` / `i64::MIN` when empty).
    pub min_time: AtomicI64,
    pub max_time: AtomicI64,
    pub counters: HeadCounters,
    /// Series held by uncommitted appenders, by reference: such series are
    /// not garbage-collected even when empty.
    pending: Mutex<index::U64Map<u32>>,
    pub pending_total: AtomicU32,
}

impl Head {
    pub fn new(opts: &Options) -> Self {
        Head {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            counter: AtomicU64::new(1),
            num_series: AtomicUsize::new(0),
            postings: RwLock::new(Postings::default()),
            symbols: RwLock::new(Symbols::default()),
            params: AppendParams {
                ooo_window: opts.ooo_ms(),
                samples_per_chunk: opts.samples_per_chunk,
                block_ms: opts.block_ms(),
            },
            max_series: opts.max_series,
            max_labels: opts.max_labels_per_series,
            max_label_len: opts.max_label_length,
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            counters: HeadCounters::default(),
            pending: Mutex::new(Default::default()),
            pending_total: AtomicU32::new(0),
        }
    }

    fn shard_of_hash(hash: u64) -> usize {
        (hash as usize) & (SHARDS - 1)
    }

    fn shard_of_ref(r: u64) -> usize {
        (r as usize) & (SHARDS - 1)
    }

    pub fn num_series(&self) -> usize {
        self.num_series.load(Ordering::Relaxed)
    }

    pub fn get_by_ref(&self, r: u64) -> Option<Arc<MemSeries>> {
        let sh = self.shards[Self::shard_of_ref(r)].read().ok()?;
        sh.by_ref.get(&r).cloned()
    }

    pub fn get_by_labels(&self, l: &Labels) -> Option<Arc<MemSeries>> {
        let h = l.stable_hash();
        let sh = self.shards[Self::shard_of_hash(h)].read().ok()?;
        let syms = self.symbols.read().ok()?;
        sh.find(h, l, &syms).cloned()
    }

    /// The labels of a series.
    pub fn labels_of(&self, s: &MemSeries) -> Labels {
        self.symbols
            .read()
            .map(|syms| s.labels(&syms))
            .unwrap_or_default()
    }

    fn add_postings(&self, s: &MemSeries) -> Result<(), StorageError> {
        let keys = {
            let syms = self.symbols.read().map_err(|_| lock_err())?;
            s.label_syms(&syms)
        };
        self.postings
            .write()
            .map_err(|_| lock_err())?
            .add(s.r, &keys);
        Ok(())
    }

    fn validate(&self, l: &Labels) -> Result<(), StorageError> {
        let bad = |reason: String| StorageError::InvalidLabels {
            series: l.to_string(),
            reason,
        };
        if l.is_empty() {
            return Err(bad("empty label set".into()));
        }
        if self.max_labels > 0 && l.len() > self.max_labels {
            return Err(bad(format!(
                "{} labels, more than the limit of {}",
                l.len(),
                self.max_labels
            )));
        }
        for x in l {
            if x.name.is_empty() {
                return Err(bad("empty label name".into()));
            }
            if self.max_label_len > 0
                && (x.name.len() > self.max_label_len || x.value.len() > self.max_label_len)
            {
                return Err(bad(format!(
                    "label {} is longer than the limit of {} bytes",
                    x.name, self.max_label_len
                )));
            }
        }
        Ok(())
    }

    /// The series with labels `l`, created if needed. Returns whether it was
    /// created.
    pub fn get_or_create(&self, l: &Labels) -> Result<(Arc<MemSeries>, bool), StorageError> {
        let h = l.stable_hash();
        let si = Self::shard_of_hash(h);
        {
            let sh = self.shards[si].read().map_err(|_| lock_err())?;
            let syms = self.symbols.read().map_err(|_| lock_err())?;
            if let Some(s) = sh.find(h, l, &syms) {
                return Ok((s.clone(), false));
            }
        }
        self.validate(l)?;
        let mut sh = self.shards[si].write().map_err(|_| lock_err())?;
        {
            let syms = self.symbols.read().map_err(|_| lock_err())?;
            if let Some(s) = sh.find(h, l, &syms) {
                return Ok((s.clone(), false));
            }
        }
        if self.max_series > 0 && self.num_series.load(Ordering::Relaxed) >= self.max_series {
            self.counters
                .series_limit_rejected
                .fetch_add(1, Ordering::Relaxed);
            return Err(StorageError::SeriesLimit {
                limit: self.max_series,
                series: l.to_string(),
            });
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = (n << SHARD_BITS) | si as u64;
        let s = Arc::new(self.new_series(r, h, l)?);
        sh.by_ref.insert(r, s.clone());
        sh.insert_hash(h, s.clone());
        drop(sh);
        self.num_series.fetch_add(1, Ordering::Relaxed);
        self.counters.series_created.fetch_add(1, Ordering::Relaxed);
        self.add_postings(&s)?;
        Ok((s, true))
    }

    fn new_series(&self, r: u64, h: u64, l: &Labels) -> Result<MemSeries, StorageError> {
        let mut syms = self.symbols.write().map_err(|_| lock_err())?;
        let labels = l
            .iter()
            .map(|x| (syms.intern(&x.name), syms.intern(&x.value)))
            .collect();
        Ok(MemSeries::new(r, h, labels))
    }

    /// Creates a series with a known reference (WAL replay). A series with
    /// that reference already present is kept.
    pub fn create_with_ref(&self, r: u64, l: &Labels) -> Result<Arc<MemSeries>> {
        if let Some(s) = self.get_by_ref(r) {
            return Ok(s);
        }
        let h = l.stable_hash();
        // The reference's shard bits come from the hash that made it; use
        // them so lookups by reference find it.
        let si = Self::shard_of_ref(r);
        let s = Arc::new(self.new_series(r, h, l)?);
        s.logged.store(true, Ordering::Relaxed);
        {
            let mut sh = self.shards[si].write().map_err(|_| poisoned())?;
            sh.by_ref.insert(r, s.clone());
        }
        {
            let hi = Self::shard_of_hash(h);
            let mut sh = self.shards[hi].write().map_err(|_| poisoned())?;
            sh.insert_hash(h, s.clone());
        }
        self.num_series.fetch_add(1, Ordering::Relaxed);
        self.counter
            .fetch_max((r >> SHARD_BITS) + 1, Ordering::Relaxed);
        self.add_postings(&s)?;
        Ok(s)
    }

    /// Every series, in no particular order.
    pub fn all_series(&self) -> Vec<Arc<MemSeries>> {
        let mut out = Vec::with_capacity(self.num_series());
        for sh in self.shards.iter() {
            if let Ok(sh) = sh.read() {
                out.extend(sh.by_ref.values().cloned());
            }
        }
        out
    }

    /// Every series reference, sorted.
    pub fn all_refs(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.num_series());
        for sh in self.shards.iter() {
            if let Ok(sh) = sh.read() {
                out.extend(sh.by_ref.keys().copied());
            }
        }
        out.sort_unstable();
        out
    }

    pub fn mark_pending(&self, r: u64) {
        if let Ok(mut p) = self.pending.lock() {
            *p.entry(r).or_default() += 1;
            self.pending_total.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn unmark_pending(&self, refs: &[u64]) {
        if refs.is_empty() {
            return;
        }
        if let Ok(mut p) = self.pending.lock() {
            for r in refs {
                if let Some(c) = p.get_mut(r) {
                    *c -= 1;
                    if *c == 0 {
                        p.remove(r);
                    }
                }
            }
            self.pending_total
                .fetch_sub(refs.len() as u32, Ordering::Relaxed);
        }
    }

    /// Removes series that hold no samples and no appender is using; frees
    /// their postings and unused symbols. Returns how many were removed.
    pub fn gc(&self) -> Result<usize> {
        let pending = self.pending.lock().map_err(|_| poisoned())?.clone();
        let mut removed = Vec::new();
        for sh in self.shards.iter() {
            let mut sh = sh.write().map_err(|_| poisoned())?;
            let dead: Vec<u64> = sh
                .by_ref
                .iter()
                .filter(|(r, s)| {
                    !pending.contains_key(r) && s.data.lock().map(|d| d.is_empty()).unwrap_or(false)
                })
                .map(|(r, _)| *r)
                .collect();
            for r in dead {
                if let Some(s) = sh.by_ref.remove(&r) {
                    removed.push(s);
                }
            }
        }
        for s in &removed {
            let si = Self::shard_of_hash(s.hash);
            let mut sh = self.shards[si].write().map_err(|_| poisoned())?;
            sh.remove_hash(s.hash, s.r);
        }
        {
            let keys: Vec<Vec<_>> = {
                let syms = self.symbols.read().map_err(|_| poisoned())?;
                removed.iter().map(|s| s.label_syms(&syms)).collect()
            };
            let mut p = self.postings.write().map_err(|_| poisoned())?;
            for (s, k) in removed.iter().zip(&keys) {
                p.remove(s.r, k);
            }
        }
        let n = removed.len();
        self.num_series.fetch_sub(n, Ordering::Relaxed);
        self.counters
            .series_removed
            .fetch_add(n as u64, Ordering::Relaxed);
        let mut syms = self.symbols.write().map_err(|_| poisoned())?;
        for s in &removed {
            for (a, b) in s.labels.iter() {
                syms.release(*a);
                syms.release(*b);
            }
        }
        Ok(n)
    }

    /// Shares out every chunk and buffered sample before `before`, for
    /// persisting into a block; the head keeps them until
    /// [`Head::drop_persisted`].
    pub fn snapshot_before(&self, before: i64) -> Result<Vec<TakenSeries>> {
        let mut out = Vec::new();
        for s in self.all_series() {
            let (chunks, ooo) = s
                .data
                .lock()
                .map_err(|_| poisoned())?
                .snapshot_before(before);
            if !chunks.is_empty() || !ooo.is_empty() {
                out.push(TakenSeries {
                    series: s,
                    chunks,
                    ooo,
                });
            }
        }
        Ok(out)
    }

    /// Removes persisted data from the head and recomputes its time range.
    pub fn drop_persisted(&self, taken: &[TakenSeries]) -> Result<()> {
        for t in taken {
            t.series
                .data
                .lock()
                .map_err(|_| poisoned())?
                .drop_persisted(&t.chunks, &t.ooo);
        }
        let mut min = i64::MAX;
        for s in self.all_series() {
            if let Ok(d) = s.data.lock()
                && let Some(t) = d.min_time()
            {
                min = min.min(t);
            }
        }
        self.min_time.store(min, Ordering::Relaxed);
        if min == i64::MAX {
            self.max_time.store(i64::MIN, Ordering::Relaxed);
        }
        Ok(())
    }

    pub fn symbols_stats(&self) -> (usize, usize) {
        self.symbols
            .read()
            .map(|s| (s.len(), s.bytes()))
            .unwrap_or((0, 0))
    }

    pub fn note_time(&self, mint: i64, maxt: i64) {
        self.min_time.fetch_min(mint, Ordering::Relaxed);
        self.max_time.fetch_max(maxt, Ordering::Relaxed);
    }
}

/// Data taken out of one head series.
pub(crate) struct TakenSeries {
    pub series: Arc<MemSeries>,
    pub chunks: Vec<HeadChunk>,
    pub ooo: Vec<(i64, f64)>,
}

fn lock_err() -> StorageError {
    StorageError::Unavailable("head lock poisoned".into())
}
