//! Black-box tests of the database: write, read, restart, persist, delete,
//! compact, retain, and damaged files.

mod common;

use std::time::Duration;

use common::*;
use telltale_model::{
    Appendable, Labels, MatchOp, Matcher, Queryable, STALE_NAN_BITS, StorageError, stale_nan,
};
use telltale_tsdb::{Db, Options};

fn name(n: &str) -> Matcher {
    Matcher::equal("__name__", n)
}

#[test]
fn appends_are_visible_and_survive_restart() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 10, 0, 100);
    let mut app = db.appender();
    app.append(0, &series("a", 0), 100 * 15_000, stale_nan())
        .unwrap();
    app.commit().unwrap();
    assert_eq!(count_samples(&db, &[name("a")]), 1001);
    drop(db);
    let db = open(d.path());
    let got = query(
        &db,
        &[Matcher::equal("instance", "host-0")],
        i64::MIN,
        i64::MAX,
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.len(), 101);
    assert_eq!(got[0].1[100].v.to_bits(), STALE_NAN_BITS);
    assert_eq!(count_samples(&db, &[name("a")]), 1001);
}

#[test]
fn uncommitted_and_rolled_back_batches_are_invisible() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    let mut app = db.appender();
    app.append(0, &series("a", 0), 1, 1.0).unwrap();
    app.rollback();
    let mut app = db.appender();
    app.append(0, &series("a", 0), 1, 1.0).unwrap();
    drop(app);
    assert_eq!(count_samples(&db, &[name("a")]), 0);
    drop(db);
    assert_eq!(count_samples(&open(d.path()), &[name("a")]), 0);
}

#[test]
fn out_of_order_window_and_duplicates() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path()); // 10 minute window
    let l = series("a", 0);
    let mut app = db.appender();
    app.append(0, &l, 1_000_000, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = db.appender();
    app.append(0, &l, 1_000_000 - 300_000, 2.0).unwrap();
    let e = app.append(0, &l, 1_000_000 - 700_000, 3.0).unwrap_err();
    assert!(matches!(e, StorageError::OutOfOrder { .. }), "{e}");
    let e = app.append(0, &l, 1_000_000, 9.0).unwrap_err();
    assert!(matches!(e, StorageError::DuplicateSample { .. }), "{e}");
    app.append(0, &l, 1_000_000, 1.0).unwrap();
    app.commit().unwrap();
    let got = query(&db, &[name("a")], i64::MIN, i64::MAX);
    let ts: Vec<i64> = got[0].1.iter().map(|s| s.t).collect();
    assert_eq!(ts, vec![700_000, 1_000_000]);
    let st = db.stats(5);
    assert_eq!(st.counters.out_of_order_rejected, 1);
    assert_eq!(st.counters.out_of_order_accepted, 1);
    // After a restart and a flush the out-of-order sample is still there.
    drop(db);
    let db = open(d.path());
    db.flush().unwrap();
    assert_eq!(count_samples(&db, &[name("a")]), 2);
}

#[test]
fn limits_reject_with_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let o = Options {
        max_series: 2,
        max_labels_per_series: 3,
        max_label_length: 10,
        ..opts()
    };
    let db = Db::open(d.path(), o).unwrap();
    let mut app = db.appender();
    app.append(0, &series("a", 0), 1, 1.0).unwrap();
    app.append(0, &series("a", 1), 1, 1.0).unwrap();
    let e = app.append(0, &series("a", 2), 1, 1.0).unwrap_err();
    assert!(
        matches!(e, StorageError::SeriesLimit { limit: 2, .. }),
        "{e}"
    );
    let many = Labels::from_pairs(&[("__name__", "x"), ("a", "1"), ("b", "2"), ("c", "3")]);
    assert!(matches!(
        app.append(0, &many, 1, 1.0).unwrap_err(),
        StorageError::InvalidLabels { .. }
    ));
    let long = Labels::from_pairs(&[("__name__", "x"), ("a", "01234567890")]);
    let e = app.append(0, &long, 1, 1.0).unwrap_err();
    assert!(e.to_string().contains("longer than"), "{e}");
    app.commit().unwrap();
    assert_eq!(db.stats(1).counters.series_limit_rejected, 1);
}

#[test]
fn matchers_select_like_prometheus() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 5, 0, 3);
    fill(&db, "b", 2, 0, 3);
    let re = |n: &str, v: &str| Matcher::new(MatchOp::Regex, n, v).unwrap();
    let nre = |n: &str, v: &str| Matcher::new(MatchOp::NotRegex, n, v).unwrap();
    let count = |m: &[Matcher]| query(&db, m, i64::MIN, i64::MAX).len();
    assert_eq!(count(&[name("a")]), 5);
    assert_eq!(count(&[re("__name__", "a|b")]), 7);
    assert_eq!(count(&[re("instance", "host-[01]")]), 4);
    assert_eq!(count(&[name("a"), nre("instance", "host-[01]")]), 3);
    assert_eq!(
        count(&[name("a"), Matcher::not_equal("instance", "host-0")]),
        4
    );
    assert_eq!(count(&[name("a"), Matcher::equal("missing", "")]), 5);
    assert_eq!(count(&[name("a"), Matcher::not_equal("missing", "")]), 0);
    assert_eq!(count(&[re("instance", "host")]), 0); // anchored
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    assert_eq!(
        q.label_names(&[]).unwrap(),
        vec!["__name__", "instance", "job"]
    );
    assert_eq!(q.label_values("__name__", &[]).unwrap(), vec!["a", "b"]);
    assert_eq!(
        q.label_values("instance", &[name("b")]).unwrap(),
        vec!["host-0", "host-1"]
    );
}

