//! What the collectors read and which of them run: [`CollectorConfig`],
//! with node_exporter's defaults and its `--collector.X` flags.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::error::CollectorError;
use crate::registry::COLLECTORS;

/// node_exporter's default `--collector.filesystem.mount-points-exclude`.
pub const DEFAULT_MOUNT_POINTS_EXCLUDE: &str =
    "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
/// node_exporter's default `--collector.filesystem.fs-types-exclude`.
pub const DEFAULT_FS_TYPES_EXCLUDE: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
/// node_exporter's default `--collector.diskstats.device-exclude`.
pub const DEFAULT_DISKSTATS_DEVICE_EXCLUDE: &str =
    r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";
/// node_exporter's default `--collector.vmstat.fields`.
pub const DEFAULT_VMSTAT_FIELDS: &str = "^(oom_kill|pgpg|pswp|pg.*fault).*";
/// node_exporter's default `--collector.netstat.fields`.
pub const DEFAULT_NETSTAT_FIELDS: &str = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";
/// node_exporter's default `--collector.netclass.ignored-devices`.
pub const DEFAULT_NETCLASS_IGNORED_DEVICES: &str = "^$";

/// node_exporter collectors (Linux, 1.5) that this crate does not have.
/// `--no-collector.NAME` for one of them is accepted and does nothing, so
/// node_exporter command lines (`--no-collector.wifi`) carry over;
/// `--collector.NAME` is refused with [`CollectorError::BadFlag`].
pub const NODE_EXPORTER_ONLY: &[&str] = &[
    "bcache",
    "bonding",
    "btrfs",
    "buddyinfo",
    "cpufreq",
    "devstat",
    "dmi",
    "drbd",
    "drm",
    "edac",
    "ethtool",
    "fibrechannel",
    "infiniband",
    "interrupts",
    "ipvs",
    "ksmd",
    "lnstat",
    "logind",
    "mdadm",
    "meminfo_numa",
    "mountstats",
    "network_route",
    "nfs",
    "nfsd",
    "ntp",
    "nvme",
    "perf",
    "powersupplyclass",
    "processes",
    "qdisc",
    "rapl",
    "runit",
    "schedstat",
    "slabinfo",
    "supervisord",
    "sysctl",
    "systemd",
    "tapestats",
    "tcpstat",
    "timex",
    "wifi",
    "xfs",
    "zfs",
    "zoneinfo",
];

/// The most processes `processes_top` reports per ranking, whatever the
/// configuration asks: the bound on its label cardinality.
pub const MAX_PROCESSES_TOP_N: usize = 100;

/// Everything the collectors need to know. [`Default`] gives
/// node_exporter's defaults on the real `/proc`, `/sys` and `/`.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// Where procfs is mounted (`--path.procfs`).
    pub procfs: PathBuf,
    /// Where sysfs is mounted (`--path.sysfs`).
    pub sysfs: PathBuf,
    /// The root filesystem, prefixed to mount points and `/etc` files
    /// (`--path.rootfs`).
    pub rootfs: PathBuf,
    /// udev's database, for `node_disk_info`
    /// (`--collector.diskstats.udev-data-path`, under `/run`).
    pub udev_data: PathBuf,
    /// The enabled collectors, by node_exporter name.
    pub enabled: BTreeSet<String>,
    /// The directory of `*.prom` files for the textfile collector
    /// (`--collector.textfile.directory`); `None` reads nothing.
    pub textfile_dir: Option<PathBuf>,
    /// Mount points to leave out.
    pub filesystem_mount_points_exclude: Regex,
    /// Filesystem types to leave out.
    pub filesystem_fs_types_exclude: Regex,
    /// How long one `statvfs` may take before the mount is reported with
    /// `node_filesystem_device_error 1` (`--collector.filesystem.mount-timeout`).
    pub statfs_timeout: Duration,
    /// Block devices to leave out of diskstats.
    pub diskstats_device_exclude: Regex,
    /// Network devices to leave out of netclass.
    pub netclass_ignored_devices: Regex,
    /// Network devices to leave out of netdev (`None`: keep all).
    pub netdev_device_exclude: Option<Regex>,
    /// Which `/proc/vmstat` fields to report.
    pub vmstat_fields: Regex,
    /// Which `/proc/net/{netstat,snmp,snmp6}` fields to report.
    pub netstat_fields: Regex,
    /// How many processes `processes_top` reports by CPU and by memory
    /// (at most [`MAX_PROCESSES_TOP_N`]).
    pub processes_top_n: usize,
    /// The cgroup v2 hierarchy for the `cgroup` collector; `None` finds it
    /// under `sysfs` (`fs/cgroup`, or `fs/cgroup/unified` on hybrid hosts).
    pub cgroup_root: Option<PathBuf>,
    /// The most cgroups the `cgroup` collector reports.
    pub cgroup_max: usize,
}

