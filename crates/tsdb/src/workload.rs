//! A realistic, deterministic workload: node_exporter's series replicated
//! over many hosts, scraped every 15 s.
//!
//! The series come from a node_exporter exposition (the conformance data
//! has `node_exporter/metrics-1.5.0.txt`, 507 series per host). Each is
//! given an `instance` and a `job` label per host. Values evolve per scrape
//! the way real ones do:
//!
//! - counters (`# TYPE counter`, and the `_sum`, `_count`, `_bucket` parts
//!   of summaries and histograms): a third stay where they are (error
//!   counters that never move); the rest grow by a per-series rate with
//!   ±50% jitter per step, in whole units when the exposed value is whole
//!   and in hundredths otherwise (like CPU seconds);
//! - gauges: half are constant (sizes, info metrics, flags); the rest walk
//!   randomly within ±50% of their starting value, rounded to the number of
//!   decimals the exposition showed (at most 3).
//!
//! Timestamps are `start + k * interval`, optionally with a uniform jitter
//! of up to `jitter_ms` (real scrapers have a few milliseconds).
//! The random generator is seeded, so a workload is the same in every run.

use telltale_model::{Label, Labels};

/// How to build a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadConfig {
    /// Hosts to replicate the series over.
    pub hosts: usize,
    /// Scrape interval in milliseconds.
    pub interval_ms: i64,
    /// The first scrape's timestamp.
    pub start_ms: i64,
    /// Timestamp jitter in milliseconds (0 for exact intervals).
    pub jitter_ms: i64,
    /// The random seed.
    pub seed: u64,
}

impl Default for WorkloadConfig {
    /// 20 hosts (10,140 series from node_exporter 1.5.0), 15 s, no jitter,
    /// seed 42, starting at 2026-01-01T00:00:00Z.
    fn default() -> Self {
        WorkloadConfig {
            hosts: 20,
            interval_ms: 15_000,
            start_ms: 1_767_225_600_000,
            jitter_ms: 0,
            seed: 42,
        }
    }
}

/// A small, fast, seeded random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Constant,
    /// Grows by `rate` units per step (jittered); `scale` 1 or 100.
    Counter {
        rate: f64,
        scale: f64,
    },
    /// Walks by `sigma` per step within `[lo, hi]`, rounded to `scale`.
    Gauge {
        sigma: f64,
        lo: f64,
        hi: f64,
        scale: f64,
    },
}

#[derive(Debug, Clone)]
struct GenSeries {
    kind: Kind,
    value: f64,
}

/// A generated workload; see the module docs.
#[derive(Debug, Clone)]
pub struct Workload {
    labels: Vec<Labels>,
    series: Vec<GenSeries>,
    values: Vec<f64>,
    rng: Rng,
    cfg: WorkloadConfig,
    step: i64,
}

/// One series of an exposition: name, labels, type, value text.
struct Template {
    labels: Vec<Label>,
    counter: bool,
    value: String,
}

fn parse_labels(s: &str) -> Option<Vec<Label>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i] == b' ') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let eq = i + s[i..].find('=')?;
        let name = s[i..eq].trim().to_string();
        i = eq + 1;
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        let mut v = String::new();
        while i < b.len() && b[i] != b'"' {
            let escaped = b[i] == b'\\' && i + 1 < b.len();
            if escaped {
                i += 1;
            }
            let ch = s.get(i..)?.chars().next()?;
            v.push(if escaped && ch == 'n' { '\n' } else { ch });
            i += ch.len_utf8();
        }
        i += 1;
        out.push(Label::new(name, v));
    }
    Some(out)
}

fn parse_exposition(text: &str) -> Vec<Template> {
    let mut types: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            if let (Some(n), Some(t)) = (it.next(), it.next()) {
                types.insert(n.to_string(), t.to_string());
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = match line.rfind('}') {
            Some(close) => (&line[..=close], line[close + 1..].trim()),
            None => match line.split_once(' ') {
                Some((a, b)) => (a, b.trim()),
                None => continue,
            },
        };
        let value = value.split_whitespace().next().unwrap_or("0").to_string();
        let (name, labels) = match series.find('{') {
            Some(open) => (
                &series[..open],
                parse_labels(&series[open + 1..series.len() - 1]),
            ),
            None => (series, Some(Vec::new())),
        };
        let Some(mut labels) = labels else { continue };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| {
                matches!(
                    types.get(*f).map(String::as_str),
                    Some("histogram" | "summary")
                )
            });
        let counter = family.is_some() || types.get(name).is_some_and(|t| t == "counter");
        labels.push(Label::new("__name__", name));
        out.push(Template {
            labels,
            counter,
            value,
        });
    }
    out
}

fn decimals(v: &str) -> u32 {
    if v.contains(['e', 'E']) {
        return 0;
    }
    v.split_once('.').map_or(0, |(_, f)| f.len().min(3) as u32)
}

