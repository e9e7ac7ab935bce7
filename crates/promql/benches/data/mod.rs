//! The benchmark data set shared by `benches/eval.rs` and
//! `examples/query_cpu.rs` (included into both with `#[path]`): 10,000
//! counter series (500 instances × 20 handlers), 2,000 classic histogram
//! bucket series and 500 info series, 2 hours at a 15 s interval.

use std::sync::Arc;

use telltale_model::{
    Labels, Matcher, Querier, Queryable, Sample, SelectHints, Series, StorageError, VecIterator,
};

pub const STEP: i64 = 15_000;
pub const POINTS: i64 = 2 * 3600 * 1000 / STEP;

/// A read-only storage of sorted sample vectors, so the benchmark measures
/// the engine rather than `MemStorage`'s B-tree maps (the TSDB has its own
/// benchmarks).
#[derive(Default)]
pub struct Flat {
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

pub fn dataset() -> Flat {
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
