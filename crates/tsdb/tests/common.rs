//! Helpers shared by the black-box tests.
#![allow(dead_code, missing_docs)]

use std::path::Path;
use std::time::Duration;

use telltale_model::{Appendable, Labels, Matcher, Queryable, Sample, SelectHints};
use telltale_tsdb::{Db, FsyncPolicy, Options};

pub fn opts() -> Options {
    Options {
        background: false,
        wal_fsync: FsyncPolicy::Interval(Duration::from_secs(3600)),
        block_duration: Duration::from_secs(3600),
        retention: None,
        ..Options::default()
    }
}

pub fn open(dir: &Path) -> Db {
    Db::open(dir, opts()).unwrap()
}

pub fn series(name: &str, i: usize) -> Labels {
    Labels::from_pairs(&[
        ("__name__", name),
        ("instance", &format!("host-{i}")),
        ("job", "node"),
    ])
}

/// Appends `n` samples per series for `count` series at 15 s steps from `t0`.
pub fn fill(db: &Db, name: &str, count: usize, t0: i64, n: i64) {
    let mut app = db.appender();
    for i in 0..count {
        let l = series(name, i);
        let mut r = 0;
        for k in 0..n {
            r = app
                .append(r, &l, t0 + k * 15_000, (i as i64 * 1000 + k) as f64)
                .unwrap();
        }
    }
    app.commit().unwrap();
}

/// Every (labels, samples) selected by `m` in `[mint, maxt]`.
pub fn query(db: &Db, m: &[Matcher], mint: i64, maxt: i64) -> Vec<(Labels, Vec<Sample>)> {
    let q = db.querier(mint, maxt).unwrap();
    q.select(&SelectHints::default(), m)
        .unwrap()
        .into_iter()
        .map(|mut s| (s.labels.clone(), s.samples.collect_all().unwrap()))
        .collect()
}

pub fn count_samples(db: &Db, m: &[Matcher]) -> usize {
    query(db, m, i64::MIN, i64::MAX)
        .iter()
        .map(|(_, s)| s.len())
        .sum()
}
