//! The querier over head and blocks together.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use telltale_model::{
    Labels, Matcher, Querier, Sample, SampleIterator, SelectHints, Series, StorageError,
    VecIterator,
};

use crate::block::Block;
use crate::head::Head;
use crate::iter::{ChunksIter, MergeIter, Peeked};

/// Reads head and blocks in `[mint, maxt]`. The head is read before the
/// block list, so data moving from the head into a new block is never
/// missed (it may be seen twice, and is deduplicated).
pub(crate) struct DbQuerier {
    head: Arc<Head>,
    blocks: Arc<RwLock<Vec<Arc<Block>>>>,
    mint: i64,
    maxt: i64,
}

impl DbQuerier {
    pub fn new(
        head: Arc<Head>,
        blocks: Arc<RwLock<Vec<Arc<Block>>>>,
        mint: i64,
        maxt: i64,
    ) -> Self {
        DbQuerier {
            head,
            blocks,
            mint,
            maxt,
        }
    }

    fn blocks_in(&self, mint: i64, maxt: i64) -> Vec<Arc<Block>> {
        self.blocks
            .read()
            .map(|b| {
                b.iter()
                    .filter(|b| b.overlaps(mint, maxt))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("series lock poisoned".into())
}

impl Querier for DbQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError> {
        let mint = hints.start.unwrap_or(self.mint).max(self.mint);
        let maxt = hints.end.unwrap_or(self.maxt).min(self.maxt);
        if mint > maxt {
            return Ok(Vec::new());
        }
        let mut head_its: Vec<(Labels, Box<dyn SampleIterator>)> = Vec::new();
        for s in self.head.select_series(matchers) {
            let (chunks, ooo) = {
                let d = s.data.lock().map_err(|_| unavailable())?;
                if !d.overlaps(mint, maxt) {
                    continue;
                }
                d.snapshot(mint, maxt)
            };
            let it: Box<dyn SampleIterator> =
                Box::new(ChunksIter::new(chunks, mint, maxt, Vec::new()));
            let it = if ooo.is_empty() {
                it
            } else {
                let v = VecIterator::new(ooo.into_iter().map(|(t, v)| Sample::new(t, v)).collect());
                Box::new(MergeIter::new(vec![it, Box::new(v)]))
            };
            head_its.push((self.head.labels_of(&s), it));
        }
        let mut by_labels: BTreeMap<Labels, Vec<Box<dyn SampleIterator>>> = BTreeMap::new();
        for b in self.blocks_in(mint, maxt) {
            for id in b.select(matchers)? {
                let (labels, metas) = b.series(id)?;
                if !metas.iter().any(|m| m.maxt >= mint && m.mint <= maxt) {
                    continue;
                }
                let it = b.iter(id, &metas, mint, maxt)?;
                by_labels.entry(labels).or_default().push(Box::new(it));
            }
        }
        for (l, it) in head_its {
            by_labels.entry(l).or_default().push(it);
        }
        let mut out = Vec::with_capacity(by_labels.len());
        for (labels, mut its) in by_labels {
            let it: Box<dyn SampleIterator> = if its.len() == 1 {
                its.pop().ok_or_else(unavailable)?
            } else {
                Box::new(MergeIter::new(its))
            };
            if let Some(p) = Peeked::new(it)? {
                out.push(Series {
                    labels,
                    samples: Box::new(p),
                });
            }
        }
        Ok(out)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut out: BTreeSet<String> = self.head.label_names(matchers, self.mint, self.maxt);
        for b in self.blocks_in(self.mint, self.maxt) {
            if matchers.is_empty() {
                out.extend(b.index.label_names()?);
            } else {
                for id in b.select(matchers)? {
                    let (l, _) = b.series(id)?;
                    out.extend(l.iter().map(|x| x.name.clone()));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut out = self.head.label_values(name, matchers, self.mint, self.maxt);
        for b in self.blocks_in(self.mint, self.maxt) {
            if matchers.is_empty() {
                out.extend(b.index.label_values(name)?);
            } else {
                for id in b.select(matchers)? {
                    let (l, _) = b.series(id)?;
                    let v = l.get(name);
                    if !v.is_empty() {
                        out.insert(v.to_string());
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}
