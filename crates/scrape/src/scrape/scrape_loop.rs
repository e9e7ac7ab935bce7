//! The scrape loop of one target: wait for the target's slot in the
//! interval, scrape, append, report, repeat; on removal, mark every series
//! of the target stale.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use telltale_model::{Appendable, Appender, Labels, LabelsBuilder, SeriesRef, stale_nan};
use tokio::sync::watch;

use super::append::{AppendSettings, AppendStats, ScrapeCache, append_scrape};
use super::fetch::Fetcher;
use crate::error::ScrapeError;
use crate::target::Target;

/// The report series every scrape writes, in order.
pub const REPORT_NAMES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// The health of a target as the targets API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Not scraped yet.
    #[default]
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl Health {
    /// `unknown`, `up` or `down`, as Prometheus's API spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// The outcome of the last scrape of a target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LastScrape {
    /// Health after the last scrape.
    pub health: Health,
    /// The last error's text, empty after a success.
    pub last_error: String,
    /// When the last scrape started.
    pub last_scrape: Option<SystemTime>,
    /// How long it took.
    pub duration: Duration,
    /// Its counts.
    pub stats: AppendStats,
}

/// State shared between a loop, the manager and a loop that replaces it.
#[derive(Debug, Default)]
pub(crate) struct LoopShared {
    pub(crate) last: Mutex<LastScrape>,
    pub(crate) cache: Mutex<ScrapeCache>,
    /// References of the report series.
    pub(crate) report_refs: Mutex<[SeriesRef; 5]>,
}

/// How a loop is asked to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopMode {
    /// Keep running.
    Run,
    /// The target went away: mark its series stale.
    Stale,
    /// Shutdown or handover to a new loop: leave the series alone.
    Quiet,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The wait until the target's first slot: aligned to wall-clock multiples
/// of the interval, shifted by the target's offset, as Prometheus does.
fn initial_delay(interval: Duration, offset: Duration) -> Duration {
    let iv = interval.as_nanos().max(1);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let base = iv - now % iv;
    let mut next = base + offset.as_nanos();
    if next > iv {
        next -= iv;
    }
    Duration::from_nanos(u64::try_from(next).unwrap_or(0))
}

/// One target's loop.
pub(crate) struct ScrapeLoop {
    pub(crate) target: Target,
    pub(crate) fetcher: Fetcher,
    pub(crate) settings: AppendSettings,
    pub(crate) storage: Arc<dyn Appendable>,
    pub(crate) shared: Arc<LoopShared>,
    pub(crate) offset_seed: u64,
}

impl ScrapeLoop {
    pub(crate) async fn run(self, mut stop: watch::Receiver<StopMode>) {
        let delay = initial_delay(self.target.interval, self.target.offset(self.offset_seed));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => {}
        }
        let mut ticker = tokio::time::interval(self.target.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while *stop.borrow() == StopMode::Run {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => continue,
            }
            self.scrape_once().await;
        }
        if *stop.borrow() == StopMode::Stale {
            self.mark_stale(now_ms());
        }
    }

    /// Scrapes, appends and reports once.
    pub(crate) async fn scrape_once(&self) {
        let started = SystemTime::now();
        let clock = Instant::now();
        let t = now_ms();
        let fetched = self.fetcher.fetch().await;
        let duration = clock.elapsed();
        let target_labels = self.target.series_labels();
        let mut app = self.storage.appender();
        let (stats, err) = {
            let mut cache = match self.shared.cache.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            let res = fetched.and_then(|(body, format)| {
                append_scrape(
                    app.as_mut(),
                    &body,
                    format,
                    t,
                    &target_labels,
                    &self.settings,
                    &mut cache,
                )
            });
            match res {
                Ok(s) => (s, None),
                Err(e) => {
                    // Drop what the failed scrape appended, then mark every
                    // series of the last good scrape stale, as Prometheus
                    // does for a failed scrape.
                    app.rollback();
                    app = self.storage.appender();
                    if let Err(se) = cache.mark_all_stale(app.as_mut(), t) {
                        tracing::warn!(error = %se, "stale markers after a failed scrape");
                    }
                    let stats = match &e {
                        ScrapeError::SampleLimit { got, .. } => AppendStats {
                            post_relabel: *got,
                            ..Default::default()
                        },
                        _ => AppendStats::default(),
                    };
                    (stats, Some(e))
                }
            }
        };
        let up = if err.is_none() { 1.0 } else { 0.0 };
        let values = [
            up,
            duration.as_secs_f64(),
            stats.scraped as f64,
            stats.post_relabel as f64,
            stats.series_added as f64,
        ];
        self.append_report(app.as_mut(), &target_labels, t, values);
        let mut err = err.map(|e| e.to_string());
        if let Err(e) = app.commit() {
            err = Some(format!("storage commit failed: {e}"));
        }
        if let Some(e) = &err {
            tracing::debug!(url = %self.fetcher.url(), error = %e, "scrape failed");
        }
        let mut last = match self.shared.last.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        *last = LastScrape {
            health: if err.is_none() {
                Health::Up
            } else {
                Health::Down
            },
            last_error: err.unwrap_or_default(),
            last_scrape: Some(started),
            duration,
            stats,
        };
    }

    fn append_report(&self, app: &mut dyn Appender, target: &Labels, t: i64, values: [f64; 5]) {
        let mut refs = match self.shared.report_refs.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        for (i, name) in REPORT_NAMES.iter().enumerate() {
            let mut b = LabelsBuilder::from(target.clone());
            b.set(telltale_model::METRIC_NAME, name);
            match app.append(refs[i], &b.build(), t, values[i]) {
                Ok(r) => refs[i] = r,
                Err(e) => tracing::debug!(error = %e, "report sample rejected"),
            }
        }
    }

    /// Marks every series of the target, report series included, stale.
    pub(crate) fn mark_stale(&self, t: i64) {
        let mut app = self.storage.appender();
        {
            let mut cache = match self.shared.cache.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            if let Err(e) = cache.mark_all_stale(app.as_mut(), t) {
                tracing::warn!(error = %e, "end-of-run stale markers");
            }
        }
        let target = self.target.series_labels();
        self.append_report(app.as_mut(), &target, t, [stale_nan(); 5]);
        if let Err(e) = app.commit() {
            tracing::warn!(error = %e, "end-of-run stale markers not committed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_delay_is_within_one_interval() {
        let iv = Duration::from_secs(10);
        for off in [0, 1, 5_000, 9_999] {
            let d = initial_delay(iv, Duration::from_millis(off));
            assert!(d <= iv, "{d:?}");
        }
    }
}
