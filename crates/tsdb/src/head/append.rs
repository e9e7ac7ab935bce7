//! [`HeadAppender`]: buffers a batch, writes it to the WAL, then applies it
//! to the head, all under the commit lock so the WAL order is the order in
//! which samples were applied (replay then decides exactly as ingestion did).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use telltale_model::{Appender, Labels, SeriesRef, StorageError};

use super::Head;
use super::series::{Accept, MemSeries, Reject};
use crate::wal::Wal;
use crate::wal::record::{self, RefSample};

/// Appends to the head; see the module docs.
pub(crate) struct HeadAppender {
    head: Arc<Head>,
    wal: Arc<Mutex<Wal>>,
    batch: Vec<(Arc<MemSeries>, i64, f64)>,
    pending: Vec<u64>,
    /// The newest timestamp of each series in this batch: a sample must
    /// also be in order (or inside the window) relative to those.
    seen: HashMap<u64, i64, std::hash::BuildHasherDefault<super::index::U64Hasher>>,
}

impl HeadAppender {
    pub fn new(head: Arc<Head>, wal: Arc<Mutex<Wal>>) -> Self {
        HeadAppender {
            head,
            wal,
            batch: Vec::new(),
            pending: Vec::new(),
            seen: Default::default(),
        }
    }

    fn series_for(&self, r: SeriesRef, labels: &Labels) -> Result<Arc<MemSeries>, StorageError> {
        if r != 0
            && let Some(s) = self.head.get_by_ref(r)
        {
            return Ok(s);
        }
        Ok(self.head.get_or_create(labels)?.0)
    }

    fn commit_inner(&mut self) -> Result<(), StorageError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let samples: Vec<RefSample> = self
            .batch
            .iter()
            .map(|(s, t, v)| RefSample {
                r: s.r,
                t: *t,
                v: *v,
            })
            .collect();
        let mut samples_rec = Vec::with_capacity(16 + samples.len() * 12);
        record::encode_samples(&mut samples_rec, &samples);

        let mut wal = self
            .wal
            .lock()
            .map_err(|_| StorageError::Unavailable("WAL lock poisoned".into()))?;
        let mut new_series: Vec<&Arc<MemSeries>> = Vec::new();
        for (s, _, _) in &self.batch {
            if !s.logged.load(Ordering::Relaxed) && !new_series.iter().any(|x| x.r == s.r) {
                new_series.push(s);
            }
        }
        let mut series_rec = Vec::new();
        if !new_series.is_empty() {
            let labels: Vec<(u64, Labels)> = new_series
                .iter()
                .map(|s| (s.r, self.head.labels_of(s)))
                .collect();
            record::encode_series(&mut series_rec, labels.iter().map(|(r, l)| (*r, l)));
        }
        wal.log(&[&series_rec, &samples_rec])
            .map_err(StorageError::from)?;
        for s in new_series {
            s.logged.store(true, Ordering::Relaxed);
        }
        let p = self.head.params;
        let c = &self.head.counters;
        let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
        let mut n = 0u64;
        for (s, t, v) in &self.batch {
            let Ok(mut d) = s.data.lock() else { continue };
            match d.append(*t, *v, &p) {
                Ok(a) => {
                    if a == Accept::OutOfOrder {
                        c.out_of_order_accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    if a != Accept::Exists {
                        n += 1;
                        mint = mint.min(*t);
                        maxt = maxt.max(*t);
                    }
                }
                // Another appender committed to the series between append
                // and commit; the WAL holds the sample but replay will
                // reject it the same way.
                Err(Reject::OutOfOrder { .. }) => {
                    c.out_of_order_rejected.fetch_add(1, Ordering::Relaxed);
                }
                Err(Reject::Duplicate) => {
                    c.duplicates_rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        c.samples.fetch_add(n, Ordering::Relaxed);
        if n > 0 {
            self.head.note_time(mint, maxt);
        }
        drop(wal);
        Ok(())
    }

    fn release(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.head.unmark_pending(&pending);
        self.batch.clear();
        self.seen.clear();
    }
}

impl Drop for HeadAppender {
    fn drop(&mut self) {
        self.release();
    }
}

impl Appender for HeadAppender {
    fn append(
        &mut self,
        series_ref: SeriesRef,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, StorageError> {
        let s = self.series_for(series_ref, labels)?;
        {
            let d = s
                .data
                .lock()
                .map_err(|_| StorageError::Unavailable("series lock poisoned".into()))?;
            let batch_max = self.seen.get(&s.r).copied().unwrap_or(i64::MIN);
            let verdict = if batch_max > d.maxt
                && t < batch_max.saturating_sub(self.head.params.ooo_window)
            {
                Err(Reject::OutOfOrder { newest: batch_max })
            } else {
                d.check(t, v, &self.head.params)
            };
            match verdict {
                Ok(_) => {}
                Err(Reject::OutOfOrder { newest }) => {
                    self.head
                        .counters
                        .out_of_order_rejected
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(StorageError::OutOfOrder {
                        series: labels.to_string(),
                        timestamp: t,
                        newest,
                    });
                }
                Err(Reject::Duplicate) => {
                    self.head
                        .counters
                        .duplicates_rejected
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(StorageError::DuplicateSample {
                        series: labels.to_string(),
                        timestamp: t,
                    });
                }
            }
        }
        match self.seen.get_mut(&s.r) {
            Some(m) => *m = (*m).max(t),
            None => {
                self.seen.insert(s.r, t);
                self.head.mark_pending(s.r);
                self.pending.push(s.r);
            }
        }
        let r = s.r;
        self.batch.push((s, t, v));
        Ok(r)
    }

    fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        let res = self.commit_inner();
        self.release();
        res
    }

    fn rollback(mut self: Box<Self>) {
        self.release();
    }
}
