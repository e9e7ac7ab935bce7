//! Prints the CPU time (user + system, all threads) and wall time of one
//! full collection with the default collectors, averaged over N runs:
//! `cargo run --release -p telltale-collector --example collect_cost -- 1000`.
//! With `--print` it prints one collection's families and sample counts.
//! It ends with the process's resident memory (`VmRSS`, peak `VmHWM`).

use std::time::Instant;

use telltale_collector::{CollectorConfig, Collectors};

/// This process's user + system CPU seconds from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let Some(close) = s.rfind(')') else {
        return f64::NAN;
    };
    let f: Vec<&str> = s[close + 1..].split_ascii_whitespace().collect();
    let n = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (n(11) + n(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1000);
    let cfg = CollectorConfig::default();
    let collectors = match Collectors::new(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build collectors: {e}");
            std::process::exit(1);
        }
    };
    if args.iter().any(|a| a == "--print") {
        let fams = collectors.collect();
        let samples: usize = fams.iter().map(|f| f.samples.len()).sum();
        println!("{} families, {samples} samples", fams.len());
        return;
    }
    let _ = collectors.collect();
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    for _ in 0..runs {
        std::hint::black_box(collectors.collect());
    }
    let cpu = (cpu_seconds() - cpu0) / runs as f64;
    let wall = wall0.elapsed().as_secs_f64() / runs as f64;
    println!(
        "{runs} collections: {:.3} ms CPU, {:.3} ms wall per collection",
        cpu * 1e3,
        wall * 1e3
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if line.starts_with("VmRSS") || line.starts_with("VmHWM") {
                println!("{line}");
            }
        }
    }
}
