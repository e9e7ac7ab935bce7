//! `uname`, `os` and `time`: what the machine is and what time it thinks
//! it is.

use std::path::{Path, PathBuf};

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{dir_names, read_string, read_string_limit, read_trimmed};
use crate::registry::Collector;

/// `uname`: `node_uname_info`, read from `/proc/sys/kernel` so that it
/// follows `--path.procfs` (the machine comes from `uname(2)`).
pub(crate) struct Uname {
    kernel: PathBuf,
}

impl Uname {
    pub(crate) fn new(procfs: &Path) -> Self {
        Uname {
            kernel: procfs.join("sys/kernel"),
        }
    }
}

impl Collector for Uname {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let get = |f: &str| {
            let p = self.kernel.join(f);
            read_string_limit(&p, 4096).map(|s| s.trim_end_matches('\n').to_string())
        };
        let uts = rustix::system::uname();
        let machine = uts.machine().to_string_lossy().into_owned();
        let (sysname, nodename, release, version, domainname) = (
            get("ostype")?,
            get("hostname")?,
            get("osrelease")?,
            get("version")?,
            get("domainname")?,
        );
        out.gauge(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            &[
                ("domainname", &domainname),
                ("machine", &machine),
                ("nodename", &nodename),
                ("release", &release),
                ("sysname", &sysname),
                ("version", &version),
            ],
            1.0,
        );
        Ok(())
    }
}

/// `os`: `node_os_info` and `node_os_version` from os-release(5).
pub(crate) struct Os {
    files: [PathBuf; 2],
}

impl Os {
    pub(crate) fn new(rootfs: &Path) -> Self {
        Os {
            files: [
                rootfs.join("etc/os-release"),
                rootfs.join("usr/lib/os-release"),
            ],
        }
    }
}

/// The `os-release` keys that become `node_os_info` labels.
const OS_KEYS: [(&str, &str); 12] = [
    ("BUILD_ID", "build_id"),
    ("ID", "id"),
    ("ID_LIKE", "id_like"),
    ("IMAGE_ID", "image_id"),
    ("IMAGE_VERSION", "image_version"),
    ("NAME", "name"),
    ("PRETTY_NAME", "pretty_name"),
    ("VARIANT", "variant"),
    ("VARIANT_ID", "variant_id"),
    ("VERSION", "version"),
    ("VERSION_CODENAME", "version_codename"),
    ("VERSION_ID", "version_id"),
];

/// Parses os-release's shell-like `KEY=value` lines (quotes and
/// backslash escapes removed).
pub(crate) fn parse_os_release(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let quoted = v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')));
        let inner = if quoted { &v[1..v.len() - 1] } else { v };
        let mut val = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    val.push(n);
                }
            } else {
                val.push(c);
            }
        }
        out.push((k.trim().to_string(), val));
    }
    out
}

/// The leading `major[.minor]` of a VERSION_ID as a number.
fn version_number(v: &str) -> f64 {
    let end = v
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit() && *c != '.')
        .map_or(v.len(), |(i, _)| i);
    let mut parts = v[..end].split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("");
    let s = if minor.is_empty() {
        major.to_string()
    } else {
        format!("{major}.{minor}")
    };
    s.parse().unwrap_or(0.0)
}

impl Collector for Os {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = match read_string(&self.files[0]) {
            Ok(t) => t,
            Err(_) => read_string(&self.files[1])?,
        };
        let kv = parse_os_release(&text);
        let get = |key: &str| {
            kv.iter()
                .rev()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.as_str())
        };
        let labels: Vec<(&str, &str)> = OS_KEYS.iter().map(|(k, l)| (*l, get(k))).collect();
        out.gauge(
            "node_os_info",
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
            &labels,
            1.0,
        );
        out.gauge(
            "node_os_version",
            "Metric containing the major.minor part of the OS version.",
            &[
                ("id", get("ID")),
                ("id_like", get("ID_LIKE")),
                ("name", get("NAME")),
            ],
            version_number(get("VERSION_ID")),
        );
        Ok(())
    }
}

/// `time`: the clock, the time zone offset and the clock sources.
pub(crate) struct Time {
    localtime: PathBuf,
    clocksource: PathBuf,
}

