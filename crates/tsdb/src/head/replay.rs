//! Rebuilding the head from WAL records, and writing the checkpoint that
//! stands for the records already applied.

use std::path::Path;
use std::sync::Arc;

use super::Head;
use super::series::{HeadChunk, MemSeries, SeriesData};
use crate::chunkenc::{
    ENCODING_DEC, ENCODING_PACKED, ENCODING_XOR, XorAppender, XorIter, decode_all,
};
use crate::encoding::Dec;
use crate::error::{Result, TsdbError, poisoned};
use crate::wal::record::{self, CheckpointChunk, CheckpointSeries, ChunkKind, Record, RefSample};

/// What replay did.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ReplayCounters {
    pub series: u64,
    pub samples: u64,
    pub unknown_refs: u64,
    pub rejected: u64,
    pub tombstones: u64,
}

/// Applies WAL records to a head.
pub(crate) struct Replayer<'a> {
    head: &'a Head,
    buf: Vec<RefSample>,
    /// References logged for labels that already had a series under
    /// another reference (a series removed and created again while an
    /// older checkpoint still named it): mapped to the existing one.
    aliases: std::collections::HashMap<u64, u64>,
    pub counters: ReplayCounters,
}

impl<'a> Replayer<'a> {
    pub fn new(head: &'a Head) -> Self {
        Replayer {
            head,
            buf: Vec::new(),
            aliases: Default::default(),
            counters: ReplayCounters::default(),
        }
    }

    /// Applies one record read from `file` at `offset`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Corruption`] for a record that passed its checksum but
    /// cannot be decoded (a format this version does not know).
    pub fn apply(&mut self, file: &Path, offset: u64, payload: &[u8]) -> Result<()> {
        let corrupt = |e: crate::encoding::DecodeError| {
            TsdbError::corruption(
                file,
                offset + crate::wal::segment::FRAME_LEN as u64 + e.offset as u64,
                format!("WAL record: {e}"),
            )
        };
        if payload.first() == Some(&record::TYPE_SAMPLES) {
            let mut d = Dec::new(&payload[1..]);
            self.buf.clear();
            record::decode_samples_into(&mut d, &mut self.buf).map_err(corrupt)?;
            self.apply_samples();
            return Ok(());
        }
        match record::decode(payload).map_err(corrupt)? {
            Record::Series(list) => {
                for (r, l) in list {
                    match self.head.get_by_labels(&l) {
                        Some(s) if s.r != r => {
                            // Ingestion created the series anew, so the old
                            // one had been removed empty: forget its newest
                            // timestamp as ingestion did.
                            let mut d = s.data.lock().map_err(|_| poisoned())?;
                            if d.is_empty() {
                                d.maxt = i64::MIN;
                            }
                            drop(d);
                            self.aliases.insert(r, s.r);
                        }
                        _ => {
                            self.head.create_with_ref(r, &l)?;
                        }
                    }
                    self.counters.series += 1;
                }
            }
            Record::Samples(list) => {
                self.buf = list;
                self.apply_samples();
            }
            Record::Tombstones(list) => {
                for t in list {
                    let r = self.resolve(t.r);
                    if let Some(s) = self.head.get_by_ref(r) {
                        s.data
                            .lock()
                            .map_err(|_| poisoned())?
                            .delete_range(t.mint, t.maxt);
                        self.counters.tombstones += 1;
                    }
                }
            }
            Record::Chunks(list) => {
                for cs in list {
                    self.apply_checkpoint_series(cs)?;
                }
            }
        }
        Ok(())
    }

    fn resolve(&self, r: u64) -> u64 {
        self.aliases.get(&r).copied().unwrap_or(r)
    }

    fn apply_samples(&mut self) {
        if !self.aliases.is_empty() {
            for s in self.buf.iter_mut() {
                s.r = self.aliases.get(&s.r).copied().unwrap_or(s.r);
            }
        }
        let p = self.head.params;
        let mut cur: Option<Arc<MemSeries>> = None;
        let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
        for s in &self.buf {
            if cur.as_ref().is_none_or(|c| c.r != s.r) {
                cur = self.head.get_by_ref(s.r);
            }
            let Some(series) = &cur else {
                self.counters.unknown_refs += 1;
                continue;
            };
            let Ok(mut d) = series.data.lock() else {
                continue;
            };
            match d.append(s.t, s.v, &p) {
                Ok(_) => {
                    self.counters.samples += 1;
                    mint = mint.min(s.t);
                    maxt = maxt.max(s.t);
                }
                Err(_) => self.counters.rejected += 1,
            }
        }
        if mint <= maxt {
            self.head.note_time(mint, maxt);
        }
    }

