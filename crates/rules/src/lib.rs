//! Prometheus rule files and their evaluation: recording and alerting rules,
//! alert state, Go templates, and promtool's `check rules` / `test rules`.
//!
//! Rule files are read in Prometheus's format ([`file`](mod@file)) and validated with
//! promtool's checks and messages. A [`RuleManager`] runs every group in its
//! own tokio task, aligned to the group's interval; each evaluation queries
//! through a [`QueryFn`] (Telltale's PromQL engine via [`EngineQuery`]),
//! writes recording results and the `ALERTS` / `ALERTS_FOR_STATE` series
//! through the [`telltale_model::Appendable`] seam (with stale markers for
//! series that went away), and hands the alerts that must be (re)sent to
//! an [`AlertSink`]: the built-in notifier (adapted by the binary) or
//! external Alertmanagers through [`AlertmanagerSink`].
//!
//! # Example
//!
//! Evaluating a group on controlled time over an in-memory storage:
//!
//! ```
//! use std::sync::Arc;
//! use telltale_model::{Labels, MemStorage, Sample};
//! use telltale_promql::{Engine, EngineOptions};
//! use telltale_rules::{AlertState, EngineQuery, Group, GroupOptions, Rule, file::parse_rule_file};
//!
//! let db = MemStorage::new();
//! let up = Labels::from_pairs(&[("__name__", "up"), ("job", "node"), ("instance", "a")]);
//! db.insert(up, (0..10).map(|m| Sample::new(m * 60_000, 0.0)));
//!
//! let engine = Arc::new(Engine::new(EngineOptions::default()));
//! let query = Arc::new(EngineQuery::new(engine, Arc::new(db.clone())));
//! let opts = GroupOptions::new(query, Arc::new(db.clone()), Arc::new(db.clone()));
//!
//! let yaml = r#"
//! groups:
//!   - name: example
//!     rules:
//!       - alert: InstanceDown
//!         expr: up == 0
//!         for: 5m
//!         annotations:
//!           summary: "{{ $labels.instance }} is down"
//! "#;
//! let spec = parse_rule_file("example.yml", yaml).unwrap().remove(0);
//! let mut group = Group::new(spec, &opts, true);
//! let mut sent = Vec::new();
//! for m in 0..=5 {
//!     sent.extend(group.eval(m * 60_000, &opts));
//! }
//! let Rule::Alerting(rule) = &group.rules()[0].rule else { unreachable!() };
//! assert_eq!(rule.alerts()[0].state, AlertState::Firing);
//! assert_eq!(sent[0].annotations["summary"], "a is down");
//! ```
//!
//! # Layout
//!
//! - [`file`](mod@file): the rule-file format, [`GroupSpec`] and [`RuleSpec`],
//!   promtool's validation; [`duration`]: `5m`, `1h30m`.
//! - [`alert`]: [`AlertingRule`], the alert state machine (pending, firing,
//!   `keep_firing_for`, resolved retention), `ALERTS` labels;
//!   [`recording`]: recording rules.
//! - [`group`]: [`Group`] (evaluation at a timestamp, stale markers, `for`
//!   state restore, reload state copy) and [`GroupOptions`].
//! - [`manager`]: [`RuleManager`], the tasks, reloads, API data;
//!   [`api`]: the `/api/v1/rules` and `/api/v1/alerts` JSON.
//! - [`template`]: Go templates with Prometheus's data and functions
//!   (`template_funcs`), number formatting in [`humanize`].
//! - [`sink`]: [`Alert`] and the [`AlertSink`] seam;
//!   [`alertmanager`]: [`AlertmanagerSink`].
//! - [`query`]: [`QueryFn`] and the engine adapter.
//! - [`check`]: [`check_rules`]; [`unittest`]: [`test_rules`].
//! - [`DEFAULT_RULES`]: the rules `telltale serve` ships with
//!   (`crates/rules/default_rules.yml`).

pub mod alert;
pub mod alertmanager;
pub mod api;
pub mod check;
pub mod duration;
pub mod error;
pub mod file;
pub mod group;
pub mod humanize;
pub mod manager;
pub mod query;
pub mod recording;
pub mod sink;
pub mod template;
mod template_funcs;
pub mod unittest;
pub mod validate;

pub use alert::{ActiveAlert, AlertState, AlertingRule};
pub use alertmanager::AlertmanagerSink;
pub use check::{CheckReport, check_rules};
pub use error::RulesError;
pub use file::{GroupSpec, RuleKind, RuleSpec};
pub use group::{Group, GroupOptions, Health, Rule, RuleEntry};
pub use manager::RuleManager;
pub use query::{EngineQuery, InstantSample, QueryFn};
pub use sink::{Alert, AlertSink, MemorySink};
pub use unittest::{TestReport, test_rules};

/// Telltale's default rules (the text of `crates/rules/default_rules.yml`):
/// recording rules `instance:node_cpu_usage:percent`,
/// `instance:node_memory_usage:percent`, `instance:node_filesystem_usage:percent`
/// and the alerts `HighCpuUsage` (> 90 % for 10m), `HighMemoryUsage`
/// (> 90 % for 10m), `LowDiskSpace` (> 90 % used for 15m), `TargetDown`
/// (`up == 0` for 5m), `HighHttpErrorRatio` (> 5 % 5xx for 10m) and
/// `HighRequestLatencyP95` (> 1s for 10m).
pub const DEFAULT_RULES: &str = include_str!("../default_rules.yml");

/// The file name the default rules are reported under.
pub const DEFAULT_RULES_FILE: &str = "<default rules>";

/// The default rules, parsed and validated.
///
/// # Errors
///
/// Never for the shipped text (a test checks it); listed for completeness.
pub fn default_groups() -> Result<Vec<GroupSpec>, Vec<RulesError>> {
    file::parse_rule_file(DEFAULT_RULES_FILE, DEFAULT_RULES)
}
