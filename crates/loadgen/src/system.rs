//! The three systems as processes: how to start each fresh on loopback,
//! where it listens, how to make it persist, and what it costs (from
//! `/proc/PID`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Which system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Telltale (`telltale serve`).
    Telltale,
    /// Prometheus 2.x/3.x with the remote write receiver.
    Prometheus,
    /// VictoriaMetrics single node.
    VictoriaMetrics,
}

impl Kind {
    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Telltale => "Telltale",
            Kind::Prometheus => "Prometheus",
            Kind::VictoriaMetrics => "VictoriaMetrics",
        }
    }

    /// Parses `telltale`, `prometheus`, `vm`/`victoria-metrics`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "telltale" | "tt" => Some(Kind::Telltale),
            "prometheus" | "prom" => Some(Kind::Prometheus),
            "vm" | "victoria-metrics" | "victoriametrics" => Some(Kind::VictoriaMetrics),
            _ => None,
        }
    }
}

/// A system to run: its kind and binary.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Which system.
    pub kind: Kind,
    /// Its executable.
    pub binary: PathBuf,
}

/// A running server; dropped means killed.
#[derive(Debug)]
pub struct Server {
    /// What it is.
    pub spec: Spec,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    child: Child,
}

/// A free loopback port (bound, read, released).
///
/// # Errors
///
/// [`Error::Io`] when no port can be bound.
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("bind", "127.0.0.1:0", e))?;
    let port = l
        .local_addr()
        .map_err(|e| Error::io("local_addr", "127.0.0.1:0", e))?;
    Ok(port.port())
}

impl Spec {
    fn command(
        &self,
        data_dir: &Path,
        addr: &str,
        log: &Path,
        config: Option<&Path>,
    ) -> Result<Command> {
        let mut c = Command::new(&self.binary);
        match self.kind {
            Kind::Telltale => {
                if let Some(cfg) = config {
                    c.arg("serve").arg("--config").arg(cfg);
                } else {
                    c.arg("serve");
                }
                c.arg("--listen")
                    .arg(addr)
                    .arg("--data-dir")
                    .arg(data_dir)
                    .args([
                        "--no-host-metrics",
                        "--no-default-rules",
                        "--web.enable-admin-api",
                    ]);
            }
            Kind::Prometheus => {
                // Without a configuration: no scrapes, not even of itself.
                let cfg = match config {
                    Some(c) => c.to_path_buf(),
                    None => {
                        let cfg = data_dir.with_extension("yml");
                        std::fs::write(&cfg, "global: {}\nscrape_configs: []\n")
                            .map_err(|e| Error::io("write", &cfg, e))?;
                        cfg
                    }
                };
                c.arg(format!("--config.file={}", cfg.display()))
                    .arg(format!("--storage.tsdb.path={}", data_dir.display()))
                    .arg(format!("--web.listen-address={addr}"))
                    .args([
                        "--web.enable-remote-write-receiver",
                        "--web.enable-admin-api",
                    ]);
            }
            Kind::VictoriaMetrics => {
                // The rollup result cache is off: repeated identical
                // queries would otherwise measure the cache, not the engine.
                c.arg(format!("-storageDataPath={}", data_dir.display()))
                    .arg(format!("-httpListenAddr={addr}"))
                    .args(["-search.disableCache", "-loggerLevel=ERROR"])
                    // Fresh scrapes answer at once, as in the other two
                    // (the ingest data is minutes old either way).
                    .arg("-search.latencyOffset=1s");
                if let Some(cfg) = config {
                    c.arg(format!("-promscrape.config={}", cfg.display()));
                }
            }
        }
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io("open", log, e))?;
        let err = out.try_clone().map_err(|e| Error::io("dup", log, e))?;
        c.stdin(Stdio::null()).stdout(out).stderr(err);
        Ok(c)
    }

    /// Starts the server on `addr` over `data_dir` (created if missing),
    /// logging to `data_dir.log`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be spawned.
    pub fn start(&self, data_dir: &Path, addr: &str) -> Result<Server> {
        self.start_with(data_dir, addr, None)
    }

    /// [`Spec::start`] with a Prometheus-format scrape configuration file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be spawned.
    pub fn start_with(&self, data_dir: &Path, addr: &str, config: Option<&Path>) -> Result<Server> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::io("create", data_dir, e))?;
        let log = data_dir.with_extension("log");
        let child = self
            .command(data_dir, addr, &log, config)?
            .spawn()
            .map_err(|e| Error::io("spawn", &self.binary, e))?;
        Ok(Server {
            spec: self.clone(),
            data_dir: data_dir.to_path_buf(),
            addr: addr.to_string(),
            child,
        })
    }
}

