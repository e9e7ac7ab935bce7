//! What Telltale needs to monitor the demo: its alert rules
//! ([`DEMO_RULES`], `crates/demo/demo_rules.yml`) and a scrape job
//! ([`scrape_config_yaml`]).

use std::net::SocketAddr;
use std::time::Duration;

/// Alert rules for the demo in Prometheus's rule-file format (the text of
/// `crates/demo/demo_rules.yml`), one group `telltale-demo` evaluated
/// every 15s, every alert with `for: 1m` and rates over `[2m]`:
///
/// - `DemoStockOutOfRange`: a `demo_stock_level` below 20 or above 180;
/// - `DemoHighErrorRatio`: more than 5 % of requests (scrapes of
///   `/metrics` left out) answered 5xx;
/// - `DemoHighLatencyP95`: 95th-percentile latency above 500 ms;
/// - `DemoProcessCpuBusy`: the process uses more than half a CPU;
/// - `DemoSimulatedCpuHigh`: `demo_cpu_usage_percent` above 90.
///
/// They select `job="demo"`, the job of [`scrape_config_yaml`].
pub const DEMO_RULES: &str = include_str!("../demo_rules.yml");

/// The evaluation interval written in [`DEMO_RULES`].
pub const DEMO_RULES_INTERVAL: &str = "15s";
/// The `for` duration written in [`DEMO_RULES`].
pub const DEMO_RULES_FOR: &str = "1m";
/// The rate window written in [`DEMO_RULES`].
pub const DEMO_RULES_WINDOW: &str = "2m";

/// [`DEMO_RULES`] with another evaluation interval, `for` duration and
/// rate window (Prometheus durations such as `1s`, `500ms`, `0s`), for
/// tests that want alerts to fire within seconds. The arguments are
/// written as given: pass valid durations.
pub fn demo_rules_with(interval: &str, for_duration: &str, window: &str) -> String {
    DEMO_RULES
        .replace(
            &format!("interval: {DEMO_RULES_INTERVAL}"),
            &format!("interval: {interval}"),
        )
        .replace(
            &format!("for: {DEMO_RULES_FOR}"),
            &format!("for: {for_duration}"),
        )
        .replace(&format!("[{DEMO_RULES_WINDOW}]"), &format!("[{window}]"))
}

/// A Prometheus configuration document with one `scrape_configs` entry,
/// job `demo`, scraping `addr` every 15 s:
///
/// ```
/// let yaml = telltale_demo::scrape_config_yaml("127.0.0.1:9799".parse().unwrap());
/// assert!(yaml.starts_with("scrape_configs:\n  - job_name: demo\n"));
/// assert!(yaml.contains("targets: ['127.0.0.1:9799']"));
/// ```
///
/// Parse it with `telltale_scrape::config::parse_config` and add its
/// `scrape_configs` to the server's.
pub fn scrape_config_yaml(addr: SocketAddr) -> String {
    scrape_config_yaml_every(addr, Duration::from_secs(15))
}

/// [`scrape_config_yaml`] with another scrape interval (whole
/// milliseconds, at least 1 ms; the timeout is the interval, capped at 10 s).
pub fn scrape_config_yaml_every(addr: SocketAddr, interval: Duration) -> String {
    let ms = interval.as_millis().max(1);
    let timeout = ms.min(10_000);
    format!(
        "scrape_configs:\n  - job_name: demo\n    scrape_interval: {ms}ms\n    scrape_timeout: {timeout}ms\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['{addr}']\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_rules_with_replaces_every_timing() {
        let n_for = DEMO_RULES.matches("for: 1m").count();
        let n_window = DEMO_RULES.matches("[2m]").count();
        assert_eq!(n_for, 5);
        assert_eq!(n_window, 4);
        let fast = demo_rules_with("1s", "0s", "30s");
        assert_eq!(fast.matches("for: 0s").count(), n_for);
        assert_eq!(fast.matches("[30s]").count(), n_window);
        assert!(fast.contains("interval: 1s"));
        assert!(!fast.contains("for: 1m") && !fast.contains("[2m]"));
    }

    #[test]
    fn scrape_config_caps_the_timeout() {
        let y = scrape_config_yaml("127.0.0.1:1".parse().unwrap());
        assert!(y.contains("scrape_interval: 15000ms"));
        assert!(y.contains("scrape_timeout: 10000ms"));
        let y = scrape_config_yaml_every("127.0.0.1:1".parse().unwrap(), Duration::ZERO);
        assert!(y.contains("scrape_interval: 1ms") && y.contains("scrape_timeout: 1ms"));
    }
}
