//! Storage benchmarks on the node_exporter workload: append throughput
//! through the `Appender` (WAL included), and a report of bytes per sample
//! in blocks, memory per active series and WAL replay time.
//!
//! `TSDB_BENCH_HOSTS` sets the hosts of the report (default 200, about
//! 100k series); `TSDB_BENCH_HOURS` the hours of data (default 2);
//! `TSDB_BENCH_JITTER_MS` a per-scrape timestamp jitter (default 0).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use telltale_model::{Appendable, Labels, SeriesRef};
use telltale_tsdb::workload::{Workload, WorkloadConfig};
use telltale_tsdb::{Db, FsyncPolicy, Options};

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn opts() -> Options {
    Options {
        background: false,
        wal_fsync: FsyncPolicy::Interval(Duration::from_secs(1)),
        retention: None,
        ..Options::default()
    }
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|x| x.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// CPU seconds (user and system) used by the calling thread.
fn thread_cpu_secs() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn dir_size(p: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| {
            if e.path().is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Appends `scrapes` scrapes, one commit per host and scrape (as a scrape
/// loop does). Returns samples appended.
fn ingest(
    db: &Db,
    w: &mut Workload,
    labels: &[Labels],
    refs: &mut [SeriesRef],
    scrapes: usize,
    maintain: bool,
) -> u64 {
    let per_host = w.len() / w.config().hosts.max(1);
    let mut n = 0;
    for k in 0..scrapes {
        // What the background thread does every minute (here every 10
        // minutes of data): persist, checkpoint, compact.
        if maintain
            && k % 40 == 39
            && let Err(e) = db.run_maintenance()
        {
            eprintln!("maintenance failed: {e}");
        }
        let hosts = w.config().hosts;
        let (t, vals) = w.next_scrape();
        let vals = vals.to_vec();
        for h in 0..hosts {
            // One timestamp per target and scrape, as a scraper gives.
            let th = w.timestamp(t);
            let mut app = db.appender();
            for i in h * per_host..(h + 1) * per_host {
                refs[i] = app.append(refs[i], &labels[i], th, vals[i]).unwrap_or(0);
            }
            n += per_host as u64;
            if let Err(e) = app.commit() {
                eprintln!("commit failed: {e}");
            }
        }
    }
    n
}

fn report() {
    let hosts = env_usize("TSDB_BENCH_HOSTS", 200);
    let hours = env_usize("TSDB_BENCH_HOURS", 2);
    let jitter_ms = env_usize("TSDB_BENCH_JITTER_MS", 0) as i64;
    let Ok(mut w) = Workload::node_exporter(WorkloadConfig {
        hosts,
        jitter_ms,
        ..Default::default()
    }) else {
        println!("skipping storage report: node_exporter test data not available");
        return;
    };
    let scrapes = hours * 240;
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            println!("skipping storage report: {e}");
            return;
        }
    };
    let labels = w.labels().to_vec();
    let rss0 = rss_bytes();
    let db = match Db::open(dir.path(), opts()) {
        Ok(db) => db,
        Err(e) => {
            println!("skipping storage report: {e}");
            return;
        }
    };
    let mut refs = vec![0; w.len()];
    let start = Instant::now();
    let cpu0 = thread_cpu_secs();
    let n = ingest(&db, &mut w, &labels, &mut refs, scrapes, true);
    let cpu = thread_cpu_secs() - cpu0;
    let el = start.elapsed();
    let rss1 = rss_bytes();
    let series = w.len() as u64;
    println!(
        "ingest: {series} series x {scrapes} scrapes = {n} samples in {:.2}s wall, {:.2}s CPU of the ingesting thread = {:.2} M samples per CPU second, {:.3} us CPU per sample (WAL and periodic maintenance included)",
        el.as_secs_f64(),
        cpu,
        n as f64 / cpu / 1e6,
        cpu * 1e6 / n as f64
    );
    println!(
        "memory: RSS grew {:.1} MiB = {:.0} bytes per active series ({} h of data in the head)",
        (rss1.saturating_sub(rss0)) as f64 / 1048576.0,
        rss1.saturating_sub(rss0) as f64 / series as f64,
        hours
    );
    let st = db.stats(0);
    println!(
        "head: {} chunks, {:.0} bytes of chunk data per series, WAL {:.1} MiB",
        st.head_chunks,
        st.head_chunk_bytes as f64 / series as f64,
        st.wal_size_bytes as f64 / 1048576.0
    );
    drop(db);
    let start = Instant::now();
    let db = match Db::open(dir.path(), opts()) {
        Ok(db) => db,
        Err(e) => {
            println!("replay failed: {e}");
            return;
        }
    };
    println!(
        "replay: {series} series, {n} samples (checkpoint and WAL) in {:.2}s",
        start.elapsed().as_secs_f64()
    );
    if let Err(e) = db.flush() {
        println!("flush failed: {e}");
        return;
    }
    let st = db.stats(0);
    let blocks: u64 = st.blocks.iter().map(|b| b.size_bytes).sum();
    let samples: u64 = st.blocks.iter().map(|b| b.num_samples).sum();
    let disk = st
        .blocks
        .iter()
        .map(|b| dir_size(&dir.path().join(&b.ulid)))
        .sum::<u64>();
    if let Err(e) = db.run_maintenance() {
        println!("compaction failed: {e}");
    }
    let st2 = db.stats(0);
    println!(
        "blocks: {} blocks after compaction, levels {:?}",
        st2.blocks.len(),
        st2.blocks.iter().map(|b| b.level).collect::<Vec<_>>()
    );
    println!(
        "blocks: {} samples, index+chunks {} bytes = {:.3} bytes/sample ({:.3} with meta/tombstone files)",
        samples,
        blocks,
        blocks as f64 / samples.max(1) as f64,
        disk as f64 / samples.max(1) as f64
    );
}

fn main() {
    report();
    let Ok(mut w) = Workload::node_exporter(WorkloadConfig::default()) else {
        println!("skipping append benchmark: node_exporter test data not available");
        return;
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(db) = Db::open(dir.path(), opts()) else {
        return;
    };
    let mut refs = vec![0; w.len()];
    let labels = w.labels().to_vec();
    ingest(&db, &mut w, &labels, &mut refs, 1, false);
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(w.len() as u64));
    g.bench_function("scrape_10k_series_commit_per_host", |b| {
        b.iter(|| ingest(&db, &mut w, &labels, &mut refs, 1, false))
    });
    g.finish();
    c.final_summary();
}