impl Workload {
    /// Builds a workload from exposition text.
    pub fn from_exposition(text: &str, cfg: WorkloadConfig) -> Workload {
        let templates = parse_exposition(text);
        let mut rng = Rng::new(cfg.seed);
        let mut labels = Vec::with_capacity(templates.len() * cfg.hosts);
        let mut series = Vec::with_capacity(labels.capacity());
        for h in 0..cfg.hosts {
            let instance = format!("host-{h:04}.example.net:9100");
            for t in &templates {
                let mut l = t.labels.clone();
                l.push(Label::new("instance", instance.clone()));
                l.push(Label::new("job", "node"));
                labels.push(Labels::new(l));
                let v0: f64 = t.value.parse().unwrap_or(0.0);
                let v0 = if v0.is_finite() { v0 } else { 0.0 };
                let scale = 10f64.powi(decimals(&t.value) as i32);
                let r = rng.next_f64();
                let kind = if t.counter {
                    if r < 0.33 {
                        Kind::Constant
                    } else {
                        // Log-uniform rate from 0.01 to 10^5 units per step.
                        let rate = 10f64.powf(rng.next_f64() * 7.0 - 2.0);
                        let scale = if v0.fract() == 0.0 && rate >= 1.0 {
                            1.0
                        } else {
                            100.0
                        };
                        Kind::Counter { rate, scale }
                    }
                } else if r < 0.5 || v0 == 0.0 {
                    Kind::Constant
                } else {
                    let span = v0.abs() * 0.5;
                    Kind::Gauge {
                        sigma: span / 20.0,
                        lo: v0 - span,
                        hi: v0 + span,
                        scale,
                    }
                };
                series.push(GenSeries { kind, value: v0 });
            }
        }
        let values = series.iter().map(|s| s.value).collect();
        Workload {
            labels,
            series,
            values,
            rng,
            cfg,
            step: 0,
        }
    }

    /// The default test data directory: `$TELLTALE_TESTDATA`, else
    /// `../shared/testdata` beside the repository.
    pub fn testdata_dir() -> std::path::PathBuf {
        match std::env::var_os("TELLTALE_TESTDATA") {
            Some(p) => p.into(),
            None => {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
            }
        }
    }

    /// Builds the node_exporter 1.5.0 workload from the test data.
    ///
    /// # Errors
    ///
    /// A message naming the file when it cannot be read.
    pub fn node_exporter(cfg: WorkloadConfig) -> Result<Workload, String> {
        let p = Self::testdata_dir().join("node_exporter/metrics-1.5.0.txt");
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(Self::from_exposition(&text, cfg))
    }

    /// The series' labels, in a fixed order.
    pub fn labels(&self) -> &[Labels] {
        &self.labels
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no series.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The configuration.
    pub fn config(&self) -> &WorkloadConfig {
        &self.cfg
    }

    /// Advances one scrape: returns its timestamps' base and every series'
    /// value (in [`Workload::labels`] order). With jitter, use
    /// [`Workload::timestamp`] per series.
    pub fn next_scrape(&mut self) -> (i64, &[f64]) {
        let t = self.cfg.start_ms + self.step * self.cfg.interval_ms;
        if self.step > 0 {
            for (s, out) in self.series.iter_mut().zip(self.values.iter_mut()) {
                match s.kind {
                    Kind::Constant => {}
                    Kind::Counter { rate, scale } => {
                        let inc = rate * (0.5 + self.rng.next_f64());
                        s.value = ((s.value * scale).round() + (inc * scale).round()) / scale;
                    }
                    Kind::Gauge {
                        sigma,
                        lo,
                        hi,
                        scale,
                    } => {
                        let d = (self.rng.next_f64() - 0.5) * 2.0 * sigma;
                        let v = (s.value + d).clamp(lo, hi);
                        s.value = (v * scale).round() / scale;
                    }
                }
                *out = s.value;
            }
        }
        self.step += 1;
        (t, &self.values)
    }

    /// The timestamp of series `i` in the scrape at `base` (with jitter).
    pub fn timestamp(&mut self, base: i64) -> i64 {
        if self.cfg.jitter_ms == 0 {
            return base;
        }
        base + (self.rng.next_u64() % (self.cfg.jitter_ms as u64 + 1)) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE c counter\nc{a=\"x\\\"y\"} 10\n# TYPE g gauge\ng 1.25\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 3.5\ns_count 7\n";

    #[test]
    fn parses_and_replicates() {
        let w = Workload::from_exposition(
            TEXT,
            WorkloadConfig {
                hosts: 3,
                ..Default::default()
            },
        );
        assert_eq!(w.len(), 15);
        assert_eq!(w.labels()[0].get("a"), "x\"y");
        assert_eq!(w.labels()[0].get("instance"), "host-0000.example.net:9100");
    }

    #[test]
    fn is_deterministic_and_counters_never_decrease() {
        let mut a = Workload::from_exposition(TEXT, WorkloadConfig::default());
        let mut b = Workload::from_exposition(TEXT, WorkloadConfig::default());
        let mut prev: Vec<f64> = a.next_scrape().1.to_vec();
        b.next_scrape();
        for _ in 0..100 {
            let (ta, va) = a.next_scrape();
            let va = va.to_vec();
            let (tb, vb) = b.next_scrape();
            assert_eq!((ta, &va[..]), (tb, vb));
            // Series 0 of each host is the counter `c`.
            for h in 0..20 {
                assert!(va[h * 5] >= prev[h * 5]);
            }
            prev = va;
        }
    }
}
