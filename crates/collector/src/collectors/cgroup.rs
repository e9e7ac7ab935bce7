//! `cgroup` (opt-in): per-container CPU, memory, I/O and task counts from
//! the cgroup v2 hierarchy, under cAdvisor's metric names.
//!
//! Every cgroup is a "container" as cAdvisor sees it, with `id` its path
//! in the hierarchy (`/` for the root, `/system.slice/docker-<id>.scope`
//! for a Docker container under systemd). For Docker containers the
//! runtime's `config.v2.json` adds `name` and `image`. At most
//! `cgroup_max` cgroups are reported, walking breadth first, so the
//! series count is bounded on hosts with thousands of slices.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{read_string_limit, read_trimmed};
use crate::registry::Collector;

/// The deepest cgroup visited.
const MAX_DEPTH: usize = 32;
/// The largest cgroup file read.
const MAX_FILE: u64 = 1 << 20;

pub(crate) struct Cgroup {
    root: PathBuf,
    sysfs: PathBuf,
    docker: PathBuf,
    max: usize,
    /// Docker id -> (name, image); cleared of ids no longer seen.
    names: Mutex<HashMap<String, (String, String)>>,
}

/// Finds the cgroup v2 mount: `sysfs/fs/cgroup` on unified hosts,
/// `sysfs/fs/cgroup/unified` on hybrid ones.
pub(crate) fn find_root(sysfs: &Path) -> PathBuf {
    let unified = sysfs.join("fs/cgroup");
    if unified.join("cgroup.controllers").exists() {
        return unified;
    }
    unified.join("unified")
}

/// `key value` lines (cpu.stat, memory.stat, memory.events) as a map.
fn flat_keyed(text: &str) -> HashMap<&str, f64> {
    text.lines()
        .filter_map(|l| {
            let mut p = l.split_ascii_whitespace();
            Some((p.next()?, p.next()?.parse().ok()?))
        })
        .collect()
}

/// The Docker container id of a cgroup directory name, if it is one
/// (`docker-<64 hex>.scope` under systemd, `<64 hex>` under `/docker`).
pub(crate) fn docker_id<'a>(name: &'a str, parent: &str) -> Option<&'a str> {
    let id = if let Some(rest) = name.strip_prefix("docker-") {
        rest.strip_suffix(".scope")?
    } else if parent == "docker" {
        name
    } else {
        return None;
    };
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// `base` plus one more label.
fn with<'a>(
    base: &[(&'static str, &'a str)],
    extra: (&'static str, &'a str),
) -> Vec<(&'static str, &'a str)> {
    let mut v = base.to_vec();
    v.push(extra);
    v
}

impl Cgroup {
    pub(crate) fn new(root: PathBuf, sysfs: &Path, rootfs: &Path, max: usize) -> Self {
        Cgroup {
            root,
            sysfs: sysfs.to_path_buf(),
            docker: rootfs.join("var/lib/docker/containers"),
            max,
            names: Mutex::new(HashMap::new()),
        }
    }

    /// The cgroups to report, as `(id, directory)`, breadth first.
    fn walk(&self) -> Result<Vec<(String, PathBuf)>, CollectorError> {
        if !self.root.join("cgroup.procs").exists() {
            return Err(CollectorError::NoData(format!(
                "no cgroup v2 hierarchy at {}",
                self.root.display()
            )));
        }
        let mut out = Vec::new();
        let mut queue = VecDeque::from([("/".to_string(), self.root.clone(), 0usize)]);
        while let Some((id, dir, depth)) = queue.pop_front() {
            if out.len() >= self.max {
                break;
            }
            if depth < MAX_DEPTH
                && let Ok(rd) = std::fs::read_dir(&dir)
            {
                let mut subs: Vec<String> = rd
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                subs.sort();
                for s in subs.into_iter().take(self.max) {
                    let child = if id == "/" {
                        format!("/{s}")
                    } else {
                        format!("{id}/{s}")
                    };
                    queue.push_back((child, dir.join(&s), depth + 1));
                }
            }
            out.push((id, dir));
        }
        Ok(out)
    }

