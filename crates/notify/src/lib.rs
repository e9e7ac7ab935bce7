//! Telltale's notifier: an Alertmanager-compatible alert pipeline.
//!
//! Alerts come in (from Telltale's rules, or any Prometheus through the
//! Alertmanager API v2), are routed through the configured tree, grouped,
//! inhibited, silenced and muted by time intervals, and delivered to
//! receivers (webhook with Alertmanager's payload version 4, e-mail over
//! SMTP, Slack incoming webhooks, PagerDuty Events v2) with retries. A
//! notification log and the silences are persisted so a restart neither
//! re-sends nor forgets, and every attempt is kept in a bounded history.
//!
//! ```
//! use telltale_notify::Config;
//!
//! let cfg = Config::load(
//!     "route:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n- name: team\n",
//! )
//! .unwrap();
//! assert_eq!(cfg.route.receiver, "team");
//! ```
//!
//! # Layout
//!
//! - [`config`]: the YAML, strict decoding and Alertmanager's validation.
//! - [`route`], [`inhibit`], [`timeinterval`]: routing and muting rules.
//! - [`alert`]: the alert type and fingerprints.

pub mod alert;
pub mod api;
pub mod config;
mod dispatch;
pub mod error;
pub mod history;
pub mod inhibit;
pub mod nflog;
pub mod notifier;
pub mod payload;
pub mod persist;
pub mod receivers;
pub mod route;
pub mod silence;
pub mod template;
pub mod timeinterval;

pub use alert::Alert;
pub use api::{AlertReceiver, alert_receiver_router, api_router};
pub use config::Config;
pub use error::{NotifyError, Result};
pub use notifier::{AlertView, GroupView, Notifier, NotifierOptions};
