//! CPU time per query on the benchmark data set, measured from the thread's
//! CPU clock (`/proc/thread-self/stat`), so the figures hold on a busy
//! machine where wall-clock benchmarks are noisy.
//!
//! Run with `cargo run --release -p telltale-promql --example query_cpu`.

use telltale_promql::{CancelToken, Engine, EngineOptions};

#[path = "../benches/data/mod.rs"]
mod data;
use data::{POINTS, STEP, dataset};

/// User plus system CPU time of this thread in milliseconds (10 ms ticks).
fn thread_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the full line (11, 12 here).
    (ticks(11) + ticks(12)) * 10.0
}

fn main() {
    let db = dataset();
    let engine = Engine::new(EngineOptions::default());
    let end = (POINTS - 1) * STEP;
    let cancel = CancelToken::new();
    let queries = [
        (
            "sum_rate",
            "sum by (instance) (rate(http_requests_total[5m]))",
        ),
        (
            "histogram_quantile",
            "histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
        ),
        ("topk", "topk(10, rate(http_requests_total[5m]))"),
        (
            "regex_selector",
            r#"http_requests_total{handler=~"/h1.*", instance=~"host-1.*"}"#,
        ),
        (
            "group_left",
            "rate(http_requests_total[5m]) * on(instance) group_left(region) node_info",
        ),
    ];
    let runs = 20;
    println!(
        "{:<20} {:>14} {:>22}",
        "query", "instant ms", "range 1h/1m ms"
    );
    for (name, q) in queries {
        let t0 = thread_cpu_ms();
        for _ in 0..runs {
            let _ = engine.instant_query(&db, q, end, &cancel);
        }
        let t1 = thread_cpu_ms();
        for _ in 0..runs {
            let _ = engine.range_query(&db, q, end - 3_600_000, end, 60_000, &cancel);
        }
        let t2 = thread_cpu_ms();
        println!(
            "{name:<20} {:>14.1} {:>22.1}",
            (t1 - t0) / runs as f64,
            (t2 - t1) / runs as f64
        );
    }
}
