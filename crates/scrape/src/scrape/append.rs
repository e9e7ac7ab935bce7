//! From a scraped body to appended samples: the pure core of a scrape.
//!
//! [`append_scrape`] parses the body, merges target labels (with
//! `honor_labels` semantics), runs `metric_relabel_configs`, enforces the
//! limits, appends every sample at the scrape time (or the exposed time
//! with `honor_timestamps`), and appends a stale marker for every series
//! of the previous scrape that is gone. Any error leaves the appender for
//! the caller to roll back and the [`ScrapeCache`] as it was, so the next
//! scrape still sees the last good state.

use std::collections::{BTreeMap, HashMap};

use telltale_exposition::{Entry, Format, Parser};
use telltale_model::{Appender, Labels, LabelsBuilder, MetricMetadata, SeriesRef, stale_nan};

use crate::error::ScrapeError;
use crate::relabel::{RelabelConfig, relabel_builder};

/// The settings of a job that shape how samples are stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppendSettings {
    /// Scraped labels win over target labels.
    pub honor_labels: bool,
    /// Use exposed timestamps.
    pub honor_timestamps: bool,
    /// Track staleness of series with explicit timestamps too.
    pub track_timestamps_staleness: bool,
    /// Most samples per scrape after relabelling (0 = none).
    pub sample_limit: usize,
    /// Most labels per series (0 = none).
    pub label_limit: usize,
    /// Longest label name (0 = none).
    pub label_name_length_limit: usize,
    /// Longest label value (0 = none).
    pub label_value_length_limit: usize,
    /// `metric_relabel_configs`.
    pub metric_relabel: Vec<RelabelConfig>,
}

impl AppendSettings {
    /// The settings of a job.
    pub fn from_config(c: &crate::config::ScrapeConfig) -> Self {
        let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        AppendSettings {
            honor_labels: c.honor_labels,
            honor_timestamps: c.honor_timestamps,
            track_timestamps_staleness: c.track_timestamps_staleness,
            sample_limit: u(c.sample_limit),
            label_limit: u(c.label_limit),
            label_name_length_limit: u(c.label_name_length_limit),
            label_value_length_limit: u(c.label_value_length_limit),
            metric_relabel: c.metric_relabel_configs.clone(),
        }
    }
}

/// One series the target has exposed: its final labels and what the
/// loop knows about it.
#[derive(Debug, Clone)]
struct Slot {
    labels: Labels,
    /// The storage reference last returned for it.
    series_ref: SeriesRef,
    /// The attempt that last appended it (duplicate detection).
    pending: u64,
    /// Whether that attempt tracks it for staleness.
    tracked: bool,
    /// The last successful attempt that appended it (`scrape_series_added`).
    appended: u64,
}

/// A cached translation of one exposed `name{labels}` text.
#[derive(Debug, Clone, Copy)]
struct TextEntry {
    /// The slot of its series, or `None` if metric relabelling drops it.
    slot: Option<u32>,
    /// The attempt that last saw the text (for pruning).
    seen: u64,
}

/// What a scrape loop remembers between scrapes: exposed text to final
/// labels, the series of the last successful scrape (for stale markers)
/// and the metadata of the last successful scrape.
///
/// Steady-state scrapes allocate nothing per sample: the text of a sample
/// line is looked up without copying, and series are kept in slots that
/// carry their storage reference and staleness state.
#[derive(Debug, Default, Clone)]
pub struct ScrapeCache {
    texts: HashMap<Box<[u8]>, TextEntry>,
    slots: Vec<Slot>,
    by_labels: HashMap<Labels, u32>,
    /// Slots appended by the last successful scrape that count for
    /// staleness.
    prev: Vec<u32>,
    /// Reused buffer: slot, timestamp, value, explicit timestamp.
    scratch: Vec<(u32, i64, f64, bool)>,
    /// Family name to metadata, from the last successful scrape.
    pub metadata: BTreeMap<String, MetricMetadata>,
    attempt: u64,
    last_ok: u64,
}

impl ScrapeCache {
    /// The series of the last successful scrape.
    pub fn series(&self) -> impl Iterator<Item = &Labels> {
        self.prev.iter().map(|&i| &self.slots[i as usize].labels)
    }

    /// Forgets every translation (the target labels or settings changed)
    /// but keeps the series, so staleness carries over.
    pub fn clear_translations(&mut self) {
        self.texts.clear();
    }

