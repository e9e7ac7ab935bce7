use std::path::Path;

use telltale_model::{Appendable, Labels};
use telltale_scrape::relabel::RelabelConfig;
use telltale_tsdb::{Db, Options};

use super::*;

fn db(dir: &Path, segment_size: u64) -> Db {
    Db::open(
        dir,
        Options {
            wal_segment_size: segment_size,
            background: false,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Appends `n` commits of one sample to each of `series` series.
fn write(db: &Db, from: i64, n: i64, series: usize) {
    for i in from..from + n {
        let mut app = db.appender();
        for s in 0..series {
            let l = Labels::from_pairs(&[("__name__", "m"), ("s", &s.to_string())]);
            app.append(0, &l, i * 1000, i as f64).unwrap();
        }
        app.commit().unwrap();
    }
}

fn drain(t: &mut Tailer) -> Vec<Item> {
    let mut out = Vec::new();
    for _ in 0..100 {
        let before = out.len();
        t.poll(1_000_000, &mut out).unwrap();
        if out.len() == before {
            break;
        }
    }
    out
}

#[test]
fn follows_the_wal_across_segments_as_it_grows() {
    let d = tempfile::tempdir().unwrap();
    let db = db(d.path(), 64 << 10);
    let wal = d.path().join("wal");
    let mut t = Tailer::new(&wal, None, vec![], vec![]);
    write(&db, 0, 50, 3);
    let a = drain(&mut t);
    assert_eq!(a.len(), 150);
    write(&db, 50, 2000, 3);
    let b = drain(&mut t);
    assert_eq!(b.len(), 6000);
    assert!(
        t.position().segment > 0,
        "segments rotated: {:?}",
        t.position()
    );
    // Per series, timestamps arrive in order and complete.
    let s1: Vec<i64> = a
        .iter()
        .chain(&b)
        .filter(|i| i.labels.get("s") == "1")
        .map(|i| i.t)
        .collect();
    assert_eq!(s1, (0..2050).map(|i| i * 1000).collect::<Vec<_>>());
    assert_eq!(t.stats.unknown_series, 0);
    assert_eq!(t.stats.damaged, 0);
}

#[test]
fn resumes_at_a_saved_position_with_series_known() {
    let d = tempfile::tempdir().unwrap();
    let db = db(d.path(), 64 << 10);
    let wal = d.path().join("wal");
    write(&db, 0, 2000, 2);
    let mut t = Tailer::new(&wal, None, vec![], vec![]);
    assert_eq!(drain(&mut t).len(), 4000);
    let pos = t.position();
    assert!(pos.segment > 0, "{pos:?}");
    write(&db, 2000, 100, 2);
    let mut t2 = Tailer::new(&wal, Some(pos), vec![], vec![]);
    let rest = drain(&mut t2);
    assert_eq!(rest.len(), 200);
    assert_eq!(rest.iter().map(|i| i.t).min(), Some(2_000_000));
    assert_eq!(t2.stats.unknown_series, 0);
    assert!(t2.position() > pos);
}

#[test]
fn checkpoint_keeps_series_known_and_bounds_the_map() {
    let d = tempfile::tempdir().unwrap();
    let db = db(d.path(), 64 << 10);
    let wal = d.path().join("wal");
    write(&db, 0, 30, 4);
    let mut t = Tailer::new(&wal, None, vec![], vec![]);
    assert_eq!(drain(&mut t).len(), 120);
    // Persisting the head checkpoints the WAL and deletes old segments.
    db.flush().unwrap();
    write(&db, 30, 30, 4);
    let more = drain(&mut t);
    assert_eq!(more.len(), 120);
    assert_eq!(t.stats.unknown_series, 0);
    // A fresh tailer after the checkpoint learns the series from it.
    let mut fresh = Tailer::new(&wal, None, vec![], vec![]);
    let got = drain(&mut fresh);
    assert_eq!(got.len(), 120, "only samples after the checkpoint remain");
    assert_eq!(fresh.stats.unknown_series, 0);
    assert!(fresh.series_count() <= 4);
}

#[test]
fn relabel_and_external_labels_apply() {
    let d = tempfile::tempdir().unwrap();
    let db = db(d.path(), 1 << 20);
    let wal = d.path().join("wal");
    write(&db, 0, 5, 3);
    let drop_s0: RelabelConfig =
        serde_saphyr::from_str("source_labels: [s]\nregex: '0'\naction: drop\n").unwrap();
    let ext = vec![Label::new("cluster", "eu"), Label::new("s", "ignored")];
    let mut t = Tailer::new(&wal, None, vec![drop_s0], ext);
    let got = drain(&mut t);
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|i| i.labels.get("cluster") == "eu"));
    assert!(got.iter().all(|i| i.labels.get("s") != "ignored"));
    assert_eq!(t.stats.relabel_dropped, 5);
}

#[test]
fn torn_tail_waits_and_garbage_never_panics() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let db = db(d.path(), 1 << 20);
    let wal = d.path().join("wal");
    write(&db, 0, 3, 1);
    drop(db);
    let segs = list_segments(&wal).unwrap();
    let last = segs.last().unwrap().0;
    let seg = wal.join(segment_name(last));
    // Half a record at the end: not handed out, no error.
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3, 4, 2, 9]).unwrap();
    drop(f);
    let mut t = Tailer::new(&wal, None, vec![], vec![]);
    assert_eq!(drain(&mut t).len(), 3);
    // A segment of garbage after it is skipped, with the damage counted.
    std::fs::write(wal.join(segment_name(last + 1)), b"garbage garbage garbage").unwrap();
    std::fs::write(wal.join(segment_name(last + 2)), b"TTWL\x01\0\0\0").unwrap();
    assert_eq!(drain(&mut t).len(), 0);
    assert!(t.stats.damaged >= 1);
    assert_eq!(t.position().segment, last + 2);
}
