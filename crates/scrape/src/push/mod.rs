//! The Pushgateway-compatible push API.
//!
//! Groups of metric families are pushed under a grouping key
//! (`/metrics/job/<job>{/<label>/<value>}`): `PUT` replaces the group,
//! `POST` replaces the families of the same names, `DELETE` removes the
//! group, `PUT /api/v1/admin/wipe` removes all. Every group carries
//! `push_time_seconds` and `push_failure_time_seconds`. Groups are kept in a
//! file in the data directory and restored on start.
//!
//! Prometheus scrapes a Pushgateway every interval and so stores the
//! current state of every group at each scrape. [`PushState`] does the same
//! in-process: every push appends the group's samples at once, and
//! [`PushState::start`] runs a loop that appends every group's current
//! samples each `interval` (with `honor_labels` semantics: the series carry
//! exactly the pushed labels plus the grouping key; no `instance` is added
//! when the key has none, which is what Prometheus stores for the
//! Pushgateway's `instance=""`). Series that leave a group, and all series
//! of a deleted or expired group, get stale markers. Beyond the
//! Pushgateway, a group may have a time to live (a default in
//! [`PushConfig`], or the `Telltale-Push-TTL` request header, e.g. `10m`).

pub mod group;
pub mod path;
pub mod persist;
pub mod proto;
pub mod router;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use telltale_model::{Appendable, Appender, Labels, MetricFamily, stale_nan};

use crate::error::ScrapeError;
use crate::scrape::scrape_loop::now_ms;
use group::{PushGroup, check_consistency, prepare_families};
use path::GroupingKey;

/// Settings of the push API.
#[derive(Debug, Clone, PartialEq)]
pub struct PushConfig {
    /// Where the groups file lives; `None` keeps groups in memory only.
    pub data_dir: Option<PathBuf>,
    /// How often every group's samples are appended again (the scrape
    /// interval Prometheus would use for a Pushgateway).
    pub interval: Duration,
    /// A time to live for groups pushed without the TTL header.
    pub default_ttl: Option<Duration>,
    /// The largest request body, compressed or not, in bytes.
    pub max_body_bytes: usize,
    /// The most groups kept; pushes that would create more are refused.
    pub max_groups: usize,
    /// How often a changed state is written to the groups file.
    pub persist_interval: Duration,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            data_dir: None,
            interval: Duration::from_secs(15),
            default_ttl: None,
            max_body_bytes: 16 << 20,
            max_groups: 100_000,
            persist_interval: Duration::from_secs(1),
        }
    }
}

/// How a push changes a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// `PUT`: the pushed families replace the whole group.
    Replace,
    /// `POST`: the pushed families replace those of the same names.
    Merge,
}

struct Inner {
    cfg: PushConfig,
    storage: Arc<dyn Appendable>,
    groups: Mutex<BTreeMap<GroupingKey, PushGroup>>,
    dirty: AtomicBool,
}

/// The push API's state: the groups, their storage and persistence.
/// Cloning is cheap.
#[derive(Clone)]
pub struct PushState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PushState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushState").finish_non_exhaustive()
    }
}

