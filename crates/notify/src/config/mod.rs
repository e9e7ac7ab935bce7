//! Alertmanager configuration: parsing (strict, as Alertmanager's YAML
//! decoder) and validation with Alertmanager's error messages.

pub mod duration;
mod globals;
pub(crate) mod integrations;
pub mod matchers;
mod redact;
pub mod types;
mod validate;

use std::collections::HashMap;
use std::path::Path;

use crate::error::{NotifyError, Result};
use crate::inhibit::InhibitRule;
use crate::route::Route;
use crate::timeinterval::TimeInterval;
pub use duration::PromDuration;
pub use types::*;

/// A loaded and validated configuration, ready for the dispatcher.
#[derive(Debug, Clone)]
pub struct Config {
    /// The global block with defaults filled in.
    pub global: GlobalConfig,
    /// The routing tree.
    pub route: Route,
    /// Inhibition rules.
    pub inhibit_rules: Vec<InhibitRule>,
    /// Receivers with global defaults applied (SMTP, Slack, PagerDuty URL).
    pub receivers: Vec<ReceiverConfig>,
    /// Named time intervals (`time_intervals` and `mute_time_intervals`).
    pub time_intervals: HashMap<String, Vec<TimeInterval>>,
    /// Template files named by `templates:`.
    pub templates: Vec<String>,
    /// The configuration as parsed, serialised back with secrets hidden
    /// (what `/api/v2/status` shows).
    pub redacted: String,
    /// The text it was loaded from.
    pub original: String,
}

impl Config {
    /// Parses and validates a configuration.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Config`] with Alertmanager's message for the same
    /// problem where there is one (`undefined receiver "x" used in route`,
    /// `yaml: unmarshal errors:\n  line 16: field teams not found in type
    /// opsgenie.plain`...).
    pub fn load(text: &str) -> Result<Config> {
        validate::load(text).map_err(NotifyError::Config)
    }

    /// Reads and loads a configuration file.
    ///
    /// # Errors
    ///
    /// [`NotifyError::Io`] when it cannot be read, else as [`Config::load`].
    pub fn load_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NotifyError::io("reading configuration", path, e))?;
        let mut cfg = Config::load(&text)?;
        // Template paths are relative to the configuration file.
        if let Some(dir) = path.parent() {
            for t in &mut cfg.templates {
                if Path::new(t).is_relative() {
                    *t = dir.join(&*t).to_string_lossy().into_owned();
                }
            }
        }
        Ok(cfg)
    }

    /// The receiver called `name`.
    pub fn receiver(&self, name: &str) -> Option<&ReceiverConfig> {
        self.receivers
            .iter()
            .find(|r| r.name.as_deref() == Some(name))
    }
}
