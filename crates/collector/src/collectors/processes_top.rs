//! `processes_top` (opt-in): the top N processes by CPU and by resident
//! memory, from `/proc/<pid>/stat`.
//!
//! Label cardinality is bounded: each ranking has at most
//! [`MAX_PROCESSES_TOP_N`](crate::MAX_PROCESSES_TOP_N) entries, labelled by
//! `pid` and `comm` (at most 15 bytes, the kernel's limit). The CPU ranking
//! is by CPU used since the previous collection (by total CPU on the first
//! one); the value reported is the process's total CPU seconds, a counter,
//! so `rate()` works on it while it stays in the top N.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{dir_names, read_string_limit};
use crate::registry::Collector;

const USER_HZ: f64 = 100.0;
/// The most processes looked at in one collection.
const MAX_PIDS: usize = 100_000;

/// What one `/proc/<pid>/stat` says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProcStat {
    pub(crate) pid: u32,
    pub(crate) comm: String,
    /// utime + stime, in clock ticks.
    pub(crate) cpu_ticks: u64,
    pub(crate) start_ticks: u64,
    pub(crate) rss_pages: u64,
}

/// Parses `/proc/<pid>/stat`. The command is between the first `(` and
/// the last `)` and may itself hold spaces and parentheses.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let f: Vec<&str> = text.get(close + 1..)?.split_ascii_whitespace().collect();
    // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22,
    // rss 24.
    let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        comm,
        cpu_ticks: n(11)?.saturating_add(n(12)?),
        start_ticks: n(19)?,
        rss_pages: n(21)?,
    })
}

pub(crate) struct ProcessesTop {
    procfs: PathBuf,
    n: usize,
    page_size: f64,
    /// `(pid, start time) -> cpu ticks` at the previous collection.
    previous: Mutex<HashMap<(u32, u64), u64>>,
}

impl ProcessesTop {
    pub(crate) fn new(procfs: &Path, n: usize) -> Self {
        ProcessesTop {
            procfs: procfs.to_path_buf(),
            n: n.min(crate::config::MAX_PROCESSES_TOP_N),
            page_size: rustix::param::page_size() as f64,
            previous: Mutex::new(HashMap::new()),
        }
    }
}

impl Collector for ProcessesTop {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let mut procs = Vec::new();
        for name in dir_names(&self.procfs, MAX_PIDS)? {
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            // Processes come and go while we read: a vanished one is no error.
            let Ok(text) = read_string_limit(&self.procfs.join(&name).join("stat"), 4096) else {
                continue;
            };
            if let Some(p) = parse_stat(&text) {
                procs.push(p);
            }
        }
        let mut prev = self.previous.lock().unwrap_or_else(|p| p.into_inner());
        let first = prev.is_empty();
        let mut by_cpu: Vec<(u64, &ProcStat)> = procs
            .iter()
            .map(|p| {
                let before = prev.get(&(p.pid, p.start_ticks)).copied();
                let used = match before {
                    Some(b) => p.cpu_ticks.saturating_sub(b),
                    None if first => p.cpu_ticks,
                    // New since the last collection: all its CPU is recent.
                    None => p.cpu_ticks,
                };
                (used, p)
            })
            .collect();
        by_cpu.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
        for (_, p) in by_cpu.iter().take(self.n) {
            out.counter(
                "node_processes_top_cpu_seconds_total",
                "Total user and system CPU time of the processes that used the most CPU since the previous collection, in seconds.",
                &[("comm", &p.comm), ("pid", &p.pid.to_string())],
                p.cpu_ticks as f64 / USER_HZ,
            );
        }
        let mut by_mem: Vec<&ProcStat> = procs.iter().collect();
        by_mem.sort_by(|a, b| b.rss_pages.cmp(&a.rss_pages).then(a.pid.cmp(&b.pid)));
        for p in by_mem.iter().take(self.n) {
            out.gauge(
                "node_processes_top_resident_memory_bytes",
                "Resident memory of the processes with the most resident memory, in bytes.",
                &[("comm", &p.comm), ("pid", &p.pid.to_string())],
                p.rss_pages as f64 * self.page_size,
            );
        }
        prev.clear();
        prev.extend(procs.iter().map(|p| ((p.pid, p.start_ticks), p.cpu_ticks)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parens_and_spaces_in_comm() {
        let s = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 1234 1000000 300 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        let p = parse_stat(s).unwrap();
        assert_eq!(p.pid, 42);
        assert_eq!(p.comm, "a (b) c");
        assert_eq!(p.cpu_ticks, 300);
        assert_eq!(p.start_ticks, 1234);
        assert_eq!(p.rss_pages, 300);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1"), None);
    }
}
