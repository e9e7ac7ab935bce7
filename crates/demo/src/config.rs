//! [`DemoConfig`]: where the demo listens, how often its background tasks
//! run, and the bounds on every load it can be asked to simulate.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The default listen address: loopback, next to Telltale's 9797 and the
/// exporter's 9798.
pub const DEFAULT_DEMO_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9799);

/// The products whose stock levels drift on their own.
pub const PRODUCTS: [&str; 4] = ["widget", "gadget", "gizmo", "doohickey"];

/// Stock levels move within `0..=STOCK_MAX` (the demo alert rule fires
/// outside `20..=180`).
pub const STOCK_MAX: i64 = 200;

/// How the demo runs. Every bound has a default that keeps a laptop usable:
/// at most [`max_cpu_tasks`](Self::max_cpu_tasks) busy threads and
/// [`max_ram_mb`](Self::max_ram_mb) of extra memory, each for at most
/// [`max_task_seconds`](Self::max_task_seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Where [`run`](crate::run) and [`start`](crate::start) listen
    /// (default `127.0.0.1:9799`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// How often a log line is printed to standard output (default 10 s);
    /// `None` prints none (tests, or a quiet `serve --demo`).
    pub log_interval: Option<Duration>,
    /// How often every stock level takes one random step (default 5 s).
    pub stock_interval: Duration,
    /// Largest step of the stock random walk (default 5).
    pub stock_step: i64,
    /// `GET /cpu_task` duration when `seconds` is not given (default 30).
    pub default_cpu_seconds: u64,
    /// `GET /ram_task` size when `mb` is not given (default 256 MiB).
    pub default_ram_mb: u64,
    /// `GET /ram_task` hold time when `seconds` is not given (default 30).
    pub default_ram_seconds: u64,
    /// Longest `/cpu_task` or `/ram_task` (default 300 s).
    pub max_task_seconds: u64,
    /// CPU-burning threads that may run at once (default 2); more answer 429.
    pub max_cpu_tasks: usize,
    /// Memory all running `/ram_task`s may hold together, in MiB
    /// (default 1024); a request that would go over answers 429.
    pub max_ram_mb: u64,
    /// `GET /slow` delay when `ms` is not given (default 1000).
    pub default_slow_ms: u64,
    /// Longest `GET /slow` delay (default 30 000 ms).
    pub max_slow_ms: u64,
    /// Seed of the random numbers (log levels, stock steps); `None` seeds
    /// from the clock. Set it for repeatable runs.
    pub seed: Option<u64>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            listen: DEFAULT_DEMO_LISTEN,
            log_interval: Some(Duration::from_secs(10)),
            stock_interval: Duration::from_secs(5),
            stock_step: 5,
            default_cpu_seconds: 30,
            default_ram_mb: 256,
            default_ram_seconds: 30,
            max_task_seconds: 300,
            max_cpu_tasks: 2,
            max_ram_mb: 1024,
            default_slow_ms: 1000,
            max_slow_ms: 30_000,
            seed: None,
        }
    }
}
