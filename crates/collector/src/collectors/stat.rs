//! `stat`: boot time, context switches, forks, interrupts and process
//! counts from `/proc/stat`.

use std::path::PathBuf;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string};
use crate::registry::Collector;

pub(crate) struct Stat {
    path: PathBuf,
}

impl Stat {
    pub(crate) fn new(procfs: &std::path::Path) -> Self {
        Stat {
            path: procfs.join("stat"),
        }
    }
}

impl Collector for Stat {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        for (i, line) in text.lines().enumerate() {
            let mut parts = line.split_ascii_whitespace();
            let (Some(key), Some(first)) = (parts.next(), parts.next()) else {
                continue;
            };
            let v = || field(&self.path, i + 1, first);
            match key {
                "intr" => out.counter(
                    "node_intr_total",
                    "Total number of interrupts serviced.",
                    &[],
                    v()?,
                ),
                "ctxt" => out.counter(
                    "node_context_switches_total",
                    "Total number of context switches.",
                    &[],
                    v()?,
                ),
                "btime" => out.gauge(
                    "node_boot_time_seconds",
                    "Node boot time, in unixtime.",
                    &[],
                    v()?,
                ),
                "processes" => out.counter("node_forks_total", "Total number of forks.", &[], v()?),
                "procs_running" => out.gauge(
                    "node_procs_running",
                    "Number of processes in runnable state.",
                    &[],
                    v()?,
                ),
                "procs_blocked" => out.gauge(
                    "node_procs_blocked",
                    "Number of processes blocked waiting for I/O to complete.",
                    &[],
                    v()?,
                ),
                _ => {}
            }
        }
        Ok(())
    }
}
