//! Local storage merged with `remote_read` endpoints: [`MergeQueryable`].
//!
//! A `select` asks the local storage and every endpoint whose
//! `required_matchers` the query contains. Endpoints without `read_recent`
//! are asked only for the time before [`MergeQueryable::set_local_start`]
//! (the oldest time the local storage is complete from). Series with the
//! same labels are merged by timestamp, the local sample winning on equal
//! timestamps. A failing endpoint is logged and left out (as Prometheus
//! turns remote read errors into warnings): the query still answers from
//! the other sources.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use telltale_model::{
    Labels, Matcher, Querier, Queryable, Sample, SampleIterator, SelectHints, Series, StorageError,
    VecIterator,
};

use super::remote_read::RemoteReadQueryable;

/// Local storage plus remote read endpoints, as one [`Queryable`].
#[derive(Clone)]
pub struct MergeQueryable {
    local: Arc<dyn Queryable>,
    remotes: Vec<RemoteReadQueryable>,
    local_start: Arc<AtomicI64>,
}

impl MergeQueryable {
    /// Merges `local` with `remotes`. Until [`set_local_start`] is called,
    /// endpoints without `read_recent` are asked for every time range.
    ///
    /// [`set_local_start`]: MergeQueryable::set_local_start
    pub fn new(local: Arc<dyn Queryable>, remotes: Vec<RemoteReadQueryable>) -> Self {
        MergeQueryable {
            local,
            remotes,
            local_start: Arc::new(AtomicI64::new(i64::MAX)),
        }
    }

    /// Sets the oldest timestamp (ms) from which the local storage holds
    /// complete data; endpoints without `read_recent` are asked only for
    /// earlier data.
    pub fn set_local_start(&self, t: i64) {
        self.local_start.store(t, Ordering::Relaxed);
    }
}

impl Queryable for MergeQueryable {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        let local = self.local.querier(mint, maxt)?;
        let cut = self.local_start.load(Ordering::Relaxed);
        let mut remotes = Vec::new();
        for r in &self.remotes {
            let end = if r.config().read_recent {
                maxt
            } else {
                maxt.min(cut.saturating_sub(1))
            };
            if mint <= end {
                remotes.push((r.clone(), r.querier(mint, end)?));
            }
        }
        Ok(Box::new(MergeQuerier { local, remotes }))
    }
}

struct MergeQuerier {
    local: Box<dyn Querier>,
    remotes: Vec<(RemoteReadQueryable, Box<dyn Querier>)>,
}

impl MergeQuerier {
    fn remote_results<T>(
        &self,
        matchers: &[Matcher],
        f: impl Fn(&dyn Querier) -> Result<T, StorageError>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (r, q) in &self.remotes {
            if !r.wants(matchers) {
                continue;
            }
            match f(q.as_ref()) {
                Ok(x) => out.push(x),
                Err(e) => {
                    tracing::warn!(url = %r.config().url, error = %e, "remote read failed; answering without it");
                }
            }
        }
        out
    }
}

fn drain(mut s: Box<dyn SampleIterator>, into: &mut Vec<Sample>) -> Result<(), StorageError> {
    while let Some(x) = s.next()? {
        into.push(x);
    }
    Ok(())
}

impl Querier for MergeQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError> {
        let local = self.local.select(hints, matchers)?;
        let remote: Vec<Series> = self
            .remote_results(matchers, |q| q.select(hints, matchers))
            .into_iter()
            .flatten()
            .collect();
        if remote.is_empty() {
            return Ok(local);
        }
        let mut merged: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
        for s in local.into_iter().chain(remote) {
            drain(s.samples, merged.entry(s.labels).or_default())?;
        }
        Ok(merged
            .into_iter()
            .map(|(labels, mut samples)| {
                // A stable sort keeps the local sample first on equal
                // timestamps, and dedup keeps the first.
                samples.sort_by_key(|s| s.t);
                samples.dedup_by_key(|s| s.t);
                Series {
                    labels,
                    samples: Box::new(VecIterator::new(samples)) as Box<dyn SampleIterator>,
                }
            })
            .collect())
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut all = self.local.label_names(matchers)?;
        for v in self.remote_results(matchers, |q| q.label_names(matchers)) {
            all.extend(v);
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut all = self.local.label_values(name, matchers)?;
        for v in self.remote_results(matchers, |q| q.label_values(name, matchers)) {
            all.extend(v);
        }
        all.sort();
        all.dedup();
        Ok(all)
    }
}
