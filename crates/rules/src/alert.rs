//! Alerting rules: the state machine of their alerts (inactive, pending,
//! firing, resolved and kept for a while), `ALERTS` and `ALERTS_FOR_STATE`
//! samples, `keep_firing_for`, and which alerts need sending.

use std::collections::{BTreeMap, HashMap};

use telltale_model::{Labels, LabelsBuilder, METRIC_NAME};

use crate::file::RuleSpec;
use crate::query::QueryFn;
use crate::template::{TemplateCache, TemplateData, TemplateQuery};

/// How long a resolved alert is kept (and re-sent) after it resolved, so
/// an Alertmanager that missed the resolution still hears of it.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// The state of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertState {
    /// Not active (resolved, kept for [`RESOLVED_RETENTION_MS`]).
    Inactive,
    /// Active for less than the rule's `for`.
    Pending,
    /// Active for at least the rule's `for`.
    Firing,
}

impl AlertState {
    /// The name Prometheus uses (`inactive`, `pending`, `firing`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of an alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlert {
    /// The state.
    pub state: AlertState,
    /// The labels: the result's labels without `__name__`, the rule's
    /// (expanded) labels and `alertname`.
    pub labels: Labels,
    /// The expanded annotations.
    pub annotations: BTreeMap<String, String>,
    /// The value of the last evaluation that produced the alert.
    pub value: f64,
    /// When the alert became active (ms).
    pub active_at_ms: i64,
    /// When it started firing (ms), 0 if never.
    pub fired_at_ms: i64,
    /// When it resolved (ms), 0 if not resolved.
    pub resolved_at_ms: i64,
    /// When it was last handed to the sink (ms), 0 if never.
    pub last_sent_at_ms: i64,
    /// The `ends_at` sent for a firing alert: when the receiver may consider
    /// it resolved if it hears nothing more (ms).
    pub valid_until_ms: i64,
    /// Since when the expression no longer returns the alert but
    /// `keep_firing_for` keeps it firing (ms), 0 if not.
    pub keep_firing_since_ms: i64,
}

impl ActiveAlert {
    fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        if self.resolved_at_ms > self.last_sent_at_ms {
            return true;
        }
        self.last_sent_at_ms + resend_delay_ms < ts
    }
}

/// Everything an evaluation needs besides the rule.
#[derive(Clone)]
pub struct EvalContext<'a> {
    /// Runs queries.
    pub query: &'a std::sync::Arc<dyn QueryFn>,
    /// The evaluation time (ms), before `query_offset` is applied.
    pub ts: i64,
    /// The group's `query_offset` (ms).
    pub query_offset_ms: i64,
    /// The group's `limit` (0: none).
    pub limit: usize,
    /// `$externalLabels`.
    pub external_labels: &'a BTreeMap<String, String>,
    /// `$externalURL`.
    pub external_url: &'a str,
}

/// An alerting rule and its alerts.
#[derive(Debug, Clone)]
pub struct AlertingRule {
    spec: RuleSpec,
    active: HashMap<Labels, ActiveAlert>,
    restored: bool,
    templates: TemplateCache,
}

impl AlertingRule {
    /// A rule with no alerts yet; `restored` false means `ALERTS` and
    /// `ALERTS_FOR_STATE` are not written until [`AlertingRule::set_restored`].
    pub fn new(spec: RuleSpec, restored: bool) -> Self {
        AlertingRule {
            spec,
            active: HashMap::new(),
            restored,
            templates: TemplateCache::new(),
        }
    }

    /// The rule as written.
    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    /// Marks the `for` state as restored (or not to be restored).
    pub fn set_restored(&mut self, restored: bool) {
        self.restored = restored;
    }

    /// Whether the `for` state has been restored.
    pub fn restored(&self) -> bool {
        self.restored
    }

    /// The alerts, sorted by labels (inactive ones kept after resolution
    /// included).
    pub fn alerts(&self) -> Vec<&ActiveAlert> {
        let mut v: Vec<&ActiveAlert> = self.active.values().collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v
    }

    /// Mutable access to the alerts (for restoring `for` state).
    pub(crate) fn alerts_mut(&mut self) -> impl Iterator<Item = &mut ActiveAlert> {
        self.active.values_mut()
    }

    /// Takes over the alerts of `old` (same rule before a reload).
    pub(crate) fn copy_state(&mut self, old: &AlertingRule) {
        self.active = old.active.clone();
        self.restored = old.restored;
    }

    /// The state of the rule: the "worst" state of its alerts.
    pub fn state(&self) -> AlertState {
        self.active
            .values()
            .map(|a| a.state)
            .max()
            .unwrap_or(AlertState::Inactive)
    }

