//! Time-ordered scrapes over H hosts, on top of the TSDB crate's
//! node_exporter-shaped [`Workload`].
//!
//! The workload gives every series a value per 15 s step. This layer adds
//! what a real scraper adds: each host (target) is scraped at its own fixed
//! offset inside the interval (spread like Prometheus spreads targets), plus
//! a few milliseconds of jitter per scrape; every series of one host shares
//! that scrape's timestamp. Offsets and jitter come from their own seeded
//! generator, so the values are exactly those of the workload and the whole
//! stream is the same in every run.

use telltale_model::Labels;
use telltale_tsdb::workload::{Rng, Workload, WorkloadConfig};

use crate::error::{Error, Result};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeConfig {
    /// Hosts (targets); node_exporter 1.5.0 gives 507 series per host.
    pub hosts: usize,
    /// Number of scrapes of every host.
    pub scrapes: usize,
    /// Scrape interval in milliseconds.
    pub interval_ms: i64,
    /// Base of the first scrape, in milliseconds since the epoch.
    pub start_ms: i64,
    /// Up to this many milliseconds of jitter per scrape.
    pub jitter_ms: i64,
    /// Spread hosts over the interval (true) or scrape all at the base.
    pub spread: bool,
    /// The random seed (values and jitter).
    pub seed: u64,
}

impl ScrapeConfig {
    /// The base of the scrape after the last one: data ends before it.
    pub fn end_ms(&self) -> i64 {
        self.start_ms + self.scrapes as i64 * self.interval_ms
    }

    /// Total samples the stream yields.
    pub fn total_samples(&self, series_per_host: usize) -> u64 {
        (self.hosts * series_per_host * self.scrapes) as u64
    }
}

/// One scrape round of every host.
#[derive(Debug)]
pub struct Round<'a> {
    /// Every series' value, in [`ScrapeStream::labels`] order.
    pub values: &'a [f64],
    /// The timestamp of each host's scrape (series `i` is host
    /// `i / series_per_host`).
    pub host_ts: &'a [i64],
}

/// The stream of scrape rounds; see the module docs.
#[derive(Debug)]
pub struct ScrapeStream {
    workload: Workload,
    cfg: ScrapeConfig,
    offsets: Vec<i64>,
    host_ts: Vec<i64>,
    jitter: Rng,
    done: usize,
}

impl ScrapeStream {
    /// A stream over a workload built from exposition text.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for zero hosts or a non-positive interval.
    pub fn from_exposition(text: &str, cfg: ScrapeConfig) -> Result<Self> {
        if cfg.hosts == 0 || cfg.interval_ms <= 0 || cfg.jitter_ms < 0 {
            return Err(Error::Invalid {
                what: "scrape config",
                message: format!(
                    "hosts {} interval {} ms jitter {} ms",
                    cfg.hosts, cfg.interval_ms, cfg.jitter_ms
                ),
            });
        }
        let wcfg = WorkloadConfig {
            hosts: cfg.hosts,
            interval_ms: cfg.interval_ms,
            start_ms: cfg.start_ms,
            jitter_ms: 0,
            seed: cfg.seed,
        };
        let workload = Workload::from_exposition(text, wcfg);
        let mut rng = Rng::new(cfg.seed ^ 0x5eed_0ff5_e7d1_77e2);
        // Offsets stay below interval - jitter so scrapes never overtake.
        let room = (cfg.interval_ms - cfg.jitter_ms - 1).max(1) as u64;
        let offsets = (0..cfg.hosts)
            .map(|_| {
                if cfg.spread {
                    (rng.next_u64() % room) as i64
                } else {
                    0
                }
            })
            .collect();
        Ok(ScrapeStream {
            workload,
            host_ts: vec![0; cfg.hosts],
            cfg,
            offsets,
            jitter: rng,
            done: 0,
        })
    }

