//! The load simulations: `/cpu_task` burns one thread, `/ram_task` holds
//! memory. Both are bounded in time ([`DemoConfig::max_task_seconds`]) and
//! in amount ([`DemoConfig::max_cpu_tasks`], [`DemoConfig::max_ram_mb`]);
//! a request over a bound is answered 429 rather than queued. Both end
//! early when the demo shuts down.
//!
//! [`DemoConfig::max_task_seconds`]: crate::DemoConfig::max_task_seconds
//! [`DemoConfig::max_cpu_tasks`]: crate::DemoConfig::max_cpu_tasks
//! [`DemoConfig::max_ram_mb`]: crate::DemoConfig::max_ram_mb

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};

use crate::error::DemoError;
use crate::handlers::{Params, whole};
use crate::state::DemoState;

/// One MiB.
const MIB: u64 = 1 << 20;

/// A CPU-task slot; given back (and the gauge lowered) when dropped, also
/// if the thread panics.
struct CpuSlot(DemoState);

impl Drop for CpuSlot {
    fn drop(&mut self) {
        self.0.inner.cpu_tasks.fetch_sub(1, Ordering::AcqRel);
        self.0.metrics().cpu_tasks.dec();
    }
}

/// A share of the `/ram_task` budget, in MiB; given back when dropped.
struct RamBudget(DemoState, u64);

impl Drop for RamBudget {
    fn drop(&mut self) {
        self.0.inner.ram_mb.fetch_sub(self.1, Ordering::AcqRel);
    }
}

/// Spins until `deadline` or until `stop` says so. The work is an LCG
/// kept alive by `black_box`, checked against the clock every few
/// milliseconds.
fn burn(deadline: Instant, stop: &std::sync::atomic::AtomicBool) -> u64 {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while Instant::now() < deadline && !stop.load(Ordering::Acquire) {
        for _ in 0..200_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        }
        x = std::hint::black_box(x);
    }
    x
}

/// `GET /cpu_task?seconds=N`: starts a thread that keeps one CPU busy for
/// `N` seconds and answers at once.
pub(crate) async fn cpu_task(
    State(s): State<DemoState>,
    Query(q): Params,
) -> Result<String, DemoError> {
    let cfg = s.config();
    let seconds = whole(
        &q,
        "seconds",
        Some(cfg.default_cpu_seconds),
        1,
        cfg.max_task_seconds,
    )?;
    let max = cfg.max_cpu_tasks;
    s.inner
        .cpu_tasks
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .map_err(|_| DemoError::Busy {
            what: format!("{max} CPU task(s) already running (the most allowed); try again later"),
        })?;
    s.metrics().cpu_tasks.inc();
    let slot = CpuSlot(s.clone());
    let stop = s.inner.stopping.clone();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    std::thread::Builder::new()
        .name("demo-cpu-task".into())
        .spawn(move || {
            let _slot = slot;
            burn(deadline, &stop);
        })
        .map_err(|e| DemoError::Busy {
            what: format!("could not start a thread: {e}"),
        })?;
    Ok(format!("burning CPU on one thread for {seconds} s\n"))
}

/// Allocates `bytes` and writes every page, so the resident set really
/// grows (a fresh zeroed allocation would stay virtual).
fn allocate_touched(bytes: u64) -> Result<Vec<u8>, DemoError> {
    let n = usize::try_from(bytes).map_err(|_| DemoError::OutOfMemory { bytes })?;
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| DemoError::OutOfMemory { bytes })?;
    v.resize(n, 0x5A);
    Ok(v)
}

/// `GET /ram_task?mb=N&seconds=S`: allocates `N` MiB, touches it, answers
/// once it is resident, and frees it `S` seconds later.
pub(crate) async fn ram_task(
    State(s): State<DemoState>,
    Query(q): Params,
) -> Result<String, DemoError> {
    let cfg = s.config();
    let mb = whole(
        &q,
        "mb",
        Some(cfg.default_ram_mb.min(cfg.max_ram_mb)),
        1,
        cfg.max_ram_mb,
    )?;
    let seconds = whole(
        &q,
        "seconds",
        Some(cfg.default_ram_seconds),
        1,
        cfg.max_task_seconds,
    )?;
    let max = cfg.max_ram_mb;
    s.inner
        .ram_mb
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
            (held + mb <= max).then_some(held + mb)
        })
        .map_err(|held| DemoError::Busy {
            what: format!(
                "{held} MiB already held by memory tasks; {mb} more would exceed the bound of {max} MiB"
            ),
        })?;
    let budget = RamBudget(s.clone(), mb);
    let bytes = mb * MIB;
    // The budget travels with the memory: if the client goes away while
    // the pages are being written, it is given back only once they are
    // freed, never before.
    let (block, budget) =
        tokio::task::spawn_blocking(move || allocate_touched(bytes).map(|v| (v, budget)))
            .await
            .map_err(|_| DemoError::OutOfMemory { bytes })??;
    s.metrics().ram_bytes.inc_by(bytes as i64);
    let state = s.clone();
    tokio::spawn(async move {
        let _budget = budget;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(seconds)) => {}
            _ = state.stopped() => {}
        }
        drop(block);
        state.metrics().ram_bytes.dec_by(bytes as i64);
    });
    Ok(format!("holding {mb} MiB for {seconds} s\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn burn_stops_when_told() {
        let stop = AtomicBool::new(true);
        let started = Instant::now();
        burn(started + Duration::from_secs(3600), &stop);
        // It returned at all: the stop flag is honoured.
        assert!(stop.load(Ordering::Acquire));
    }

    #[test]
    fn allocation_is_touched_and_sized() {
        let v = allocate_touched(3 * 4096 + 1).unwrap();
        assert_eq!(v.len(), 3 * 4096 + 1);
        assert!(v.iter().step_by(4096).all(|b| *b == 0x5A));
    }

    #[test]
    fn impossible_allocation_is_an_error_not_an_abort() {
        assert!(matches!(
            allocate_touched(u64::MAX),
            Err(DemoError::OutOfMemory { .. })
        ));
    }
}
