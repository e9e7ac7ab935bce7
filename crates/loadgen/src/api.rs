//! The Prometheus HTTP query API as all three systems serve it.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// One query of the benchmark's set.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// A short name for tables.
    pub name: &'static str,
    /// The PromQL expression.
    pub expr: &'static str,
    /// Range query (over the last [`Query::RANGE_MS`] with
    /// [`Query::STEP_MS`] steps) or instant query.
    pub range: bool,
}

impl Query {
    /// The window of range queries: one hour, a common dashboard default.
    pub const RANGE_MS: i64 = 3_600_000;
    /// The step of range queries: 60 s, a 1 h panel about 60 points wide.
    pub const STEP_MS: i64 = 60_000;
}

/// The fixed set: what dashboards and alert rules over node_exporter
/// typically ask (the workload has no native or classic histogram, so the
/// quantile query reads a summary).
pub const QUERIES: &[Query] = &[
    Query {
        name: "cpu-by-instance",
        expr: r#"sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))"#,
        range: false,
    },
    Query {
        name: "mem-available-ratio",
        expr: "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
        range: false,
    },
    Query {
        name: "topk-net-rx",
        expr: "topk(5, rate(node_network_receive_bytes_total[5m]))",
        range: false,
    },
    Query {
        name: "fs-regex-alert",
        expr: r#"node_filesystem_avail_bytes{fstype=~"ext4|xfs|btrfs",mountpoint!~"/run.*"} / node_filesystem_size_bytes < 0.9"#,
        range: false,
    },
    Query {
        name: "count-by-name",
        expr: r#"count by (__name__) ({__name__=~"node_.*"})"#,
        range: false,
    },
    Query {
        name: "gc-quantile-max",
        expr: r#"max by (instance) (go_gc_duration_seconds{quantile="0.75"})"#,
        range: false,
    },
    Query {
        name: "cpu-by-instance-1h",
        expr: r#"sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))"#,
        range: true,
    },
    Query {
        name: "net-rx-total-1h",
        expr: r#"sum(rate(node_network_receive_bytes_total{device!~"lo|veth.*"}[5m]))"#,
        range: true,
    },
    Query {
        name: "mem-used-1h",
        expr: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
        range: true,
    },
    Query {
        name: "disk-io-max-1h",
        expr: "max by (instance) (rate(node_disk_io_time_seconds_total[5m]))",
        range: true,
    },
];

/// `ms` as the API's decimal seconds.
pub fn api_time(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Runs one query at `at_ms` (the end, for range queries); returns the
/// parsed JSON answer and the wall time to the last byte.
///
/// # Errors
///
/// [`Error::Http`] on transport errors and non-2xx answers,
/// [`Error::Answer`] on JSON that is not an API answer.
pub async fn run(
    client: &reqwest::Client,
    system: &str,
    base: &str,
    q: &Query,
    at_ms: i64,
) -> Result<(serde_json::Value, Duration)> {
    let mut params = vec![("query", q.expr.to_string())];
    let path = if q.range {
        params.push(("start", api_time(at_ms - Query::RANGE_MS)));
        params.push(("end", api_time(at_ms)));
        params.push(("step", api_time(Query::STEP_MS)));
        "/api/v1/query_range"
    } else {
        params.push(("time", api_time(at_ms)));
        "/api/v1/query"
    };
    let url = reqwest::Url::parse_with_params(&format!("{base}{path}"), &params).map_err(|e| {
        Error::Http {
            system: system.into(),
            url: format!("{base}{path}"),
            message: e.to_string(),
        }
    })?;
    let http = |message: String| Error::Http {
        system: system.into(),
        url: format!("{base}{path}?query={}", q.expr),
        message,
    };
    let start = Instant::now();
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| http(e.to_string()))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| http(e.to_string()))?;
    let took = start.elapsed();
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(http(format!("status {status}: {text}")));
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| Error::Answer {
        query: q.expr.into(),
        message: e.to_string(),
    })?;
    Ok((v, took))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_api_time() {
        assert_eq!(api_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(api_time(5), "0.005");
        assert_eq!(api_time(-1), "-1.999");
    }

    #[test]
    fn query_names_are_unique_and_set() {
        for q in QUERIES {
            assert!(!q.name.is_empty() && !q.expr.is_empty());
        }
        let mut names: Vec<_> = QUERIES.iter().map(|q| q.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), QUERIES.len());
    }
}
