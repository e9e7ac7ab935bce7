//! `/ram_task` makes the resident set grow by about what was asked, no
//! more, and gives it back. In a test binary of its own, so no other test
//! allocates meanwhile.

mod common;

use std::time::Duration;

use common::{get, metric, start_demo, wait_for_metric};

const MIB: u64 = 1 << 20;

/// VmRSS of this process in bytes.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ram_task_stays_within_its_bound_and_gives_memory_back() {
    if rss().is_none() {
        println!("skipped: /proc/self/status is not readable here");
        return;
    }
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    // Warm up (first scrape, first connections) so that their allocations
    // are not counted as the task's.
    metric(addr, "demo_ram_task_bytes", &[]).await;
    let before = rss().unwrap();

    // 64 MiB: above glibc's largest mmap threshold (32 MiB), so freeing
    // it really unmaps it.
    let a = get(addr, "/ram_task?mb=64&seconds=2").await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (200, "holding 64 MiB for 2 s\n")
    );
    let held = rss().unwrap();
    let grew = held.saturating_sub(before);
    assert!(grew >= 60 * MIB, "RSS grew by only {} MiB", grew / MIB);
    assert!(
        grew <= 64 * MIB + 16 * MIB,
        "RSS grew by {} MiB for a 64 MiB task",
        grew / MIB
    );
    assert_eq!(
        metric(addr, "demo_ram_task_bytes", &[]).await,
        Some((64 * MIB) as f64)
    );

    // It is released after its 2 s (polled for up to 30 s).
    assert!(wait_for_metric(addr, "demo_ram_task_bytes", &[], 600, |v| v == 0.0).await);
    let mut released = false;
    for _ in 0..100 {
        if rss().unwrap() < before + 16 * MIB {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        released,
        "RSS still {} MiB above the start",
        rss().unwrap().saturating_sub(before) / MIB
    );
    demo.shutdown().await.unwrap();
}
