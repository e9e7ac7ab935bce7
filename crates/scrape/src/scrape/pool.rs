//! A scrape pool: one job's discovery tasks, its targets and their loops.
//!
//! Discovery providers report their full group lists over a channel; once
//! every provider has reported at least once, each report re-syncs the
//! targets: new targets get a loop, vanished ones are stopped with stale
//! markers, and targets whose labels, URL and scrape settings are
//! unchanged keep their running loop.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use telltale_model::{Appendable, Labels};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::append::AppendSettings;
use super::fetch::Fetcher;
use super::scrape_loop::{LoopShared, ScrapeLoop, StopMode};
use crate::client::{ClientSettings, build_client};
use crate::config::ScrapeConfig;
use crate::discovery::file::FileDiscovery;
use crate::discovery::http::HttpDiscovery;
use crate::discovery::{TargetGroup, static_groups};
use crate::error::ScrapeError;
use crate::target::{Target, TargetOutcome, targets_from_group};

/// The most dropped targets kept for the API per job when
/// `keep_dropped_targets` is 0.
const MAX_DROPPED: usize = 10_000;

/// The parts of a job's config a running loop depends on (everything but
/// discovery and target relabelling, which act through the target).
pub(crate) fn loop_config(c: &ScrapeConfig) -> ScrapeConfig {
    let mut c = c.clone();
    c.static_configs.clear();
    c.file_sd_configs.clear();
    c.http_sd_configs.clear();
    c.relabel_configs.clear();
    c
}

/// Whether two configs discover the same way.
pub(crate) fn same_discovery(a: &ScrapeConfig, b: &ScrapeConfig) -> bool {
    a.static_configs == b.static_configs
        && a.file_sd_configs == b.file_sd_configs
        && a.http_sd_configs == b.http_sd_configs
}

pub(crate) struct LoopHandle {
    pub(crate) target: Target,
    pub(crate) loop_cfg: Arc<ScrapeConfig>,
    pub(crate) shared: Arc<LoopShared>,
    stop: watch::Sender<StopMode>,
    task: JoinHandle<()>,
}

impl LoopHandle {
    pub(crate) fn stop(&self, mode: StopMode) {
        // The receiver may be gone if the task ended; nothing to do then.
        let _ = self.stop.send(mode);
    }

    pub(crate) fn abort(&self) {
        self.task.abort();
    }
}

/// A target that relabelling dropped or that is invalid.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedTarget {
    /// The job.
    pub job: String,
    /// The labels as discovered.
    pub discovered_labels: Labels,
    /// Why it is not scraped (empty when relabelling dropped it).
    pub reason: String,
}

pub(crate) struct PoolState {
    pub(crate) cfg: Arc<ScrapeConfig>,
    pub(crate) loop_cfg: Arc<ScrapeConfig>,
    client: reqwest::Client,
    pub(crate) loops: HashMap<u64, LoopHandle>,
    pub(crate) dropped: Vec<DroppedTarget>,
    /// The latest groups of each provider.
    groups: BTreeMap<usize, Vec<TargetGroup>>,
    providers: usize,
    /// Errors of the last refresh of each provider, for logs and the API.
    pub(crate) sd_errors: BTreeMap<usize, String>,
    storage: Arc<dyn Appendable>,
    seed: u64,
    handle: tokio::runtime::Handle,
}

pub(crate) struct Pool {
    pub(crate) state: Arc<Mutex<PoolState>>,
    sd_tasks: Vec<JoinHandle<()>>,
}

