//! A rule group: its rules evaluated in order at one timestamp, results
//! written through the [`Appendable`] seam with stale markers for series
//! that went away, alerts collected for the sink, and the `for` state
//! restored from `ALERTS_FOR_STATE` after a restart.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use telltale_model::{
    Appendable, Labels, Matcher, Queryable, SelectHints, is_stale_nan, stale_nan,
};

use crate::alert::{ActiveAlert, AlertingRule, EvalContext};
use crate::file::{GroupSpec, RuleKind, RuleSpec};
use crate::query::QueryFn;
use crate::recording::eval_recording;
use crate::sink::Alert;

/// What a group needs from the outside; shared by every group of a manager.
#[derive(Clone)]
pub struct GroupOptions {
    /// Runs queries.
    pub query: Arc<dyn QueryFn>,
    /// Where recording results and `ALERTS` series go.
    pub appendable: Arc<dyn Appendable>,
    /// Where `ALERTS_FOR_STATE` is read back from after a restart.
    pub queryable: Arc<dyn Queryable>,
    /// The interval of groups without their own (ms); Prometheus's default 1m.
    pub default_interval_ms: u64,
    /// The `query_offset` of groups without their own (ms).
    pub default_query_offset_ms: u64,
    /// How often a firing alert is re-sent (ms); Prometheus's default 1m.
    pub resend_delay_ms: u64,
    /// How long an outage may last for `for` state still to be restored (ms);
    /// Prometheus's default 1h.
    pub outage_tolerance_ms: u64,
    /// The least time a restored alert still waits before firing (ms);
    /// Prometheus's default 10m.
    pub for_grace_period_ms: u64,
    /// `$externalLabels`; also added to alerts sent.
    pub external_labels: BTreeMap<String, String>,
    /// `$externalURL` and the base of generator URLs.
    pub external_url: String,
}

impl GroupOptions {
    /// Options with Prometheus's defaults.
    pub fn new(
        query: Arc<dyn QueryFn>,
        appendable: Arc<dyn Appendable>,
        queryable: Arc<dyn Queryable>,
    ) -> Self {
        GroupOptions {
            query,
            appendable,
            queryable,
            default_interval_ms: 60_000,
            default_query_offset_ms: 0,
            resend_delay_ms: 60_000,
            outage_tolerance_ms: 3_600_000,
            for_grace_period_ms: 600_000,
            external_labels: BTreeMap::new(),
            external_url: String::new(),
        }
    }
}

/// The health of a rule after its last evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not evaluated yet.
    Unknown,
    /// The last evaluation succeeded.
    Ok,
    /// The last evaluation failed.
    Err,
}

impl Health {
    /// Prometheus's spelling: `unknown`, `ok`, `err`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Err => "err",
        }
    }
}

/// A rule in a group.
#[derive(Debug, Clone)]
pub enum Rule {
    /// A recording rule.
    Recording(RuleSpec),
    /// An alerting rule with its alerts.
    Alerting(AlertingRule),
}

impl Rule {
    /// The rule as written.
    pub fn spec(&self) -> &RuleSpec {
        match self {
            Rule::Recording(s) => s,
            Rule::Alerting(a) => a.spec(),
        }
    }
}

/// A rule and what its last evaluation left.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    /// The rule.
    pub rule: Rule,
    /// Health of the last evaluation.
    pub health: Health,
    /// The error of the last evaluation.
    pub last_error: Option<String>,
    /// When the rule was last evaluated (ms), 0 if never.
    pub last_eval_ms: i64,
    /// How long the last evaluation took (seconds).
    pub eval_seconds: f64,
    /// The series written by the last evaluation, to mark stale the ones
    /// that are not written again.
    prev_series: HashSet<Labels>,
}

/// A group of rules evaluated together.
#[derive(Debug, Clone)]
pub struct Group {
    spec: GroupSpec,
    rules: Vec<RuleEntry>,
    interval_ms: u64,
    query_offset_ms: u64,
    /// When the group was last evaluated (ms), 0 if never.
    pub last_eval_ms: i64,
    /// How long the last evaluation of the whole group took (seconds).
    pub eval_seconds: f64,
    /// Evaluations skipped because the previous one ran too long.
    pub missed_iterations: u64,
    /// Evaluations run.
    pub iterations: u64,
}

impl Group {
    /// A group with no state; alerting rules write `ALERTS` only once
    /// `restored` (or after [`Group::restore_for_state`]).
    pub fn new(spec: GroupSpec, opts: &GroupOptions, restored: bool) -> Self {
        let rules = spec
            .rules
            .iter()
            .map(|r| RuleEntry {
                rule: match r.kind {
                    RuleKind::Recording => Rule::Recording(r.clone()),
                    RuleKind::Alerting => Rule::Alerting(AlertingRule::new(r.clone(), restored)),
                },
                health: Health::Unknown,
                last_error: None,
                last_eval_ms: 0,
                eval_seconds: 0.0,
                prev_series: HashSet::new(),
            })
            .collect();
        Group {
            interval_ms: spec.interval_ms.unwrap_or(opts.default_interval_ms).max(1),
            query_offset_ms: spec.query_offset_ms.unwrap_or(opts.default_query_offset_ms),
            spec,
            rules,
            last_eval_ms: 0,
            eval_seconds: 0.0,
            missed_iterations: 0,
            iterations: 0,
        }
    }