#[test]
fn flush_moves_head_into_a_block_and_queries_merge() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 20, 0, 300);
    db.flush().unwrap();
    let st = db.stats(3);
    assert_eq!(st.blocks.len(), 1);
    assert_eq!(st.blocks[0].num_samples, 6000);
    assert_eq!(st.head_chunks, 0);
    fill(&db, "a", 20, 300 * 15_000, 100);
    assert_eq!(count_samples(&db, &[name("a")]), 8000);
    // A range across block and head.
    let got = query(
        &db,
        &[Matcher::equal("instance", "host-3")],
        290 * 15_000,
        310 * 15_000,
    );
    assert_eq!(got[0].1.len(), 21);
    drop(db);
    let db = open(d.path());
    assert_eq!(count_samples(&db, &[name("a")]), 8000);
    assert_eq!(db.stats(1).blocks.len(), 1);
}

#[test]
fn delete_uses_tombstones_and_cleanup_rewrites_blocks() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 4, 0, 100);
    db.flush().unwrap();
    fill(&db, "a", 4, 100 * 15_000, 100);
    let m = [Matcher::equal("instance", "host-1")];
    db.delete(&m, 50 * 15_000, 150 * 15_000 - 1).unwrap();
    assert_eq!(count_samples(&db, &m), 100);
    assert!(db.stats(1).blocks[0].has_tombstones);
    drop(db);
    // Deletes survive a restart (block tombstones and WAL records).
    let db = open(d.path());
    assert_eq!(count_samples(&db, &m), 100);
    db.clean_tombstones().unwrap();
    let st = db.stats(1);
    assert!(!st.blocks[0].has_tombstones);
    assert_eq!(st.blocks[0].num_samples, 350);
    assert_eq!(count_samples(&db, &m), 100);
    assert_eq!(count_samples(&db, &[name("a")]), 700);
}

#[test]
fn maintenance_persists_compacts_and_retains() {
    let d = tempfile::tempdir().unwrap();
    let o = Options {
        block_duration: Duration::from_secs(600), // 10 minute blocks
        // Ranges 10m and 30m (a tenth of the retention caps them).
        retention: Some(Duration::from_secs(5 * 3600)),
        ..opts()
    };
    let db = Db::open(d.path(), o.clone()).unwrap();
    // 6 hours of data, written in 10-minute batches with maintenance.
    let step = 15_000;
    let mut t = 0;
    for _ in 0..36 {
        let mut app = db.appender();
        for _ in 0..40 {
            for i in 0..3 {
                app.append(0, &series("a", i), t, t as f64).unwrap();
            }
            t += step;
        }
        app.commit().unwrap();
        db.run_maintenance().unwrap();
    }
    let st = db.stats(1);
    assert!(!st.blocks.is_empty());
    assert!(st.blocks.iter().any(|b| b.level > 1), "{:?}", st.blocks);
    // Retention: nothing older than 5 h before the newest sample in blocks.
    let newest = t - step;
    assert!(
        st.blocks
            .iter()
            .all(|b| b.max_time >= newest - 5 * 3600 * 1000)
    );
    assert!(
        st.blocks.iter().all(|b| b.min_time > 0),
        "oldest block not deleted"
    );
    let got = query(
        &db,
        &[Matcher::equal("instance", "host-0")],
        i64::MIN,
        i64::MAX,
    );
    let s = &got[0].1;
    assert!(s.len() < 36 * 40);
    assert!(s.windows(2).all(|w| w[1].t - w[0].t == step), "gap in data");
    assert_eq!(s.last().map(|x| x.t), Some(newest));
    let before = s.len();
    drop(db);
    let db = Db::open(d.path(), o).unwrap();
    let got = query(
        &db,
        &[Matcher::equal("instance", "host-0")],
        i64::MIN,
        i64::MAX,
    );
    assert_eq!(got[0].1.len(), before);
}

#[test]
fn retention_by_size_deletes_oldest_blocks() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    for k in 0..4 {
        fill(&db, "a", 50, k * 10_000_000, 100);
        db.flush().unwrap();
    }
    let st = db.stats(1);
    assert_eq!(st.blocks.len(), 4);
    let one = st.blocks.iter().map(|b| b.size_bytes).min().unwrap();
    drop(db);
    let o = Options {
        retention_size: Some(
            st.blocks[2].size_bytes + st.blocks[3].size_bytes + one / 2 + st.wal_size_bytes,
        ),
        ..opts()
    };
    let db = Db::open(d.path(), o).unwrap();
    db.run_maintenance().unwrap();
    let st2 = db.stats(1);
    assert_eq!(st2.blocks.len(), 2);
    assert_eq!(st2.blocks[0].ulid, st.blocks[2].ulid);
}

