//! Aggregation group timers and the notification pipeline of one flush:
//! inhibition, time intervals, silences, then per integration the
//! notification log check (dedup), delivery with retries, history and log.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::alert::Alert;
use crate::history::{Attempt, HistoryAlert};
use crate::inhibit::inhibited_by;
use crate::nflog::Entry;
use crate::notifier::{GroupId, Inner};
use crate::payload::NotificationReason;
use crate::receivers::{Integration, NotifyContext, integrations};
use crate::template::{TemplateAlert, TemplateData};
use crate::timeinterval::any_contains;

/// Starts the timer task of a new group: wait `group_wait` (or until woken),
/// flush, then flush every `group_interval` until the group empties.
pub(crate) fn spawn_group(
    inner: Arc<Inner>,
    id: GroupId,
    wake: Arc<Notify>,
    group_wait: Duration,
    group_interval: Duration,
) -> Option<JoinHandle<()>> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    Some(handle.spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(group_wait) => {}
            _ = wake.notified() => {}
        }
        loop {
            if flush(&inner, &id, group_interval).await {
                return;
            }
            tokio::time::sleep(group_interval).await;
        }
    }))
}

/// Alertmanager's order: by `job`, then `instance` (alerts with the label
/// first), then by the full label set.
fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        for name in ["job", "instance"] {
            let (x, y) = (a.labels.get(name), b.labels.get(name));
            match (x.is_empty(), y.is_empty()) {
                (false, true) => return std::cmp::Ordering::Less,
                (true, false) => return std::cmp::Ordering::Greater,
                _ => {}
            }
            if x != y {
                return x.cmp(y);
            }
        }
        a.labels.cmp(&b.labels)
    });
}

/// Whether to notify, and why (Alertmanager's `DedupStage.needsUpdate`).
pub(crate) fn needs_update(
    entry: Option<&Entry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat: Duration,
    now: Timestamp,
) -> Option<NotificationReason> {
    let Some(e) = entry else {
        return (!firing.is_empty()).then_some(NotificationReason::FirstNotification);
    };
    if !e.is_firing_subset(firing) {
        return Some(NotificationReason::NewAlertsAdded);
    }
    if firing.is_empty() {
        return (!e.firing.is_empty()).then_some(NotificationReason::AllAlertsResolved);
    }
    if send_resolved && !e.is_resolved_subset(resolved) {
        return Some(NotificationReason::SomeAlertsResolved);
    }
    let repeat = SignedDuration::try_from(repeat).unwrap_or(SignedDuration::MAX);
    (e.timestamp < crate::persist::add_sat(now, -repeat))
        .then_some(NotificationReason::RepeatIntervalElapsed)
}

