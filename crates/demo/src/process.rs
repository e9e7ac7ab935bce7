//! Process metrics in the names every client library uses
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...),
//! read from `/proc/self` on each scrape. `prometheus-client` has no
//! process collector of its own, so this is a [`Collector`] as a user
//! would write one.
//!
//! When the demo runs inside `telltale serve --demo` these describe the
//! whole Telltale process, which is the process `/cpu_task` and
//! `/ram_task` load.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// The `/proc/self` collector. Outside Linux, or when `/proc` cannot be
/// read, it writes nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessCollector;

/// What one read of `/proc/self/stat` gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User plus system CPU time in seconds.
    pub cpu_seconds: f64,
    /// Resident set size in bytes.
    pub resident_bytes: u64,
    /// Virtual memory size in bytes.
    pub virtual_bytes: u64,
    /// Threads in the process.
    pub threads: i64,
    /// Start time in seconds since the Unix epoch, when the boot time is known.
    pub start_time_seconds: Option<f64>,
}

impl ProcessStats {
    /// Reads `/proc/self/stat`; `None` when it cannot be read.
    pub fn read() -> Option<ProcessStats> {
        let stat = procfs::process::Process::myself().ok()?.stat().ok()?;
        let ticks = procfs::ticks_per_second().max(1) as f64;
        let start_time_seconds = procfs::boot_time_secs()
            .ok()
            .map(|boot| boot as f64 + stat.starttime as f64 / ticks);
        Some(ProcessStats {
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            resident_bytes: stat.rss.saturating_mul(procfs::page_size()),
            virtual_bytes: stat.vsize,
            threads: stat.num_threads,
            start_time_seconds,
        })
    }
}

fn gauge<N: prometheus_client::encoding::EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: N,
) -> Result<(), std::fmt::Error> {
    let g = ConstGauge::new(value);
    let e = encoder.encode_descriptor(name, help, None, g.metric_type())?;
    g.encode(e)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = ProcessStats::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        let e = encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?;
        cpu.encode(e)?;
        gauge(
            &mut encoder,
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            s.resident_bytes as i64,
        )?;
        gauge(
            &mut encoder,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            s.virtual_bytes as i64,
        )?;
        gauge(
            &mut encoder,
            "process_threads",
            "Number of OS threads in the process",
            s.threads,
        )?;
        if let Some(t) = s.start_time_seconds {
            gauge(
                &mut encoder,
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                t,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plausible_figures_for_this_process() {
        let Some(s) = ProcessStats::read() else {
            println!("skipped: /proc/self/stat is not readable here");
            return;
        };
        assert!(s.cpu_seconds >= 0.0);
        assert!(s.resident_bytes > 0);
        assert!(s.virtual_bytes >= s.resident_bytes);
        assert!(s.threads >= 1);
    }
}
