//! One series in the head: its chunks, its out-of-order buffer and the
//! rules for accepting a sample.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use telltale_model::{Label, Labels};

use super::index::Symbols;
use crate::chunkenc::{
    ChunkIter, ENCODING_XOR, XorAppender, compact_chunk, decode_any, encode_best,
};

/// An interned label string.
pub(crate) type Sym = Arc<str>;

/// A closed head chunk.
#[derive(Debug, Clone)]
pub(crate) struct HeadChunk {
    pub mint: i64,
    /// `maxt - mint`: chunks never span more than a block (at most 31
    /// days, see `Options::validate`), and 32 bits keep the struct at 32
    /// bytes.
    span: u32,
    /// The chunk encoding ([`crate::chunkenc::ENCODING_XOR`] or `_DEC`).
    pub enc: u8,
    pub data: Arc<[u8]>,
}

impl HeadChunk {
    pub fn new(mint: i64, maxt: i64, enc: u8, data: Arc<[u8]>) -> Self {
        let span = u32::try_from(maxt.saturating_sub(mint).max(0)).unwrap_or(u32::MAX);
        HeadChunk {
            mint,
            span,
            enc,
            data,
        }
    }

    /// The last timestamp.
    pub fn maxt(&self) -> i64 {
        self.mint.saturating_add(i64::from(self.span))
    }
}

/// The mutable part of a series.
#[derive(Debug)]
pub(crate) struct SeriesData {
    /// Closed chunks, oldest first, not overlapping.
    pub chunks: Vec<HeadChunk>,
    /// The chunk being appended to, if any.
    pub open: Option<XorAppender>,
    /// Accepted out-of-order samples not in any chunk, sorted by time.
    // Boxed: 8 bytes per series instead of 24, and most series never
    // receive an out-of-order sample.
    #[allow(clippy::box_collection)]
    pub ooo: Option<Box<Vec<(i64, f64)>>>,
    /// The newest in-order timestamp ever accepted (`i64::MIN` if none).
    pub maxt: i64,
    /// The value bits at `maxt`.
    pub last_v: u64,
}

/// Chunk bytes and buffered samples copied out for a query.
pub(crate) type Snapshot = (Vec<(u8, Arc<[u8]>)>, Vec<(i64, f64)>);

/// Why a sample was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    OutOfOrder { newest: i64 },
    Duplicate,
}

/// What appending a sample does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Appended in order.
    InOrder,
    /// Stored in the out-of-order buffer.
    OutOfOrder,
    /// The same sample is already stored: nothing to do.
    Exists,
}

/// A series of the head.
#[derive(Debug)]
pub(crate) struct MemSeries {
    pub r: u64,
    pub hash: u64,
    /// Label name and value ids in the head's symbol table, sorted by name.
    pub labels: Box<[(u32, u32)]>,
    /// Whether the series record is in the WAL.
    pub logged: AtomicBool,
    pub data: Mutex<SeriesData>,
}

impl MemSeries {
    pub fn new(r: u64, hash: u64, labels: Box<[(u32, u32)]>) -> Self {
        MemSeries {
            r,
            hash,
            labels,
            logged: AtomicBool::new(false),
            data: Mutex::new(SeriesData::new()),
        }
    }

    /// The labels as a model [`Labels`].
    pub fn labels(&self, syms: &Symbols) -> Labels {
        Labels::from_sorted(
            self.labels
                .iter()
                .map(|(n, v)| Label::new(syms.get(*n), syms.get(*v)))
                .collect(),
        )
    }

    /// The label strings, shared.
    pub fn label_syms(&self, syms: &Symbols) -> Vec<(Sym, Sym)> {
        self.labels
            .iter()
            .map(|(n, v)| (syms.arc(*n), syms.arc(*v)))
            .collect()
    }

    /// Whether the labels equal `l`.
    pub fn labels_eq(&self, syms: &Symbols, l: &Labels) -> bool {
        self.labels.len() == l.len()
            && self
                .labels
                .iter()
                .zip(l.iter())
                .all(|((n, v), x)| syms.get(*n) == x.name && syms.get(*v) == x.value)
    }

