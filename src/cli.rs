//! The command line: raw flags as clap parses them. Every flag can also be
//! set by an environment variable (shown in `--help`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Telltale: one binary that collects, stores, queries, alerts on and shows
/// metrics. With no command it runs `serve` on embedded defaults.
#[derive(Debug, Parser)]
#[command(name = "telltale", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to run (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `serve`, accepted without the word `serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything: collect this host, scrape, store, evaluate rules, notify, serve the API and UI.
    Serve(ServeArgs),
    /// Serve this host's metrics on /metrics only, like node_exporter (its --collector.X / --no-collector.X flags work too).
    Exporter(ExporterArgs),
    /// Run a PromQL query against a running server or a data directory.
    Query(QueryArgs),
    /// Validate files without starting anything.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Run test files.
    #[command(subcommand)]
    Test(TestCommand),
    /// Import OpenMetrics text with timestamps into a data directory.
    Import(ImportArgs),
    /// Run the demo service: an instrumented web service to monitor, with load and failure simulation.
    Demo(DemoArgs),
    /// Print version and build information.
    Version,
}

/// Flags of `telltale serve`.
#[derive(Debug, Args, Clone, Default)]
pub struct ServeArgs {
    /// Configuration file (YAML; a prometheus.yml works as it is).
    #[arg(long, short = 'c', env = "TELLTALE_CONFIG", global = false)]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./data, or storage.path from the config].
    #[arg(long, env = "TELLTALE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on; 127.0.0.1:0 picks a free port [default: 127.0.0.1:9797].
    #[arg(long, env = "TELLTALE_LISTEN")]
    pub listen: Option<String>,
    /// Enable /api/v1/admin/* (delete series, snapshots).
    #[arg(long = "web.enable-admin-api", env = "TELLTALE_ENABLE_ADMIN_API")]
    pub enable_admin_api: bool,
    /// Do not collect this host's metrics.
    #[arg(long, env = "TELLTALE_NO_HOST_METRICS")]
    pub no_host_metrics: bool,
    /// Do not load the default alert and recording rules.
    #[arg(long, env = "TELLTALE_NO_DEFAULT_RULES")]
    pub no_default_rules: bool,
    /// Host collection interval, overriding collector.interval [default: 15s].
    #[arg(long, env = "TELLTALE_COLLECT_INTERVAL")]
    pub collect_interval: Option<String>,
    /// Alertmanager configuration for the built-in notifier (alertmanager.yml).
    #[arg(long, env = "TELLTALE_ALERTMANAGER_CONFIG")]
    pub alertmanager_config: Option<PathBuf>,
    /// Start the demo service beside the server, scrape it (job `demo`) and load its alert rules.
    #[arg(long, env = "TELLTALE_DEMO")]
    pub demo: bool,
    /// Where the demo of --demo listens [default: 127.0.0.1:9799, else a free port].
    #[arg(long, env = "TELLTALE_DEMO_LISTEN")]
    pub demo_listen: Option<String>,
}

/// Flags of `telltale demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "TELLTALE_DEMO_LISTEN", default_value = "127.0.0.1:9799")]
    pub listen: String,
    /// Do not print a log line every 10 seconds.
    #[arg(long)]
    pub no_logs: bool,
}

/// Flags of `telltale exporter`.
#[derive(Debug, Args, Clone)]
pub struct ExporterArgs {
    /// Address to listen on [default: 127.0.0.1:9798].
    #[arg(
        long,
        env = "TELLTALE_EXPORTER_LISTEN",
        default_value = "127.0.0.1:9798"
    )]
    pub listen: String,
    /// Directory of *.prom files for the textfile collector.
    #[arg(long = "collector.textfile.directory", env = "TELLTALE_TEXTFILE_DIR")]
    pub textfile_directory: Option<PathBuf>,
    /// Enable collectors (node_exporter names, comma separated), e.g. processes,cgroup.
    #[arg(
        long = "collectors.enable",
        value_delimiter = ',',
        env = "TELLTALE_COLLECTORS_ENABLE"
    )]
    pub enable: Vec<String>,
    /// Disable collectors (node_exporter names, comma separated).
    #[arg(
        long = "collectors.disable",
        value_delimiter = ',',
        env = "TELLTALE_COLLECTORS_DISABLE"
    )]
    pub disable: Vec<String>,
    /// Path of procfs [default: /proc].
    #[arg(long = "path.procfs", env = "TELLTALE_PROCFS", default_value = "/proc")]
    pub procfs: PathBuf,
    /// Path of sysfs [default: /sys].
    #[arg(long = "path.sysfs", env = "TELLTALE_SYSFS", default_value = "/sys")]
    pub sysfs: PathBuf,
    /// Path of the root filesystem [default: /].
    #[arg(long = "path.rootfs", env = "TELLTALE_ROOTFS", default_value = "/")]
    pub rootfs: PathBuf,
}

/// Output format of `telltale query`.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns.
    #[default]
    Table,
    /// The API's JSON.
    Json,
}

/// Flags of `telltale query`.
#[derive(Debug, Args, Clone)]
pub struct QueryArgs {
    /// The PromQL expression.
    pub expr: String,
    /// Query a running server at this URL [default: http://127.0.0.1:9797 unless --data-dir is given].
    #[arg(long, env = "TELLTALE_SERVER")]
    pub server: Option<String>,
    /// Query a data directory directly (the server must not be running on it).
    #[arg(long, env = "TELLTALE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Evaluation time for an instant query (Unix seconds or RFC 3339) [default: now].
    #[arg(long)]
    pub time: Option<String>,
    /// Start of a range query (Unix seconds, RFC 3339, or a duration back from --end such as 1h).
    #[arg(long)]
    pub start: Option<String>,
    /// End of a range query [default: now].
    #[arg(long)]
    pub end: Option<String>,
    /// Step of a range query [default: 1m].
    #[arg(long)]
    pub step: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `telltale check ...`.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Validate a configuration file.
    Config {
        /// The file.
        file: PathBuf,
    },
    /// Validate rule files (like promtool check rules).
    Rules {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `telltale test ...`.
#[derive(Debug, Subcommand)]
pub enum TestCommand {
    /// Run rule unit-test files (promtool's format).
    Rules {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run PromQL test scripts (Prometheus's promqltest format).
    Promql {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Flags of `telltale import`.
#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// OpenMetrics or Prometheus text with timestamps ("-" for standard input).
    pub file: PathBuf,
    /// Data directory to import into [default: ./data].
    #[arg(long, env = "TELLTALE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}
