//! The set of collectors and one collection over all of them.

use std::sync::Arc;
use std::time::Instant;

use telltale_model::MetricFamily;

use crate::collectors;
use crate::collectors::filesystem::{StatfsFn, real_statfs};
use crate::config::CollectorConfig;
use crate::emit::Emitter;
use crate::error::CollectorError;

/// Every collector this crate has, by node_exporter name, and whether it
/// is enabled by default.
pub(crate) const COLLECTORS: &[(&str, bool)] = &[
    ("arp", true),
    ("cgroup", false),
    ("conntrack", true),
    ("cpu", true),
    ("diskstats", true),
    ("entropy", true),
    ("filefd", true),
    ("filesystem", true),
    ("hwmon", true),
    ("loadavg", true),
    ("meminfo", true),
    ("netclass", true),
    ("netdev", true),
    ("netstat", true),
    ("os", true),
    ("pressure", true),
    ("processes_top", false),
    ("selinux", true),
    ("sockstat", true),
    ("softnet", true),
    ("stat", true),
    ("textfile", true),
    ("thermal_zone", true),
    ("time", true),
    ("udp_queues", true),
    ("uname", true),
    ("vmstat", true),
];

/// One collector: reads its files and adds samples.
pub(crate) trait Collector: Send + Sync {
    /// Reads the current values into `out`. An error marks the collector
    /// failed for this collection; samples added before it are kept, as
    /// node_exporter keeps them.
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError>;
}

/// The enabled collectors, ready to run.
///
/// Cheap to share: [`Collectors::collect`] takes `&self` and may run from
/// several threads at once (collectors that keep state between runs lock
/// it).
pub struct Collectors {
    list: Vec<(&'static str, Box<dyn Collector>)>,
}

impl std::fmt::Debug for Collectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|(n, _)| n))
            .finish()
    }
}

impl Collectors {
    /// Builds the collectors that `cfg.enabled` names.
    ///
    /// # Errors
    ///
    /// [`CollectorError::UnknownCollector`] if `cfg.enabled` names a
    /// collector this crate does not have.
    pub fn new(cfg: &CollectorConfig) -> Result<Self, CollectorError> {
        Self::with_statfs(cfg, Arc::new(real_statfs))
    }

    /// Like [`Collectors::new`], with the function the filesystem collector
    /// calls for each mount point instead of `statvfs(2)`: a seam for tests
    /// (fixed sizes, a mount that hangs) and for platforms without it.
    ///
    /// # Errors
    ///
    /// As [`Collectors::new`].
    pub fn with_statfs(cfg: &CollectorConfig, statfs: StatfsFn) -> Result<Self, CollectorError> {
        let mut list = Vec::new();
        for name in &cfg.enabled {
            let (static_name, _) = COLLECTORS
                .iter()
                .find(|(n, _)| *n == name.as_str())
                .ok_or_else(|| CollectorError::UnknownCollector(name.clone()))?;
            let c = collectors::build(static_name, cfg, &statfs)?;
            list.push((*static_name, c));
        }
        Ok(Collectors { list })
    }

    /// Every collector name and whether it is on by default.
    pub fn names() -> &'static [(&'static str, bool)] {
        COLLECTORS
    }

    /// The names of the collectors that run, in order.
    pub fn enabled(&self) -> Vec<&'static str> {
        self.list.iter().map(|(n, _)| *n).collect()
    }

    /// Runs every enabled collector once and returns the families sorted by
    /// name, including `node_scrape_collector_duration_seconds` and
    /// `node_scrape_collector_success` for each collector. Never fails: a
    /// collector that fails reports success 0.
    ///
    /// Blocking: it reads files and may wait up to
    /// [`CollectorConfig::statfs_timeout`] for filesystems. From async code
    /// call it on a blocking thread (`tokio::task::spawn_blocking`).
    pub fn collect(&self) -> Vec<MetricFamily> {
        self.collect_with_errors().0
    }

    /// Like [`Collectors::collect`], also returning the error of each
    /// collector that failed (for the caller's log).
    pub fn collect_with_errors(&self) -> (Vec<MetricFamily>, Vec<(&'static str, CollectorError)>) {
        let mut out = Emitter::new();
        let mut errors = Vec::new();
        let mut timings = Vec::with_capacity(self.list.len());
        for (name, c) in &self.list {
            let start = Instant::now();
            let res = c.update(&mut out);
            let secs = start.elapsed().as_secs_f64();
            timings.push((*name, secs, res.is_ok()));
            if let Err(e) = res {
                errors.push((*name, e));
            }
        }
        for (name, secs, ok) in timings {
            out.gauge(
                "node_scrape_collector_duration_seconds",
                "node_exporter: Duration of a collector scrape.",
                &[("collector", name)],
                secs,
            );
            out.gauge(
                "node_scrape_collector_success",
                "node_exporter: Whether a collector succeeded.",
                &[("collector", name)],
                if ok { 1.0 } else { 0.0 },
            );
        }
        (out.into_families(), errors)
    }
}