    /// `(name, image)` of a Docker container from its config.v2.json.
    fn docker_meta(&self, id: &str) -> Option<(String, String)> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = names.get(id) {
            return Some(m.clone());
        }
        let path = self.docker.join(id).join("config.v2.json");
        let text = read_string_limit(&path, 4 << 20).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let name = v.get("Name")?.as_str()?.trim_start_matches('/').to_string();
        let image = v
            .get("Config")
            .and_then(|c| c.get("Image"))
            .and_then(|i| i.as_str())
            .unwrap_or("")
            .to_string();
        names.insert(id.to_string(), (name.clone(), image.clone()));
        Some((name, image))
    }

    /// `/dev/<name>` of block device `maj:min`, or `maj:min` itself.
    fn device_name(&self, majmin: &str) -> String {
        let uevent = self.sysfs.join("dev/block").join(majmin).join("uevent");
        read_string_limit(&uevent, 64 << 10)
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("DEVNAME=").map(|d| format!("/dev/{d}")))
            })
            .unwrap_or_else(|| majmin.to_string())
    }

    fn one(&self, out: &mut Emitter, id: &str, dir: &Path) {
        let (mut name, mut image) = (String::new(), String::new());
        let mut parts = id.rsplit('/');
        let (last, parent) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if let Some(did) = docker_id(last, parent)
            && let Some((n, i)) = self.docker_meta(did)
        {
            (name, image) = (n, i);
        }
        let base = [
            ("id", id),
            ("image", image.as_str()),
            ("name", name.as_str()),
        ];
        let read = |f: &str| read_string_limit(&dir.join(f), MAX_FILE).ok();

        if let Some(t) = read("cpu.stat") {
            let s = flat_keyed(&t);
            let us = |k: &str| s.get(k).map(|v| v / 1e6);
            if let Some(v) = us("usage_usec") {
                out.counter(
                    "container_cpu_usage_seconds_total",
                    "Cumulative cpu time consumed in seconds.",
                    &with(&base, ("cpu", "total")),
                    v,
                );
            }
            if let Some(v) = us("user_usec") {
                out.counter(
                    "container_cpu_user_seconds_total",
                    "Cumulative user cpu time consumed in seconds.",
                    &base,
                    v,
                );
            }
            if let Some(v) = us("system_usec") {
                out.counter(
                    "container_cpu_system_seconds_total",
                    "Cumulative system cpu time consumed in seconds.",
                    &base,
                    v,
                );
            }
            if let Some(v) = s.get("nr_periods") {
                out.counter(
                    "container_cpu_cfs_periods_total",
                    "Number of elapsed enforcement period intervals.",
                    &base,
                    *v,
                );
            }
            if let Some(v) = s.get("nr_throttled") {
                out.counter(
                    "container_cpu_cfs_throttled_periods_total",
                    "Number of throttled period intervals.",
                    &base,
                    *v,
                );
            }
            if let Some(v) = us("throttled_usec") {
                out.counter(
                    "container_cpu_cfs_throttled_seconds_total",
                    "Total time duration the container has been throttled.",
                    &base,
                    v,
                );
            }
        }
        if let Some(t) = read_trimmed(&dir.join("cpu.max")) {
            let mut p = t.split_ascii_whitespace();
            if let (Some(quota), Some(period)) = (p.next(), p.next())
                && let (Ok(q), Ok(per)) = (quota.parse::<f64>(), period.parse::<f64>())
            {
                out.gauge(
                    "container_spec_cpu_quota",
                    "CPU quota of the container.",
                    &base,
                    q,
                );
                out.gauge(
                    "container_spec_cpu_period",
                    "CPU period of the container.",
                    &base,
                    per,
                );
            }
        }
        let usage = read_trimmed(&dir.join("memory.current")).and_then(|s| s.parse::<f64>().ok());
        let stat = read("memory.stat");
        let stat = stat.as_deref().map(flat_keyed).unwrap_or_default();
        if let Some(u) = usage {
            out.gauge("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed", &base, u);
            let inactive = stat.get("inactive_file").copied().unwrap_or(0.0);
            out.gauge(
                "container_memory_working_set_bytes",
                "Current working set in bytes.",
                &base,
                (u - inactive).max(0.0),
            );
        }
        if let Some(v) = stat.get("anon") {
            out.gauge("container_memory_rss", "Size of RSS in bytes.", &base, *v);
        }
        if let Some(v) = stat.get("file") {
            out.gauge(
                "container_memory_cache",
                "Number of bytes of page cache memory.",
                &base,
                *v,
            );
        }
        if let Some(v) =
            read_trimmed(&dir.join("memory.swap.current")).and_then(|s| s.parse::<f64>().ok())
        {
            out.gauge(
                "container_memory_swap",
                "Container swap usage in bytes.",
                &base,
                v,
            );
        }
        if let Some(t) = read_trimmed(&dir.join("memory.max")) {
            // cAdvisor reports an unlimited container as 0.
            let v = if t == "max" {
                Some(0.0)
            } else {
                t.parse::<f64>().ok()
            };
            if let Some(v) = v {
                out.gauge(
                    "container_spec_memory_limit_bytes",
                    "Memory limit for the container.",
                    &base,
                    v,
                );
            }
        }
        if let Some(t) = read("memory.events")
            && let Some(v) = flat_keyed(&t).get("oom_kill")
        {
            out.counter(
                "container_oom_events_total",
                "Count of out of memory events observed for the container",
                &base,
                *v,
            );
        }
        if let Some(t) = read("io.stat") {
            for line in t.lines() {
                let mut p = line.split_ascii_whitespace();
                let Some(majmin) = p.next() else { continue };
                let dev = self.device_name(majmin);
                for kv in p {
                    let Some((k, v)) = kv.split_once('=') else {
                        continue;
                    };
                    let Ok(v) = v.parse::<f64>() else { continue };
                    let (name, help) = match k {
                        "rbytes" => (
                            "container_fs_reads_bytes_total",
                            "Cumulative count of bytes read",
                        ),
                        "wbytes" => (
                            "container_fs_writes_bytes_total",
                            "Cumulative count of bytes written",
                        ),
                        "rios" => (
                            "container_fs_reads_total",
                            "Cumulative count of reads completed",
                        ),
                        "wios" => (
                            "container_fs_writes_total",
                            "Cumulative count of writes completed",
                        ),
                        _ => continue,
                    };
                    out.counter(name, help, &with(&base, ("device", &dev)), v);
                }
            }
        }
        if let Some(t) = read("cgroup.procs") {
            out.gauge(
                "container_processes",
                "Number of processes running inside the container.",
                &base,
                t.lines().count() as f64,
            );
        }
        if let Some(v) = read_trimmed(&dir.join("pids.current")).and_then(|s| s.parse::<f64>().ok())
        {
            out.gauge(
                "container_threads",
                "Number of threads running inside the container",
                &base,
                v,
            );
        }
    }
}

impl Collector for Cgroup {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let groups = self.walk()?;
        for (id, dir) in &groups {
            self.one(out, id, dir);
        }
        // Forget containers that are gone, so the cache stays bounded.
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names.retain(|k, _| groups.iter().any(|(id, _)| id.contains(k.as_str())));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_ids_are_recognised() {
        let id = "a".repeat(64);
        assert_eq!(
            docker_id(&format!("docker-{id}.scope"), "system.slice"),
            Some(id.as_str())
        );
        assert_eq!(docker_id(&id, "docker"), Some(id.as_str()));
        assert_eq!(docker_id(&id, "user.slice"), None);
        assert_eq!(docker_id("docker-xyz.scope", "system.slice"), None);
    }
}