impl Time {
    pub(crate) fn new(rootfs: &Path, sysfs: &Path) -> Self {
        Time {
            localtime: rootfs.join("etc/localtime"),
            clocksource: sysfs.join("devices/system/clocksource"),
        }
    }
}

impl Collector for Time {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        out.gauge(
            "node_time_seconds",
            "System time in seconds since epoch (1970).",
            &[],
            now,
        );
        let (offset, zone) = std::fs::read(&self.localtime)
            .ok()
            .and_then(|b| crate::collectors::tzif::zone_at(&b, now as i64))
            .unwrap_or((0, "UTC".to_string()));
        out.gauge(
            "node_time_zone_offset_seconds",
            "System time zone offset in seconds.",
            &[("time_zone", &zone)],
            offset as f64,
        );
        // Not every machine exposes clock sources; that is not an error.
        let Ok(names) = dir_names(&self.clocksource, 64) else {
            return Ok(());
        };
        for name in names {
            let Some(n) = name.strip_prefix("clocksource") else {
                continue;
            };
            let dir = self.clocksource.join(&name);
            if let Some(avail) = read_trimmed(&dir.join("available_clocksource")) {
                for cs in avail.split_ascii_whitespace() {
                    out.gauge(
                        "node_time_clocksource_available_info",
                        "Available clocksources read from '/sys/devices/system/clocksource'.",
                        &[("clocksource", cs), ("device", n)],
                        1.0,
                    );
                }
            }
            if let Some(cur) = read_trimmed(&dir.join("current_clocksource")) {
                out.gauge(
                    "node_time_clocksource_current_info",
                    "Current clocksource read from '/sys/devices/system/clocksource'.",
                    &[("clocksource", &cur), ("device", n)],
                    1.0,
                );
            }
        }
        Ok(())
    }
}

/// `selinux`: whether SELinux is enabled and its modes.
pub(crate) struct Selinux {
    selinuxfs: PathBuf,
    config: PathBuf,
}

impl Selinux {
    pub(crate) fn new(sysfs: &Path, rootfs: &Path) -> Self {
        Selinux {
            selinuxfs: sysfs.join("fs/selinux"),
            config: rootfs.join("etc/selinux/config"),
        }
    }
}

/// SELinux modes as node_exporter numbers them.
fn selinux_mode(word: &str) -> f64 {
    match word.trim().to_ascii_lowercase().as_str() {
        "enforcing" | "1" => 1.0,
        "permissive" | "0" => 0.0,
        _ => -1.0,
    }
}

impl Collector for Selinux {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let enforce = read_trimmed(&self.selinuxfs.join("enforce"));
        out.gauge(
            "node_selinux_enabled",
            "SELinux is enabled, 1 is true, 0 is false",
            &[],
            if enforce.is_some() { 1.0 } else { 0.0 },
        );
        let Some(enforce) = enforce else {
            return Ok(());
        };
        out.gauge(
            "node_selinux_current_mode",
            "Current SELinux enforcement mode",
            &[],
            selinux_mode(&enforce),
        );
        let config = read_string_limit(&self.config, 64 << 10).unwrap_or_default();
        let configured = parse_os_release(&config)
            .into_iter()
            .rev()
            .find(|(k, _)| k == "SELINUX")
            .map_or(-1.0, |(_, v)| selinux_mode(&v));
        out.gauge(
            "node_selinux_config_mode",
            "Configured SELinux enforcement mode",
            &[],
            configured,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes_and_escapes() {
        let kv = parse_os_release(
            "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nPRETTY_NAME='A \\\"b\\\"'\nVERSION_ID=\"12\"\n",
        );
        assert_eq!(kv[0], ("NAME".into(), "Debian GNU/Linux".into()));
        assert_eq!(kv[1], ("ID".into(), "debian".into()));
        assert_eq!(kv[2].1, "A \"b\"");
    }

    #[test]
    fn version_numbers_keep_major_minor() {
        assert_eq!(version_number("12"), 12.0);
        assert_eq!(version_number("22.04"), 22.04);
        assert_eq!(version_number("3.18.4"), 3.18);
        assert_eq!(version_number("rolling"), 0.0);
        assert_eq!(version_number(""), 0.0);
    }
}