    /// Evaluates the rule at `ctx.ts` and returns the `ALERTS` and
    /// `ALERTS_FOR_STATE` samples to write (labels, value), stamped at
    /// `ts - query_offset`.
    ///
    /// # Errors
    ///
    /// A failed query, a result with the same labels twice after the rule's
    /// labels were applied, or more alerts than the group's `limit` (then
    /// every alert is dropped, as Prometheus does).
    pub fn eval(&mut self, ctx: &EvalContext<'_>) -> Result<Vec<(Labels, f64)>, String> {
        let ts = ctx.ts;
        let qt = ts - ctx.query_offset_ms;
        let res = ctx.query.query(&self.spec.expr, qt)?;
        let tq = TemplateQuery {
            query: ctx.query.clone(),
            t_ms: ts,
        };
        self.templates.set_context(Some(tq), ctx.external_url);
        let tname = format!("__alert_{}", self.spec.name);
        let mut fresh: HashMap<Labels, ActiveAlert> = HashMap::with_capacity(res.len());
        for smpl in res {
            let mut data = TemplateData::new(&smpl.labels, smpl.value);
            data.external_labels = ctx.external_labels.clone();
            data.external_url = ctx.external_url.to_string();
            let templates = &mut self.templates;
            let mut expand = |text: &str| templates.expand_or_error(&tname, text, &data);
            let mut lb = LabelsBuilder::from(smpl.labels.clone());
            lb.del(METRIC_NAME);
            for (k, v) in &self.spec.labels {
                lb.set(k, &expand(v));
            }
            lb.set("alertname", &self.spec.name);
            let annotations: BTreeMap<String, String> = self
                .spec
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), expand(v)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let labels = lb.build();
            if fresh.contains_key(&labels) {
                return Err(
                    "vector contains metrics with the same labelset after applying alert labels"
                        .into(),
                );
            }
            fresh.insert(
                labels.clone(),
                ActiveAlert {
                    state: AlertState::Pending,
                    labels,
                    annotations,
                    value: smpl.value,
                    active_at_ms: ts,
                    fired_at_ms: 0,
                    resolved_at_ms: 0,
                    last_sent_at_ms: 0,
                    valid_until_ms: 0,
                    keep_firing_since_ms: 0,
                },
            );
        }
        let in_result: std::collections::HashSet<Labels> = fresh.keys().cloned().collect();
        for (l, a) in fresh {
            match self.active.get_mut(&l) {
                Some(old) if old.state != AlertState::Inactive => {
                    old.value = a.value;
                    old.annotations = a.annotations;
                }
                _ => {
                    self.active.insert(l, a);
                }
            }
        }
        let hold = self.spec.for_ms as i64;
        let keep_for = self.spec.keep_firing_for_ms as i64;
        let mut out = Vec::new();
        let mut num_active = 0usize;
        let mut remove = Vec::new();
        for (l, a) in self.active.iter_mut() {
            if !in_result.contains(l) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && keep_for > 0 {
                    if a.keep_firing_since_ms == 0 {
                        a.keep_firing_since_ms = ts;
                    }
                    if ts - a.keep_firing_since_ms < keep_for {
                        keep_firing = true;
                    }
                }
                if a.state == AlertState::Pending
                    || (a.resolved_at_ms != 0 && ts - a.resolved_at_ms > RESOLVED_RETENTION_MS)
                {
                    remove.push(l.clone());
                }
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at_ms = ts;
                }
                if !keep_firing {
                    continue;
                }
            } else {
                a.keep_firing_since_ms = 0;
            }
            num_active += 1;
            if a.state == AlertState::Pending && ts - a.active_at_ms >= hold {
                a.state = AlertState::Firing;
                a.fired_at_ms = ts;
            }
            if self.restored {
                out.push((alerts_labels(&a.labels, Some(a.state)), 1.0));
                out.push((
                    alerts_labels(&a.labels, None),
                    (a.active_at_ms.div_euclid(1000)) as f64,
                ));
            }
        }
        for l in remove {
            self.active.remove(&l);
        }
        if ctx.limit > 0 && num_active > ctx.limit {
            self.active.clear();
            return Err(format!(
                "exceeded limit of {} with {} alerts",
                ctx.limit, num_active
            ));
        }
        Ok(out)
    }

    /// The alerts that must go to the sink now, marking them sent: firing
    /// ones every `resend_delay_ms`, resolved ones once more after they
    /// resolve (and every `resend_delay_ms` while they are retained).
    /// Firing alerts get `valid_until = ts + 4 × max(interval, resend_delay)`.
    pub fn alerts_to_send(
        &mut self,
        ts: i64,
        resend_delay_ms: i64,
        interval_ms: i64,
    ) -> Vec<ActiveAlert> {
        let mut out = Vec::new();
        for a in self.active.values_mut() {
            if a.needs_sending(ts, resend_delay_ms) {
                a.last_sent_at_ms = ts;
                a.valid_until_ms = ts + 4 * resend_delay_ms.max(interval_ms);
                out.push(a.clone());
            }
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }
}

/// The labels of the `ALERTS` series of an alert (with `alertstate`) or,
/// with `state` `None`, of its `ALERTS_FOR_STATE` series.
pub fn alerts_labels(labels: &Labels, state: Option<AlertState>) -> Labels {
    let mut b = LabelsBuilder::from(labels.clone());
    match state {
        Some(s) => {
            b.set(METRIC_NAME, "ALERTS");
            b.set("alertstate", s.as_str());
        }
        None => {
            b.set(METRIC_NAME, "ALERTS_FOR_STATE");
        }
    }
    b.build()
}
