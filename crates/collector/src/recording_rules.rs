//! Default recording rules over the host collectors' metrics.

/// A Prometheus rule file (YAML) with one group, `telltale_node_usage`,
/// recording CPU, memory and filesystem usage in percent:
///
/// - `instance:node_cpu_usage:percent`: CPU time not idle over 5 minutes,
///   averaged over CPUs, per instance.
/// - `instance:node_memory_usage:percent`: `1 - MemAvailable / MemTotal`.
/// - `instance_mountpoint:node_filesystem_usage:percent`: space in use as
///   a non-root user sees it, per filesystem (labels `device`, `fstype`,
///   `mountpoint` kept).
///
/// Checked by `promtool check rules` and `promtool test rules` in the
/// interop tests.
pub const DEFAULT_RECORDING_RULES: &str = include_str!("recording_rules.yml");