/// Compiles one of the default patterns above (constants, checked by the
/// `defaults_compile` test, so this cannot fail at run time).
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("default patterns compile")
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            procfs: PathBuf::from("/proc"),
            sysfs: PathBuf::from("/sys"),
            rootfs: PathBuf::from("/"),
            udev_data: PathBuf::from("/run/udev/data"),
            enabled: COLLECTORS
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| n.to_string())
                .collect(),
            textfile_dir: None,
            filesystem_mount_points_exclude: re(DEFAULT_MOUNT_POINTS_EXCLUDE),
            filesystem_fs_types_exclude: re(DEFAULT_FS_TYPES_EXCLUDE),
            statfs_timeout: Duration::from_secs(5),
            diskstats_device_exclude: re(DEFAULT_DISKSTATS_DEVICE_EXCLUDE),
            netclass_ignored_devices: re(DEFAULT_NETCLASS_IGNORED_DEVICES),
            netdev_device_exclude: None,
            vmstat_fields: re(DEFAULT_VMSTAT_FIELDS),
            netstat_fields: re(DEFAULT_NETSTAT_FIELDS),
            processes_top_n: 10,
            cgroup_root: None,
            cgroup_max: 1000,
        }
    }
}

impl CollectorConfig {
    /// A default configuration whose `/proc`, `/sys` and `/` are under
    /// `root` (`root/proc`, `root/sys`, `root/`), as the golden tests use.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        CollectorConfig {
            procfs: root.join("proc"),
            sysfs: root.join("sys"),
            udev_data: root.join("run/udev/data"),
            rootfs: root,
            ..Default::default()
        }
    }

    /// Applies node_exporter-style flags in order:
    /// `--collector.NAME` enables, `--no-collector.NAME` disables,
    /// `--collector.disable-defaults` disables every collector, and
    /// `--collector.textfile.directory=DIR`,
    /// `--collector.filesystem.mount-points-exclude=RE`,
    /// `--collector.filesystem.fs-types-exclude=RE`,
    /// `--collector.filesystem.mount-timeout=SECONDS`,
    /// `--collector.diskstats.device-exclude=RE`,
    /// `--collector.vmstat.fields=RE`, `--collector.netstat.fields=RE`,
    /// `--collector.processes_top.n=N`, `--path.procfs=DIR`,
    /// `--path.sysfs=DIR` and `--path.rootfs=DIR` set the matching field.
    /// `--no-collector.NAME` for a node_exporter collector this crate does
    /// not have ([`NODE_EXPORTER_ONLY`]) is accepted and does nothing.
    ///
    /// # Errors
    ///
    /// [`CollectorError::UnknownCollector`] for a collector name this crate
    /// does not have, [`CollectorError::BadFlag`] for any other flag or a
    /// bad value, [`CollectorError::Regex`] for a pattern that does not
    /// compile. Flags before the bad one stay applied.
    pub fn apply_flags<S: AsRef<str>>(&mut self, flags: &[S]) -> Result<(), CollectorError> {
        for flag in flags {
            self.apply_flag(flag.as_ref())?;
        }
        Ok(())
    }

    fn apply_flag(&mut self, flag: &str) -> Result<(), CollectorError> {
        let bad = |msg: &str| CollectorError::BadFlag {
            flag: flag.to_string(),
            msg: msg.to_string(),
        };
        let compile = |p: &str| {
            Regex::new(p).map_err(|source| CollectorError::Regex {
                pattern: p.to_string(),
                source,
            })
        };
        if flag == "--collector.disable-defaults" {
            self.enabled.clear();
            return Ok(());
        }
        if let Some((key, value)) = flag.split_once('=') {
            match key {
                "--collector.textfile.directory" => {
                    self.textfile_dir = (!value.is_empty()).then(|| PathBuf::from(value));
                }
                "--collector.filesystem.mount-points-exclude" => {
                    self.filesystem_mount_points_exclude = compile(value)?;
                }
                "--collector.filesystem.fs-types-exclude" => {
                    self.filesystem_fs_types_exclude = compile(value)?;
                }
                "--collector.filesystem.mount-timeout" => {
                    let secs: f64 = value
                        .trim_end_matches('s')
                        .parse()
                        .map_err(|_| bad("want seconds"))?;
                    self.statfs_timeout = Duration::try_from_secs_f64(secs)
                        .map_err(|_| bad("want a non-negative number of seconds"))?;
                }
                "--collector.diskstats.device-exclude" => {
                    self.diskstats_device_exclude = compile(value)?;
                }
                "--collector.netclass.ignored-devices" => {
                    self.netclass_ignored_devices = compile(value)?;
                }
                "--collector.netdev.device-exclude" => {
                    self.netdev_device_exclude = Some(compile(value)?);
                }
                "--collector.vmstat.fields" => self.vmstat_fields = compile(value)?,
                "--collector.netstat.fields" => self.netstat_fields = compile(value)?,
                "--collector.processes_top.n" => {
                    self.processes_top_n = value.parse().map_err(|_| bad("want a count"))?;
                }
                "--path.procfs" => self.procfs = PathBuf::from(value),
                "--path.sysfs" => self.sysfs = PathBuf::from(value),
                "--path.rootfs" => self.rootfs = PathBuf::from(value),
                "--path.udev.data" => self.udev_data = PathBuf::from(value),
                _ => return Err(bad("unknown flag")),
            }
            return Ok(());
        }
        let (name, on) = if let Some(n) = flag.strip_prefix("--no-collector.") {
            (n, false)
        } else if let Some(n) = flag.strip_prefix("--collector.") {
            (n, true)
        } else {
            return Err(bad("not a collector flag"));
        };
        if !COLLECTORS.iter().any(|(n, _)| *n == name) {
            if NODE_EXPORTER_ONLY.contains(&name) {
                if on {
                    return Err(bad("a node_exporter collector Telltale does not have"));
                }
                return Ok(());
            }
            return Err(CollectorError::UnknownCollector(name.to_string()));
        }
        if on {
            self.enabled.insert(name.to_string());
        } else {
            self.enabled.remove(name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_compile() {
        for p in [
            DEFAULT_MOUNT_POINTS_EXCLUDE,
            DEFAULT_FS_TYPES_EXCLUDE,
            DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
            DEFAULT_VMSTAT_FIELDS,
            DEFAULT_NETSTAT_FIELDS,
            DEFAULT_NETCLASS_IGNORED_DEVICES,
        ] {
            assert!(Regex::new(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn default_excludes_match_node_exporter() {
        let c = CollectorConfig::default();
        assert!(c.filesystem_mount_points_exclude.is_match("/proc/sys"));
        assert!(c.filesystem_mount_points_exclude.is_match("/dev"));
        assert!(!c.filesystem_mount_points_exclude.is_match("/devices"));
        assert!(c.filesystem_fs_types_exclude.is_match("cgroup2"));
        assert!(!c.filesystem_fs_types_exclude.is_match("ext4"));
        assert!(c.diskstats_device_exclude.is_match("loop0"));
        assert!(c.diskstats_device_exclude.is_match("vda1"));
        assert!(c.diskstats_device_exclude.is_match("nvme0n1p2"));
        assert!(!c.diskstats_device_exclude.is_match("nvme0n1"));
        assert!(!c.diskstats_device_exclude.is_match("vda"));
        assert!(c.vmstat_fields.is_match("pgmajfault"));
        assert!(!c.vmstat_fields.is_match("nr_free_pages"));
        assert!(c.netstat_fields.is_match("TcpExt_ListenDrops"));
        assert!(!c.netstat_fields.is_match("Tcp_RtoMin"));
    }

    #[test]
    fn flags_enable_disable_and_set() {
        let mut c = CollectorConfig::default();
        assert!(c.enabled.contains("cpu"));
        assert!(!c.enabled.contains("cgroup"));
        c.apply_flags(&[
            "--no-collector.cpu",
            "--collector.cgroup",
            "--collector.textfile.directory=/tmp/x",
            "--collector.filesystem.mount-timeout=0.5",
        ])
        .unwrap();
        assert!(!c.enabled.contains("cpu"));
        assert!(c.enabled.contains("cgroup"));
        assert_eq!(c.textfile_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(c.statfs_timeout, Duration::from_millis(500));
        c.apply_flags(&["--collector.disable-defaults", "--collector.loadavg"])
            .unwrap();
        assert_eq!(c.enabled.iter().collect::<Vec<_>>(), vec!["loadavg"]);
    }

    #[test]
    fn bad_flags_are_refused() {
        let mut c = CollectorConfig::default();
        assert!(matches!(
            c.apply_flags(&["--collector.nope"]),
            Err(CollectorError::UnknownCollector(_))
        ));
        assert!(matches!(
            c.apply_flags(&["--collector.vmstat.fields=("]),
            Err(CollectorError::Regex { .. })
        ));
        assert!(matches!(
            c.apply_flags(&["--web.listen-address=:1"]),
            Err(CollectorError::BadFlag { .. })
        ));
        assert!(matches!(
            c.apply_flags(&["--collector.filesystem.mount-timeout=-1"]),
            Err(CollectorError::BadFlag { .. })
        ));
        assert!(matches!(
            c.apply_flags(&["--collector.systemd"]),
            Err(CollectorError::BadFlag { .. })
        ));
    }

    #[test]
    fn node_exporter_disables_of_collectors_we_lack_are_accepted() {
        let mut c = CollectorConfig::default();
        let before = c.enabled.clone();
        c.apply_flags(&["--no-collector.wifi", "--no-collector.timex"])
            .unwrap();
        assert_eq!(c.enabled, before);
        for (name, _) in COLLECTORS {
            assert!(
                !NODE_EXPORTER_ONLY.contains(name),
                "{name} is in both lists"
            );
        }
    }
}
