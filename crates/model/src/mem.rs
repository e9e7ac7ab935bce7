//! [`MemStorage`]: a small in-memory storage implementing both seams.
//!
//! It keeps every sample in a sorted map. It has no WAL, no limits and no
//! compression: it exists so that the PromQL engine, the rules and the API
//! can be tested without the TSDB, and so the PromQL test-script runner has a
//! storage that loads fast.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::error::StorageError;
use crate::labels::Labels;
use crate::matcher::{Matcher, matches_all};
use crate::sample::Sample;
use crate::storage::{
    Appendable, Appender, Querier, Queryable, SampleIterator, SelectHints, Series, SeriesRef,
    VecIterator,
};

type Data = BTreeMap<Labels, BTreeMap<i64, f64>>;

/// An in-memory storage. Cloning is cheap and clones share the data.
///
/// A sample appended at the timestamp of an existing one replaces it.
#[derive(Clone, Default)]
pub struct MemStorage {
    data: Arc<RwLock<Data>>,
}

impl MemStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every series.
    pub fn clear(&self) {
        if let Ok(mut d) = self.data.write() {
            d.clear();
        }
    }

    /// The number of series.
    pub fn series_count(&self) -> usize {
        self.data.read().map(|d| d.len()).unwrap_or(0)
    }

    /// Adds samples directly, without an appender.
    pub fn insert(&self, labels: Labels, samples: impl IntoIterator<Item = Sample>) {
        if let Ok(mut d) = self.data.write() {
            let s = d.entry(labels).or_default();
            for x in samples {
                s.insert(x.t, x.v);
            }
        }
    }
}

fn poisoned() -> StorageError {
    StorageError::Other("in-memory storage lock poisoned".into())
}

struct MemAppender {
    data: Arc<RwLock<Data>>,
    pending: Vec<(Labels, Sample)>,
}

impl Appender for MemAppender {
    fn append(
        &mut self,
        _series_ref: SeriesRef,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, StorageError> {
        if labels.is_empty() {
            return Err(StorageError::InvalidLabels {
                series: labels.to_string(),
                reason: "empty label set".into(),
            });
        }
        self.pending.push((labels.clone(), Sample::new(t, v)));
        Ok(0)
    }

    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        let mut d = self.data.write().map_err(|_| poisoned())?;
        for (l, s) in self.pending {
            d.entry(l).or_default().insert(s.t, s.v);
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

impl Appendable for MemStorage {
    fn appender(&self) -> Box<dyn Appender> {
        Box::new(MemAppender {
            data: self.data.clone(),
            pending: Vec::new(),
        })
    }
}

impl Queryable for MemStorage {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        Ok(Box::new(MemQuerier {
            data: self.data.clone(),
            mint,
            maxt,
        }))
    }
}

struct MemQuerier {
    data: Arc<RwLock<Data>>,
    mint: i64,
    maxt: i64,
}

impl MemQuerier {
    fn in_range<'a>(
        &self,
        d: &'a Data,
        matchers: &'a [Matcher],
    ) -> impl Iterator<Item = (&'a Labels, &'a BTreeMap<i64, f64>)> + 'a {
        let (mint, maxt) = (self.mint, self.maxt);
        d.iter()
            .filter(move |(l, s)| matches_all(matchers, l) && s.range(mint..=maxt).next().is_some())
    }
}

impl Querier for MemQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError> {
        let d = self.data.read().map_err(|_| poisoned())?;
        let mint = hints.start.unwrap_or(self.mint).max(self.mint);
        let maxt = hints.end.unwrap_or(self.maxt).min(self.maxt);
        let mut out = Vec::new();
        if mint > maxt {
            return Ok(out);
        }
        for (l, s) in d.iter().filter(|(l, _)| matches_all(matchers, l)) {
            let samples: Vec<Sample> = s
                .range(mint..=maxt)
                .map(|(t, v)| Sample::new(*t, *v))
                .collect();
            if !samples.is_empty() {
                out.push(Series {
                    labels: l.clone(),
                    samples: Box::new(VecIterator::new(samples)) as Box<dyn SampleIterator>,
                });
            }
        }
        Ok(out)
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let d = self.data.read().map_err(|_| poisoned())?;
        let mut names: Vec<String> = self
            .in_range(&d, matchers)
            .flat_map(|(l, _)| l.iter().map(|x| x.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let d = self.data.read().map_err(|_| poisoned())?;
        let mut values: Vec<String> = self
            .in_range(&d, matchers)
            .map(|(l, _)| l.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        values.sort();
        values.dedup();
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::MatchOp;

    #[test]
    fn select_filters_by_matchers_and_range() {
        let db = MemStorage::new();
        let mut app = db.appender();
        let a = Labels::from_pairs(&[("__name__", "m"), ("i", "a")]);
        let b = Labels::from_pairs(&[("__name__", "m"), ("i", "b")]);
        for t in 0..10 {
            app.append(0, &a, t * 10, t as f64).unwrap();
            app.append(0, &b, t * 10, -(t as f64)).unwrap();
        }
        app.commit().unwrap();
        let q = db.querier(20, 50).unwrap();
        let m = [Matcher::new(MatchOp::Regex, "i", "a").unwrap()];
        let mut s = q.select(&SelectHints::default(), &m).unwrap();
        assert_eq!(s.len(), 1);
        let got = s[0].samples.collect_all().unwrap();
        assert_eq!(got.first().map(|s| s.t), Some(20));
        assert_eq!(got.last().map(|s| s.t), Some(50));
        assert_eq!(q.label_values("i", &[]).unwrap(), vec!["a", "b"]);
        assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "i"]);
    }

    #[test]
    fn vec_iterator_seeks() {
        let mut it = VecIterator::new((0..5).map(|t| Sample::new(t * 10, 0.0)).collect());
        assert_eq!(it.seek(25).unwrap().map(|s| s.t), Some(30));
        assert_eq!(it.next().unwrap().map(|s| s.t), Some(40));
        assert_eq!(it.seek(100).unwrap(), None);
    }
}
