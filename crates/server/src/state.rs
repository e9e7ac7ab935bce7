//! [`AppState`]: what the handlers can reach, and the traits the binary
//! implements over the real parts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use telltale_model::{Matcher, MetricMetadata, Queryable};
use telltale_promql::Engine;

/// Storage administration and introspection, implemented over the TSDB.
pub trait TsdbAdmin: Send + Sync {
    /// Head statistics and cardinality tops (the `status/tsdb` page).
    ///
    /// # Errors
    ///
    /// A message for the API's `internal` error.
    fn status(&self, limit: usize) -> Result<TsdbStatus, String>;
    /// Deletes the selected series in `[mint, maxt]` (ms) with tombstones.
    ///
    /// # Errors
    ///
    /// A message for the API's `internal` error.
    fn delete_series(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<(), String>;
    /// Rewrites blocks without deleted data.
    ///
    /// # Errors
    ///
    /// A message for the API's `internal` error.
    fn clean_tombstones(&self) -> Result<(), String>;
    /// Writes a snapshot under the data directory's `snapshots/` and returns
    /// its name.
    ///
    /// # Errors
    ///
    /// A message for the API's `internal` error.
    fn snapshot(&self, skip_head: bool) -> Result<String, String>;
}

/// The head statistics and cardinality tops of `GET /api/v1/status/tsdb`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TsdbStatus {
    /// Active series in the head.
    pub num_series: u64,
    /// Distinct label pairs in the head.
    pub num_label_pairs: u64,
    /// Chunks in the head.
    pub chunk_count: u64,
    /// Oldest timestamp in the head (ms).
    pub min_time: i64,
    /// Newest timestamp in the head (ms).
    pub max_time: i64,
    /// Top metric names by series count.
    pub series_count_by_metric_name: Vec<(String, u64)>,
    /// Top label names by number of values.
    pub label_value_count_by_label_name: Vec<(String, u64)>,
    /// Top label names by bytes of their values.
    pub memory_in_bytes_by_label_name: Vec<(String, u64)>,
    /// Top `name=value` pairs by series count.
    pub series_count_by_label_value_pair: Vec<(String, u64)>,
}

/// One scrape target as the targets API shows it.
#[derive(Debug, Clone, Default)]
pub struct TargetInfo {
    /// Labels before relabelling.
    pub discovered_labels: BTreeMap<String, String>,
    /// Labels after relabelling (empty for dropped targets).
    pub labels: BTreeMap<String, String>,
    /// The job name.
    pub scrape_pool: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The last error, empty if the last scrape worked.
    pub last_error: String,
    /// When the last scrape started (ms), 0 if never.
    pub last_scrape_ms: i64,
    /// How long the last scrape took, in seconds.
    pub last_scrape_duration: f64,
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// The scrape interval as configured (`15s`).
    pub scrape_interval: String,
    /// The scrape timeout as configured (`10s`).
    pub scrape_timeout: String,
}

/// Scrape targets and the metadata they exposed.
pub trait TargetsProvider: Send + Sync {
    /// Active targets.
    fn active(&self) -> Vec<TargetInfo>;
    /// Targets dropped by relabelling.
    fn dropped(&self) -> Vec<TargetInfo>;
    /// Metadata per metric name, as scraped.
    fn metadata(&self) -> BTreeMap<String, Vec<MetricMetadata>>;
    /// Per-target metadata: (target labels, metric, metadata).
    fn target_metadata(&self) -> Vec<(BTreeMap<String, String>, String, MetricMetadata)> {
        Vec::new()
    }
}

/// Rules and alerts, as `/api/v1/rules` and `/api/v1/alerts` show them.
pub trait RulesProvider: Send + Sync {
    /// The `data` member of `/api/v1/rules` (`{"groups": [...]}`), filtered
    /// by `type` (`alert`/`record`) if given.
    fn rules(&self, kind: Option<&str>) -> serde_json::Value;
    /// The `data` member of `/api/v1/alerts` (`{"alerts": [...]}`).
    fn alerts(&self) -> serde_json::Value;
    /// The `data` member of `/api/v1/alertmanagers`.
    fn alertmanagers(&self) -> serde_json::Value {
        serde_json::json!({"activeAlertmanagers": [], "droppedAlertmanagers": []})
    }
}

/// Build information for `status/buildinfo`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    /// The release version.
    pub version: String,
    /// The git revision, if known.
    pub revision: String,
    /// The branch, if known.
    pub branch: String,
    /// Who built it.
    pub build_user: String,
    /// When it was built.
    pub build_date: String,
    /// The compiler.
    pub go_version: String,
}

impl Default for BuildInfo {
    fn default() -> Self {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            revision: option_env!("TELLTALE_GIT_REVISION")
                .unwrap_or("unknown")
                .to_string(),
            branch: "main".to_string(),
            build_user: "telltale".to_string(),
            build_date: String::new(),
            go_version: "rust".to_string(),
        }
    }
}

/// A function called by `POST /-/reload`.
pub type ReloadFn = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;
/// A function that renders Telltale's own metrics as exposition text.
pub type MetricsFn = Arc<dyn Fn() -> String + Send + Sync>;

/// Everything the handlers can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Where queries read.
    pub storage: Arc<dyn Queryable>,
    /// The PromQL engine.
    pub engine: Arc<Engine>,
    /// Storage administration, if the storage is local.
    pub tsdb: Option<Arc<dyn TsdbAdmin>>,
    /// Scrape targets, if scraping runs.
    pub targets: Option<Arc<dyn TargetsProvider>>,
    /// Rules and alerts, if rules run.
    pub rules: Option<Arc<dyn RulesProvider>>,
    /// Whether `/api/v1/admin/*` is enabled.
    pub enable_admin: bool,
    /// Set once the WAL replay is done.
    pub ready: Arc<AtomicBool>,
    /// The running configuration, secrets redacted, as YAML.
    pub config_yaml: Arc<RwLock<String>>,
    /// The command-line flags and their values.
    pub flags: Arc<BTreeMap<String, String>>,
    /// Build information.
    pub build: Arc<BuildInfo>,
    /// When the process started (ms).
    pub start_time_ms: i64,
    /// The storage retention as configured, for `status/runtimeinfo`.
    pub storage_retention: String,
    /// Called by `POST /-/reload`.
    pub reload: Option<ReloadFn>,
    /// Renders `/metrics`.
    pub self_metrics: Option<MetricsFn>,
    /// The default lookback for usage endpoints and federation (ms).
    pub lookback_ms: i64,
}

impl AppState {
    /// A state over `storage` and `engine` with everything else off.
    pub fn new(storage: Arc<dyn Queryable>, engine: Arc<Engine>) -> Self {
        AppState {
            storage,
            engine,
            tsdb: None,
            targets: None,
            rules: None,
            enable_admin: false,
            ready: Arc::new(AtomicBool::new(true)),
            config_yaml: Arc::new(RwLock::new(String::new())),
            flags: Arc::new(BTreeMap::new()),
            build: Arc::new(BuildInfo::default()),
            start_time_ms: now_ms(),
            storage_retention: String::new(),
            reload: None,
            self_metrics: None,
            lookback_ms: 5 * 60 * 1000,
        }
    }

    /// Whether the server is ready to answer queries.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

/// The current time in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
