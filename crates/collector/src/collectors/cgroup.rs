//! `cgroup` (opt-in): per-container CPU, memory, I/O and task counts from
//! the cgroup v2 hierarchy, under cAdvisor's metric names.
//!
//! Every cgroup is a "container" as cAdvisor sees it, with `id` its path
//! in the hierarchy (`/` for the root, `/system.slice/docker-<id>.scope`
//! for a Docker container under systemd). For Docker and Podman
//! containers the runtime's own files (`config.v2.json`,
//! `containers.json`) add `name` and `image`; other runtimes (containerd,
//! CRI-O) get `id` only. At most
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
    podman: PathBuf,
    max: usize,
    /// Container id -> (name, image); cleared of ids no longer seen.
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

/// The container runtimes whose files name their containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// Docker: `/var/lib/docker/containers/<id>/config.v2.json`.
    Docker,
    /// Podman: `/var/lib/containers/storage/overlay-containers/containers.json`.
    Podman,
}

/// The runtime and container id of a cgroup directory name, if it is a
/// container: `docker-<64 hex>.scope` (systemd) or `<64 hex>` under
/// `/docker` for Docker, `libpod-<64 hex>.scope` or `libpod-<64 hex>`
/// for Podman.
pub(crate) fn container_id<'a>(name: &'a str, parent: &str) -> Option<(Runtime, &'a str)> {
    let (rt, id) = if let Some(rest) = name.strip_prefix("docker-") {
        (Runtime::Docker, rest.strip_suffix(".scope")?)
    } else if parent == "docker" {
        (Runtime::Docker, name)
    } else if let Some(rest) = name.strip_prefix("libpod-") {
        (Runtime::Podman, rest.strip_suffix(".scope").unwrap_or(rest))
    } else {
        return None;
    };
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some((rt, id))
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
            podman: rootfs.join("var/lib/containers/storage/overlay-containers/containers.json"),
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
                // Never queue more than can still be reported.
                let room = self.max.saturating_sub(out.len() + queue.len() + 1);
                for s in subs.into_iter().take(room) {
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

    /// `(name, image)` of a container from its runtime's files, cached.
    fn meta(&self, rt: Runtime, id: &str) -> Option<(String, String)> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = names.get(id) {
            return Some(m.clone());
        }
        let m = match rt {
            Runtime::Docker => self.docker_meta(id),
            Runtime::Podman => self.podman_meta(id),
        }?;
        names.insert(id.to_string(), m.clone());
        Some(m)
    }

    /// Docker's `config.v2.json`: `Name` (with a leading `/`) and
    /// `Config.Image`.
    fn docker_meta(&self, id: &str) -> Option<(String, String)> {
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
        Some((name, image))
    }

    /// Podman's (containers/storage) `containers.json`: an array of
    /// `{"id", "names": [...], "metadata": "<JSON with image-name>"}`.
    fn podman_meta(&self, id: &str) -> Option<(String, String)> {
        let text = read_string_limit(&self.podman, 16 << 20).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let c = v
            .as_array()?
            .iter()
            .find(|c| c.get("id").and_then(|i| i.as_str()) == Some(id))?;
        let name = c.get("names")?.get(0)?.as_str()?.to_string();
        let image = c
            .get("metadata")
            .and_then(|m| m.as_str())
            .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
            .and_then(|m| {
                m.get("image-name")
                    .and_then(|i| i.as_str())
                    .map(String::from)
            })
            .unwrap_or_default();
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

    /// Reports one cgroup; returns its container id if it is one.
    fn one<'a>(&self, out: &mut Emitter, id: &'a str, dir: &Path) -> Option<&'a str> {
        let (mut name, mut image) = (String::new(), String::new());
        let mut parts = id.rsplit('/');
        let (last, parent) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let container = container_id(last, parent);
        if let Some((rt, cid)) = container
            && let Some((n, i)) = self.meta(rt, cid)
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
        container.map(|(_, cid)| cid)
    }
}

impl Collector for Cgroup {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let groups = self.walk()?;
        let mut seen = std::collections::HashSet::new();
        for (id, dir) in &groups {
            if let Some(cid) = self.one(out, id, dir) {
                seen.insert(cid);
            }
        }
        // Forget containers that are gone, so the cache stays bounded.
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names.retain(|k, _| seen.contains(k.as_str()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_are_recognised() {
        let id = "a".repeat(64);
        let d = Some((Runtime::Docker, id.as_str()));
        let p = Some((Runtime::Podman, id.as_str()));
        assert_eq!(
            container_id(&format!("docker-{id}.scope"), "system.slice"),
            d
        );
        assert_eq!(container_id(&id, "docker"), d);
        assert_eq!(
            container_id(&format!("libpod-{id}.scope"), "machine.slice"),
            p
        );
        assert_eq!(container_id(&format!("libpod-{id}"), "libpod_parent"), p);
        assert_eq!(container_id(&id, "user.slice"), None);
        assert_eq!(container_id("docker-xyz.scope", "system.slice"), None);
    }

    #[test]
    fn walk_is_bounded_by_cgroup_max() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/full");
        let c = Cgroup::new(root.join("sys/fs/cgroup"), &root.join("sys"), &root, 2);
        let groups = c.walk().unwrap();
        let ids: Vec<&str> = groups.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, vec!["/", "/machine.slice"]);
        let all = Cgroup::new(root.join("sys/fs/cgroup"), &root.join("sys"), &root, 1000);
        assert_eq!(all.walk().unwrap().len(), 6);
    }
}