    /// The node_exporter 1.5.0 stream from the conformance data directory
    /// (`dir/node_exporter/metrics-1.5.0.txt`).
    ///
    /// # Errors
    ///
    /// [`Error::Workload`] naming the file if it cannot be read.
    pub fn node_exporter(testdata: &std::path::Path, cfg: ScrapeConfig) -> Result<Self> {
        let p = testdata.join("node_exporter/metrics-1.5.0.txt");
        let text = std::fs::read_to_string(&p)
            .map_err(|e| Error::Workload(format!("{}: {e}", p.display())))?;
        Self::from_exposition(&text, cfg)
    }

    /// Every series' labels (with `instance` and `job`), in a fixed order.
    pub fn labels(&self) -> &[Labels] {
        self.workload.labels()
    }

    /// Series per host.
    pub fn series_per_host(&self) -> usize {
        self.workload.len() / self.cfg.hosts
    }

    /// The configuration.
    pub fn config(&self) -> &ScrapeConfig {
        &self.cfg
    }

    /// The next round, or `None` after the configured number of scrapes.
    pub fn next_round(&mut self) -> Option<Round<'_>> {
        if self.done >= self.cfg.scrapes {
            return None;
        }
        let (base, values) = self.workload.next_scrape();
        for (ts, off) in self.host_ts.iter_mut().zip(&self.offsets) {
            let j = if self.cfg.jitter_ms > 0 {
                (self.jitter.next_u64() % (self.cfg.jitter_ms as u64 + 1)) as i64
            } else {
                0
            };
            *ts = base + off + j;
        }
        self.done += 1;
        Some(Round {
            values,
            host_ts: &self.host_ts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE c counter\nc{a=\"x\"} 10\n# TYPE g gauge\ng 1.25\n";

    fn cfg(spread: bool) -> ScrapeConfig {
        ScrapeConfig {
            hosts: 5,
            scrapes: 50,
            interval_ms: 15_000,
            start_ms: 1_000_000,
            jitter_ms: 20,
            spread,
            seed: 7,
        }
    }

    #[test]
    fn rounds_are_time_ordered_per_host_and_bounded() {
        let mut s = ScrapeStream::from_exposition(TEXT, cfg(true)).unwrap();
        assert_eq!(s.series_per_host(), 2);
        assert_eq!(s.labels().len(), 10);
        let mut prev = [i64::MIN; 5];
        let mut n = 0;
        while let Some(r) = s.next_round() {
            let base = 1_000_000 + n * 15_000;
            for (h, &t) in r.host_ts.iter().enumerate() {
                assert!(t > prev[h], "host {h} went back in time");
                assert!(t >= base && t < base + 15_000);
                prev[h] = t;
            }
            n += 1;
        }
        assert_eq!(n, 50);
        assert!(s.next_round().is_none());
    }

    #[test]
    fn same_seed_same_stream_and_values_match_the_workload() {
        let mut a = ScrapeStream::from_exposition(TEXT, cfg(true)).unwrap();
        let mut b = ScrapeStream::from_exposition(TEXT, cfg(true)).unwrap();
        let mut w = Workload::from_exposition(
            TEXT,
            WorkloadConfig {
                hosts: 5,
                interval_ms: 15_000,
                start_ms: 1_000_000,
                jitter_ms: 0,
                seed: 7,
            },
        );
        while let Some(ra) = a.next_round() {
            let (va, ta) = (ra.values.to_vec(), ra.host_ts.to_vec());
            let rb = b.next_round().unwrap();
            assert_eq!((&va[..], &ta[..]), (rb.values, rb.host_ts));
            assert_eq!(&va[..], w.next_scrape().1);
        }
    }

    #[test]
    fn unspread_without_jitter_is_exact() {
        let mut c = cfg(false);
        c.jitter_ms = 0;
        let mut s = ScrapeStream::from_exposition(TEXT, c).unwrap();
        s.next_round();
        let r = s.next_round().unwrap();
        assert!(r.host_ts.iter().all(|&t| t == 1_015_000));
    }

    #[test]
    fn rejects_zero_hosts() {
        let mut c = cfg(true);
        c.hosts = 0;
        assert!(ScrapeStream::from_exposition(TEXT, c).is_err());
    }
}
