//! [`ScrapeManager`]: every job's pool, reloads, and the views the HTTP API
//! needs (targets, dropped targets, metadata).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use telltale_model::{Appendable, Labels, MetricMetadata};

use super::append::AppendStats;
use super::pool::{DroppedTarget, Pool, same_discovery};
use super::scrape_loop::{Health, StopMode};
use crate::config::ScrapeConfig;
use crate::error::ScrapeError;

/// A target as the targets API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetStatus {
    /// The job (`scrapePool`).
    pub job: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The series labels of the target (no `__` labels).
    pub labels: Labels,
    /// The labels as discovered, before relabelling.
    pub discovered_labels: Labels,
    /// Health after the last scrape.
    pub health: Health,
    /// The last error, empty after a success.
    pub last_error: String,
    /// When the last scrape started.
    pub last_scrape: Option<SystemTime>,
    /// How long the last scrape took.
    pub last_scrape_duration: Duration,
    /// The counts of the last scrape.
    pub last_stats: AppendStats,
    /// The scrape interval.
    pub scrape_interval: Duration,
    /// The scrape timeout.
    pub scrape_timeout: Duration,
}

/// One metric's metadata as exposed by one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMetadata {
    /// The target's series labels.
    pub target: Labels,
    /// The metric family name.
    pub metric: String,
    /// Its type, help and unit.
    pub metadata: MetricMetadata,
}

struct Inner {
    storage: Arc<dyn Appendable>,
    handle: tokio::runtime::Handle,
    pools: Mutex<BTreeMap<String, Pool>>,
    seed: u64,
}

/// Runs the scrape jobs of a config and swaps them on reload.
///
/// Cloning is cheap; clones share the jobs. Dropping the last clone does
/// not stop the loops: call [`ScrapeManager::stop`].
#[derive(Clone)]
pub struct ScrapeManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ScrapeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeManager").finish_non_exhaustive()
    }
}

impl ScrapeManager {
    /// A manager that appends into `storage`, with no jobs yet. Must be
    /// called inside a tokio runtime, which runs the loops.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::NoRuntime`] outside a runtime.
    pub fn new(storage: Arc<dyn Appendable>) -> Result<Self, ScrapeError> {
        Self::with_seed(storage, 0)
    }

