//! [`DemoState`]: what the handlers and background tasks share, and the
//! small random-number generator they draw from.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::config::DemoConfig;
use crate::metrics::DemoMetrics;

/// SplitMix64: a tiny, fast generator, good enough for log levels and
/// stock steps (not for anything secret).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator seeded from the clock and the process id.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng(nanos ^ (u64::from(std::process::id()) << 32))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: bias below 2^-32 for the small n used here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }
}

/// Shared state of one running demo. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DemoState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) cfg: DemoConfig,
    pub(crate) metrics: DemoMetrics,
    pub(crate) rng: Mutex<Rng>,
    /// CPU tasks running now; bounded by `cfg.max_cpu_tasks`.
    pub(crate) cpu_tasks: AtomicUsize,
    /// MiB held by `/ram_task`s now; bounded by `cfg.max_ram_mb`.
    pub(crate) ram_mb: AtomicU64,
    /// Set on shutdown: CPU threads look at it between work slices.
    pub(crate) stopping: Arc<AtomicBool>,
    /// Flips to `true` on shutdown: async tasks wait on it.
    pub(crate) stop_rx: watch::Receiver<bool>,
}

impl DemoState {
    /// New state and the sender that stops its tasks.
    pub(crate) fn new(cfg: DemoConfig) -> (DemoState, watch::Sender<bool>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let rng = cfg.seed.map(Rng::new).unwrap_or_else(Rng::from_clock);
        let state = DemoState {
            inner: Arc::new(Inner {
                cfg,
                metrics: DemoMetrics::new(),
                rng: Mutex::new(rng),
                cpu_tasks: AtomicUsize::new(0),
                ram_mb: AtomicU64::new(0),
                stopping: Arc::new(AtomicBool::new(false)),
                stop_rx,
            }),
        };
        (state, stop_tx)
    }

    /// The configuration.
    pub fn config(&self) -> &DemoConfig {
        &self.inner.cfg
    }

    /// The metrics.
    pub fn metrics(&self) -> &DemoMetrics {
        &self.inner.metrics
    }

    /// Draws from the shared generator.
    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut Rng) -> T) -> T {
        match self.inner.rng.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Marks the demo as stopping (CPU threads end their loop).
    pub(crate) fn mark_stopping(&self) {
        self.inner.stopping.store(true, Ordering::Release);
    }

    /// A future that completes when the demo stops.
    pub(crate) async fn stopped(&self) {
        let mut rx = self.inner.stop_rx.clone();
        let _ = rx.wait_for(|v| *v).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_stays_inside_its_bounds_and_reaches_both_ends() {
        let mut r = Rng::new(7);
        let mut seen = [false; 11];
        for _ in 0..10_000 {
            let v = r.range(-5, 5);
            assert!((-5..=5).contains(&v));
            seen[(v + 5) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn same_seed_same_numbers() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_eq!(Rng::new(1).below(0), 0);
    }
}
