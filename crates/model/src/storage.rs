//! The seams: [`Appender`] for every ingest path, [`Querier`] for every reader.

use crate::error::StorageError;
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::sample::Sample;

/// An opaque reference to a series inside one storage, returned by
/// [`Appender::append`] so the next append of the same series can skip the
/// label lookup. `0` means "unknown": look the series up by its labels.
pub type SeriesRef = u64;

/// Hands out appenders. Implemented by the TSDB and by [`MemStorage`](crate::MemStorage).
pub trait Appendable: Send + Sync {
    /// A new appender; samples appended to it become visible and durable
    /// together on [`Appender::commit`].
    fn appender(&self) -> Box<dyn Appender>;
}

/// A batch of samples being written.
///
/// Samples are buffered until [`commit`](Appender::commit). A sample that is
/// rejected on its own (too old, out of order, over a limit) returns an error
/// from [`append`](Appender::append) for that sample only; the rest of the
/// batch is unaffected. A commit returns only once the batch is in the
/// write-ahead log under the storage's fsync policy.
pub trait Appender: Send {
    /// Adds one sample of the series `labels`.
    ///
    /// `series_ref` is the value a previous call returned for the same labels
    /// (or `0`); when it is still valid the labels are not looked up again.
    /// Returns the reference to use next time.
    ///
    /// # Errors
    ///
    /// Per-sample errors ([`StorageError::is_sample_error`]) reject only this
    /// sample.
    fn append(
        &mut self,
        series_ref: SeriesRef,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, StorageError>;

    /// Makes the batch durable and visible.
    ///
    /// # Errors
    ///
    /// An error means nothing of the batch is acknowledged.
    fn commit(self: Box<Self>) -> Result<(), StorageError>;

    /// Drops the batch.
    fn rollback(self: Box<Self>);
}

/// Hints that let a storage read less: the time range a query will really
/// use, and how it will use it. All fields are optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectHints {
    /// The first timestamp the caller needs (milliseconds, inclusive); `None`
    /// means the querier's own range.
    pub start: Option<i64>,
    /// The last timestamp the caller needs (milliseconds, inclusive).
    pub end: Option<i64>,
    /// The query step in milliseconds, 0 for an instant query.
    pub step: i64,
    /// The function the selector is wrapped in, if any (`rate`, ...).
    pub func: Option<String>,
    /// The range of a range selector in milliseconds, 0 for an instant selector.
    pub range: i64,
}

/// A series returned by a [`Querier`]: its labels and its samples in
/// timestamp order.
pub struct Series {
    /// The labels identifying the series.
    pub labels: Labels,
    /// The samples, oldest first, each timestamp once.
    pub samples: Box<dyn SampleIterator>,
}

impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Series")
            .field("labels", &self.labels)
            .finish()
    }
}

/// Iterates over the samples of one series in timestamp order.
pub trait SampleIterator: Send {
    /// The next sample, or `None` at the end.
    ///
    /// # Errors
    ///
    /// Corrupt data on disk ends the iteration with an error.
    fn next(&mut self) -> Result<Option<Sample>, StorageError>;

    /// Advances to the first sample with a timestamp `>= t` and returns it.
    /// Seeking backwards returns the current position's sample again; the
    /// default implementation steps with [`next`](SampleIterator::next).
    ///
    /// # Errors
    ///
    /// As for [`next`](SampleIterator::next).
    fn seek(&mut self, t: i64) -> Result<Option<Sample>, StorageError> {
        loop {
            match self.next()? {
                Some(s) if s.t >= t => return Ok(Some(s)),
                Some(_) => continue,
                None => return Ok(None),
            }
        }
    }

    /// Collects the remaining samples (for tests and small results).
    ///
    /// # Errors
    ///
    /// As for [`next`](SampleIterator::next).
    fn collect_all(&mut self) -> Result<Vec<Sample>, StorageError> {
        let mut out = Vec::new();
        while let Some(s) = self.next()? {
            out.push(s);
        }
        Ok(out)
    }
}

/// A [`SampleIterator`] over samples held in a vector.
#[derive(Debug, Clone, Default)]
pub struct VecIterator {
    samples: Vec<Sample>,
    pos: usize,
}

impl VecIterator {
    /// Iterates over `samples`, which must be sorted by timestamp.
    pub fn new(samples: Vec<Sample>) -> Self {
        VecIterator { samples, pos: 0 }
    }
}

impl SampleIterator for VecIterator {
    fn next(&mut self) -> Result<Option<Sample>, StorageError> {
        let s = self.samples.get(self.pos).copied();
        if s.is_some() {
            self.pos += 1;
        }
        Ok(s)
    }

    fn seek(&mut self, t: i64) -> Result<Option<Sample>, StorageError> {
        let rest = &self.samples[self.pos..];
        let skip = rest.partition_point(|s| s.t < t);
        self.pos += skip;
        self.next()
    }
}

/// Hands out queriers over a time range.
pub trait Queryable: Send + Sync {
    /// A querier over samples with `mint <= t <= maxt` (milliseconds). The
    /// querier sees a consistent view: samples committed later may or may not
    /// be visible, but a query never blocks ingestion.
    ///
    /// # Errors
    ///
    /// [`StorageError::Unavailable`] before the storage is ready.
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError>;
}

/// Reads series, label names and label values in a fixed time range.
pub trait Querier: Send + Sync {
    /// The series selected by all `matchers` (at least one of which should
    /// not match the empty value), sorted by labels, with their samples in
    /// the querier's range narrowed by `hints`. Series with no sample in
    /// the range are left out.
    ///
    /// # Errors
    ///
    /// Storage failures and [`StorageError::Limit`].
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Vec<Series>, StorageError>;

    /// The sorted, unique label names of the series selected by `matchers`
    /// (all series if empty) in the range.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;

    /// The sorted, unique values of label `name` among the series selected by
    /// `matchers` (all series if empty) in the range.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;
}