/// One flush. Returns true when the group is gone.
async fn flush(inner: &Arc<Inner>, id: &GroupId, group_interval: Duration) -> bool {
    let now = inner.clock.now();
    let (route, group_key, group_labels, mut alerts, config, templates, all_alerts) = {
        let mut st = inner.lock();
        let Some(g) = st.groups.get_mut(id) else {
            return true;
        };
        g.has_flushed = true;
        let route = g.route.clone();
        let key = g.key.clone();
        let labels = g.labels.clone();
        let fps: Vec<u64> = g.fingerprints.iter().copied().collect();
        let alerts: Vec<Alert> = fps
            .iter()
            .filter_map(|f| st.alerts.get(f))
            .cloned()
            .collect();
        // Only alerts that can be a source of an inhibition matter.
        let rules = &st.config.inhibit_rules;
        let all: Vec<Alert> = if rules.is_empty() {
            Vec::new()
        } else {
            st.alerts
                .values()
                .filter(|a| {
                    rules
                        .iter()
                        .any(|r| r.source.iter().all(|m| m.matches_labels(&a.labels)))
                })
                .cloned()
                .collect()
        };
        (
            route,
            key,
            labels,
            alerts,
            st.config.clone(),
            st.templates.clone(),
            all,
        )
    };
    sort_alerts(&mut alerts);
    let snapshot = alerts.clone();

    // Inhibition and silences drop alerts; a muting time interval skips
    // the notification altogether.
    alerts.retain(|a| inhibited_by(&config.inhibit_rules, all_alerts.iter(), a, now).is_none());
    let interval = |names: &[String]| -> Vec<crate::timeinterval::TimeInterval> {
        names
            .iter()
            .filter_map(|n| config.time_intervals.get(n))
            .flatten()
            .cloned()
            .collect()
    };
    let muted = any_contains(&interval(&route.mute_time_intervals), now)
        || (!route.active_time_intervals.is_empty()
            && !any_contains(&interval(&route.active_time_intervals), now));
    alerts.retain(|a| inner.silences.silenced_by(&a.labels, now).is_empty());

    let mut all_ok = true;
    if !muted {
        let receiver = config
            .receiver(&route.receiver)
            .cloned()
            .unwrap_or_default();
        let firing: BTreeSet<u64> = alerts
            .iter()
            .filter(|a| !a.is_resolved_at(now))
            .map(Alert::fingerprint)
            .collect();
        let resolved: BTreeSet<u64> = alerts
            .iter()
            .filter(|a| a.is_resolved_at(now))
            .map(Alert::fingerprint)
            .collect();
        let start = tokio::time::Instant::now();
        // Retries stop at the next flush (bounded to a year for absurd
        // intervals).
        let deadline = start
            .checked_add(group_interval.min(Duration::from_secs(365 * 86_400)))
            .unwrap_or(start);
        // Integrations are notified concurrently, each with its own retries,
        // as Alertmanager fans out to them.
        let mut tasks = tokio::task::JoinSet::new();
        for (index, integ) in integrations(&receiver) {
            let ikey = format!("{}[{index}]", integ.kind());
            let log_key = (group_key.clone(), route.receiver.clone(), ikey.clone());
            let entry = inner.nflog.get(&log_key);
            let Some(reason) = needs_update(
                entry.as_ref(),
                &firing,
                &resolved,
                integ.send_resolved(),
                route.repeat_interval,
                now,
            ) else {
                continue;
            };
            let to_send: Vec<&Alert> = alerts
                .iter()
                .filter(|a| integ.send_resolved() || !a.is_resolved_at(now))
                .collect();
            let data = (!to_send.is_empty()).then(|| {
                TemplateData::new(
                    &route.receiver,
                    &group_key,
                    group_labels
                        .iter()
                        .map(|l| (l.name.clone(), l.value.clone()))
                        .collect(),
                    route.route_labels.clone(),
                    to_send
                        .iter()
                        .map(|a| TemplateAlert::from_alert(a, now))
                        .collect(),
                    &inner.opts.external_url,
                )
            });
            let inner = inner.clone();
            let templates = templates.clone();
            let entry = Entry {
                timestamp: now,
                firing: firing.clone(),
                resolved: resolved.clone(),
            };
            tasks.spawn(async move {
                let ok = match &data {
                    None => true,
                    Some(data) => {
                        deliver(
                            &inner, &integ, index, &ikey, data, reason, deadline, &templates,
                        )
                        .await
                    }
                };
                if ok && let Err(err) = inner.nflog.log(log_key, entry) {
                    tracing::warn!("notification log: {err}");
                }
                ok
            });
        }
        while let Some(r) = tasks.join_next().await {
            if !r.unwrap_or(false) {
                all_ok = false;
            }
        }
    }

    // After a successful flush, resolved alerts that did not change since
    // leave the group; an empty group ends.
    if !all_ok {
        return false;
    }
    let mut st = inner.lock();
    let gone;
    if let Some(g) = st.groups.get(id) {
        let mut keep = g.fingerprints.clone();
        for a in &snapshot {
            let fp = a.fingerprint();
            if a.is_resolved_at(now) && st.alerts.get(&fp) == Some(a) {
                keep.remove(&fp);
            }
        }
        gone = keep.is_empty();
        if gone {
            st.groups.remove(id);
        } else if let Some(g) = st.groups.get_mut(id) {
            g.fingerprints = keep;
        }
    } else {
        gone = true;
    }
    gone
}

