//! `filesystem`: size and free space of mounted filesystems.
//!
//! `statvfs(2)` on a dead NFS server blocks forever, so each call runs on
//! its own short-lived thread and the collection waits at most
//! `statfs_timeout` for all of them together. A mount that did not answer
//! in time is reported as `node_filesystem_device_error 1` and remembered
//! as stuck: later collections do not call `statvfs` on it again (and do
//! not pile up threads) until the stuck call returns.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{read_string, unescape_octal};
use crate::registry::Collector;

/// The most mounts read from the mount table.
const MAX_MOUNTS: usize = 10_000;

/// What `statvfs(2)` says about one filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FsStats {
    /// The size of the units `blocks`, `bfree` and `bavail` count.
    pub block_size: u64,
    /// Total data blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks available to unprivileged users.
    pub bavail: u64,
    /// Total file nodes (inodes).
    pub files: u64,
    /// Free file nodes.
    pub ffree: u64,
}

/// The function the filesystem collector calls for each mount point (the
/// path already joined onto `rootfs`). It may block; it runs on its own
/// thread.
pub type StatfsFn = Arc<dyn Fn(&Path) -> std::io::Result<FsStats> + Send + Sync>;

/// `statvfs(2)` through rustix.
///
/// # Errors
///
/// The operating system's error for the path.
pub fn real_statfs(path: &Path) -> std::io::Result<FsStats> {
    let s = rustix::fs::statvfs(path)?;
    Ok(FsStats {
        block_size: if s.f_frsize > 0 {
            s.f_frsize
        } else {
            s.f_bsize
        },
        blocks: s.f_blocks,
        bfree: s.f_bfree,
        bavail: s.f_bavail,
        files: s.f_files,
        ffree: s.f_ffree,
    })
}

/// One line of the mount table, unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Mount {
    device: String,
    mount_point: String,
    fs_type: String,
    read_only: bool,
}

pub(crate) struct Filesystem {
    procfs: PathBuf,
    rootfs: PathBuf,
    mount_points_exclude: Regex,
    fs_types_exclude: Regex,
    timeout: Duration,
    statfs: StatfsFn,
    /// Mount points whose last `statvfs` has not returned yet. Guarded
    /// together with each call's `done` flag, so a call that finishes
    /// just as its deadline passes is never marked stuck for good.
    stuck: Arc<Mutex<HashSet<String>>>,
}

