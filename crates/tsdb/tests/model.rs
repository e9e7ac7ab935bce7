//! Property test: random appends (in order, out of order, duplicates,
//! stale markers), commits, rollbacks, flushes, maintenance, deletes and
//! restarts against a simple in-memory model; every query over head,
//! blocks and their mix must return exactly what the model holds.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use telltale_model::{
    Appendable, Appender, Labels, MatchOp, Matcher, Queryable, STALE_NAN_BITS, SelectHints,
    StorageError,
};
use telltale_tsdb::{Db, FsyncPolicy, Options};

const SERIES: usize = 4;
const WINDOW: i64 = 10_000;

#[derive(Debug, Clone)]
enum Op {
    /// Append to series `s` at `t` (ms).
    Append(usize, i64),
    Commit,
    Rollback,
    Flush,
    Maintenance,
    Restart,
    Delete(usize, i64, i64),
    CleanTombstones,
    Check(i64, i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => (0..SERIES, 0i64..400).prop_map(|(s, t)| Op::Append(s, t * 1000)),
        5 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => Just(Op::Flush),
        1 => Just(Op::Maintenance),
        1 => Just(Op::Restart),
        1 => (0..SERIES, 0i64..400, 0i64..60).prop_map(|(s, a, l)| Op::Delete(s, a * 1000, (a + l) * 1000)),
        1 => Just(Op::CleanTombstones),
        2 => (0i64..400, 0i64..400).prop_map(|(a, b)| Op::Check(a.min(b) * 1000, a.max(b) * 1000)),
    ]
}

/// Values are a function of series and time, so a duplicate timestamp
/// always carries the same value (conflicting duplicates are covered by
/// unit tests); some are stale markers and plain NaNs.
fn value(s: usize, t: i64) -> f64 {
    let k = t / 1000 + s as i64;
    if k % 7 == 0 {
        f64::from_bits(STALE_NAN_BITS)
    } else if k % 11 == 0 {
        f64::NAN
    } else {
        (t * 31 + s as i64) as f64 / 4.0
    }
}

fn labels(s: usize) -> Labels {
    Labels::from_pairs(&[
        ("__name__", "m"),
        ("s", &s.to_string()),
        ("odd", if s % 2 == 1 { "y" } else { "" }),
    ])
}

fn opts() -> Options {
    Options {
        background: false,
        wal_fsync: FsyncPolicy::Interval(Duration::from_secs(3600)),
        out_of_order_window: Duration::from_millis(WINDOW as u64),
        block_duration: Duration::from_secs(60),
        samples_per_chunk: 5,
        retention: None,
        ..Options::default()
    }
}

#[derive(Default)]
struct Model {
    data: Vec<BTreeMap<i64, u64>>,
    max_ever: Vec<i64>,
    pending: Vec<(usize, i64)>,
}

fn check(db: &Db, m: &Model, mint: i64, maxt: i64) -> Result<(), TestCaseError> {
    let q = db
        .querier(mint, maxt)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let sel =
        [Matcher::new(MatchOp::Regex, "s", ".+")
            .map_err(|e| TestCaseError::fail(e.to_string()))?];
    let got = q
        .select(&SelectHints::default(), &sel)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut got_map: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for mut s in got {
        let samples = s
            .samples
            .collect_all()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        got_map.insert(
            s.labels.get("s").to_string(),
            samples.iter().map(|x| (x.t, x.v.to_bits())).collect(),
        );
    }
    let mut want: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for (s, d) in m.data.iter().enumerate() {
        let v: Vec<(i64, u64)> = d.range(mint..=maxt).map(|(t, b)| (*t, *b)).collect();
        if !v.is_empty() {
            want.insert(s.to_string(), v);
        }
    }
    prop_assert_eq!(&got_map, &want, "range [{}, {}]", mint, maxt);
    // Label values include those of the series with data in the range
    // (blocks answer at block granularity, as in Prometheus, so they may
    // include more) and nothing that was never written.
    let vals = q
        .label_values("odd", &[])
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let want_odd = want
        .keys()
        .any(|s| s.parse::<usize>().unwrap_or(0) % 2 == 1);
    if want_odd {
        prop_assert_eq!(vals, vec!["y".to_string()]);
    } else {
        prop_assert!(vals.is_empty() || vals == vec!["y".to_string()]);
    }
    Ok(())
}

fn run(dir: &Path, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut db = Some(Db::open(dir, opts()).map_err(|e| TestCaseError::fail(e.to_string()))?);
    let mut app: Option<Box<dyn Appender>> = None;
    let mut m = Model {
        data: vec![BTreeMap::new(); SERIES],
        max_ever: vec![i64::MIN; SERIES],
        pending: Vec::new(),
    };
    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
    for op in ops {
        let d = db.as_ref().ok_or_else(|| TestCaseError::fail("no db"))?;
        match op {
            Op::Append(s, t) => {
                if m.pending.contains(&(s, t)) {
                    continue;
                }
                let a = app.get_or_insert_with(|| d.appender());
                match a.append(0, &labels(s), t, value(s, t)) {
                    Ok(_) => m.pending.push((s, t)),
                    Err(StorageError::OutOfOrder { .. }) => {
                        let pending_max = m.pending.iter().filter(|p| p.0 == s).map(|p| p.1).max();
                        let max = m.max_ever[s].max(pending_max.unwrap_or(i64::MIN));
                        prop_assert!(
                            t < max - WINDOW,
                            "wrongly out of order: s{} t{} max{}",
                            s,
                            t,
                            max
                        );
                    }
                    Err(e) => return Err(fail(&e)),
                }
            }
            Op::Commit => {
                if let Some(a) = app.take() {
                    a.commit().map_err(|e| fail(&e))?;
                    for (s, t) in m.pending.drain(..) {
                        m.data[s].insert(t, value(s, t).to_bits());
                        m.max_ever[s] = m.max_ever[s].max(t);
                    }
                }
            }
            Op::Rollback => {
                if let Some(a) = app.take() {
                    a.rollback();
                }
                m.pending.clear();
            }
            Op::Flush => d.flush().map_err(|e| fail(&e))?,
            Op::Maintenance => d.run_maintenance().map_err(|e| fail(&e))?,
            Op::Restart => {
                app = None;
                m.pending.clear();
                drop(db.take());
                db = Some(Db::open(dir, opts()).map_err(|e| fail(&e))?);
            }
            Op::Delete(s, a, z) => {
                d.delete(&[Matcher::equal("s", &s.to_string())], a, z)
                    .map_err(|e| fail(&e))?;
                let doomed: Vec<i64> = m.data[s].range(a..=z).map(|(t, _)| *t).collect();
                for t in doomed {
                    m.data[s].remove(&t);
                }
            }
            Op::CleanTombstones => d.clean_tombstones().map_err(|e| fail(&e))?,
            Op::Check(a, z) => check(d, &m, a, z)?,
        }
    }
    if let Some(a) = app.take() {
        a.rollback();
    }
    let d = db.as_ref().ok_or_else(|| TestCaseError::fail("no db"))?;
    check(d, &m, i64::MIN, i64::MAX)?;
    // And once more after a restart and a full flush and compaction.
    drop(db);
    let d = Db::open(dir, opts()).map_err(|e| fail(&e))?;
    check(&d, &m, i64::MIN, i64::MAX)?;
    d.flush().map_err(|e| fail(&e))?;
    d.run_maintenance().map_err(|e| fail(&e))?;
    check(&d, &m, i64::MIN, i64::MAX)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn db_matches_model(ops in prop::collection::vec(op(), 1..120)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        run(dir.path(), ops)?;
    }
}
