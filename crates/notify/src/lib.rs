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
//! use telltale_model::Labels;
//! use telltale_notify::{Alert, Config, Notifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> telltale_notify::Result<()> {
//! let cfg = Config::load(
//!     "route:\n  receiver: team\n  group_by: [alertname]\n\
//!      receivers:\n- name: team\n  webhook_configs:\n  - url: http://127.0.0.1:9/hook\n",
//! )?;
//! assert_eq!(cfg.route.receiver, "team");
//! // `None`: keep silences, the log and the history in memory only.
//! let notifier = Notifier::new(cfg, None)?;
//! let alert = Alert::firing(Labels::from_pairs(&[("alertname", "DiskFull")]), notifier.now());
//! notifier.add_alerts(vec![alert])?;
//! assert_eq!(notifier.alerts().len(), 1);
//! // The HTTP side: `api_router(notifier.clone())` under `/api/v2`, and
//! // `alert_receiver_router(store)` at the root for `POST/GET /alert`.
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`config`]: the YAML, strict decoding and Alertmanager's validation
//!   (with Alertmanager's error messages).
//! - [`route`], [`inhibit`], [`timeinterval`], [`silence`]: what decides
//!   where an alert goes and whether it is muted.
//! - [`alert`]: the alert type and Prometheus fingerprints.
//! - [`notifier`]: the [`Notifier`] (alerts, groups, reload, queries);
//!   `dispatch` (private): group timers and the flush pipeline.
//! - [`nflog`], [`history`], [`persist`]: durable state; formats in
//!   `docs/format/notify.md`.
//! - [`template`], [`payload`], [`receivers`]: notification text, the
//!   webhook payload v4, and one file per receiver kind.
//! - [`api`]: the Alertmanager API v2 router and the `/alert` receiver.
//!
//! Not delivered (accepted and validated in configurations only): OpsGenie,
//! VictorOps, Pushover, SNS, Telegram, WeChat, Webex, Discord, MS Teams,
//! Jira, Rocket.Chat, Mattermost, incident.io.

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
pub use notifier::{AlertView, GroupView, Notifier, NotifierOptions, NotifierStats};