impl Filesystem {
    pub(crate) fn new(
        procfs: &Path,
        rootfs: &Path,
        mount_points_exclude: Regex,
        fs_types_exclude: Regex,
        timeout: Duration,
        statfs: StatfsFn,
    ) -> Self {
        Filesystem {
            procfs: procfs.to_path_buf(),
            rootfs: rootfs.to_path_buf(),
            mount_points_exclude,
            fs_types_exclude,
            timeout,
            statfs,
            stuck: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// The mount table: `/proc/1/mounts` (the host's view when we run in a
    /// container with the host's /proc), else `/proc/mounts`.
    fn mounts(&self) -> Result<Vec<Mount>, CollectorError> {
        let first = self.procfs.join("1/mounts");
        let (path, text) = match read_string(&first) {
            Ok(t) => (first, t),
            Err(_) => {
                let p = self.procfs.join("mounts");
                let t = read_string(&p)?;
                (p, t)
            }
        };
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().take(MAX_MOUNTS) {
            let parts: Vec<&str> = line.split_ascii_whitespace().collect();
            if parts.len() < 4 {
                return Err(CollectorError::parse(&path, i + 1, "fewer than 4 fields"));
            }
            out.push(Mount {
                device: unescape_octal(parts[0]),
                mount_point: unescape_octal(parts[1]),
                fs_type: parts[2].to_string(),
                read_only: parts[3].split(',').any(|o| o == "ro"),
            });
        }
        Ok(out)
    }

    fn lock_stuck(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.stuck.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls statfs on every mount in parallel and waits until all
    /// answered or the timeout passed. `None` for a mount means "error".
    fn stat_all(&self, mounts: &[Mount]) -> Vec<Option<FsStats>> {
        let mut results: Vec<Option<FsStats>> = vec![None; mounts.len()];
        let mut pending: Vec<(usize, Arc<AtomicBool>)> = Vec::new();
        let (tx, rx) = mpsc::channel::<(usize, std::io::Result<FsStats>)>();
        for (i, m) in mounts.iter().enumerate() {
            if self.lock_stuck().contains(&m.mount_point) {
                continue;
            }
            let path = self.rootfs.join(m.mount_point.trim_start_matches('/'));
            let done = Arc::new(AtomicBool::new(false));
            let (tx, f, stuck, mp, d) = (
                tx.clone(),
                Arc::clone(&self.statfs),
                Arc::clone(&self.stuck),
                m.mount_point.clone(),
                Arc::clone(&done),
            );
            let spawned = std::thread::Builder::new()
                .name("statfs".into())
                .spawn(move || {
                    let r = f(&path);
                    {
                        let mut s = stuck.lock().unwrap_or_else(|p| p.into_inner());
                        d.store(true, Ordering::SeqCst);
                        s.remove(&mp);
                    }
                    let _ = tx.send((i, r));
                });
            if spawned.is_ok() {
                pending.push((i, done));
            }
        }
        drop(tx);
        let deadline = Instant::now() + self.timeout;
        let mut answered = 0;
        while answered < pending.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((i, r)) => {
                    answered += 1;
                    results[i] = r.ok();
                }
                Err(_) => break,
            }
        }
        let mut stuck = self.lock_stuck();
        for (i, done) in pending {
            if !done.load(Ordering::SeqCst) {
                stuck.insert(mounts[i].mount_point.clone());
            }
        }
        results
    }
}

impl Collector for Filesystem {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let mut seen = HashSet::new();
        let mounts: Vec<Mount> = self
            .mounts()?
            .into_iter()
            .filter(|m| {
                !self.mount_points_exclude.is_match(&m.mount_point)
                    && !self.fs_types_exclude.is_match(&m.fs_type)
            })
            .filter(|m| seen.insert((m.device.clone(), m.mount_point.clone(), m.fs_type.clone())))
            .collect();
        let stats = self.stat_all(&mounts);
        for (m, st) in mounts.iter().zip(stats) {
            let labels = [
                ("device", m.device.as_str()),
                ("fstype", m.fs_type.as_str()),
                ("mountpoint", m.mount_point.as_str()),
            ];
            out.gauge(
                "node_filesystem_device_error",
                "Whether an error occurred while getting statistics for the given device.",
                &labels,
                if st.is_some() { 0.0 } else { 1.0 },
            );
            out.gauge(
                "node_filesystem_readonly",
                "Filesystem read-only status.",
                &labels,
                if m.read_only { 1.0 } else { 0.0 },
            );
            let Some(s) = st else { continue };
            let bs = s.block_size as f64;
            for (name, help, v) in [
                (
                    "node_filesystem_size_bytes",
                    "Filesystem size in bytes.",
                    s.blocks as f64 * bs,
                ),
                (
                    "node_filesystem_free_bytes",
                    "Filesystem free space in bytes.",
                    s.bfree as f64 * bs,
                ),
                (
                    "node_filesystem_avail_bytes",
                    "Filesystem space available to non-root users in bytes.",
                    s.bavail as f64 * bs,
                ),
                (
                    "node_filesystem_files",
                    "Filesystem total file nodes.",
                    s.files as f64,
                ),
                (
                    "node_filesystem_files_free",
                    "Filesystem total free file nodes.",
                    s.ffree as f64,
                ),
            ] {
                out.gauge(name, help, &labels, v);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::Receiver;

    fn fixture(mounts: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc")).unwrap();
        std::fs::write(dir.path().join("proc/mounts"), mounts).unwrap();
        dir
    }

    fn collector(dir: &Path, timeout: Duration, f: StatfsFn) -> Filesystem {
        let cfg = crate::CollectorConfig::default();
        Filesystem::new(
            &dir.join("proc"),
            dir,
            cfg.filesystem_mount_points_exclude,
            cfg.filesystem_fs_types_exclude,
            timeout,
            f,
        )
    }

    fn value(fams: &[telltale_model::MetricFamily], name: &str, mp: &str) -> Option<f64> {
        fams.iter()
            .find(|f| f.name == name)?
            .samples
            .iter()
            .find(|s| s.labels.get("mountpoint") == mp)
            .map(|s| s.value)
    }

    #[test]
    fn hung_mount_is_device_error_and_not_retried_while_stuck() {
        let dir = fixture("/dev/vda / ext4 rw 0 0\nsrv:/x /mnt/nfs nfs4 rw 0 0\n");
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let c2 = Arc::clone(&calls);
        let f: StatfsFn = Arc::new(move |p: &Path| {
            if p.ends_with("mnt/nfs") {
                c2.fetch_add(1, Ordering::SeqCst);
                let rx: &Mutex<Receiver<()>> = &release_rx;
                let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(20));
            }
            Ok(FsStats {
                block_size: 4096,
                blocks: 10,
                bfree: 5,
                bavail: 4,
                files: 100,
                ffree: 50,
            })
        });
        // Generous: "/" must answer in time even on a loaded machine.
        let c = collector(dir.path(), Duration::from_millis(1500), f);
        let mut e = Emitter::new();
        c.update(&mut e).unwrap();
        let fams = e.into_families();
        assert_eq!(
            value(&fams, "node_filesystem_device_error", "/mnt/nfs"),
            Some(1.0)
        );
        assert_eq!(value(&fams, "node_filesystem_size_bytes", "/mnt/nfs"), None);
        assert_eq!(value(&fams, "node_filesystem_device_error", "/"), Some(0.0));
        assert_eq!(
            value(&fams, "node_filesystem_size_bytes", "/"),
            Some(40960.0)
        );

        // Still stuck: reported again without a second call.
        let mut e = Emitter::new();
        c.update(&mut e).unwrap();
        let fams = e.into_families();
        assert_eq!(
            value(&fams, "node_filesystem_device_error", "/mnt/nfs"),
            Some(1.0)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Once the hung call returns, the mount is tried again.
        release_tx.send(()).unwrap();
        for _ in 0..200 {
            if !c.lock_stuck().contains("/mnt/nfs") {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!c.lock_stuck().contains("/mnt/nfs"));
        release_tx.send(()).unwrap(); // lets the retry through at once
        let mut e = Emitter::new();
        c.update(&mut e).unwrap();
        let fams = e.into_families();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            value(&fams, "node_filesystem_device_error", "/mnt/nfs"),
            Some(0.0)
        );
    }

    #[test]
    fn mount_points_with_spaces_are_unescaped_and_duplicates_dropped() {
        let dir = fixture(
            "/dev/sdb1 /mnt/my\\040disk ext4 ro,relatime 0 0\n/dev/sdb1 /mnt/my\\040disk ext4 ro 0 0\nproc /proc proc rw 0 0\n",
        );
        let f: StatfsFn = Arc::new(|_: &Path| Ok(FsStats::default()));
        let c = collector(dir.path(), Duration::from_secs(5), f);
        let mut e = Emitter::new();
        c.update(&mut e).unwrap();
        let fams = e.into_families();
        let ro = fams
            .iter()
            .find(|f| f.name == "node_filesystem_readonly")
            .unwrap();
        assert_eq!(ro.samples.len(), 1);
        assert_eq!(ro.samples[0].labels.get("mountpoint"), "/mnt/my disk");
        assert_eq!(ro.samples[0].value, 1.0);
    }
}