    /// Appends a stale marker at `t` for every series of the last scrape and
    /// forgets them.
    ///
    /// # Errors
    ///
    /// A storage error other than a per-sample one.
    pub fn mark_all_stale(&mut self, app: &mut dyn Appender, t: i64) -> Result<(), ScrapeError> {
        for i in std::mem::take(&mut self.prev) {
            let s = &self.slots[i as usize];
            match app.append(s.series_ref, &s.labels, t, stale_nan()) {
                Ok(_) => {}
                Err(e) if e.is_sample_error() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn slot_for(&mut self, labels: Labels) -> u32 {
        if let Some(&i) = self.by_labels.get(&labels) {
            return i;
        }
        let i = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            labels: labels.clone(),
            series_ref: 0,
            pending: 0,
            tracked: false,
            appended: 0,
        });
        self.by_labels.insert(labels, i);
        i
    }

    /// Forgets texts not seen for a few attempts and the series only they
    /// used, so a target whose series churn does not grow the cache.
    fn prune(&mut self) {
        let now = self.attempt;
        let before = self.texts.len();
        self.texts.retain(|_, e| e.seen + 4 > now);
        let mut used = vec![false; self.slots.len()];
        for e in self.texts.values() {
            if let Some(i) = e.slot {
                used[i as usize] = true;
            }
        }
        for &i in &self.prev {
            used[i as usize] = true;
        }
        if before == self.texts.len() && used.iter().all(|u| *u) {
            return;
        }
        let mut map = vec![u32::MAX; self.slots.len()];
        let mut slots = Vec::with_capacity(self.slots.len());
        for (i, s) in std::mem::take(&mut self.slots).into_iter().enumerate() {
            if used[i] {
                map[i] = u32::try_from(slots.len()).unwrap_or(u32::MAX);
                slots.push(s);
            }
        }
        self.slots = slots;
        for e in self.texts.values_mut() {
            e.slot = e.slot.map(|i| map[i as usize]);
        }
        for i in &mut self.prev {
            *i = map[*i as usize];
        }
        self.by_labels = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.labels.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
    }
}

/// The counts of one scrape, for the report series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendStats {
    /// Samples in the body (`scrape_samples_scraped`).
    pub scraped: usize,
    /// Samples after metric relabelling
    /// (`scrape_samples_post_metric_relabeling`).
    pub post_relabel: usize,
    /// Series not in the previous scrape (`scrape_series_added`).
    pub series_added: usize,
    /// Samples the storage rejected one by one (out of order, duplicate...).
    pub rejected: usize,
    /// Stale markers appended for vanished series.
    pub stale: usize,
}

/// Merges target labels into exposed labels as Prometheus does: with
/// `honor_labels` the exposed value wins; otherwise the target value wins
/// and the exposed one is kept as `exported_<name>` (prefixed again while
/// that name is taken).
pub fn merge_target_labels(b: &mut LabelsBuilder, target: &Labels, honor: bool) {
    if honor {
        for l in target.iter() {
            if b.get(&l.name).is_empty() {
                b.set(&l.name, &l.value);
            }
        }
        return;
    }
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for l in target.iter() {
        let existing = b.get(&l.name);
        if !existing.is_empty() {
            conflicts.push((l.name.clone(), existing.to_string()));
        }
        b.set(&l.name, &l.value);
    }
    for (name, value) in conflicts {
        let mut n = format!("exported_{name}");
        while !b.get(&n).is_empty() {
            n = format!("exported_{n}");
        }
        b.set(&n, &value);
    }
}

fn check_limits(l: &Labels, s: &AppendSettings) -> Result<(), ScrapeError> {
    let err = |message: String| ScrapeError::LabelLimit {
        series: l.to_string(),
        message,
    };
    if s.label_limit > 0 && l.len() > s.label_limit {
        return Err(err(format!("{} labels, limit {}", l.len(), s.label_limit)));
    }
    for lab in l.iter() {
        if s.label_name_length_limit > 0 && lab.name.len() > s.label_name_length_limit {
            return Err(err(format!(
                "label name {:?} longer than {}",
                lab.name, s.label_name_length_limit
            )));
        }
        if s.label_value_length_limit > 0 && lab.value.len() > s.label_value_length_limit {
            return Err(err(format!(
                "value of label {:?} longer than {}",
                lab.name, s.label_value_length_limit
            )));
        }
    }
    Ok(())
}

fn translate(
    s: &telltale_exposition::Series<'_>,
    target: &Labels,
    settings: &AppendSettings,
) -> Option<Labels> {
    let mut b = LabelsBuilder::new();
    b.set(telltale_model::METRIC_NAME, &s.name());
    for (n, v) in s.labels() {
        // `le="1"` and `le="1.0"` name the same series, as in Prometheus 3.
        let v = telltale_exposition::normalize_float_label(s.metric_type, &n, v);
        b.set(&n, &v);
    }
    merge_target_labels(&mut b, target, settings.honor_labels);
    if !relabel_builder(&mut b, &settings.metric_relabel) {
        return None;
    }
    Some(b.build())
}

fn parse_error(body: &[u8], e: &telltale_exposition::Error) -> ScrapeError {
    let _ = body;
    ScrapeError::Parse {
        line: e.position().line,
        message: e.to_string(),
    }
}