    /// The group as written.
    pub fn spec(&self) -> &GroupSpec {
        &self.spec
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The file the group came from.
    pub fn file(&self) -> &str {
        &self.spec.file
    }

    /// The evaluation interval (ms).
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The rules and their status.
    pub fn rules(&self) -> &[RuleEntry] {
        &self.rules
    }

    /// The last aligned evaluation time at or before `now_ms`: multiples of
    /// the interval shifted by an offset derived from the group's name and
    /// file, so groups spread over the interval as in Prometheus.
    pub fn eval_timestamp(&self, now_ms: i64) -> i64 {
        let interval = self.interval_ms as i64;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(self.spec.name.as_bytes());
        h.update(&[0xff]);
        h.update(self.spec.file.as_bytes());
        let offset = (h.digest() % self.interval_ms) as i64;
        let adj = now_ms - offset;
        adj - adj.rem_euclid(interval) + offset
    }

    /// Evaluates every rule at `ts` (ms), writes the results, and returns
    /// the alerts that must be sent now.
    pub fn eval(&mut self, ts: i64, opts: &GroupOptions) -> Vec<Alert> {
        let started = Instant::now();
        let ctx = EvalContext {
            query: &opts.query,
            ts,
            query_offset_ms: self.query_offset_ms as i64,
            limit: self.spec.limit,
            external_labels: &opts.external_labels,
            external_url: &opts.external_url,
        };
        let sample_ts = ts - self.query_offset_ms as i64;
        let mut to_send = Vec::new();
        for entry in self.rules.iter_mut() {
            let rule_start = Instant::now();
            let res = match &mut entry.rule {
                Rule::Recording(spec) => eval_recording(spec, &ctx),
                Rule::Alerting(ar) => ar.eval(&ctx),
            };
            entry.last_eval_ms = ts;
            let vector = match res {
                Ok(v) => {
                    entry.health = Health::Ok;
                    entry.last_error = None;
                    v
                }
                Err(e) => {
                    tracing::warn!(group = %self.spec.name, rule = %entry.rule.spec().name, error = %e, "rule evaluation failed");
                    entry.health = Health::Err;
                    entry.last_error = Some(e);
                    entry.eval_seconds = rule_start.elapsed().as_secs_f64();
                    continue;
                }
            };
            if let Rule::Alerting(ar) = &mut entry.rule {
                let expr = ar.spec().expr.clone();
                let sent =
                    ar.alerts_to_send(ts, opts.resend_delay_ms as i64, self.interval_ms as i64);
                to_send.extend(sent.iter().map(|a| to_sink_alert(a, &expr, opts)));
            }
            let mut app = opts.appendable.appender();
            let mut returned = HashSet::with_capacity(vector.len());
            for (l, v) in vector {
                if let Err(e) = app.append(0, &l, sample_ts, v) {
                    tracing::debug!(series = %l, error = %e, "rule result rejected");
                }
                returned.insert(l);
            }
            for l in entry.prev_series.iter().filter(|l| !returned.contains(*l)) {
                if let Err(e) = app.append(0, l, sample_ts, stale_nan()) {
                    tracing::debug!(series = %l, error = %e, "stale marker rejected");
                }
            }
            if let Err(e) = app.commit() {
                tracing::warn!(group = %self.spec.name, error = %e, "writing rule results failed");
                entry.health = Health::Err;
                entry.last_error = Some(format!("writing results: {e}"));
            }
            entry.prev_series = returned;
            entry.eval_seconds = rule_start.elapsed().as_secs_f64();
        }
        self.last_eval_ms = ts;
        self.iterations += 1;
        self.eval_seconds = started.elapsed().as_secs_f64();
        to_send
    }

    /// Writes stale markers for every series the group wrote last (when the
    /// group is removed by a reload).
    pub fn mark_stale(&mut self, ts: i64, opts: &GroupOptions) {
        let mut app = opts.appendable.appender();
        for e in &mut self.rules {
            for l in e.prev_series.drain() {
                let _ = app.append(0, &l, ts, stale_nan());
            }
        }
        if let Err(e) = app.commit() {
            tracing::warn!(group = %self.spec.name, error = %e, "writing stale markers failed");
        }
    }

    /// Takes over the state of `old` (the same group before a reload): the
    /// alerts and written series of every rule that is unchanged, and the
    /// evaluation counters. Series of rules that are gone are marked stale
    /// at the next evaluation.
    pub fn copy_state(&mut self, old: &Group) {
        self.last_eval_ms = old.last_eval_ms;
        self.eval_seconds = old.eval_seconds;
        self.iterations = old.iterations;
        self.missed_iterations = old.missed_iterations;
        let mut used = vec![false; old.rules.len()];
        for new in &mut self.rules {
            let found = old.rules.iter().enumerate().find(|(i, o)| {
                !used[*i]
                    && o.rule.spec().name == new.rule.spec().name
                    && same_rule(o.rule.spec(), new.rule.spec())
            });
            let Some((i, o)) = found else { continue };
            used[i] = true;
            new.health = o.health;
            new.last_error = o.last_error.clone();
            new.last_eval_ms = o.last_eval_ms;
            new.eval_seconds = o.eval_seconds;
            new.prev_series = o.prev_series.clone();
            if let (Rule::Alerting(n), Rule::Alerting(p)) = (&mut new.rule, &o.rule) {
                n.copy_state(p);
            }
        }
        // Series of old rules that found no successor: hand them to the
        // first rule so the next evaluation marks them stale.
        let orphans: Vec<Labels> = old
            .rules
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .flat_map(|(o, _)| o.prev_series.iter().cloned())
            .collect();
        if let Some(first) = self.rules.first_mut() {
            first.prev_series.extend(orphans);
        }
    }

    /// Restores the `for` state of alerting rules from `ALERTS_FOR_STATE`
    /// as Prometheus does after a restart: an alert that was pending before
    /// the restart keeps its pending time, shifted by the downtime, and waits
    /// at least the grace period; nothing is restored after an outage longer
    /// than the tolerance. Call after the first evaluation.
    pub fn restore_for_state(&mut self, ts: i64, opts: &GroupOptions) {
        let mint = ts - opts.outage_tolerance_ms as i64;
        let q = match opts.queryable.querier(mint, ts) {
            Ok(q) => q,
            Err(e) => {
                tracing::warn!(group = %self.spec.name, error = %e, "restoring alert state: no querier");
                return;
            }
        };
        let grace = opts.for_grace_period_ms as i64;
        for entry in &mut self.rules {
            let Rule::Alerting(ar) = &mut entry.rule else {
                continue;
            };
            let hold = ar.spec().for_ms as i64;
            if hold < grace {
                ar.set_restored(true);
                continue;
            }
            let matchers = [
                Matcher::equal(telltale_model::METRIC_NAME, "ALERTS_FOR_STATE"),
                Matcher::equal("alertname", &ar.spec().name),
            ];
            let series = match q.select(&SelectHints::default(), &matchers) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(rule = %ar.spec().name, error = %e, "restoring alert state failed");
                    ar.set_restored(true);
                    continue;
                }
            };
            let mut last: BTreeMap<Labels, (i64, f64)> = BTreeMap::new();
            for mut s in series {
                let mut lt = None;
                while let Ok(Some(x)) = s.samples.next() {
                    lt = Some((x.t, x.v));
                }
                if let Some(x) = lt {
                    last.insert(s.labels.without_metric_name(), x);
                }
            }
            for a in ar.alerts_mut() {
                let Some((t, v)) = last.get(&a.labels).copied() else {
                    continue;
                };
                if is_stale_nan(v) || !v.is_finite() {
                    continue;
                }
                let down_at = t.div_euclid(1000) * 1000;
                let mut active_at = (v as i64).saturating_mul(1000);
                let spent = down_at - active_at;
                let remaining = hold - spent;
                if remaining <= 0 {
                    // It had waited long enough: it fires at once.
                } else if remaining < grace {
                    active_at = ts + grace - hold;
                } else {
                    active_at += ts - down_at;
                }
                a.active_at_ms = active_at;
            }
            ar.set_restored(true);
        }
    }
}