    /// As [`ScrapeManager::new`], with a seed mixed into every target's
    /// offset in its interval (Prometheus uses the external labels' hash;
    /// use different seeds for HA pairs so they do not scrape in step).
    ///
    /// # Errors
    ///
    /// [`ScrapeError::NoRuntime`] outside a runtime.
    pub fn with_seed(storage: Arc<dyn Appendable>, seed: u64) -> Result<Self, ScrapeError> {
        crate::client::ensure_crypto_provider();
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|e| ScrapeError::NoRuntime(e.to_string()))?;
        Ok(ScrapeManager {
            inner: Arc::new(Inner {
                storage,
                handle,
                pools: Mutex::new(BTreeMap::new()),
                seed,
            }),
        })
    }

    fn pools(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Pool>> {
        match self.inner.pools.lock() {
            Ok(p) => p,
            Err(p) => p.into_inner(),
        }
    }

    /// Makes `configs` the running set of jobs: new jobs start, removed
    /// jobs stop (their series are marked stale), changed jobs reload.
    /// Targets whose labels, URL and scrape settings did not change keep
    /// their running loop.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::InvalidConfig`] for an invalid job or duplicate job
    /// names, and client errors (unreadable certificates); then nothing
    /// changes.
    pub fn apply_config(&self, configs: &[ScrapeConfig]) -> Result<(), ScrapeError> {
        let mut names = std::collections::HashSet::new();
        for c in configs {
            c.validate()?;
            if !names.insert(c.job_name.as_str()) {
                return Err(ScrapeError::invalid(
                    &c.job_name,
                    "found multiple scrape configs with this job name",
                ));
            }
            // Build clients up front so a bad certificate fails the whole
            // reload before anything changes.
            crate::client::build_client(&crate::client::ClientSettings {
                tls: c.tls_config.clone(),
                follow_redirects: c.follow_redirects,
                compression: c.enable_compression,
            })
            .map_err(|e| ScrapeError::invalid(&c.job_name, e.to_string()))?;
            for h in &c.http_sd_configs {
                crate::discovery::http::HttpDiscovery::new(h)
                    .map_err(|e| ScrapeError::invalid(&c.job_name, e.to_string()))?;
            }
        }
        let mut pools = self.pools();
        let removed: Vec<String> = pools
            .keys()
            .filter(|k| !names.contains(k.as_str()))
            .cloned()
            .collect();
        for k in removed {
            if let Some(mut p) = pools.remove(&k) {
                p.stop(StopMode::Stale);
            }
        }
        for c in configs {
            match pools.get_mut(&c.job_name) {
                Some(p) => {
                    let same = {
                        let st = match p.state.lock() {
                            Ok(s) => s,
                            Err(e) => e.into_inner(),
                        };
                        *st.cfg == *c
                    };
                    if !same {
                        p.reload(c)?;
                    }
                }
                None => {
                    let p = Pool::new(
                        c,
                        self.inner.storage.clone(),
                        self.inner.seed,
                        self.inner.handle.clone(),
                    )?;
                    pools.insert(c.job_name.clone(), p);
                }
            }
        }
        Ok(())
    }

    /// Every active target of every job, by job then URL.
    pub fn targets(&self) -> Vec<TargetStatus> {
        let pools = self.pools();
        let mut out = Vec::new();
        for (job, p) in pools.iter() {
            let st = match p.state.lock() {
                Ok(s) => s,
                Err(e) => e.into_inner(),
            };
            for l in st.loops.values() {
                let last = match l.shared.last.lock() {
                    Ok(x) => x.clone(),
                    Err(e) => e.into_inner().clone(),
                };
                out.push(TargetStatus {
                    job: job.clone(),
                    scrape_url: l.target.url.clone(),
                    labels: l.target.series_labels(),
                    discovered_labels: l.target.discovered_labels.clone(),
                    health: last.health,
                    last_error: last.last_error,
                    last_scrape: last.last_scrape,
                    last_scrape_duration: last.duration,
                    last_stats: last.stats,
                    scrape_interval: l.target.interval,
                    scrape_timeout: l.target.timeout,
                });
            }
        }
        out.sort_by(|a, b| (&a.job, &a.scrape_url).cmp(&(&b.job, &b.scrape_url)));
        out
    }

    /// Targets that relabelling dropped or that are invalid.
    pub fn dropped_targets(&self) -> Vec<DroppedTarget> {
        let pools = self.pools();
        let mut out = Vec::new();
        for p in pools.values() {
            let st = match p.state.lock() {
                Ok(s) => s,
                Err(e) => e.into_inner(),
            };
            out.extend(st.dropped.iter().cloned());
        }
        out
    }

    /// The current discovery errors per job (a file that does not parse,
    /// an HTTP SD endpoint that fails); their targets are the last good ones.
    pub fn discovery_errors(&self) -> BTreeMap<String, Vec<String>> {
        let pools = self.pools();
        let mut out = BTreeMap::new();
        for (job, p) in pools.iter() {
            let st = match p.state.lock() {
                Ok(s) => s,
                Err(e) => e.into_inner(),
            };
            if !st.sd_errors.is_empty() {
                out.insert(job.clone(), st.sd_errors.values().cloned().collect());
            }
        }
        out
    }

    /// Metadata per target (for `/api/v1/targets/metadata`), optionally for
    /// one metric only.
    pub fn target_metadata(&self, metric: Option<&str>) -> Vec<TargetMetadata> {
        let pools = self.pools();
        let mut out = Vec::new();
        for p in pools.values() {
            let st = match p.state.lock() {
                Ok(s) => s,
                Err(e) => e.into_inner(),
            };
            for l in st.loops.values() {
                let cache = match l.shared.cache.lock() {
                    Ok(c) => c,
                    Err(e) => e.into_inner(),
                };
                let target = l.target.series_labels();
                for (name, md) in cache.metadata.iter() {
                    if metric.is_none_or(|m| m == name) {
                        out.push(TargetMetadata {
                            target: target.clone(),
                            metric: name.clone(),
                            metadata: md.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Metadata per metric name across all targets, each distinct
    /// type/help/unit once (the shape of `/api/v1/metadata`).
    pub fn metadata(&self) -> BTreeMap<String, Vec<MetricMetadata>> {
        let mut out: BTreeMap<String, Vec<MetricMetadata>> = BTreeMap::new();
        for tm in self.target_metadata(None) {
            let v = out.entry(tm.metric).or_default();
            if !v.contains(&tm.metadata) {
                v.push(tm.metadata);
            }
        }
        out
    }

    /// Stops every job without marking series stale (shutdown).
    pub fn stop(&self) {
        let mut pools = self.pools();
        for (_, mut p) in std::mem::take(&mut *pools) {
            p.abort();
        }
    }

    /// The scrape subsystem's own metrics, for the server's `/metrics`:
    /// `prometheus_target_scrape_pool_targets{scrape_job}` (active targets),
    /// `prometheus_target_scrape_pool_dropped_targets{scrape_job}`,
    /// `telltale_target_down{scrape_job}` (targets whose last scrape
    /// failed) and `prometheus_sd_failed_configs{scrape_job}` (discovery
    /// providers whose last refresh failed).
    pub fn self_metrics(&self) -> Vec<telltale_model::MetricFamily> {
        use telltale_model::{MetricFamily, MetricMetadata, MetricType};
        let gauge = |name: &str, help: &str| {
            MetricFamily::new(
                name,
                MetricMetadata {
                    metric_type: MetricType::Gauge,
                    help: help.into(),
                    unit: String::new(),
                },
            )
        };
        let mut targets = gauge(
            "prometheus_target_scrape_pool_targets",
            "Current number of targets in this scrape pool.",
        );
        let mut dropped = gauge(
            "prometheus_target_scrape_pool_dropped_targets",
            "Current number of dropped targets in this scrape pool.",
        );
        let mut down = gauge(
            "telltale_target_down",
            "Targets of this scrape pool whose last scrape failed.",
        );
        let mut sd = gauge(
            "prometheus_sd_failed_configs",
            "Discovery providers of this scrape pool whose last refresh failed.",
        );
        let pools = self.pools();
        for (job, p) in pools.iter() {
            let st = match p.state.lock() {
                Ok(s) => s,
                Err(e) => e.into_inner(),
            };
            let n_down = st
                .loops
                .values()
                .filter(|l| {
                    l.shared
                        .last
                        .lock()
                        .map(|x| x.health == Health::Down)
                        .unwrap_or(false)
                })
                .count();
            let lab = [("scrape_job", job.as_str())];
            targets.push(&lab, st.loops.len() as f64);
            dropped.push(&lab, st.dropped.len() as f64);
            down.push(&lab, n_down as f64);
            sd.push(&lab, st.sd_errors.len() as f64);
        }
        vec![targets, dropped, down, sd]
    }

    /// The names of the running jobs.
    pub fn jobs(&self) -> Vec<String> {
        self.pools().keys().cloned().collect()
    }
}

/// Whether a reload from `a` to `b` restarts discovery.
pub fn discovery_changed(a: &ScrapeConfig, b: &ScrapeConfig) -> bool {
    !same_discovery(a, b)
}
