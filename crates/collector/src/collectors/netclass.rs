//! `netclass`: interface properties from `/sys/class/net/<iface>/`.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{dir_names, read_number, read_trimmed};
use crate::registry::Collector;

/// The most interfaces read (hosts with thousands of veths exist; the
/// bound keeps one scrape's cost and series count finite).
const MAX_IFACES: usize = 4096;

/// `(sysfs file, property name, counter?)`; the metric is
/// `node_network_<property>` with help `Network device property: <property>`.
const PROPERTIES: [(&str, &str, bool); 17] = [
    ("addr_assign_type", "address_assign_type", false),
    ("carrier", "carrier", false),
    ("carrier_changes", "carrier_changes_total", true),
    ("carrier_up_count", "carrier_up_changes_total", true),
    ("carrier_down_count", "carrier_down_changes_total", true),
    ("dev_id", "device_id", false),
    ("dormant", "dormant", false),
    ("flags", "flags", false),
    ("ifindex", "iface_id", false),
    ("iflink", "iface_link", false),
    ("link_mode", "iface_link_mode", false),
    ("mtu", "mtu_bytes", false),
    ("name_assign_type", "name_assign_type", false),
    ("netdev_group", "net_dev_group", false),
    ("speed", "speed_bytes", false),
    ("tx_queue_len", "transmit_queue_length", false),
    ("type", "protocol_type", false),
];

pub(crate) struct Netclass {
    dir: PathBuf,
    ignored: Regex,
}

impl Netclass {
    pub(crate) fn new(sysfs: &Path, ignored: Regex) -> Self {
        Netclass {
            dir: sysfs.join("class/net"),
            ignored,
        }
    }
}

impl Collector for Netclass {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        for dev in dir_names(&self.dir, MAX_IFACES)? {
            if self.ignored.is_match(&dev) {
                continue;
            }
            let d = self.dir.join(&dev);
            if !d.is_dir() {
                continue; // bonding_masters and other plain files
            }
            let operstate = read_trimmed(&d.join("operstate")).unwrap_or_default();
            out.gauge(
                "node_network_up",
                "Value is 1 if operstate is 'up', 0 otherwise.",
                &[("device", &dev)],
                if operstate == "up" { 1.0 } else { 0.0 },
            );
            let address = read_trimmed(&d.join("address")).unwrap_or_default();
            let broadcast = read_trimmed(&d.join("broadcast")).unwrap_or_default();
            let duplex = read_trimmed(&d.join("duplex")).unwrap_or_default();
            let ifalias = read_trimmed(&d.join("ifalias")).unwrap_or_default();
            out.gauge(
                "node_network_info",
                "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
                &[
                    ("device", &dev),
                    ("address", &address),
                    ("broadcast", &broadcast),
                    ("duplex", &duplex),
                    ("operstate", &operstate),
                    ("ifalias", &ifalias),
                ],
                1.0,
            );
            for (file, prop, counter) in PROPERTIES {
                // Attributes that do not apply (speed of a virtual device,
                // carrier of a down one) read as EINVAL: leave them out.
                let Some(mut v) = read_number(&d.join(file)) else {
                    continue;
                };
                if file == "speed" {
                    v *= 1000.0 * 1000.0 / 8.0; // Mbit/s to bytes/s
                }
                let name = format!("node_network_{prop}");
                let help = format!("Network device property: {prop}");
                if counter {
                    out.counter(&name, &help, &[("device", &dev)], v);
                } else {
                    out.gauge(&name, &help, &[("device", &dev)], v);
                }
            }
        }
        Ok(())
    }
}