    /// The value of label `name`, or `""`.
    pub fn get<'a>(&self, syms: &'a Symbols, name: &str) -> &'a str {
        match self
            .labels
            .binary_search_by(|(n, _)| syms.get(*n).cmp(name))
        {
            Ok(i) => syms.get(self.labels[i].1),
            Err(_) => "",
        }
    }
}

/// Parameters of appending that come from the options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendParams {
    pub ooo_window: i64,
    pub samples_per_chunk: usize,
    pub block_ms: i64,
}

fn next_boundary(t: i64, block_ms: i64) -> i64 {
    t.div_euclid(block_ms)
        .saturating_add(1)
        .saturating_mul(block_ms)
}

impl SeriesData {
    pub fn new() -> Self {
        SeriesData {
            chunks: Vec::new(),
            open: None,
            ooo: None,
            maxt: i64::MIN,
            last_v: 0,
        }
    }

    /// Whether the series holds no sample.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
            && self.open.as_ref().is_none_or(|o| o.num_samples() == 0)
            && self.ooo.as_ref().is_none_or(|o| o.is_empty())
    }

    /// The oldest timestamp held, if any.
    pub fn min_time(&self) -> Option<i64> {
        let c = self.chunks.first().map(|c| c.mint).or_else(|| {
            self.open
                .as_ref()
                .filter(|o| o.num_samples() > 0)
                .map(|o| o.min_time())
        });
        let o = self.ooo.as_ref().and_then(|o| o.first()).map(|s| s.0);
        match (c, o) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Looks for a stored sample at `t` (in chunks or the buffer).
    fn find(&self, t: i64) -> Option<u64> {
        if let Some(o) = &self.ooo
            && let Ok(i) = o.binary_search_by(|s| s.0.cmp(&t))
        {
            return Some(o[i].1.to_bits());
        }
        let in_chunk = |enc: u8, data: &[u8]| -> Option<u64> {
            let mut it = ChunkIter::new(enc, data).ok()?;
            while let Ok(Some((ct, cv))) = it.next() {
                if ct == t {
                    return Some(cv.to_bits());
                }
                if ct > t {
                    return None;
                }
            }
            None
        };
        for c in &self.chunks {
            if c.mint <= t && t <= c.maxt() {
                return in_chunk(c.enc, &c.data);
            }
        }
        if let Some(o) = &self.open
            && o.num_samples() > 0
            && o.min_time() <= t
            && t <= o.max_time()
        {
            return in_chunk(ENCODING_XOR, &o.bytes());
        }
        None
    }

    /// Decides whether `(t, v)` would be accepted, without storing it.
    pub fn check(&self, t: i64, v: f64, p: &AppendParams) -> Result<Accept, Reject> {
        if self.maxt == i64::MIN || t > self.maxt {
            return Ok(Accept::InOrder);
        }
        if t == self.maxt {
            return if v.to_bits() == self.last_v {
                Ok(Accept::Exists)
            } else {
                Err(Reject::Duplicate)
            };
        }
        if t < self.maxt.saturating_sub(p.ooo_window) {
            return Err(Reject::OutOfOrder { newest: self.maxt });
        }
        match self.find(t) {
            Some(bits) if bits == v.to_bits() => Ok(Accept::Exists),
            Some(_) => Err(Reject::Duplicate),
            None => Ok(Accept::OutOfOrder),
        }
    }

    /// Stores `(t, v)` if acceptable.
    pub fn append(&mut self, t: i64, v: f64, p: &AppendParams) -> Result<Accept, Reject> {
        let a = self.check(t, v, p)?;
        match a {
            Accept::InOrder => self.append_in_order(t, v, p),
            Accept::OutOfOrder => {
                let o = self.ooo.get_or_insert_with(Default::default);
                let i = o.partition_point(|s| s.0 < t);
                o.insert(i, (t, v));
            }
            Accept::Exists => {}
        }
        Ok(a)
    }

    fn append_in_order(&mut self, t: i64, v: f64, p: &AppendParams) {
        let cut = match &self.open {
            None => false,
            Some(o) => {
                o.num_samples() >= p.samples_per_chunk
                    || (o.num_samples() > 0 && t >= next_boundary(o.min_time(), p.block_ms))
            }
        };
        if cut {
            self.close_open();
        }
        let o = self.open.get_or_insert_with(XorAppender::new);
        o.append(t, v);
        self.maxt = t;
        self.last_v = v.to_bits();
    }

    /// Moves the open chunk to the closed ones.
    pub fn close_open(&mut self) {
        if let Some(o) = self.open.take()
            && o.num_samples() > 0
        {
            let (mint, maxt) = (o.min_time(), o.max_time());
            let (enc, data) = compact_chunk(o.finish());
            self.chunks
                .push(HeadChunk::new(mint, maxt, enc, Arc::from(data)));
        }
    }

    /// Removes every sample in `[mint, maxt]`. Returns how many were removed.
    pub fn delete_range(&mut self, mint: i64, maxt: i64) -> usize {
        let mut removed = 0;
        if let Some(o) = &mut self.ooo {
            let before = o.len();
            o.retain(|s| s.0 < mint || s.0 > maxt);
            removed += before - o.len();
        }
        let touches = |a: i64, b: i64| a <= maxt && b >= mint;
        let open_touched = self
            .open
            .as_ref()
            .is_some_and(|o| o.num_samples() > 0 && touches(o.min_time(), o.max_time()));
        if !open_touched && !self.chunks.iter().any(|c| touches(c.mint, c.maxt())) {
            return removed;
        }
        self.close_open();
        let mut kept = Vec::with_capacity(self.chunks.len());
        for c in std::mem::take(&mut self.chunks) {
            if !touches(c.mint, c.maxt()) {
                kept.push(c);
                continue;
            }
            let samples = decode_any(c.enc, &c.data).unwrap_or_default();
            let rest: Vec<(i64, f64)> = samples
                .iter()
                .copied()
                .filter(|s| s.0 < mint || s.0 > maxt)
                .collect();
            removed += samples.len() - rest.len();
            if let (Some(first), Some(last)) = (rest.first(), rest.last()) {
                let (enc, data) = encode_best(&rest);
                kept.push(HeadChunk::new(first.0, last.0, enc, Arc::from(data)));
            }
        }
        self.chunks = kept;
        removed
    }

    /// Copies out (cheaply: chunks are shared) every closed chunk and
    /// buffered sample before `before`, closing the open chunk first if it
    /// lies entirely before it. The head keeps them until
    /// [`SeriesData::drop_persisted`].
    pub fn snapshot_before(&mut self, before: i64) -> (Vec<HeadChunk>, Vec<(i64, f64)>) {
        if self
            .open
            .as_ref()
            .is_some_and(|o| o.num_samples() > 0 && o.max_time() < before)
        {
            self.close_open();
        }
        let chunks: Vec<HeadChunk> = self
            .chunks
            .iter()
            .take_while(|c| c.maxt() < before)
            .cloned()
            .collect();
        let ooo = self
            .ooo
            .as_ref()
            .map(|o| o.iter().copied().take_while(|s| s.0 < before).collect())
            .unwrap_or_default();
        (chunks, ooo)
    }

    /// Removes what [`SeriesData::snapshot_before`] returned and a block
    /// now holds: chunks still identical (same data) and buffered samples
    /// still present with the same value.
    pub fn drop_persisted(&mut self, chunks: &[HeadChunk], ooo: &[(i64, f64)]) {
        self.chunks.retain(|c| {
            !chunks
                .iter()
                .any(|p| p.mint == c.mint && Arc::ptr_eq(&p.data, &c.data))
        });
        if let Some(o) = &mut self.ooo {
            o.retain(|s| {
                ooo.binary_search_by(|p| p.0.cmp(&s.0))
                    .map(|i| ooo[i].1.to_bits() != s.1.to_bits())
                    .unwrap_or(true)
            });
            if o.is_empty() {
                self.ooo = None;
            }
        }
    }

    /// Copies out what a query over `[mint, maxt]` needs: chunk bytes and
    /// buffered samples.
    pub fn snapshot(&self, mint: i64, maxt: i64) -> Snapshot {
        let mut chunks = Vec::new();
        for c in &self.chunks {
            if c.maxt() >= mint && c.mint <= maxt {
                chunks.push((c.enc, c.data.clone()));
            }
        }
        if let Some(o) = &self.open
            && o.num_samples() > 0
            && o.max_time() >= mint
            && o.min_time() <= maxt
        {
            chunks.push((ENCODING_XOR, Arc::from(o.bytes())));
        }
        let ooo = self
            .ooo
            .as_ref()
            .map(|o| {
                o.iter()
                    .copied()
                    .filter(|s| s.0 >= mint && s.0 <= maxt)
                    .collect()
            })
            .unwrap_or_default();
        (chunks, ooo)
    }

    /// Whether any sample lies in `[mint, maxt]` (by chunk ranges).
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.chunks
            .iter()
            .any(|c| c.maxt() >= mint && c.mint <= maxt)
            || self.open.as_ref().is_some_and(|o| {
                o.num_samples() > 0 && o.max_time() >= mint && o.min_time() <= maxt
            })
            || self
                .ooo
                .as_ref()
                .is_some_and(|o| o.iter().any(|s| s.0 >= mint && s.0 <= maxt))
    }

    /// Bytes of heap held by chunks and buffers.
    pub fn heap_size(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<HeadChunk>()
            + self.chunks.iter().map(|c| c.data.len()).sum::<usize>()
            + self.open.as_ref().map_or(0, |o| o.heap_size())
            + self.ooo.as_ref().map_or(0, |o| o.capacity() * 16)
    }

    /// The number of chunks (open one included).
    pub fn num_chunks(&self) -> usize {
        self.chunks.len() + usize::from(self.open.as_ref().is_some_and(|o| o.num_samples() > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: AppendParams = AppendParams {
        ooo_window: 1000,
        samples_per_chunk: 4,
        block_ms: 1_000_000,
    };

    fn all(d: &SeriesData) -> Vec<(i64, f64)> {
        let (chunks, ooo) = d.snapshot(i64::MIN, i64::MAX);
        let mut out: Vec<(i64, f64)> = chunks
            .iter()
            .flat_map(|(e, c)| decode_any(*e, c).unwrap())
            .collect();
        out.extend(ooo);
        out.sort_by_key(|s| s.0);
        out
    }

    #[test]
    fn accepts_in_order_out_of_order_and_rejects_the_rest() {
        let mut d = SeriesData::new();
        for t in [100, 200, 300, 400, 500, 600] {
            assert_eq!(d.append(t, t as f64, &P), Ok(Accept::InOrder));
        }
        assert_eq!(d.chunks.len(), 1);
        assert_eq!(d.append(600, 600.0, &P), Ok(Accept::Exists));
        assert_eq!(d.append(600, 1.0, &P), Err(Reject::Duplicate));
        assert_eq!(d.append(250, 2.5, &P), Ok(Accept::OutOfOrder));
        assert_eq!(d.append(250, 2.5, &P), Ok(Accept::Exists));
        assert_eq!(d.append(300, 9.0, &P), Err(Reject::Duplicate));
        assert_eq!(d.append(300, 300.0, &P), Ok(Accept::Exists));
        assert_eq!(
            d.append(-500, 1.0, &P),
            Err(Reject::OutOfOrder { newest: 600 })
        );
        let got: Vec<i64> = all(&d).iter().map(|s| s.0).collect();
        assert_eq!(got, vec![100, 200, 250, 300, 400, 500, 600]);
    }

    #[test]
    fn chunks_are_cut_at_block_boundaries() {
        let p = AppendParams { block_ms: 250, ..P };
        let mut d = SeriesData::new();
        for t in [100, 200, 300] {
            d.append(t, 1.0, &p).unwrap();
        }
        assert_eq!(d.chunks.len(), 1);
        assert_eq!(d.chunks[0].maxt(), 200);
        let (taken, ooo) = d.snapshot_before(250);
        assert_eq!(taken.len(), 1);
        d.drop_persisted(&taken, &ooo);
        assert_eq!(all(&d), vec![(300, 1.0)]);
    }

    #[test]
    fn delete_range_rewrites_chunks() {
        let mut d = SeriesData::new();
        for t in 0..10 {
            d.append(t * 10, t as f64, &P).unwrap();
        }
        assert_eq!(d.delete_range(15, 45), 3);
        let got: Vec<i64> = all(&d).iter().map(|s| s.0).collect();
        assert_eq!(got, vec![0, 10, 50, 60, 70, 80, 90]);
    }
}
