//! CPU time per query on the benchmark data set, measured from the thread's
//! CPU clock (`/proc/thread-self/stat`), so the figures hold on a busy
//! machine where wall-clock benchmarks are noisy.
//!
//! Run with `cargo run --release -p telltale-promql --example query_cpu`.

use std::sync::Arc;

use telltale_model::{
    Labels, Matcher, Querier, Queryable, Sample, SelectHints, Series, StorageError, VecIterator,
};
use telltale_promql::{CancelToken, Engine, EngineOptions};

const STEP: i64 = 15_000;
const POINTS: i64 = 2 * 3600 * 1000 / STEP;

/// A read-only storage of sorted sample vectors, so the benchmark measures
/// the engine rather than `MemStorage`'s B-tree maps (the TSDB has its own
/// benchmarks).
#[derive(Default)]
struct Flat {
    series: Arc<Vec<(Labels, Vec<Sample>)>>,
}

impl Flat {
    fn insert(&mut self, l: Labels, s: impl Iterator<Item = Sample>) {
        if let Some(v) = Arc::get_mut(&mut self.series) {
            v.push((l, s.collect()));
        }
    }
}

struct FlatQuerier {
    series: Arc<Vec<(Labels, Vec<Sample>)>>,
    mint: i64,
    maxt: i64,
}

impl Queryable for Flat {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        Ok(Box::new(FlatQuerier {
            series: self.series.clone(),
            mint,
            maxt,
        }))
    }
}

impl Querier for FlatQuerier {
    fn select(&self, _h: &SelectHints, ms: &[Matcher]) -> Result<Vec<Series>, StorageError> {
        let mut out = Vec::new();
        for (l, s) in self.series.iter() {
            if !ms.iter().all(|m| m.matches_labels(l)) {
                continue;
            }
            let lo = s.partition_point(|x| x.t < self.mint);
            let hi = s.partition_point(|x| x.t <= self.maxt);
            if lo < hi {
                out.push(Series {
                    labels: l.clone(),
                    samples: Box::new(VecIterator::new(s[lo..hi].to_vec())),
                });
            }
        }
        Ok(out)
    }
    fn label_names(&self, _: &[Matcher]) -> Result<Vec<String>, StorageError> {
        Ok(Vec::new())
    }
    fn label_values(&self, _: &str, _: &[Matcher]) -> Result<Vec<String>, StorageError> {
        Ok(Vec::new())
    }
}

fn dataset() -> Flat {
    let mut db = Flat::default();
    for i in 0..10_000 {
        let inst = format!("host-{}", i % 500);
        let handler = format!("/h{}", i / 500);
        let l = Labels::from_pairs(&[
            ("__name__", "http_requests_total"),
            ("job", "api"),
            ("instance", &inst),
            ("handler", &handler),
        ]);
        let rate = 1.0 + (i % 7) as f64;
        db.insert(
            l,
            (0..POINTS).map(|k| Sample::new(k * STEP, k as f64 * rate * 15.0)),
        );
    }
    let les = [
        "0.005", "0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
    ];
    for i in 0..200 {
        let inst = format!("host-{i}");
        for (j, le) in les.iter().enumerate() {
            let l = Labels::from_pairs(&[
                ("__name__", "request_duration_seconds_bucket"),
                ("job", "api"),
                ("instance", &inst),
                ("le", le),
            ]);
            let per = (j + 1) as f64 * 3.0;
            db.insert(
                l,
                (0..POINTS).map(|k| Sample::new(k * STEP, k as f64 * per)),
            );
        }
    }
    for i in 0..500 {
        let inst = format!("host-{i}");
        let region = format!("r{}", i % 5);
        let l = Labels::from_pairs(&[
            ("__name__", "node_info"),
            ("instance", &inst),
            ("region", &region),
        ]);
        db.insert(l, (0..POINTS).map(|k| Sample::new(k * STEP, 1.0)));
    }
    db
}

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