fn same_rule(a: &RuleSpec, b: &RuleSpec) -> bool {
    a.kind == b.kind
        && a.name == b.name
        && a.expr == b.expr
        && a.for_ms == b.for_ms
        && a.keep_firing_for_ms == b.keep_firing_for_ms
        && a.labels == b.labels
        && a.annotations == b.annotations
}

/// The generator URL Prometheus puts on alerts: a table link to the
/// expression under the external URL.
pub fn generator_url(external_url: &str, expr: &str) -> String {
    let mut q = String::new();
    for b in expr.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                q.push(b as char)
            }
            b' ' => q.push('+'),
            _ => q.push_str(&format!("%{b:02X}")),
        }
    }
    format!(
        "{}/graph?g0.expr={q}&g0.tab=1",
        external_url.trim_end_matches('/')
    )
}

fn to_sink_alert(a: &ActiveAlert, expr: &str, opts: &GroupOptions) -> Alert {
    let mut labels: BTreeMap<String, String> = opts.external_labels.clone();
    for l in a.labels.iter() {
        labels.insert(l.name.clone(), l.value.clone());
    }
    Alert {
        labels,
        annotations: a.annotations.clone(),
        starts_at_ms: a.fired_at_ms,
        ends_at_ms: if a.resolved_at_ms != 0 {
            a.resolved_at_ms
        } else {
            a.valid_until_ms
        },
        generator_url: generator_url(&opts.external_url, expr),
    }
}
