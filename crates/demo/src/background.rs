//! The tasks that run on their own: a log line every
//! [`log_interval`](crate::DemoConfig::log_interval) at a random level,
//! and the stock levels' bounded random walk. Both end when the demo stops.

use std::io::Write;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;

use crate::config::{PRODUCTS, STOCK_MAX};
use crate::metrics::{LevelLabels, ProductLabels};
use crate::state::{DemoState, Rng};

/// The log levels, in the words of Python's `logging` (the
/// `timestamp - LEVEL - message` style the log line uses).
pub const LEVELS: [&str; 4] = ["INFO", "WARNING", "ERROR", "CRITICAL"];

/// What the log lines say, per level.
const MESSAGES: [&[&str]; 4] = [
    &[
        "user logged in",
        "order placed",
        "cache refreshed",
        "health check passed",
    ],
    &[
        "slow database query",
        "retrying payment gateway",
        "cache miss rate is high",
    ],
    &[
        "payment gateway timed out",
        "failed to send confirmation e-mail",
        "database connection reset",
    ],
    &[
        "database unreachable",
        "out of disk space on the order volume",
    ],
];

/// One log line, `2026-11-23 14:15:30,123 - WARNING - slow database query`,
/// with the level index it used (Python's default `logging` layout).
pub fn log_line(rng: &mut Rng, now: chrono::DateTime<chrono::Local>) -> (usize, String) {
    // Mostly info, sometimes worse: 55 % info, 25 % warning, 15 % error,
    // 5 % critical.
    let roll = rng.below(100);
    let level = match roll {
        0..55 => 0,
        55..80 => 1,
        80..95 => 2,
        _ => 3,
    };
    let msgs = MESSAGES[level];
    let msg = msgs[rng.below(msgs.len() as u64) as usize];
    let ts = now.format("%Y-%m-%d %H:%M:%S,%3f");
    (level, format!("{ts} - {} - {msg}", LEVELS[level]))
}

/// Prints a log line to standard output every `every` until the demo stops.
pub(crate) async fn log_loop(state: DemoState, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.stopped() => return,
        }
        let (level, line) = state.with_rng(|r| log_line(r, chrono::Local::now()));
        state
            .metrics()
            .log_messages
            .get_or_create(&LevelLabels {
                level: LEVELS[level].to_ascii_lowercase(),
            })
            .inc();
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the demo.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// One step of the walk: `level` moved by up to `step` either way, kept
/// inside `0..=STOCK_MAX`.
pub fn stock_step(rng: &mut Rng, level: i64, step: i64) -> i64 {
    let step = step.clamp(0, STOCK_MAX);
    (level + rng.range(-step, step)).clamp(0, STOCK_MAX)
}

fn stock_gauge(state: &DemoState, product: &str) -> Gauge {
    state
        .metrics()
        .stock
        .get_or_create(&ProductLabels {
            product: product.to_string(),
        })
        .clone()
}

/// Sets every product's starting level (inside the alert's range), then
/// moves each one step every `stock_interval` until the demo stops.
pub(crate) async fn stock_loop(state: DemoState) {
    let gauges: Vec<Gauge> = PRODUCTS.iter().map(|p| stock_gauge(&state, p)).collect();
    for g in &gauges {
        g.set(state.with_rng(|r| r.range(60, 140)));
    }
    let every = state.config().stock_interval.max(Duration::from_millis(10));
    let step = state.config().stock_step;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.stopped() => return,
        }
        for g in &gauges {
            let next = state.with_rng(|r| stock_step(r, g.get(), step));
            g.set(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_line_has_timestamp_level_and_message() {
        let mut rng = Rng::new(3);
        let now = chrono::Local::now();
        let mut levels = [0usize; 4];
        for _ in 0..1000 {
            let (level, line) = log_line(&mut rng, now);
            levels[level] += 1;
            let parts: Vec<&str> = line.splitn(3, " - ").collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert_eq!(parts[0].len(), "2026-11-23 14:15:30,123".len(), "{line}");
            assert_eq!(parts[1], LEVELS[level]);
            assert!(!parts[2].is_empty());
        }
        assert!(levels.iter().all(|n| *n > 0), "{levels:?}");
    }

    #[test]
    fn stock_walk_stays_in_bounds() {
        let mut rng = Rng::new(11);
        let mut level = 100;
        let (mut lo, mut hi) = (level, level);
        for _ in 0..100_000 {
            let next = stock_step(&mut rng, level, 5);
            assert!((next - level).abs() <= 5);
            assert!((0..=STOCK_MAX).contains(&next));
            level = next;
            lo = lo.min(level);
            hi = hi.max(level);
        }
        assert!(hi > lo, "the walk moved");
    }

    #[tokio::test(start_paused = true)]
    async fn stock_loop_moves_and_stops() {
        let cfg = crate::DemoConfig {
            seed: Some(1),
            stock_interval: Duration::from_secs(1),
            stock_step: 20,
            ..Default::default()
        };
        let (state, stop) = DemoState::new(cfg);
        let task = tokio::spawn(stock_loop(state.clone()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let first = stock_gauge(&state, PRODUCTS[0]).get();
        let mut changed = false;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            changed |= stock_gauge(&state, PRODUCTS[0]).get() != first;
        }
        assert!(changed);
        let _ = stop.send(true);
        assert!(task.await.is_ok());
    }
}
