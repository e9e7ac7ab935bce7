//! Sample iterators: decoding a sequence of chunks lazily, and merging
//! several sources of one series (head, blocks) with duplicates removed.

use telltale_model::{Sample, SampleIterator, StorageError};

use crate::chunkenc::ChunkIter;

/// Deleted intervals, sorted, inclusive.
pub(crate) type Intervals = Vec<(i64, i64)>;

fn deleted(iv: &[(i64, i64)], t: i64) -> bool {
    iv.iter().any(|&(a, b)| a <= t && t <= b)
}

/// Decodes time-ordered, non-overlapping chunks one after another, keeping
/// the samples in `[mint, maxt]` that no interval deletes.
pub(crate) struct ChunksIter<D> {
    chunks: std::vec::IntoIter<(u8, D)>,
    cur: Option<ChunkIter<D>>,
    mint: i64,
    maxt: i64,
    deleted: Intervals,
    done: bool,
}

impl<D: AsRef<[u8]>> ChunksIter<D> {
    pub fn new(chunks: Vec<(u8, D)>, mint: i64, maxt: i64, deleted: Intervals) -> Self {
        ChunksIter {
            chunks: chunks.into_iter(),
            cur: None,
            mint,
            maxt,
            deleted,
            done: false,
        }
    }
}

impl<D: AsRef<[u8]> + Clone + Send> SampleIterator for ChunksIter<D> {
    fn next(&mut self) -> Result<Option<Sample>, StorageError> {
        while !self.done {
            if self.cur.is_none() {
                match self.chunks.next() {
                    Some((enc, c)) => self.cur = Some(ChunkIter::new(enc, c)?),
                    None => {
                        self.done = true;
                        break;
                    }
                }
            }
            let Some(it) = self.cur.as_mut() else { break };
            match it.next()? {
                None => self.cur = None,
                Some((t, v)) => {
                    if t > self.maxt {
                        self.done = true;
                        break;
                    }
                    if t < self.mint || (!self.deleted.is_empty() && deleted(&self.deleted, t)) {
                        continue;
                    }
                    return Ok(Some(Sample::new(t, v)));
                }
            }
        }
        Ok(None)
    }
}

/// Merges sources of one series; at equal timestamps the source listed
/// last wins (sources are listed oldest data first: blocks, then the head).
pub(crate) struct MergeIter {
    srcs: Vec<Box<dyn SampleIterator>>,
    heads: Vec<Option<Sample>>,
    started: bool,
}

impl MergeIter {
    pub fn new(srcs: Vec<Box<dyn SampleIterator>>) -> Self {
        let n = srcs.len();
        MergeIter {
            srcs,
            heads: vec![None; n],
            started: false,
        }
    }
}

impl SampleIterator for MergeIter {
    fn next(&mut self) -> Result<Option<Sample>, StorageError> {
        if !self.started {
            for (i, s) in self.srcs.iter_mut().enumerate() {
                self.heads[i] = s.next()?;
            }
            self.started = true;
        }
        let mut best: Option<(usize, Sample)> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(s) = h
                && best.is_none_or(|(_, b)| s.t <= b.t)
            {
                best = Some((i, *s));
            }
        }
        let Some((_, out)) = best else {
            return Ok(None);
        };
        for i in 0..self.srcs.len() {
            if self.heads[i].is_some_and(|s| s.t == out.t) {
                self.heads[i] = self.srcs[i].next()?;
            }
        }
        Ok(Some(out))
    }
}

/// An iterator whose first sample was already read (to drop empty series).
pub(crate) struct Peeked {
    first: Option<Sample>,
    rest: Box<dyn SampleIterator>,
}

impl Peeked {
    /// Reads the first sample; `None` if there is none.
    pub fn new(mut it: Box<dyn SampleIterator>) -> Result<Option<Self>, StorageError> {
        Ok(it.next()?.map(|s| Peeked {
            first: Some(s),
            rest: it,
        }))
    }
}

impl SampleIterator for Peeked {
    fn next(&mut self) -> Result<Option<Sample>, StorageError> {
        match self.first.take() {
            Some(s) => Ok(Some(s)),
            None => self.rest.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::encode;
    use telltale_model::VecIterator;

    #[test]
    fn chunks_iter_honours_range_and_deletions() {
        let a = encode(&[(1, 1.0), (2, 2.0), (3, 3.0)]);
        let b = encode(&[(4, 4.0), (5, 5.0), (6, 6.0)]);
        let x = crate::chunkenc::ENCODING_XOR;
        let mut it = ChunksIter::new(vec![(x, a), (x, b)], 2, 5, vec![(4, 4)]);
        let got: Vec<i64> = it.collect_all().unwrap().iter().map(|s| s.t).collect();
        assert_eq!(got, vec![2, 3, 5]);
    }

    #[test]
    fn merge_prefers_the_last_source_on_ties() {
        let a = VecIterator::new(vec![Sample::new(1, 1.0), Sample::new(3, 3.0)]);
        let b = VecIterator::new(vec![Sample::new(2, 2.0), Sample::new(3, 30.0)]);
        let mut m = MergeIter::new(vec![Box::new(a), Box::new(b)]);
        let got = m.collect_all().unwrap();
        assert_eq!(
            got,
            vec![
                Sample::new(1, 1.0),
                Sample::new(2, 2.0),
                Sample::new(3, 30.0)
            ]
        );
    }
}
