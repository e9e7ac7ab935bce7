//! One module per subsystem; [`build`] makes a collector from its name.

pub(crate) mod cgroup;
pub(crate) mod cpu;
pub(crate) mod diskstats;
pub mod filesystem;
pub(crate) mod meminfo;
pub(crate) mod net_misc;
pub(crate) mod netclass;
pub(crate) mod netdev;
pub(crate) mod netstat;
pub(crate) mod processes_top;
pub(crate) mod sensors;
pub(crate) mod small;
pub(crate) mod stat;
pub(crate) mod system;
pub(crate) mod textfile;
pub(crate) mod tzif;
pub(crate) mod vmstat;

use std::sync::Arc;

use crate::config::CollectorConfig;
use crate::error::CollectorError;
use crate::registry::Collector;
use filesystem::StatfsFn;

/// Builds the collector called `name` from `cfg`.
pub(crate) fn build(
    name: &str,
    cfg: &CollectorConfig,
    statfs: &StatfsFn,
) -> Result<Box<dyn Collector>, CollectorError> {
    let p = &cfg.procfs;
    Ok(match name {
        "arp" => Box::new(net_misc::Arp::new(p)),
        "cgroup" => Box::new(cgroup::Cgroup::new(
            cfg.cgroup_root
                .clone()
                .unwrap_or_else(|| cgroup::find_root(&cfg.sysfs)),
            &cfg.sysfs,
            &cfg.rootfs,
            cfg.cgroup_max,
        )),
        "conntrack" => Box::new(small::Conntrack::new(p)),
        "cpu" => Box::new(cpu::Cpu::new(p)),
        "diskstats" => Box::new(diskstats::Diskstats::new(
            p,
            &cfg.udev_data,
            cfg.diskstats_device_exclude.clone(),
        )),
        "entropy" => Box::new(small::Entropy::new(p)),
        "filefd" => Box::new(small::Filefd::new(p)),
        "filesystem" => Box::new(filesystem::Filesystem::new(
            p,
            &cfg.rootfs,
            cfg.filesystem_mount_points_exclude.clone(),
            cfg.filesystem_fs_types_exclude.clone(),
            cfg.statfs_timeout,
            Arc::clone(statfs),
        )),
        "hwmon" => Box::new(sensors::Hwmon::new(&cfg.sysfs)),
        "loadavg" => Box::new(small::Loadavg::new(p)),
        "meminfo" => Box::new(meminfo::Meminfo::new(p)),
        "netclass" => Box::new(netclass::Netclass::new(
            &cfg.sysfs,
            cfg.netclass_ignored_devices.clone(),
        )),
        "netdev" => Box::new(netdev::Netdev::new(
            p,
            &cfg.sysfs,
            cfg.netdev_device_exclude.clone(),
        )),
        "netstat" => Box::new(netstat::Netstat::new(p, cfg.netstat_fields.clone())),
        "os" => Box::new(system::Os::new(&cfg.rootfs)),
        "pressure" => Box::new(vmstat::Pressure::new(p)),
        "processes_top" => Box::new(processes_top::ProcessesTop::new(p, cfg.processes_top_n)),
        "selinux" => Box::new(system::Selinux::new(&cfg.sysfs, &cfg.rootfs)),
        "sockstat" => Box::new(netstat::Sockstat::new(p)),
        "softnet" => Box::new(net_misc::Softnet::new(p)),
        "stat" => Box::new(stat::Stat::new(p)),
        "textfile" => Box::new(textfile::Textfile::new(cfg.textfile_dir.as_deref())),
        "thermal_zone" => Box::new(sensors::ThermalZone::new(&cfg.sysfs)),
        "time" => Box::new(system::Time::new(&cfg.rootfs, &cfg.sysfs)),
        "udp_queues" => Box::new(net_misc::UdpQueues::new(p)),
        "uname" => Box::new(system::Uname::new(p)),
        "vmstat" => Box::new(vmstat::Vmstat::new(p, cfg.vmstat_fields.clone())),
        other => return Err(CollectorError::UnknownCollector(other.to_string())),
    })
}
