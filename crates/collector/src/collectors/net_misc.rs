//! Small network collectors: `arp` (neighbour entries per device),
//! `softnet` (per-CPU packet processing) and `udp_queues` (memory queued
//! in UDP sockets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::read_string;
use crate::registry::Collector;

/// `arp`: `node_arp_entries{device}` from `/proc/net/arp`.
pub(crate) struct Arp {
    path: PathBuf,
}

impl Arp {
    pub(crate) fn new(procfs: &Path) -> Self {
        Arp {
            path: procfs.join("net/arp"),
        }
    }
}

impl Collector for Arp {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.len() < 6 {
                return Err(CollectorError::parse(
                    &self.path,
                    i + 1,
                    "fewer than 6 fields",
                ));
            }
            *counts.entry(f[5]).or_default() += 1.0;
        }
        for (dev, n) in counts {
            out.gauge(
                "node_arp_entries",
                "ARP entries by device",
                &[("device", dev)],
                n,
            );
        }
        Ok(())
    }
}

/// `softnet`: `/proc/net/softnet_stat`, one hexadecimal line per CPU.
pub(crate) struct Softnet {
    path: PathBuf,
}

impl Softnet {
    pub(crate) fn new(procfs: &Path) -> Self {
        Softnet {
            path: procfs.join("net/softnet_stat"),
        }
    }
}

impl Collector for Softnet {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.len() < 3 {
                return Err(CollectorError::parse(
                    &self.path,
                    i + 1,
                    "fewer than 3 fields",
                ));
            }
            let hex = |s: &str| {
                u64::from_str_radix(s, 16).map(|v| v as f64).map_err(|_| {
                    CollectorError::parse(&self.path, i + 1, format!("not hex: {s:?}"))
                })
            };
            let cpu = i.to_string();
            let labels = [("cpu", cpu.as_str())];
            out.counter(
                "node_softnet_processed_total",
                "Number of processed packets",
                &labels,
                hex(f[0])?,
            );
            out.counter(
                "node_softnet_dropped_total",
                "Number of dropped packets",
                &labels,
                hex(f[1])?,
            );
            out.counter(
                "node_softnet_times_squeezed_total",
                "Number of times processing packets ran out of quota",
                &labels,
                hex(f[2])?,
            );
        }
        Ok(())
    }
}

/// `udp_queues`: the bytes queued in UDP sockets, summed over sockets,
/// from the `tx_queue:rx_queue` column of `/proc/net/udp` and `udp6`.
pub(crate) struct UdpQueues {
    net: PathBuf,
}

impl UdpQueues {
    pub(crate) fn new(procfs: &Path) -> Self {
        UdpQueues {
            net: procfs.join("net"),
        }
    }

    fn sums(path: &Path) -> Result<(f64, f64), CollectorError> {
        let text = read_string(path)?;
        let (mut tx, mut rx) = (0.0, 0.0);
        for (i, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            let queues = f
                .get(4)
                .and_then(|q| q.split_once(':'))
                .ok_or_else(|| CollectorError::parse(path, i + 1, "no tx_queue:rx_queue"))?;
            let hex = |s: &str| {
                u64::from_str_radix(s, 16)
                    .map(|v| v as f64)
                    .map_err(|_| CollectorError::parse(path, i + 1, format!("not hex: {s:?}")))
            };
            tx += hex(queues.0)?;
            rx += hex(queues.1)?;
        }
        Ok((tx, rx))
    }
}

impl Collector for UdpQueues {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        for (file, ip) in [("udp", "v4"), ("udp6", "v6")] {
            let path = self.net.join(file);
            if ip == "v6" && !path.exists() {
                continue; // IPv6 disabled
            }
            let (tx, rx) = Self::sums(&path)?;
            let help = "Number of allocated memory in the kernel for UDP datagrams in bytes.";
            out.gauge("node_udp_queues", help, &[("ip", ip), ("queue", "tx")], tx);
            out.gauge("node_udp_queues", help, &[("ip", ip), ("queue", "rx")], rx);
        }
        Ok(())
    }
}
