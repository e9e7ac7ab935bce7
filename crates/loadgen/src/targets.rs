//! Many scrape targets served by one local process.
//!
//! Target `i` listens on its own loopback port and serves node_exporter
//! 1.5.0's series in the text format, without `instance` and `job` (the
//! scraper adds those), with values from its own seeded workload that
//! advance one step per scrape. Each target is a separate port, so every
//! system scrapes them from one plain `static_configs` list.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use telltale_tsdb::workload::{Workload, WorkloadConfig};

use crate::error::{Error, Result};

/// One target's state: its series' text prefixes and its values.
struct Target {
    prefixes: Vec<String>,
    workload: Workload,
    body: String,
}

impl Target {
    fn new(text: &str, seed: u64) -> Target {
        let workload = Workload::from_exposition(
            text,
            WorkloadConfig {
                hosts: 1,
                seed,
                ..Default::default()
            },
        );
        let prefixes = workload
            .labels()
            .iter()
            .map(|l| {
                let rest: Vec<String> = l
                    .iter()
                    .filter(|x| !matches!(x.name.as_str(), "__name__" | "instance" | "job"))
                    .map(|x| {
                        let v = x
                            .value
                            .replace('\\', "\\\\")
                            .replace('"', "\\\"")
                            .replace('\n', "\\n");
                        format!("{}=\"{v}\"", x.name)
                    })
                    .collect();
                if rest.is_empty() {
                    format!("{} ", l.metric_name())
                } else {
                    format!("{}{{{}}} ", l.metric_name(), rest.join(","))
                }
            })
            .collect();
        Target {
            prefixes,
            workload,
            body: String::new(),
        }
    }

    /// The next scrape's exposition text.
    fn render(&mut self) -> String {
        use std::fmt::Write;
        let (_, values) = self.workload.next_scrape();
        self.body.clear();
        for (p, v) in self.prefixes.iter().zip(values) {
            self.body.push_str(p);
            let _ = writeln!(self.body, "{v}");
        }
        self.body.clone()
    }
}

type Shared = Arc<Mutex<Target>>;

async fn metrics(State(t): State<Shared>) -> ([(&'static str, &'static str); 1], String) {
    let body = match t.lock() {
        Ok(mut t) => t.render(),
        Err(_) => String::new(),
    };
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
}

/// The running targets; dropping stops them.
#[derive(Debug)]
pub struct Targets {
    /// `127.0.0.1:PORT` of every target.
    pub addrs: Vec<String>,
    /// Series each target serves.
    pub series_per_target: usize,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Targets {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts `n` targets serving `text` (an exposition) on free loopback
/// ports.
///
/// # Errors
///
/// [`Error::Io`] when a port cannot be bound.
pub async fn serve(text: &str, n: usize, seed: u64) -> Result<Targets> {
    let mut addrs = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    let mut series = 0;
    for i in 0..n {
        let t = Target::new(text, seed.wrapping_add(i as u64));
        series = t.prefixes.len();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::io("bind", "127.0.0.1:0", e))?;
        let addr = l
            .local_addr()
            .map_err(|e| Error::io("local_addr", "127.0.0.1:0", e))?;
        addrs.push(addr.to_string());
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(Arc::new(Mutex::new(t)));
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        }));
    }
    Ok(Targets {
        addrs,
        series_per_target: series,
        tasks,
    })
}

/// A Prometheus-format scrape configuration of all targets (job `node`).
pub fn scrape_config(addrs: &[String], interval_s: u64) -> String {
    let list: Vec<String> = addrs.iter().map(|a| format!("'{a}'")).collect();
    format!(
        "global:\n  scrape_interval: {interval_s}s\n  scrape_timeout: {interval_s}s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [{}]\n",
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE c counter\nc{a=\"x\\\"y\"} 10\n# TYPE g gauge\ng 1.25\n";

    #[test]
    fn renders_without_target_labels_and_advances() {
        let mut t = Target::new(TEXT, 1);
        let first = t.render();
        assert!(first.starts_with("c{a=\"x\\\"y\"} 10\ng 1.25\n"), "{first}");
        assert!(!first.contains("instance") && !first.contains("job"));
        let mut changed = false;
        for _ in 0..50 {
            changed |= t.render() != first;
        }
        assert!(changed);
    }

    #[test]
    fn config_lists_every_target() {
        let c = scrape_config(&["127.0.0.1:1".into(), "127.0.0.1:2".into()], 5);
        assert!(c.contains("scrape_interval: 5s"));
        assert!(c.contains("targets: ['127.0.0.1:1', '127.0.0.1:2']"));
    }
}
