//! [`RuleManager`]: one tokio task per group, evaluation aligned to the
//! group's interval, reloads that keep the state of unchanged rules, and the
//! rules and alerts API data.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::api;
use crate::error::RulesError;
use crate::file::{GroupSpec, load_files};
use crate::group::{Group, GroupOptions};
use crate::sink::AlertSink;

struct Handle {
    group: Arc<Mutex<Group>>,
    task: Option<JoinHandle<()>>,
}

/// Loads rule groups, runs them and answers for their state.
pub struct RuleManager {
    opts: Arc<GroupOptions>,
    sink: Option<Arc<dyn AlertSink>>,
    handles: Mutex<Vec<Handle>>,
    loaded_once: Mutex<bool>,
    /// The runtime the manager was created in, for tasks started by an
    /// update called from outside any runtime (a blocking reload thread).
    runtime: Option<tokio::runtime::Handle>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl RuleManager {
    /// A manager with no groups. Alerts go to `sink`, if any.
    pub fn new(opts: GroupOptions, sink: Option<Arc<dyn AlertSink>>) -> Self {
        RuleManager {
            opts: Arc::new(opts),
            sink,
            handles: Mutex::new(Vec::new()),
            loaded_once: Mutex::new(false),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// The options every group runs with.
    pub fn options(&self) -> &GroupOptions {
        &self.opts
    }

    /// Loads `files` and replaces the running groups with theirs (see
    /// [`RuleManager::update`]). On error nothing changes.
    ///
    /// # Errors
    ///
    /// Every problem of every file.
    pub fn reload<S: AsRef<str>>(&self, files: &[S]) -> Result<(), Vec<RulesError>> {
        let groups = load_files(files)?;
        self.update(groups, true);
        Ok(())
    }

    /// Replaces the groups with `specs`. A group with the same file and name
    /// as a running one takes over its state (alerts of unchanged rules,
    /// written series); groups that are gone stop and their series are
    /// marked stale. With `start`, and a tokio runtime current or current
    /// when the manager was created, each group gets its own evaluation
    /// task; otherwise groups are evaluated only by [`RuleManager::eval_all`].
    ///
    /// Groups of the first update restore their `for` state from
    /// `ALERTS_FOR_STATE` after their second evaluation (as Prometheus does
    /// at start) and write no `ALERTS` series before; without tasks, call
    /// [`RuleManager::restore_all`].
    pub fn update(&self, specs: Vec<GroupSpec>, start: bool) {
        let first_load = match self.loaded_once.lock() {
            Ok(mut l) => !std::mem::replace(&mut *l, true),
            Err(_) => false,
        };
        let Ok(mut handles) = self.handles.lock() else {
            return;
        };
        let mut old: Vec<Handle> = std::mem::take(&mut *handles);
        for h in &mut old {
            if let Some(t) = h.task.take() {
                t.abort();
            }
        }
        for spec in specs {
            let mut g = Group::new(spec, &self.opts, !first_load);
            let pos = old.iter().position(|h| {
                h.group
                    .lock()
                    .map(|o| o.name() == g.name() && o.file() == g.file())
                    .unwrap_or(false)
            });
            if let Some(i) = pos {
                let prev = old.swap_remove(i);
                if let Ok(o) = prev.group.lock() {
                    g.copy_state(&o);
                }
            }
            let restore = first_load;
            let group = Arc::new(Mutex::new(g));
            let task = if start {
                let rt = tokio::runtime::Handle::try_current()
                    .ok()
                    .or_else(|| self.runtime.clone());
                rt.map(|rt| {
                    rt.spawn(run_group(
                        group.clone(),
                        self.opts.clone(),
                        self.sink.clone(),
                        restore,
                    ))
                })
            } else {
                None
            };
            handles.push(Handle { group, task });
        }
        let now = now_ms();
        for h in old {
            if let Ok(mut g) = h.group.lock() {
                g.mark_stale(now, &self.opts);
            }
        }
    }

    /// Evaluates every group once at `ts_ms` (controlled time, for tests and
    /// tools), sending alerts to the sink.
    pub fn eval_all(&self, ts_ms: i64) {
        for g in self.groups() {
            let alerts = match g.lock() {
                Ok(mut g) => g.eval(ts_ms, &self.opts),
                Err(_) => continue,
            };
            if let (Some(sink), false) = (&self.sink, alerts.is_empty()) {
                sink.send(alerts);
            }
        }
    }

    /// Restores the `for` state of every group at `ts_ms` (see
    /// [`Group::restore_for_state`]).
    pub fn restore_all(&self, ts_ms: i64) {
        for g in self.groups() {
            if let Ok(mut g) = g.lock() {
                g.restore_for_state(ts_ms, &self.opts);
            }
        }
    }

    /// The groups, in load order.
    pub fn groups(&self) -> Vec<Arc<Mutex<Group>>> {
        self.handles
            .lock()
            .map(|h| h.iter().map(|x| x.group.clone()).collect())
            .unwrap_or_default()
    }

    fn snapshot(&self) -> Vec<Group> {
        self.groups()
            .iter()
            .filter_map(|g| g.lock().ok().map(|g| g.clone()))
            .collect()
    }

    /// The `data` of Prometheus's `/api/v1/rules` (`kind`: `alert`,
    /// `record` or all).
    pub fn api_rules(&self, kind: Option<&str>) -> serde_json::Value {
        api::rules_json(self.snapshot().iter(), kind)
    }

    /// The `data` of Prometheus's `/api/v1/alerts`.
    pub fn api_alerts(&self) -> serde_json::Value {
        api::alerts_json(self.snapshot().iter())
    }

    /// Stops every group task.
    pub fn stop(&self) {
        if let Ok(mut h) = self.handles.lock() {
            for x in h.iter_mut() {
                if let Some(t) = x.task.take() {
                    t.abort();
                }
            }
        }
    }
}

impl Drop for RuleManager {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The evaluation loop of one group: wait for the next aligned time,
/// evaluate off the async threads, send, repeat. An evaluation that runs
/// past the next slot makes the loop skip the slots it missed (counted in
/// [`Group::missed_iterations`]) instead of piling evaluations up.
async fn run_group(
    group: Arc<Mutex<Group>>,
    opts: Arc<GroupOptions>,
    sink: Option<Arc<dyn AlertSink>>,
    restore: bool,
) {
    // Wall-clock time read through tokio's clock, so that the schedule can
    // be tested with paused time.
    let base_wall = now_ms();
    let base = tokio::time::Instant::now();
    let clock = move || base_wall + base.elapsed().as_millis() as i64;
    let Some((interval, mut next)) = group.lock().ok().map(|g| {
        let i = g.interval_ms() as i64;
        (i, g.eval_timestamp(clock()) + i)
    }) else {
        return;
    };
    let mut evals: u64 = 0;
    loop {
        let wait = (next - clock()).max(0) as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let now = clock();
        let missed = (now - next) / interval;
        if missed > 0 {
            next += missed * interval;
            if let Ok(mut g) = group.lock() {
                g.missed_iterations += missed as u64;
                tracing::warn!(group = %g.name(), missed, "rule group evaluation is slower than its interval");
            }
        }
        let ts = next;
        let g2 = group.clone();
        let o2 = opts.clone();
        evals += 1;
        let do_restore = restore && evals == 2;
        let alerts = tokio::task::spawn_blocking(move || {
            let Ok(mut g) = g2.lock() else {
                return Vec::new();
            };
            let a = g.eval(ts, &o2);
            if do_restore {
                g.restore_for_state(ts, &o2);
            }
            a
        })
        .await
        .unwrap_or_default();
        if let (Some(s), false) = (&sink, alerts.is_empty()) {
            s.send(alerts);
        }
        next += interval;
    }
}
