//! `/cpu_task` raises the process's CPU time, then stops. In a test binary
//! of its own, so no other test burns CPU meanwhile.

mod common;

use std::time::Duration;

use common::{get, metric, start_demo, wait_for_metric};

/// utime + stime of this process in clock ticks (/proc/self/stat fields
/// 14 and 15, counted after the parenthesised command name).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_task_burns_cpu_then_stops() {
    let Some(before) = cpu_ticks() else {
        println!("skipped: /proc/self/stat is not readable here");
        return;
    };
    let demo = start_demo(|_| {}).await;
    let addr = demo.local_addr();
    let a = get(addr, "/cpu_task?seconds=2").await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (200, "burning CPU on one thread for 2 s\n")
    );
    assert_eq!(metric(addr, "demo_cpu_tasks_running", &[]).await, Some(1.0));
    // It stops on its own: the gauge goes back to 0 (polled for up to 30 s).
    assert!(wait_for_metric(addr, "demo_cpu_tasks_running", &[], 600, |v| v == 0.0).await);
    let after = cpu_ticks().unwrap();
    // Two seconds of a busy thread are ~200 ticks at USER_HZ=100 on an
    // idle machine; a loaded one (2 cores shared with builds) gives the
    // thread less, so ask for a tenth: still far more than this otherwise
    // idle test process spends in 2 s.
    assert!(after - before >= 20, "only {} ticks of CPU", after - before);
    // The exported counter saw it too.
    let exported = metric(addr, "process_cpu_seconds_total", &[])
        .await
        .unwrap();
    assert!(exported >= 0.2, "process_cpu_seconds_total = {exported}");

    // Stopped means stopped: over the next second the process is nearly
    // idle (well under the 100 ticks a still-running burner would add).
    let idle_start = cpu_ticks().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = cpu_ticks().unwrap() - idle_start;
    assert!(idle < 60, "{idle} ticks while idle");
    demo.shutdown().await.unwrap();
}