fn lock(state: &Mutex<PoolState>) -> std::sync::MutexGuard<'_, PoolState> {
    match state.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Pool {
    pub(crate) fn new(
        cfg: &ScrapeConfig,
        storage: Arc<dyn Appendable>,
        seed: u64,
        handle: tokio::runtime::Handle,
    ) -> Result<Pool, ScrapeError> {
        let client = client_for(cfg)?;
        let state = Arc::new(Mutex::new(PoolState {
            cfg: Arc::new(cfg.clone()),
            loop_cfg: Arc::new(loop_config(cfg)),
            client,
            loops: HashMap::new(),
            dropped: Vec::new(),
            groups: BTreeMap::new(),
            providers: 0,
            sd_errors: BTreeMap::new(),
            storage,
            seed,
            handle,
        }));
        let mut pool = Pool {
            state,
            sd_tasks: Vec::new(),
        };
        pool.start_discovery(cfg)?;
        Ok(pool)
    }

    /// Applies a changed config of the same job.
    pub(crate) fn reload(&mut self, cfg: &ScrapeConfig) -> Result<(), ScrapeError> {
        let client = client_for(cfg)?;
        let old = lock(&self.state).cfg.clone();
        {
            let mut st = lock(&self.state);
            st.cfg = Arc::new(cfg.clone());
            st.loop_cfg = Arc::new(loop_config(cfg));
            st.client = client;
        }
        if same_discovery(&old, cfg) {
            let mut st = lock(&self.state);
            if st.groups.len() == st.providers {
                st.sync();
            }
        } else {
            for t in self.sd_tasks.drain(..) {
                t.abort();
            }
            {
                let mut st = lock(&self.state);
                st.groups.clear();
                st.sd_errors.clear();
            }
            self.start_discovery(cfg)?;
        }
        Ok(())
    }

    fn start_discovery(&mut self, cfg: &ScrapeConfig) -> Result<(), ScrapeError> {
        let (tx, mut rx) = mpsc::channel::<(usize, Result<Vec<TargetGroup>, String>)>(16);
        let mut n = 0usize;
        let handle = lock(&self.state).handle.clone();
        // Static targets report at once.
        let statics = static_groups(&cfg.static_configs);
        {
            let tx = tx.clone();
            let id = n;
            self.sd_tasks.push(handle.spawn(async move {
                let _ = tx.send((id, Ok(statics))).await;
            }));
            n += 1;
        }
        for f in &cfg.file_sd_configs {
            let mut d = FileDiscovery::new(f);
            let every = f
                .refresh_interval
                .0
                .max(std::time::Duration::from_millis(10));
            let tx = tx.clone();
            let id = n;
            self.sd_tasks.push(handle.spawn(async move {
                loop {
                    // Reading files may block: keep it off the async workers.
                    let joined = tokio::task::spawn_blocking(move || {
                        let r = d.refresh();
                        let e = d.last_error.as_ref().map(|e| e.to_string());
                        (d, r, e)
                    })
                    .await;
                    let (res, err) = match joined {
                        Ok((dd, r, e)) => {
                            d = dd;
                            (r, e)
                        }
                        Err(_) => return,
                    };
                    if let Some(groups) = res
                        && tx.send((id, Ok(groups))).await.is_err()
                    {
                        return;
                    }
                    if let Some(e) = err
                        && tx.send((id, Err(e))).await.is_err()
                    {
                        return;
                    }
                    tokio::time::sleep(every).await;
                }
            }));
            n += 1;
        }
        for h in &cfg.http_sd_configs {
            let d = HttpDiscovery::new(h)?;
            let tx = tx.clone();
            let id = n;
            self.sd_tasks.push(handle.spawn(async move {
                let mut first = true;
                loop {
                    let msg = match d.fetch().await {
                        Ok(g) => Ok(g),
                        Err(e) => {
                            tracing::warn!(error = %e, "http_sd: keeping previous targets");
                            Err(e.to_string())
                        }
                    };
                    if first && msg.is_err() {
                        // Report an empty list once so the pool can start
                        // the job's other targets.
                        let _ = tx.send((id, Ok(Vec::new()))).await;
                    }
                    first = false;
                    if tx.send((id, msg)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(
                        d.refresh_interval()
                            .max(std::time::Duration::from_millis(10)),
                    )
                    .await;
                }
            }));
            n += 1;
        }
        lock(&self.state).providers = n;
        drop(tx);
        let state = self.state.clone();
        self.sd_tasks.push(handle.spawn(async move {
            while let Some((id, msg)) = rx.recv().await {
                let mut st = lock(&state);
                match msg {
                    Ok(groups) => {
                        st.sd_errors.remove(&id);
                        st.groups.insert(id, groups);
                        if st.groups.len() == st.providers {
                            st.sync();
                        }
                    }
                    Err(e) => {
                        st.sd_errors.insert(id, e);
                    }
                }
            }
        }));
        Ok(())
    }

    /// Stops discovery and every loop.
    pub(crate) fn stop(&mut self, mode: StopMode) {
        for t in self.sd_tasks.drain(..) {
            t.abort();
        }
        let mut st = lock(&self.state);
        for (_, l) in st.loops.drain() {
            l.stop(mode);
        }
    }

    /// Stops at once, without waiting for a scrape in flight.
    pub(crate) fn abort(&mut self) {
        for t in self.sd_tasks.drain(..) {
            t.abort();
        }
        let mut st = lock(&self.state);
        for (_, l) in st.loops.drain() {
            l.stop(StopMode::Quiet);
            l.abort();
        }
    }
}

fn client_for(cfg: &ScrapeConfig) -> Result<reqwest::Client, ScrapeError> {
    build_client(&ClientSettings {
        tls: cfg.tls_config.clone(),
        follow_redirects: cfg.follow_redirects,
        compression: cfg.enable_compression,
    })
    .map_err(|e| match e {
        ScrapeError::InvalidConfig { message, .. } => ScrapeError::invalid(&cfg.job_name, message),
        other => other,
    })
}

impl PoolState {
    /// Recomputes the targets from the groups and starts, keeps or stops
    /// loops.
    pub(crate) fn sync(&mut self) {
        let cfg = self.cfg.clone();
        let mut active: HashMap<u64, Target> = HashMap::new();
        let mut order: Vec<u64> = Vec::new();
        self.dropped.clear();
        let keep_dropped = match cfg.keep_dropped_targets {
            0 => MAX_DROPPED,
            n => usize::try_from(n).unwrap_or(MAX_DROPPED).min(MAX_DROPPED),
        };
        for groups in self.groups.values() {
            for g in groups {
                for o in targets_from_group(&cfg, g) {
                    match o {
                        TargetOutcome::Active(t) => {
                            let h = t.hash();
                            if let std::collections::hash_map::Entry::Vacant(e) = active.entry(h) {
                                order.push(h);
                                e.insert(t);
                            }
                        }
                        TargetOutcome::Dropped(l) | TargetOutcome::Invalid(l, _)
                            if self.dropped.len() >= keep_dropped =>
                        {
                            let _ = l;
                        }
                        TargetOutcome::Dropped(l) => self.dropped.push(DroppedTarget {
                            job: cfg.job_name.clone(),
                            discovered_labels: l,
                            reason: String::new(),
                        }),
                        TargetOutcome::Invalid(l, reason) => {
                            tracing::warn!(job = %cfg.job_name, %reason, "invalid target");
                            self.dropped.push(DroppedTarget {
                                job: cfg.job_name.clone(),
                                discovered_labels: l,
                                reason,
                            });
                        }
                    }
                }
            }
        }
        if cfg.target_limit > 0 && active.len() as u64 > cfg.target_limit {
            tracing::warn!(job = %cfg.job_name, limit = cfg.target_limit, "target_limit exceeded; extra targets not scraped");
            for h in order
                .iter()
                .skip(usize::try_from(cfg.target_limit).unwrap_or(usize::MAX))
            {
                if let Some(t) = active.remove(h) {
                    self.dropped.push(DroppedTarget {
                        job: cfg.job_name.clone(),
                        discovered_labels: t.discovered_labels,
                        reason: format!("target_limit {} exceeded", cfg.target_limit),
                    });
                }
            }
        }
        // Stop loops whose target is gone.
        let gone: Vec<u64> = self
            .loops
            .keys()
            .filter(|h| !active.contains_key(h))
            .copied()
            .collect();
        for h in gone {
            if let Some(l) = self.loops.remove(&h) {
                l.stop(StopMode::Stale);
            }
        }
        for h in order {
            let Some(t) = active.remove(&h) else { continue };
            let shared = match self.loops.get(&h) {
                Some(l) if l.target == t && l.loop_cfg == self.loop_cfg => continue,
                Some(l) => {
                    // Same target, new settings: hand the series over so
                    // staleness carries across the restart.
                    l.stop(StopMode::Quiet);
                    let s = l.shared.clone();
                    if let Ok(mut c) = s.cache.lock() {
                        c.clear_translations();
                    }
                    s
                }
                None => Arc::new(LoopShared::default()),
            };
            let handle = self.start_loop(t, shared);
            self.loops.insert(h, handle);
        }
    }

    fn start_loop(&self, target: Target, shared: Arc<LoopShared>) -> LoopHandle {
        let (tx, rx) = watch::channel(StopMode::Run);
        let fetcher = Fetcher::new(self.client.clone(), &target.url, target.timeout, &self.cfg);
        let lp = ScrapeLoop {
            target: target.clone(),
            fetcher,
            settings: AppendSettings::from_config(&self.cfg),
            storage: self.storage.clone(),
            shared: shared.clone(),
            offset_seed: self.seed,
        };
        let task = self.handle.spawn(lp.run(rx));
        LoopHandle {
            target,
            loop_cfg: self.loop_cfg.clone(),
            shared,
            stop: tx,
            task,
        }
    }
}