/// Parses `body` and appends its samples at `t` (milliseconds).
///
/// # Errors
///
/// [`ScrapeError::Parse`] for a malformed body, [`ScrapeError::SampleLimit`]
/// and [`ScrapeError::LabelLimit`] when a limit is exceeded, and storage
/// failures. On error the caller must roll the appender back; the cache
/// still describes the last successful scrape.
pub fn append_scrape(
    app: &mut dyn Appender,
    body: &[u8],
    format: Format,
    t: i64,
    target: &Labels,
    settings: &AppendSettings,
    cache: &mut ScrapeCache,
) -> Result<AppendStats, ScrapeError> {
    cache.attempt += 1;
    let attempt = cache.attempt;
    let mut batch = std::mem::take(&mut cache.scratch);
    batch.clear();
    let res =
        collect(body, format, t, target, settings, cache, &mut batch).and_then(|(stats, md)| {
            append_batch(app, t, settings, cache, &batch, stats).map(|s| (s, md))
        });
    cache.scratch = batch;
    let (stats, metadata) = res?;
    cache.metadata = metadata;
    cache.last_ok = attempt;
    if attempt.is_multiple_of(4) {
        cache.prune();
    }
    Ok(stats)
}

type Metadata = BTreeMap<String, MetricMetadata>;

/// Pass 1: parse, translate and check limits; nothing is appended.
fn collect(
    body: &[u8],
    format: Format,
    t: i64,
    target: &Labels,
    settings: &AppendSettings,
    cache: &mut ScrapeCache,
    batch: &mut Vec<(u32, i64, f64, bool)>,
) -> Result<(AppendStats, Metadata), ScrapeError> {
    let attempt = cache.attempt;
    let mut stats = AppendStats::default();
    let mut metadata = Metadata::new();
    for entry in Parser::new(body, format) {
        let entry = entry.map_err(|e| parse_error(body, &e))?;
        let s = match entry {
            Entry::Series(s) => s,
            Entry::Help { name, text } => {
                metadata.entry(name.into_owned()).or_default().help = text.into_owned();
                continue;
            }
            Entry::Type { name, metric_type } => {
                metadata.entry(name.into_owned()).or_default().metric_type = metric_type;
                continue;
            }
            Entry::Unit { name, unit } => {
                metadata.entry(name.into_owned()).or_default().unit = unit.to_string();
                continue;
            }
            Entry::Comment(_) => continue,
        };
        if s.is_created() {
            continue;
        }
        stats.scraped += 1;
        let key = s.text();
        let slot = match cache.texts.get_mut(key) {
            Some(e) => {
                e.seen = attempt;
                e.slot
            }
            None => {
                let slot = match translate(&s, target, settings) {
                    Some(l) => {
                        if !l.has(telltale_model::METRIC_NAME) {
                            return Err(ScrapeError::LabelLimit {
                                series: l.to_string(),
                                message: "no metric name after relabelling".into(),
                            });
                        }
                        check_limits(&l, settings)?;
                        Some(cache.slot_for(l))
                    }
                    None => None,
                };
                cache.texts.insert(
                    key.into(),
                    TextEntry {
                        slot,
                        seen: attempt,
                    },
                );
                slot
            }
        };
        let Some(slot) = slot else { continue };
        stats.post_relabel += 1;
        if settings.sample_limit > 0 && stats.post_relabel > settings.sample_limit {
            return Err(ScrapeError::SampleLimit {
                limit: settings.sample_limit,
                got: stats.post_relabel,
            });
        }
        let explicit = settings.honor_timestamps && s.timestamp.is_some();
        let ts = if explicit {
            s.timestamp.unwrap_or(t)
        } else {
            t
        };
        batch.push((slot, ts, s.value, explicit));
    }
    Ok((stats, metadata))
}

/// Pass 2: append the batch and stale markers, then record the new state.
fn append_batch(
    app: &mut dyn Appender,
    t: i64,
    settings: &AppendSettings,
    cache: &mut ScrapeCache,
    batch: &[(u32, i64, f64, bool)],
    mut stats: AppendStats,
) -> Result<AppendStats, ScrapeError> {
    let attempt = cache.attempt;
    let last_ok = cache.last_ok;
    for &(slot, ts, v, explicit) in batch {
        let s = &mut cache.slots[slot as usize];
        if s.pending == attempt {
            // A duplicate series within one scrape: Prometheus keeps the
            // first sample and counts the rest as rejected.
            stats.rejected += 1;
            continue;
        }
        s.pending = attempt;
        s.tracked = !explicit || settings.track_timestamps_staleness;
        match app.append(s.series_ref, &s.labels, ts, v) {
            Ok(r) => s.series_ref = r,
            Err(err) if err.is_sample_error() => stats.rejected += 1,
            Err(err) => return Err(err.into()),
        }
        if s.appended != last_ok || last_ok == 0 {
            stats.series_added += 1;
        }
    }
    for &i in &cache.prev {
        let s = &cache.slots[i as usize];
        if s.pending != attempt || !s.tracked {
            match app.append(s.series_ref, &s.labels, t, stale_nan()) {
                Ok(_) => stats.stale += 1,
                Err(e) if e.is_sample_error() => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    cache.prev.clear();
    for &(slot, ..) in batch {
        let s = &mut cache.slots[slot as usize];
        if s.appended != attempt {
            s.appended = attempt;
            if s.tracked {
                cache.prev.push(slot);
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests;
