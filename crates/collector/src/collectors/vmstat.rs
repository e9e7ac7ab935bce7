//! `vmstat`: the `/proc/vmstat` fields that match the field pattern, and
//! `pressure`: pressure stall information from `/proc/pressure`.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string};
use crate::registry::Collector;

pub(crate) struct Vmstat {
    path: PathBuf,
    fields: Regex,
}

impl Vmstat {
    pub(crate) fn new(procfs: &Path, fields: Regex) -> Self {
        Vmstat {
            path: procfs.join("vmstat"),
            fields,
        }
    }
}

impl Collector for Vmstat {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        for (i, line) in text.lines().enumerate() {
            let mut parts = line.split_ascii_whitespace();
            let (Some(key), Some(v)) = (parts.next(), parts.next()) else {
                continue;
            };
            if !self.fields.is_match(key) {
                continue;
            }
            out.untyped(
                &format!("node_vmstat_{key}"),
                &format!("/proc/vmstat information field {key}."),
                &[],
                field(&self.path, i + 1, v)?,
            );
        }
        Ok(())
    }
}

pub(crate) struct Pressure {
    dir: PathBuf,
}

impl Pressure {
    pub(crate) fn new(procfs: &Path) -> Self {
        Pressure {
            dir: procfs.join("pressure"),
        }
    }
}

/// Reads the `total=` microseconds of the `some` and `full` lines of one
/// PSI file.
pub(crate) fn read_psi(path: &Path) -> Result<(Option<f64>, Option<f64>), CollectorError> {
    let text = read_string(path)?;
    let (mut some, mut full) = (None, None);
    for (i, line) in text.lines().enumerate() {
        let mut parts = line.split_ascii_whitespace();
        let kind = parts.next();
        let total = parts
            .find_map(|p| p.strip_prefix("total="))
            .ok_or_else(|| CollectorError::parse(path, i + 1, "no total="))?;
        let v = field(path, i + 1, total)? / 1e6;
        match kind {
            Some("some") => some = Some(v),
            Some("full") => full = Some(v),
            _ => {}
        }
    }
    Ok((some, full))
}

impl Collector for Pressure {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let (cpu, _) = read_psi(&self.dir.join("cpu"))?;
        if let Some(v) = cpu {
            out.counter(
                "node_pressure_cpu_waiting_seconds_total",
                "Total time in seconds that processes have waited for CPU time",
                &[],
                v,
            );
        }
        let (some, full) = read_psi(&self.dir.join("io"))?;
        if let Some(v) = some {
            out.counter(
                "node_pressure_io_waiting_seconds_total",
                "Total time in seconds that processes have waited due to IO congestion",
                &[],
                v,
            );
        }
        if let Some(v) = full {
            out.counter(
                "node_pressure_io_stalled_seconds_total",
                "Total time in seconds no process could make progress due to IO congestion",
                &[],
                v,
            );
        }
        let (some, full) = read_psi(&self.dir.join("memory"))?;
        if let Some(v) = some {
            out.counter(
                "node_pressure_memory_waiting_seconds_total",
                "Total time in seconds that processes have waited for memory",
                &[],
                v,
            );
        }
        if let Some(v) = full {
            out.counter(
                "node_pressure_memory_stalled_seconds_total",
                "Total time in seconds no process could make progress due to memory congestion",
                &[],
                v,
            );
        }
        Ok(())
    }
}