#[test]
fn leftover_tmp_dirs_are_removed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("01ABC.tmp/chunks")).unwrap();
    let db = open(d.path());
    drop(db);
    assert!(!d.path().join("01ABC.tmp").exists());
}

#[test]
fn damaged_block_files_give_errors_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 10, 0, 200);
    db.flush().unwrap();
    let id = db.stats(1).blocks[0].ulid.clone();
    drop(db);
    let index = d.path().join(&id).join("index");
    let orig = std::fs::read(&index).unwrap();
    // Truncated index.
    std::fs::write(&index, &orig[..orig.len() / 2]).unwrap();
    let e = Db::open(d.path(), opts()).unwrap_err();
    assert!(e.to_string().contains("index"), "{e}");
    // A flipped bit in a series entry: opening works, reading reports it.
    let mut bad = orig.clone();
    bad[40] ^= 0x01;
    std::fs::write(&index, &bad).unwrap();
    match Db::open(d.path(), opts()) {
        Err(e) => assert!(e.to_string().contains("index"), "{e}"),
        Ok(db) => {
            let q = db.querier(i64::MIN, i64::MAX).unwrap();
            let e = q
                .select(&Default::default(), &[name("a")])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("index") || e.is_empty(), "{e}");
        }
    }
    std::fs::write(&index, &orig).unwrap();
    // A flipped bit in a chunk.
    let chunks = d.path().join(&id).join("chunks/000001");
    let mut c = std::fs::read(&chunks).unwrap();
    c[100] ^= 0x40;
    std::fs::write(&chunks, &c).unwrap();
    let db = Db::open(d.path(), opts()).unwrap();
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let err = match q.select(&Default::default(), &[name("a")]) {
        Err(e) => e,
        Ok(mut ss) => ss
            .iter_mut()
            .find_map(|s| s.samples.collect_all().err())
            .unwrap(),
    };
    assert!(
        matches!(err, StorageError::Corruption { ref file, .. } if file.contains("000001")),
        "{err}"
    );
}

#[test]
fn snapshot_opens_as_a_database() {
    let d = tempfile::tempdir().unwrap();
    let s = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 5, 0, 50);
    db.snapshot(&s.path().join("snap")).unwrap();
    let copy = open(&s.path().join("snap"));
    assert_eq!(count_samples(&copy, &[name("a")]), 250);
}

#[test]
fn stats_report_top_names() {
    let d = tempfile::tempdir().unwrap();
    let db = open(d.path());
    fill(&db, "a", 5, 0, 2);
    fill(&db, "b", 2, 0, 2);
    let st = db.stats(1);
    assert_eq!(st.head_series, 7);
    assert_eq!(st.series_count_by_metric_name.len(), 1);
    assert_eq!(st.series_count_by_metric_name[0].name, "a");
    assert_eq!(st.series_count_by_metric_name[0].value, 5);
    assert!(st.wal_size_bytes > 0);
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn crash_between_compaction_and_cleanup_keeps_data_once() {
    let d = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let o = Options {
        block_duration: Duration::from_secs(600),
        retention: Some(Duration::from_secs(24 * 3600)),
        ..opts()
    };
    let db = Db::open(d.path(), o.clone()).unwrap();
    // Two 10-minute blocks in the same 30-minute window, then data past it.
    fill(&db, "a", 3, 0, 40);
    db.flush().unwrap();
    fill(&db, "a", 3, 600_000, 40);
    db.flush().unwrap();
    let parents: Vec<String> = db.stats(1).blocks.iter().map(|b| b.ulid.clone()).collect();
    assert_eq!(parents.len(), 2);
    for p in &parents {
        copy_tree(&d.path().join(p), &backup.path().join(p));
    }
    fill(&db, "a", 3, 1_800_000, 40);
    db.run_maintenance().unwrap();
    let st = db.stats(1);
    assert!(st.blocks.iter().any(|b| b.level == 2), "{:?}", st.blocks);
    let total = count_samples(&db, &[name("a")]);
    drop(db);
    // The crash: the compacted block is in place but its parents were not
    // deleted yet.
    for p in &parents {
        copy_tree(&backup.path().join(p), &d.path().join(p));
    }
    let db = Db::open(d.path(), o).unwrap();
    for p in &parents {
        assert!(!d.path().join(p).exists(), "parent {p} not removed");
    }
    assert_eq!(count_samples(&db, &[name("a")]), total);
    assert_eq!(total, 360);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || telltale_tsdb::Options {
        background: false,
        ..Default::default()
    };
    let db = telltale_tsdb::Db::open(dir.path(), opts()).unwrap();
    let err = telltale_tsdb::Db::open(dir.path(), opts()).unwrap_err();
    assert!(
        matches!(err, telltale_tsdb::TsdbError::Locked { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    db.close().unwrap();
    telltale_tsdb::Db::open(dir.path(), opts()).unwrap();
}
