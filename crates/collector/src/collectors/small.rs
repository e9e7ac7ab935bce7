//! The collectors that read one or two small files each: `loadavg`,
//! `filefd`, `entropy` and `conntrack`.

use std::path::{Path, PathBuf};

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string, read_trimmed};
use crate::registry::Collector;

/// `loadavg`: `node_load1`, `node_load5`, `node_load15`.
pub(crate) struct Loadavg {
    path: PathBuf,
}

impl Loadavg {
    pub(crate) fn new(procfs: &Path) -> Self {
        Loadavg {
            path: procfs.join("loadavg"),
        }
    }
}

impl Collector for Loadavg {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        let parts: Vec<&str> = text.split_ascii_whitespace().collect();
        if parts.len() < 3 {
            return Err(CollectorError::parse(&self.path, 1, "fewer than 3 fields"));
        }
        for (name, help, v) in [
            ("node_load1", "1m load average.", parts[0]),
            ("node_load5", "5m load average.", parts[1]),
            ("node_load15", "15m load average.", parts[2]),
        ] {
            out.gauge(name, help, &[], field(&self.path, 1, v)?);
        }
        Ok(())
    }
}

/// `filefd`: `node_filefd_allocated` and `node_filefd_maximum` from
/// `/proc/sys/fs/file-nr`.
pub(crate) struct Filefd {
    path: PathBuf,
}

impl Filefd {
    pub(crate) fn new(procfs: &Path) -> Self {
        Filefd {
            path: procfs.join("sys/fs/file-nr"),
        }
    }
}

impl Collector for Filefd {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        let parts: Vec<&str> = text.split_ascii_whitespace().collect();
        if parts.len() < 3 {
            return Err(CollectorError::parse(&self.path, 1, "fewer than 3 fields"));
        }
        out.gauge(
            "node_filefd_allocated",
            "File descriptor statistics: allocated.",
            &[],
            field(&self.path, 1, parts[0])?,
        );
        out.gauge(
            "node_filefd_maximum",
            "File descriptor statistics: maximum.",
            &[],
            field(&self.path, 1, parts[2])?,
        );
        Ok(())
    }
}

/// `entropy`: the kernel's entropy pool.
pub(crate) struct Entropy {
    dir: PathBuf,
}

impl Entropy {
    pub(crate) fn new(procfs: &Path) -> Self {
        Entropy {
            dir: procfs.join("sys/kernel/random"),
        }
    }
}

/// Reads a file that holds one number, as an error if it cannot.
fn read_one(path: &Path) -> Result<f64, CollectorError> {
    let s = read_string(path)?;
    field(path, 1, s.trim())
}

impl Collector for Entropy {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        out.gauge(
            "node_entropy_available_bits",
            "Bits of available entropy.",
            &[],
            read_one(&self.dir.join("entropy_avail"))?,
        );
        out.gauge(
            "node_entropy_pool_size_bits",
            "Bits of entropy pool.",
            &[],
            read_one(&self.dir.join("poolsize"))?,
        );
        Ok(())
    }
}

/// `conntrack`: the connection-tracking table's size and statistics.
pub(crate) struct Conntrack {
    sys: PathBuf,
    stat: PathBuf,
}

impl Conntrack {
    pub(crate) fn new(procfs: &Path) -> Self {
        Conntrack {
            sys: procfs.join("sys/net/netfilter"),
            stat: procfs.join("net/stat/nf_conntrack"),
        }
    }
}

/// The `/proc/net/stat/nf_conntrack` columns node_exporter reports, with
/// their metric names and help.
const CONNTRACK_STATS: [(&str, &str, &str); 8] = [
    (
        "found",
        "node_nf_conntrack_stat_found",
        "Number of searched entries which were successful.",
    ),
    (
        "invalid",
        "node_nf_conntrack_stat_invalid",
        "Number of packets seen which can not be tracked.",
    ),
    (
        "ignore",
        "node_nf_conntrack_stat_ignore",
        "Number of packets seen which are already connected to a conntrack entry.",
    ),
    (
        "insert",
        "node_nf_conntrack_stat_insert",
        "Number of entries inserted into the list.",
    ),
    (
        "insert_failed",
        "node_nf_conntrack_stat_insert_failed",
        "Number of entries for which list insertion was attempted but failed.",
    ),
    (
        "drop",
        "node_nf_conntrack_stat_drop",
        "Number of packets dropped due to conntrack failure.",
    ),
    (
        "early_drop",
        "node_nf_conntrack_stat_early_drop",
        "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.",
    ),
    (
        "search_restart",
        "node_nf_conntrack_stat_search_restart",
        "Number of conntrack table lookups which had to be restarted due to hashtable resizes.",
    ),
];

impl Collector for Conntrack {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let count = self.sys.join("nf_conntrack_count");
        if read_trimmed(&count).is_none() {
            return Err(CollectorError::NoData("no nf_conntrack_count".into()));
        }
        out.gauge(
            "node_nf_conntrack_entries",
            "Number of currently allocated flow entries for connection tracking.",
            &[],
            read_one(&count)?,
        );
        out.gauge(
            "node_nf_conntrack_entries_limit",
            "Maximum size of connection tracking table.",
            &[],
            read_one(&self.sys.join("nf_conntrack_max"))?,
        );
        let text = read_string(&self.stat)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .map(|l| l.split_ascii_whitespace().collect())
            .unwrap_or_default();
        let mut sums = vec![0f64; header.len()];
        for (i, line) in lines.enumerate() {
            for (j, v) in line.split_ascii_whitespace().enumerate() {
                let n = u64::from_str_radix(v, 16).map_err(|_| {
                    CollectorError::parse(&self.stat, i + 2, format!("not hex: {v:?}"))
                })?;
                if let Some(s) = sums.get_mut(j) {
                    *s += n as f64;
                }
            }
        }
        for (col, name, help) in CONNTRACK_STATS {
            if let Some(j) = header.iter().position(|h| *h == col) {
                out.gauge(name, help, &[], sums[j]);
            }
        }
        Ok(())
    }
}
