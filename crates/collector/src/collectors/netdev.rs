//! `netdev`: per-interface traffic counters from `/proc/net/dev` (and
//! `rx_nohandler` from sysfs).

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_number, read_string};
use crate::registry::Collector;

/// `/proc/net/dev` columns after the interface name.
const COLUMNS: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

pub(crate) struct Netdev {
    path: PathBuf,
    class_net: PathBuf,
    exclude: Option<Regex>,
}

impl Netdev {
    pub(crate) fn new(procfs: &Path, sysfs: &Path, exclude: Option<Regex>) -> Self {
        Netdev {
            path: procfs.join("net/dev"),
            class_net: sysfs.join("class/net"),
            exclude,
        }
    }
}

fn emit(out: &mut Emitter, stat: &str, dev: &str, v: f64) {
    out.counter(
        &format!("node_network_{stat}_total"),
        &format!("Network device statistic {stat}."),
        &[("device", dev)],
        v,
    );
}

impl Collector for Netdev {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        for (i, line) in text.lines().enumerate().skip(2) {
            let Some((dev, rest)) = line.rsplit_once(':') else {
                return Err(CollectorError::parse(&self.path, i + 1, "no ':'"));
            };
            let dev = dev.trim();
            if self.exclude.as_ref().is_some_and(|re| re.is_match(dev)) {
                continue;
            }
            let vals: Vec<&str> = rest.split_ascii_whitespace().collect();
            if vals.len() < COLUMNS.len() {
                return Err(CollectorError::parse(&self.path, i + 1, "short line"));
            }
            for (stat, v) in COLUMNS.iter().zip(&vals) {
                emit(out, stat, dev, field(&self.path, i + 1, v)?);
            }
            let nohandler = self.class_net.join(dev).join("statistics/rx_nohandler");
            if let Some(v) = read_number(&nohandler) {
                emit(out, "receive_nohandler", dev, v);
            }
        }
        Ok(())
    }
}