impl PushState {
    /// Creates the state and restores the groups saved in
    /// `cfg.data_dir` (a corrupt file is moved aside, see
    /// [`persist::read_groups`]).
    ///
    /// # Errors
    ///
    /// [`ScrapeError::Io`] when the data directory cannot be created or the
    /// groups file exists but cannot be read.
    pub fn new(storage: Arc<dyn Appendable>, cfg: PushConfig) -> Result<Self, ScrapeError> {
        let mut groups = BTreeMap::new();
        if let Some(dir) = &cfg.data_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| ScrapeError::io(dir.to_string_lossy().as_ref(), &e))?;
            for g in persist::read_groups(dir)? {
                groups.insert(g.key.clone(), g);
            }
        }
        Ok(PushState {
            inner: Arc::new(Inner {
                cfg,
                storage,
                groups: Mutex::new(groups),
                dirty: AtomicBool::new(false),
            }),
        })
    }

    fn groups(&self) -> MutexGuard<'_, BTreeMap<GroupingKey, PushGroup>> {
        match self.inner.groups.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PushConfig {
        &self.inner.cfg
    }

    /// Applies a push of already parsed families at time `now` (ms).
    ///
    /// # Errors
    ///
    /// [`ScrapeError::BadPush`] for invalid or inconsistent data (the
    /// group's `push_failure_time_seconds` is set if the group exists);
    /// storage errors.
    pub fn push(
        &self,
        key: GroupingKey,
        families: Vec<MetricFamily>,
        mode: PushMode,
        ttl: Option<Duration>,
        now: i64,
    ) -> Result<(), ScrapeError> {
        let mut groups = self.groups();
        let prepared = prepare_families(families, &key).and_then(|p| {
            check_consistency(&p, groups.values().filter(|g| g.key != key))?;
            if !groups.contains_key(&key) && groups.len() >= self.inner.cfg.max_groups {
                return Err(ScrapeError::BadPush(format!(
                    "too many push groups (limit {})",
                    self.inner.cfg.max_groups
                )));
            }
            Ok(p)
        });
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                if let Some(g) = groups.get_mut(&key) {
                    g.push_failure_time_ms = now;
                    self.inner.dirty.store(true, Ordering::Relaxed);
                }
                return Err(e);
            }
        };
        let g = groups
            .entry(key.clone())
            .or_insert_with(|| PushGroup::new(key));
        match mode {
            PushMode::Replace => g.families = prepared,
            PushMode::Merge => g.families.extend(prepared),
        }
        g.push_time_ms = now;
        g.expires_at_ms = ttl
            .or(self.inner.cfg.default_ttl)
            .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
        self.inner.dirty.store(true, Ordering::Relaxed);
        let mut app = self.inner.storage.appender();
        write_group(app.as_mut(), g, now)?;
        app.commit()?;
        Ok(())
    }

    /// Records a failed push on an existing group
    /// (`push_failure_time_seconds`).
    pub fn record_failure(&self, key: &GroupingKey, now: i64) {
        if let Some(g) = self.groups().get_mut(key) {
            g.push_failure_time_ms = now;
            self.inner.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Deletes a group; its series are marked stale. Deleting a missing
    /// group succeeds.
    ///
    /// # Errors
    ///
    /// Storage errors.
    pub fn delete(&self, key: &GroupingKey, now: i64) -> Result<(), ScrapeError> {
        let removed = self.groups().remove(key);
        if let Some(g) = removed {
            self.inner.dirty.store(true, Ordering::Relaxed);
            let mut app = self.inner.storage.appender();
            mark_stale(app.as_mut(), &g.written, now)?;
            app.commit()?;
        }
        Ok(())
    }

    /// Deletes every group.
    ///
    /// # Errors
    ///
    /// Storage errors.
    pub fn wipe(&self, now: i64) -> Result<(), ScrapeError> {
        let all = std::mem::take(&mut *self.groups());
        self.inner.dirty.store(true, Ordering::Relaxed);
        let mut app = self.inner.storage.appender();
        for g in all.values() {
            mark_stale(app.as_mut(), &g.written, now)?;
        }
        app.commit()?;
        Ok(())
    }

    /// Appends every group's current samples at `now`, removing expired
    /// groups with stale markers: what one scrape of a Pushgateway stores.
    ///
    /// # Errors
    ///
    /// Storage errors.
    pub fn append_all(&self, now: i64) -> Result<(), ScrapeError> {
        let mut groups = self.groups();
        let mut app = self.inner.storage.appender();
        let expired: Vec<GroupingKey> = groups
            .values()
            .filter(|g| g.expires_at_ms.is_some_and(|e| e <= now))
            .map(|g| g.key.clone())
            .collect();
        for k in expired {
            if let Some(g) = groups.remove(&k) {
                tracing::info!(group = ?g.key, "push group expired");
                mark_stale(app.as_mut(), &g.written, now)?;
                self.inner.dirty.store(true, Ordering::Relaxed);
            }
        }
        for g in groups.values_mut() {
            write_group(app.as_mut(), g, now)?;
        }
        app.commit()?;
        Ok(())
    }

    /// A copy of every group, by grouping key.
    pub fn snapshot(&self) -> Vec<PushGroup> {
        self.groups().values().cloned().collect()
    }

    /// All groups as families (what a Pushgateway's `/metrics` shows),
    /// families of the same name across groups merged.
    pub fn families(&self) -> Vec<MetricFamily> {
        let mut by_name: BTreeMap<String, MetricFamily> = BTreeMap::new();
        for g in self.groups().values() {
            for f in g.exposed_families() {
                match by_name.get_mut(&f.name) {
                    Some(have) => have.samples.extend(f.samples),
                    None => {
                        by_name.insert(f.name.clone(), f);
                    }
                }
            }
        }
        by_name.into_values().collect()
    }

    /// All groups in text format 0.0.4.
    pub fn exposition_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        telltale_exposition::encode_text(&self.families(), &mut out);
        out
    }

    /// Writes the groups file now if anything changed since the last write.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::Io`] naming the file.
    pub fn flush(&self) -> Result<(), ScrapeError> {
        let Some(dir) = &self.inner.cfg.data_dir else {
            return Ok(());
        };
        if !self.inner.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let data = persist::encode_groups(self.groups().values());
        let r = persist::write_atomic(dir, &data);
        if r.is_err() {
            self.inner.dirty.store(true, Ordering::Relaxed);
        }
        r
    }

    /// Spawns the loop that appends every group each `interval` and writes
    /// the groups file when it changed. Returns its handle; abort it (and
    /// call [`PushState::flush`]) on shutdown.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::NoRuntime`] outside a tokio runtime.
    pub fn start(&self) -> Result<tokio::task::JoinHandle<()>, ScrapeError> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|e| ScrapeError::NoRuntime(e.to_string()))?;
        let st = self.clone();
        Ok(handle.spawn(async move {
            let mut append =
                tokio::time::interval(st.inner.cfg.interval.max(Duration::from_millis(10)));
            let mut persist =
                tokio::time::interval(st.inner.cfg.persist_interval.max(Duration::from_millis(10)));
            append.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            persist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = append.tick() => {
                        let s = st.clone();
                        let r = tokio::task::spawn_blocking(move || s.append_all(now_ms())).await;
                        if let Ok(Err(e)) = r {
                            tracing::warn!(error = %e, "appending push groups failed");
                        }
                    }
                    _ = persist.tick() => {
                        let s = st.clone();
                        let r = tokio::task::spawn_blocking(move || s.flush()).await;
                        if let Ok(Err(e)) = r {
                            tracing::warn!(error = %e, "writing push groups failed");
                        }
                    }
                }
            }
        }))
    }
}

/// Appends a group's samples (and push time series) at `t`, with stale
/// markers for series it no longer has.
fn write_group(app: &mut dyn Appender, g: &mut PushGroup, t: i64) -> Result<(), ScrapeError> {
    let mut now: HashSet<Labels> = HashSet::with_capacity(g.written.len());
    for f in g.exposed_families() {
        for s in f.samples {
            match app.append(0, &s.labels, t, s.value) {
                Ok(_) => {}
                Err(e) if e.is_sample_error() => {
                    tracing::debug!(error = %e, "pushed sample rejected");
                }
                Err(e) => return Err(e.into()),
            }
            now.insert(s.labels);
        }
    }
    let gone: HashSet<Labels> = g.written.difference(&now).cloned().collect();
    mark_stale(app, &gone, t)?;
    g.written = now;
    Ok(())
}

fn mark_stale(app: &mut dyn Appender, series: &HashSet<Labels>, t: i64) -> Result<(), ScrapeError> {
    for l in series {
        match app.append(0, l, t, stale_nan()) {
            Ok(_) => {}
            Err(e) if e.is_sample_error() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