/// Sends with retries and exponential backoff until success, a permanent
/// error, or the deadline (the next flush). Every attempt goes into the
/// history.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    inner: &Arc<Inner>,
    integ: &Integration,
    index: usize,
    ikey: &str,
    data: &TemplateData,
    reason: NotificationReason,
    deadline: tokio::time::Instant,
    templates: &crate::template::Templates,
) -> bool {
    let ctx = NotifyContext {
        data,
        reason,
        templates,
        http: &inner.http,
    };
    let mut delay = inner.opts.retry_initial;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let result = integ.notify(&ctx, index).await;
        let record = Attempt {
            time: inner.clock.now(),
            receiver: data.receiver.clone(),
            integration: ikey.to_string(),
            group_key: data.group_key.clone(),
            attempt,
            reason: reason.as_str().to_string(),
            alerts: data
                .alerts
                .iter()
                .map(|a| HistoryAlert {
                    fingerprint: a.fingerprint.clone(),
                    status: a.status.to_string(),
                    labels: a.labels.clone(),
                })
                .collect(),
            outcome: if result.is_ok() { "success" } else { "failure" }.to_string(),
            error: result.as_ref().err().map(|e| e.to_string()),
        };
        inner
            .counters
            .notifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if result.is_err() {
            inner
                .counters
                .notifications_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let Err(e) = inner.history.record(record) {
            tracing::warn!("notification history: {e}");
        }
        match result {
            Ok(()) => {
                tracing::info!(receiver = %data.receiver, integration = ikey, group = %data.group_key, alerts = data.alerts.len(), "notification sent");
                return true;
            }
            Err(e) => {
                tracing::warn!(receiver = %data.receiver, integration = ikey, attempt, "notify failed: {e}");
                let next = tokio::time::Instant::now().checked_add(delay);
                if !e.is_retryable() || next.is_none_or(|t| t >= deadline) {
                    return false;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(inner.opts.retry_max);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_follows_alertmanager() {
        let now: Timestamp = "2024-01-01T10:00:00Z".parse().unwrap();
        let f = |v: &[u64]| v.iter().copied().collect::<BTreeSet<u64>>();
        let rep = Duration::from_secs(3600);
        assert_eq!(
            needs_update(None, &f(&[1]), &f(&[]), true, rep, now),
            Some(NotificationReason::FirstNotification)
        );
        assert_eq!(needs_update(None, &f(&[]), &f(&[1]), true, rep, now), None);
        let e = Entry {
            timestamp: "2024-01-01T09:30:00Z".parse().unwrap(),
            firing: f(&[1, 2]),
            resolved: f(&[]),
        };
        assert_eq!(
            needs_update(Some(&e), &f(&[1, 2]), &f(&[]), true, rep, now),
            None
        );
        assert_eq!(
            needs_update(Some(&e), &f(&[1, 3]), &f(&[]), true, rep, now),
            Some(NotificationReason::NewAlertsAdded)
        );
        assert_eq!(
            needs_update(Some(&e), &f(&[1]), &f(&[2]), true, rep, now),
            Some(NotificationReason::SomeAlertsResolved)
        );
        assert_eq!(
            needs_update(Some(&e), &f(&[1]), &f(&[2]), false, rep, now),
            None
        );
        assert_eq!(
            needs_update(Some(&e), &f(&[]), &f(&[1, 2]), false, rep, now),
            Some(NotificationReason::AllAlertsResolved)
        );
        let later: Timestamp = "2024-01-01T10:31:00Z".parse().unwrap();
        assert_eq!(
            needs_update(Some(&e), &f(&[1, 2]), &f(&[]), true, rep, later),
            Some(NotificationReason::RepeatIntervalElapsed)
        );
    }
}
