//! `diskstats`: block device I/O counters from `/proc/diskstats` and
//! `node_disk_info` from udev's database.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string, read_string_limit};
use crate::registry::Collector;

/// Bytes per sector in `/proc/diskstats` (always 512, whatever the device).
const SECTOR: f64 = 512.0;
const MS: f64 = 0.001;

/// `(column after the name, metric, help, counter?, scale)`, in
/// `/proc/diskstats` column order (Documentation/admin-guide/iostats.rst).
const FIELDS: [(&str, &str, bool, f64); 17] = [
    (
        "node_disk_reads_completed_total",
        "The total number of reads completed successfully.",
        true,
        1.0,
    ),
    (
        "node_disk_reads_merged_total",
        "The total number of reads merged.",
        true,
        1.0,
    ),
    (
        "node_disk_read_bytes_total",
        "The total number of bytes read successfully.",
        true,
        SECTOR,
    ),
    (
        "node_disk_read_time_seconds_total",
        "The total number of seconds spent by all reads.",
        true,
        MS,
    ),
    (
        "node_disk_writes_completed_total",
        "The total number of writes completed successfully.",
        true,
        1.0,
    ),
    (
        "node_disk_writes_merged_total",
        "The number of writes merged.",
        true,
        1.0,
    ),
    (
        "node_disk_written_bytes_total",
        "The total number of bytes written successfully.",
        true,
        SECTOR,
    ),
    (
        "node_disk_write_time_seconds_total",
        "This is the total number of seconds spent by all writes.",
        true,
        MS,
    ),
    (
        "node_disk_io_now",
        "The number of I/Os currently in progress.",
        false,
        1.0,
    ),
    (
        "node_disk_io_time_seconds_total",
        "Total seconds spent doing I/Os.",
        true,
        MS,
    ),
    (
        "node_disk_io_time_weighted_seconds_total",
        "The weighted # of seconds spent doing I/Os.",
        true,
        MS,
    ),
    (
        "node_disk_discards_completed_total",
        "The total number of discards completed successfully.",
        true,
        1.0,
    ),
    (
        "node_disk_discards_merged_total",
        "The total number of discards merged.",
        true,
        1.0,
    ),
    (
        "node_disk_discarded_sectors_total",
        "The total number of sectors discarded successfully.",
        true,
        1.0,
    ),
    (
        "node_disk_discard_time_seconds_total",
        "This is the total number of seconds spent by all discards.",
        true,
        MS,
    ),
    (
        "node_disk_flush_requests_total",
        "The total number of flush requests completed successfully",
        true,
        1.0,
    ),
    (
        "node_disk_flush_requests_time_seconds_total",
        "This is the total number of seconds spent by all flush requests.",
        true,
        MS,
    ),
];

/// udev properties that become `node_disk_info` labels.
const UDEV_LABELS: [(&str, &str); 5] = [
    ("ID_PATH", "path"),
    ("ID_WWN", "wwn"),
    ("ID_MODEL", "model"),
    ("ID_SERIAL_SHORT", "serial"),
    ("ID_REVISION", "revision"),
];

pub(crate) struct Diskstats {
    path: PathBuf,
    udev: PathBuf,
    exclude: Regex,
}

impl Diskstats {
    pub(crate) fn new(procfs: &Path, udev: &Path, exclude: Regex) -> Self {
        Diskstats {
            path: procfs.join("diskstats"),
            udev: udev.to_path_buf(),
            exclude,
        }
    }

    /// The udev properties of device `major:minor` (empty if udev has no
    /// record, as in containers and minimal VMs).
    fn udev_info(&self, major: &str, minor: &str) -> Vec<(&'static str, String)> {
        let Ok(text) = read_string_limit(&self.udev.join(format!("b{major}:{minor}")), 1 << 20)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for line in text.lines() {
            let Some(kv) = line.strip_prefix("E:") else {
                continue;
            };
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            if let Some((_, label)) = UDEV_LABELS.iter().find(|(key, _)| *key == k) {
                out.push((*label, v.to_string()));
            }
        }
        out
    }
}

impl Collector for Diskstats {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        for (i, line) in text.lines().enumerate() {
            let parts: Vec<&str> = line.split_ascii_whitespace().collect();
            if parts.len() < 14 {
                return Err(CollectorError::parse(
                    &self.path,
                    i + 1,
                    "fewer than 14 fields",
                ));
            }
            let (major, minor, dev) = (parts[0], parts[1], parts[2]);
            if self.exclude.is_match(dev) {
                continue;
            }
            let info = self.udev_info(major, minor);
            let mut labels: Vec<(&str, &str)> =
                vec![("device", dev), ("major", major), ("minor", minor)];
            labels.extend(info.iter().map(|(k, v)| (*k, v.as_str())));
            out.gauge(
                "node_disk_info",
                "Info of /sys/block/<block_device>.",
                &labels,
                1.0,
            );
            for ((name, help, counter, scale), v) in FIELDS.iter().zip(&parts[3..]) {
                let v = field(&self.path, i + 1, v)? * scale;
                if *counter {
                    out.counter(name, help, &[("device", dev)], v);
                } else {
                    out.gauge(name, help, &[("device", dev)], v);
                }
            }
        }
        Ok(())
    }
}
