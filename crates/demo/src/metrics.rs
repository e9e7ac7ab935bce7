//! The demo's instrumentation with `prometheus-client`, the way a service
//! of your own would do it: one [`Registry`], metrics registered once at
//! start, cheap clones handed to the code that moves them.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `endpoint`, `status` |
//! | `http_request_duration_seconds` | histogram (5 ms .. 10 s) | `method`, `endpoint` |
//! | `http_requests_in_flight` | gauge | |
//! | `demo_build_info` | info | `version` |
//! | `demo_active_users` | gauge | |
//! | `demo_cpu_usage_percent` | gauge (simulated) | |
//! | `demo_stock_level` | gauge | `product` |
//! | `demo_cpu_tasks_running` | gauge | |
//! | `demo_ram_task_bytes` | gauge | |
//! | `demo_log_messages_total` | counter | `level` |
//! | `process_cpu_seconds_total`, `process_resident_memory_bytes`, ... | from `/proc/self` | |

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::process::ProcessCollector;

/// Upper bounds of the request-duration buckets in seconds: 5 ms to 10 s,
/// roughly 1-2.5-5 per decade (the client libraries' classic defaults), so
/// both the 500 ms latency alert and a 10 s `/slow` land on a bound.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The content type of `/metrics` (`prometheus-client` writes OpenMetrics).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of `http_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The HTTP method (a fixed set; anything else is `OTHER`).
    pub method: String,
    /// The route template (`/slow`), never the raw path: unknown paths
    /// are `other`, so the label stays bounded.
    pub endpoint: String,
    /// The status code, `"200"`.
    pub status: String,
}

/// Labels of `http_request_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// As in [`RequestLabels::method`].
    pub method: String,
    /// As in [`RequestLabels::endpoint`].
    pub endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// Labels of `demo_stock_level`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProductLabels {
    /// The product name.
    pub product: String,
}

/// Labels of `demo_log_messages_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LevelLabels {
    /// `info`, `warning`, `error` or `critical`.
    pub level: String,
}

/// Every metric of the demo and the registry that encodes them.
#[derive(Debug)]
pub struct DemoMetrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    /// `http_requests_total`.
    pub requests: Family<RequestLabels, Counter>,
    /// `http_request_duration_seconds`.
    pub duration: Family<RouteLabels, Histogram>,
    /// `http_requests_in_flight`.
    pub in_flight: Gauge,
    /// `demo_active_users`.
    pub active_users: Gauge,
    /// `demo_cpu_usage_percent`.
    pub cpu_percent: Gauge<f64, AtomicU64>,
    /// `demo_stock_level`.
    pub stock: Family<ProductLabels, Gauge>,
    /// `demo_cpu_tasks_running`.
    pub cpu_tasks: Gauge,
    /// `demo_ram_task_bytes`.
    pub ram_bytes: Gauge<i64, AtomicI64>,
    /// `demo_log_messages_total`.
    pub log_messages: Family<LevelLabels, Counter>,
}

fn histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

impl DemoMetrics {
    /// Registers every metric in a new registry.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, endpoint and status code",
            requests.clone(),
        );
        let duration =
            Family::<RouteLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by method and endpoint",
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served now",
            in_flight.clone(),
        );
        registry.register(
            "demo_build",
            "Version of the demo service",
            Info::new(VersionLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
            }),
        );
        let active_users = Gauge::default();
        registry.register(
            "demo_active_users",
            "Active users, as last set by GET /update?users=N",
            active_users.clone(),
        );
        let cpu_percent = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "demo_cpu_usage_percent",
            "Simulated CPU usage in percent, as last set by GET /cpu?value=X",
            cpu_percent.clone(),
        );
        let stock = Family::<ProductLabels, Gauge>::default();
        registry.register(
            "demo_stock_level",
            "Units in stock per product (a bounded random walk)",
            stock.clone(),
        );
        let cpu_tasks = Gauge::default();
        registry.register(
            "demo_cpu_tasks_running",
            "CPU-burning tasks started by GET /cpu_task that are still running",
            cpu_tasks.clone(),
        );
        let ram_bytes = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "demo_ram_task_bytes",
            "Bytes held by running GET /ram_task tasks",
            ram_bytes.clone(),
        );
        let log_messages = Family::<LevelLabels, Counter>::default();
        registry.register(
            "demo_log_messages",
            "Log lines printed, by level",
            log_messages.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        DemoMetrics {
            registry,
            requests,
            duration,
            in_flight,
            active_users,
            cpu_percent,
            stock,
            cpu_tasks,
            ram_bytes,
            log_messages,
        }
    }

    /// Creates the request series of `GET` on each `(endpoint, statuses)`
    /// at zero, so that `rate()` sees the first requests too (a series that
    /// appears with its first increment already counted loses it).
    pub fn init_routes(&self, routes: &[(&str, &[u16])]) {
        for (endpoint, statuses) in routes {
            let route = RouteLabels {
                method: "GET".into(),
                endpoint: endpoint.to_string(),
            };
            let _ = self.duration.get_or_create(&route);
            for status in *statuses {
                let _ = self.requests.get_or_create(&RequestLabels {
                    method: route.method.clone(),
                    endpoint: route.endpoint.clone(),
                    status: status.to_string(),
                });
            }
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8192);
        // Writing into a String cannot fail; an error from a collector
        // leaves what was written so far, which the scraper reports.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for DemoMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_names_the_default_rules_use() {
        let m = DemoMetrics::new();
        m.requests
            .get_or_create(&RequestLabels {
                method: "GET".into(),
                endpoint: "/error".into(),
                status: "500".into(),
            })
            .inc();
        m.duration
            .get_or_create(&RouteLabels {
                method: "GET".into(),
                endpoint: "/error".into(),
            })
            .observe(0.2);
        let text = m.encode();
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",endpoint=\"/error\",status=\"500\"} 1"
            )
        );
        assert!(text.contains(
            "http_request_duration_seconds_bucket{le=\"0.25\",method=\"GET\",endpoint=\"/error\"} 1"
        ) || text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",endpoint=\"/error\",le=\"0.25\"} 1"
        ));
        assert!(text.contains("demo_build_info{version=\""));
        assert!(text.ends_with("# EOF\n"));
    }
}