    fn apply_checkpoint_series(&mut self, cs: CheckpointSeries) -> Result<()> {
        let Some(s) = self.head.get_by_ref(self.resolve(cs.r)) else {
            self.counters.unknown_refs += 1;
            return Ok(());
        };
        let mut d = s.data.lock().map_err(|_| poisoned())?;
        for c in cs.chunks {
            match c.kind {
                ChunkKind::Closed | ChunkKind::ClosedDecimal | ChunkKind::ClosedPacked => {
                    self.head.note_time(c.mint, c.maxt);
                    let enc = match c.kind {
                        ChunkKind::ClosedDecimal => ENCODING_DEC,
                        ChunkKind::ClosedPacked => ENCODING_PACKED,
                        _ => ENCODING_XOR,
                    };
                    d.chunks
                        .push(HeadChunk::new(c.mint, c.maxt, enc, Arc::from(c.data)));
                }
                ChunkKind::Open => {
                    self.head.note_time(c.mint, c.maxt);
                    let mut a = XorAppender::new();
                    let mut it = XorIter::new(&c.data[..])?;
                    while let Some((t, v)) = it.next()? {
                        a.append(t, v);
                    }
                    d.open = Some(a);
                }
                ChunkKind::OutOfOrder => {
                    let samples = decode_all(&c.data)?;
                    if let (Some(f), Some(l)) = (samples.first(), samples.last()) {
                        self.head.note_time(f.0, l.0);
                    }
                    let o = d.ooo.get_or_insert_with(Default::default);
                    o.extend(samples);
                    o.sort_by_key(|s| s.0);
                    o.dedup_by_key(|s| s.0);
                }
            }
        }
        if cs.maxt > d.maxt {
            d.maxt = cs.maxt;
            d.last_v = cs.last_v;
        }
        Ok(())
    }
}

/// The checkpoint records for the head's current state: every series, then
/// every series' chunks, in batches of bounded size.
pub(crate) fn checkpoint_records(head: &Head) -> Result<Vec<Vec<u8>>> {
    const BATCH: usize = 4096;
    let mut series = head.all_series();
    series.sort_by_key(|s| s.r);
    let mut out = Vec::new();
    for batch in series.chunks(BATCH) {
        let labels: Vec<(u64, telltale_model::Labels)> =
            batch.iter().map(|s| (s.r, head.labels_of(s))).collect();
        let mut rec = Vec::new();
        record::encode_series(&mut rec, labels.iter().map(|(r, l)| (*r, l)));
        out.push(rec);
        let mut states = Vec::with_capacity(batch.len());
        for s in batch {
            let d = s.data.lock().map_err(|_| poisoned())?;
            if let Some(st) = checkpoint_series(s.r, &d) {
                states.push(st);
            }
        }
        if !states.is_empty() {
            let mut rec = Vec::new();
            record::encode_chunks(&mut rec, &states);
            out.push(rec);
        }
    }
    Ok(out)
}

fn checkpoint_series(r: u64, d: &SeriesData) -> Option<CheckpointSeries> {
    if d.maxt == i64::MIN && d.is_empty() {
        return None;
    }
    let mut chunks: Vec<CheckpointChunk> = d
        .chunks
        .iter()
        .map(|c| CheckpointChunk {
            kind: match c.enc {
                ENCODING_DEC => ChunkKind::ClosedDecimal,
                ENCODING_PACKED => ChunkKind::ClosedPacked,
                _ => ChunkKind::Closed,
            },
            mint: c.mint,
            maxt: c.maxt(),
            data: c.data.to_vec(),
        })
        .collect();
    if let Some(o) = &d.open
        && o.num_samples() > 0
    {
        chunks.push(CheckpointChunk {
            kind: ChunkKind::Open,
            mint: o.min_time(),
            maxt: o.max_time(),
            data: o.bytes(),
        });
    }
    if let Some(o) = &d.ooo {
        for part in o.chunks(1024) {
            if let (Some(f), Some(l)) = (part.first(), part.last()) {
                chunks.push(CheckpointChunk {
                    kind: ChunkKind::OutOfOrder,
                    mint: f.0,
                    maxt: l.0,
                    data: crate::chunkenc::encode(part),
                });
            }
        }
    }
    Some(CheckpointSeries {
        r,
        maxt: d.maxt,
        last_v: d.last_v,
        chunks,
    })
}