impl Server {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The remote write URL.
    pub fn write_url(&self) -> String {
        format!("{}/api/v1/write", self.base())
    }

    /// The readiness probe's URL.
    pub fn ready_url(&self) -> String {
        match self.spec.kind {
            Kind::VictoriaMetrics => format!("{}/health", self.base()),
            _ => format!("{}/-/ready", self.base()),
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Asks the process to stop (SIGTERM through `kill`), waits up to
    /// `grace`, then kills it.
    ///
    /// # Errors
    ///
    /// [`Error::Process`] when it is still running after the kill.
    pub fn stop(&mut self, grace: Duration) -> Result<()> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if !self.alive() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().map(|_| ()).map_err(|e| Error::Process {
            system: self.spec.kind.name().into(),
            message: format!("could not reap: {e}"),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Clock ticks per second of `/proc/PID/stat` CPU times (`getconf
/// CLK_TCK`, 100 on Linux if that fails).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process so far.
pub fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command (which may hold spaces) in parentheses.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after ')'.
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// Resident memory (VmRSS) of a process in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Apparent size in bytes of every regular file under `dir`, following
/// symbolic links (each file and directory counted once, so hard links
/// and link cycles are harmless), skipping top-level entries named in
/// `skip`.
pub fn dir_bytes(dir: &Path, skip: &[&str]) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut seen_dirs = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for ent in rd.flatten() {
            if depth == 0 && skip.iter().any(|s| ent.file_name() == **s) {
                continue;
            }
            // Follows symbolic links: VictoriaMetrics' snapshots are links
            // to per-partition snapshot directories.
            let Ok(md) = std::fs::metadata(ent.path()) else {
                continue;
            };
            if md.is_dir() {
                if depth < 32 && seen_dirs.insert((md.dev(), md.ino())) {
                    stack.push((ent.path(), depth + 1));
                }
            } else if md.is_file() && seen.insert((md.dev(), md.ino())) {
                total += md.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        assert!(cpu_seconds(pid, clock_ticks()).unwrap() >= 0.0);
        assert!(cpu_seconds(u32::MAX, 100.0).is_none());
    }

    #[test]
    fn dir_bytes_counts_hard_links_once_and_skips() {
        let d = std::env::temp_dir().join(format!("loadgen-du-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::create_dir_all(d.join("wal")).unwrap();
        std::fs::write(d.join("a/b/x"), [0u8; 100]).unwrap();
        std::fs::hard_link(d.join("a/b/x"), d.join("a/y")).unwrap();
        std::fs::write(d.join("wal/0"), [0u8; 50]).unwrap();
        std::os::unix::fs::symlink(d.join("a"), d.join("a/b/loop")).unwrap();
        assert_eq!(dir_bytes(&d, &[]), 150);
        assert_eq!(dir_bytes(&d, &["wal"]), 100);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn parses_kinds() {
        assert_eq!(Kind::parse("VM"), Some(Kind::VictoriaMetrics));
        assert_eq!(Kind::parse("prometheus"), Some(Kind::Prometheus));
        assert_eq!(Kind::parse("x"), None);
    }
}
