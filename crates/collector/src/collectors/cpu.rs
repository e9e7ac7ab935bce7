//! `cpu`: `node_cpu_seconds_total` and `node_cpu_guest_seconds_total` from
//! `/proc/stat`.

use std::path::PathBuf;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string};
use crate::registry::Collector;

/// Clock ticks per second in `/proc/stat` (`USER_HZ`, 100 on every Linux
/// architecture node_exporter supports).
const USER_HZ: f64 = 100.0;

/// The modes of `/proc/stat`'s `cpuN` lines, in column order.
const MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

pub(crate) struct Cpu {
    stat: PathBuf,
}

impl Cpu {
    pub(crate) fn new(procfs: &std::path::Path) -> Self {
        Cpu {
            stat: procfs.join("stat"),
        }
    }
}

impl Collector for Cpu {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.stat)?;
        for (i, line) in text.lines().enumerate() {
            let mut parts = line.split_ascii_whitespace();
            let Some(head) = parts.next() else { continue };
            let Some(cpu) = head.strip_prefix("cpu") else {
                continue;
            };
            if cpu.is_empty() {
                continue; // the all-CPU total line
            }
            let vals: Vec<&str> = parts.collect();
            if vals.len() < 4 {
                return Err(CollectorError::parse(&self.stat, i + 1, "short cpu line"));
            }
            for (mode, v) in MODES.iter().zip(&vals) {
                out.counter(
                    "node_cpu_seconds_total",
                    "Seconds the CPUs spent in each mode.",
                    &[("cpu", cpu), ("mode", mode)],
                    field(&self.stat, i + 1, v)? / USER_HZ,
                );
            }
            for (mode, idx) in [("user", 8), ("nice", 9)] {
                if let Some(v) = vals.get(idx) {
                    out.counter(
                        "node_cpu_guest_seconds_total",
                        "Seconds the CPUs spent in guests (VMs) for each mode.",
                        &[("cpu", cpu), ("mode", mode)],
                        field(&self.stat, i + 1, v)? / USER_HZ,
                    );
                }
            }
        }
        Ok(())
    }
}
