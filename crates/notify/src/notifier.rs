//! The notifier: holds the configuration, the alerts, the aggregation
//! groups and the stores, and is what the rest of Telltale (rules, the API)
//! talks to.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use telltale_model::Labels;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::alert::Alert;
use crate::config::Config;
use crate::error::{NotifyError, Result};
use crate::history::{Attempt, History, HistoryLimits};
use crate::inhibit::inhibited_by;
use crate::nflog::NotificationLog;
use crate::route::Route;
use crate::silence::Silences;
use crate::template::Templates;

/// How often resolved alerts and old silences are dropped.
pub const GC_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Tunables of a [`Notifier`].
#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// Our URL as users reach it, for backlinks in notifications.
    pub external_url: String,
    /// Notification history limits.
    pub history: HistoryLimits,
    /// Most alerts held at once; more are refused.
    pub max_alerts: usize,
    /// First retry delay; doubled on each retry.
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for NotifierOptions {
    fn default() -> Self {
        NotifierOptions {
            external_url: "http://localhost:9093".into(),
            history: HistoryLimits::default(),
            max_alerts: 100_000,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// Wall-clock time that follows tokio's clock, so tests with paused time
/// see alerts age as timers fire.
#[derive(Debug)]
pub(crate) struct Clock {
    base: Timestamp,
    start: tokio::time::Instant,
}

impl Clock {
    fn new() -> Self {
        Clock {
            base: Timestamp::now(),
            start: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        let el = SignedDuration::try_from(self.start.elapsed()).unwrap_or(SignedDuration::ZERO);
        self.base.checked_add(el).unwrap_or(self.base)
    }
}

/// An aggregation group's identity: route id and group key.
pub(crate) type GroupId = (String, String);

/// An aggregation group.
#[derive(Debug)]
pub(crate) struct Group {
    pub key: String,
    pub route: Arc<Route>,
    pub labels: Labels,
    pub fingerprints: BTreeSet<u64>,
    pub wake: Arc<Notify>,
    pub task: Option<JoinHandle<()>>,
    pub has_flushed: bool,
}

#[derive(Debug)]
pub(crate) struct State {
    pub config: Arc<Config>,
    pub templates: Arc<Templates>,
    pub alerts: HashMap<u64, Alert>,
    pub groups: HashMap<GroupId, Group>,
}

/// Counters since start, for self-instrumentation.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub alerts_received: AtomicU64,
    pub alerts_invalid: AtomicU64,
    pub notifications: AtomicU64,
    pub notifications_failed: AtomicU64,
}

/// A snapshot of the notifier's counters and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifierStats {
    /// Alerts accepted by `add_alerts`.
    pub alerts_received: u64,
    /// Alerts refused by `add_alerts`.
    pub alerts_invalid: u64,
    /// Delivery attempts.
    pub notifications: u64,
    /// Delivery attempts that failed.
    pub notifications_failed: u64,
    /// Alerts held now (firing or not yet cleaned up).
    pub alerts: usize,
    /// Aggregation groups now.
    pub groups: usize,
}

pub(crate) struct Inner {
    pub counters: Counters,
    pub state: Mutex<State>,
    pub silences: Silences,
    pub nflog: NotificationLog,
    pub history: History,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub opts: NotifierOptions,
    pub started: Timestamp,
}

impl Inner {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The alert pipeline. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Notifier {
    pub(crate) inner: Arc<Inner>,
}

/// An alert with what the pipeline thinks of it, for the API.
#[derive(Debug, Clone)]
pub struct AlertView {
    /// The alert.
    pub alert: Alert,
    /// Receivers its routes lead to.
    pub receivers: Vec<String>,
    /// Silences muting it.
    pub silenced_by: Vec<String>,
    /// Alerts inhibiting it.
    pub inhibited_by: Vec<String>,
    /// Time intervals muting it.
    pub muted_by: Vec<String>,
}

impl AlertView {
    /// `active`, `suppressed` (silenced, inhibited or muted).
    pub fn state(&self) -> &'static str {
        if self.silenced_by.is_empty() && self.inhibited_by.is_empty() && self.muted_by.is_empty() {
            "active"
        } else {
            "suppressed"
        }
    }
}

/// An aggregation group, for the API.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The group labels.
    pub labels: Labels,
    /// The route's labels.
    pub route_labels: BTreeMap<String, String>,
    /// The receiver.
    pub receiver: String,
    /// The group key.
    pub group_key: String,
    /// The alerts.
    pub alerts: Vec<AlertView>,
}

impl Notifier {
    /// Starts a notifier with default options. `data_dir` holds silences,
    /// the notification log and the history; `None` keeps them in memory.
    ///
    /// # Errors
    ///
    /// When the state files exist but cannot be read, or the template files
    /// do not load.
    pub fn new(config: Config, data_dir: impl Into<Option<PathBuf>>) -> Result<Notifier> {
        Self::with_options(config, data_dir, NotifierOptions::default())
    }

    /// Starts a notifier with the given options.
    ///
    /// # Errors
    ///
    /// As [`Notifier::new`].
    pub fn with_options(
        config: Config,
        data_dir: impl Into<Option<PathBuf>>,
        opts: NotifierOptions,
    ) -> Result<Notifier> {
        let dir: Option<PathBuf> = data_dir.into();
        if let Some(d) = &dir {
            std::fs::create_dir_all(d).map_err(|e| NotifyError::io("creating", d, e))?;
        }
        let templates = Templates::load(&config.templates)?;
        // reqwest is built without a bundled TLS provider; make sure one is
        // installed so building the client cannot panic.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| NotifyError::Config(format!("building HTTP client: {e}")))?;
        let clock = Clock::new();
        let started = clock.now();
        let notifier = Notifier {
            inner: Arc::new(Inner {
                counters: Counters::default(),
                state: Mutex::new(State {
                    config: Arc::new(config),
                    templates: Arc::new(templates),
                    alerts: HashMap::new(),
                    groups: HashMap::new(),
                }),
                silences: Silences::open(dir.clone())?,
                nflog: NotificationLog::open(dir.clone())?,
                history: History::open(dir, opts.history)?,
                http,
                clock,
                opts,
                started,
            }),
        };
        notifier.spawn_gc();
        Ok(notifier)
    }

    /// Runs [`Notifier::gc`] every [`GC_INTERVAL`] while the notifier lives
    /// (when started inside a tokio runtime).
    fn spawn_gc(&self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        handle.spawn(async move {
            loop {
                tokio::time::sleep(GC_INTERVAL).await;
                let Some(inner) = weak.upgrade() else { return };
                Notifier { inner }.gc();
            }
        });
    }

    /// The current time as the notifier sees it (follows tokio's clock).
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// When the notifier started.
    pub fn started(&self) -> Timestamp {
        self.inner.started
    }

    /// The external URL.
    pub fn external_url(&self) -> &str {
        &self.inner.opts.external_url
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.inner.lock().config.clone()
    }

    /// The silences.
    pub fn silences(&self) -> &Silences {
        &self.inner.silences
    }

    /// The notification log.
    pub fn nflog(&self) -> &NotificationLog {
        &self.inner.nflog
    }

    /// Every kept notification attempt, oldest first.
    pub fn history(&self) -> Vec<Attempt> {
        self.inner.history.list()
    }

    /// Adds or updates alerts. An alert without an end gets one
    /// `resolve_timeout` from now; a report of a known alert is merged.
    /// Must be called inside a tokio runtime (it starts group timers).
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidAlert`] for an alert without labels or ending
    /// before it starts, or when the alert limit is reached. Valid alerts
    /// in the same call are still added.
    pub fn add_alerts(&self, alerts: Vec<Alert>) -> Result<()> {
        let now = self.now();
        let mut errors = Vec::new();
        let mut accepted = 0u64;
        let mut st = self.inner.lock();
        let resolve_timeout = SignedDuration::try_from(st.config.global.resolve_timeout.0)
            .unwrap_or(SignedDuration::from_mins(5));
        for mut a in alerts {
            if a.labels.is_empty() {
                errors.push("alert has no labels".to_string());
                continue;
            }
            if let Some(e) = a.ends_at
                && e < a.starts_at
            {
                errors.push(format!("{}: end time is before start time", a.labels));
                continue;
            }
            a.updated_at = now;
            if a.ends_at.is_none() {
                a.ends_at = Some(crate::persist::add_sat(now, resolve_timeout));
                a.timeout = true;
            }
            let fp = a.fingerprint();
            let merged = match st.alerts.get(&fp) {
                Some(old) if old.overlaps(&a) => old.merge(&a, now),
                Some(_) => a,
                None => {
                    if st.alerts.len() >= self.inner.opts.max_alerts {
                        errors.push(format!(
                            "too many alerts (limit {})",
                            self.inner.opts.max_alerts
                        ));
                        continue;
                    }
                    a
                }
            };
            st.alerts.insert(fp, merged.clone());
            accepted += 1;
            self.route_alert(&mut st, &merged, now);
        }
        drop(st);
        self.inner
            .counters
            .alerts_received
            .fetch_add(accepted, Ordering::Relaxed);
        self.inner
            .counters
            .alerts_invalid
            .fetch_add(errors.len() as u64, Ordering::Relaxed);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(NotifyError::InvalidAlert(errors.join("; ")))
        }
    }

    fn route_alert(&self, st: &mut State, a: &Alert, now: Timestamp) {
        let config = st.config.clone();
        let fp = a.fingerprint();
        for route in config.route.match_labels(&a.labels) {
            let labels = route.group_labels(&a.labels);
            let key = route.group_key(&labels);
            let id = (route.id.clone(), key.clone());
            let group = st.groups.entry(id.clone()).or_insert_with(|| {
                let wake = Arc::new(Notify::new());
                let task = crate::dispatch::spawn_group(
                    self.inner.clone(),
                    id.clone(),
                    wake.clone(),
                    route.group_wait,
                    route.group_interval,
                );
                Group {
                    key,
                    route: Arc::new(route.clone()),
                    labels,
                    fingerprints: BTreeSet::new(),
                    wake,
                    task,
                    has_flushed: false,
                }
            });
            group.fingerprints.insert(fp);
            let wait = SignedDuration::try_from(route.group_wait).unwrap_or(SignedDuration::ZERO);
            if !group.has_flushed && crate::persist::add_sat(a.starts_at, wait) < now {
                group.wake.notify_one();
            }
        }
    }

    /// Replaces the configuration. Groups are rebuilt from the alerts held;
    /// the notification log keeps them from re-sending.
    ///
    /// # Errors
    ///
    /// When the template files do not load; the old configuration stays.
    pub fn reload(&self, config: Config) -> Result<()> {
        let templates = Templates::load(&config.templates)?;
        let now = self.now();
        let mut st = self.inner.lock();
        for (_, g) in st.groups.drain() {
            if let Some(t) = g.task {
                t.abort();
            }
        }
        st.config = Arc::new(config);
        st.templates = Arc::new(templates);
        let alerts: Vec<Alert> = st.alerts.values().cloned().collect();
        for a in &alerts {
            self.route_alert(&mut st, a, now);
        }
        Ok(())
    }

    fn view(&self, st: &State, a: &Alert, now: Timestamp) -> AlertView {
        let routes = st.config.route.match_labels(&a.labels);
        let mut receivers: Vec<String> = routes.iter().map(|r| r.receiver.clone()).collect();
        receivers.dedup();
        let inhibited: Vec<String> =
            inhibited_by(&st.config.inhibit_rules, st.alerts.values(), a, now)
                .into_iter()
                .collect();
        let mut muted_by = Vec::new();
        for r in &routes {
            for name in &r.mute_time_intervals {
                if st
                    .config
                    .time_intervals
                    .get(name)
                    .is_some_and(|ti| crate::timeinterval::any_contains(ti, now))
                {
                    muted_by.push(name.clone());
                }
            }
        }
        AlertView {
            alert: a.clone(),
            receivers,
            silenced_by: self.inner.silences.silenced_by(&a.labels, now),
            inhibited_by: inhibited,
            muted_by,
        }
    }

    /// Alerts that have not resolved, with their routing and muting state.
    pub fn alerts(&self) -> Vec<AlertView> {
        let now = self.now();
        let st = self.inner.lock();
        let mut out: Vec<AlertView> = st
            .alerts
            .values()
            .filter(|a| !a.is_resolved_at(now))
            .map(|a| self.view(&st, a, now))
            .collect();
        out.sort_by(|a, b| a.alert.labels.cmp(&b.alert.labels));
        out
    }

    /// The aggregation groups with their unresolved alerts.
    pub fn groups(&self) -> Vec<GroupView> {
        let now = self.now();
        let st = self.inner.lock();
        let mut out: Vec<GroupView> = st
            .groups
            .values()
            .map(|g| GroupView {
                labels: g.labels.clone(),
                route_labels: g.route.route_labels.clone(),
                receiver: g.route.receiver.clone(),
                group_key: g.key.clone(),
                alerts: g
                    .fingerprints
                    .iter()
                    .filter_map(|fp| st.alerts.get(fp))
                    .filter(|a| !a.is_resolved_at(now))
                    .map(|a| self.view(&st, a, now))
                    .collect(),
            })
            .filter(|g| !g.alerts.is_empty())
            .collect();
        out.sort_by(|a, b| {
            a.group_key
                .cmp(&b.group_key)
                .then(a.receiver.cmp(&b.receiver))
        });
        out
    }

    /// Drops resolved alerts that no group holds any more, and old silences.
    pub fn gc(&self) {
        let now = self.now();
        let mut st = self.inner.lock();
        let held: BTreeSet<u64> = st
            .groups
            .values()
            .flat_map(|g| g.fingerprints.iter().copied())
            .collect();
        st.alerts
            .retain(|fp, a| held.contains(fp) || !a.is_resolved_at(now));
        drop(st);
        if let Err(e) = self.inner.silences.gc(now) {
            tracing::warn!("silence gc: {e}");
        }
    }

    /// Counters since start and current sizes.
    pub fn stats(&self) -> NotifierStats {
        let c = &self.inner.counters;
        let st = self.inner.lock();
        NotifierStats {
            alerts_received: c.alerts_received.load(Ordering::Relaxed),
            alerts_invalid: c.alerts_invalid.load(Ordering::Relaxed),
            notifications: c.notifications.load(Ordering::Relaxed),
            notifications_failed: c.notifications_failed.load(Ordering::Relaxed),
            alerts: st.alerts.len(),
            groups: st.groups.len(),
        }
    }

    /// Stops every group timer (for shutdown).
    pub fn stop(&self) {
        let mut st = self.inner.lock();
        for (_, g) in st.groups.drain() {
            if let Some(t) = g.task {
                t.abort();
            }
        }
    }
}
