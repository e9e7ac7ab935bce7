//! Unit tests of the parent module.

use super::*;
use telltale_model::{Appendable, Matcher, MemStorage, Queryable, is_stale_nan};

fn target() -> Labels {
    Labels::from_pairs(&[("instance", "h:1"), ("job", "j")])
}

fn run(
    db: &MemStorage,
    body: &str,
    t: i64,
    s: &AppendSettings,
    cache: &mut ScrapeCache,
) -> Result<AppendStats, ScrapeError> {
    let mut app = db.appender();
    let r = append_scrape(
        app.as_mut(),
        body.as_bytes(),
        Format::Text,
        t,
        &target(),
        s,
        cache,
    );
    match r {
        Ok(_) => app.commit().unwrap(),
        Err(_) => app.rollback(),
    }
    r
}

fn values(db: &MemStorage, name: &str) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let mut out = Vec::new();
    for mut s in q
        .select(&Default::default(), &[Matcher::equal("__name__", name)])
        .unwrap()
    {
        let v = s
            .samples
            .collect_all()
            .unwrap()
            .into_iter()
            .map(|x| (x.t, x.v))
            .collect();
        out.push((s.labels, v));
    }
    out
}

fn settings() -> AppendSettings {
    AppendSettings {
        honor_timestamps: true,
        ..Default::default()
    }
}

#[test]
fn appends_with_target_labels_and_metadata() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    let st = run(
        &db,
        "# HELP a An a.\n# TYPE a gauge\na{x=\"1\"} 5\nb 2 123\n",
        1000,
        &settings(),
        &mut c,
    )
    .unwrap();
    assert_eq!(st.scraped, 2);
    assert_eq!(st.series_added, 2);
    let a = values(&db, "a");
    assert_eq!(
        a[0].0,
        Labels::from_pairs(&[
            ("__name__", "a"),
            ("instance", "h:1"),
            ("job", "j"),
            ("x", "1")
        ])
    );
    assert_eq!(a[0].1, vec![(1000, 5.0)]);
    assert_eq!(values(&db, "b")[0].1, vec![(123, 2.0)]);
    assert_eq!(c.metadata["a"].help, "An a.");
    assert_eq!(
        c.metadata["a"].metric_type,
        telltale_model::MetricType::Gauge
    );
}

#[test]
fn honor_labels_off_renames_conflicts() {
    let mut b = LabelsBuilder::new();
    b.set("job", "exposed").set("exported_job", "x");
    merge_target_labels(&mut b, &target(), false);
    let l = b.build();
    assert_eq!(l.get("job"), "j");
    assert_eq!(l.get("exported_exported_job"), "exposed");
    let mut b = LabelsBuilder::new();
    b.set("job", "exposed");
    merge_target_labels(&mut b, &target(), true);
    assert_eq!(b.build().get("job"), "exposed");
}

#[test]
fn vanished_series_get_stale_markers() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    run(&db, "a 1\nb 1\n", 1000, &settings(), &mut c).unwrap();
    let st = run(&db, "a 2\n", 2000, &settings(), &mut c).unwrap();
    assert_eq!(st.stale, 1);
    let b = values(&db, "b");
    assert_eq!(b[0].1.len(), 2);
    assert!(is_stale_nan(b[0].1[1].1));
    // Explicit timestamps are not tracked by default.
    run(&db, "a 2\nc 1 1500\n", 3000, &settings(), &mut c).unwrap();
    run(&db, "a 2\n", 4000, &settings(), &mut c).unwrap();
    assert_eq!(values(&db, "c")[0].1.len(), 1);
}

#[test]
fn honor_timestamps_off_uses_scrape_time() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    let s = AppendSettings::default();
    run(&db, "a 1 5\n", 1000, &s, &mut c).unwrap();
    assert_eq!(values(&db, "a")[0].1, vec![(1000, 1.0)]);
}

#[test]
fn sample_limit_fails_whole_scrape_and_keeps_cache() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    let s = AppendSettings {
        sample_limit: 2,
        ..settings()
    };
    run(&db, "a 1\n", 1000, &s, &mut c).unwrap();
    let e = run(&db, "a 1\nb 1\nc 1\n", 2000, &s, &mut c).unwrap_err();
    assert!(matches!(e, ScrapeError::SampleLimit { limit: 2, got: 3 }));
    assert_eq!(db.series_count(), 1);
    assert_eq!(c.series().count(), 1);
}

#[test]
fn label_limits() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    // Like Prometheus, the count includes __name__ and the target labels.
    let s = AppendSettings {
        label_limit: 4,
        ..settings()
    };
    assert!(run(&db, "a{x=\"1\"} 1\n", 0, &s, &mut c).is_ok());
    let mut c = ScrapeCache::default();
    assert!(matches!(
        run(&db, "a{x=\"1\",y=\"2\"} 1\n", 0, &s, &mut c),
        Err(ScrapeError::LabelLimit { .. })
    ));
    let s = AppendSettings {
        label_name_length_limit: 3,
        ..settings()
    };
    assert!(run(&db, "a{long=\"1\"} 1\n", 0, &s, &mut ScrapeCache::default()).is_err());
    let s = AppendSettings {
        label_value_length_limit: 3,
        ..settings()
    };
    assert!(run(&db, "a{x=\"long\"} 1\n", 0, &s, &mut ScrapeCache::default()).is_err());
}

#[test]
fn metric_relabel_drops_and_counts() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    let s = AppendSettings {
        metric_relabel: vec![
            serde_saphyr::from_str("source_labels: [__name__]\nregex: 'go_.*'\naction: drop\n")
                .unwrap(),
        ],
        ..settings()
    };
    let st = run(&db, "go_x 1\nkeep 1\n", 0, &s, &mut c).unwrap();
    assert_eq!((st.scraped, st.post_relabel), (2, 1));
    assert!(values(&db, "go_x").is_empty());
}

#[test]
fn parse_error_leaves_storage_and_cache_intact() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    run(&db, "a 1\n", 1000, &settings(), &mut c).unwrap();
    let e = run(&db, "a 2\nb{ 1\n", 2000, &settings(), &mut c).unwrap_err();
    assert!(matches!(e, ScrapeError::Parse { line: 2, .. }), "{e:?}");
    assert_eq!(values(&db, "a")[0].1, vec![(1000, 1.0)]);
    assert_eq!(c.series().count(), 1);
}

#[test]
fn duplicate_series_in_one_scrape_keep_the_first() {
    let db = MemStorage::new();
    let mut c = ScrapeCache::default();
    let st = run(&db, "a 1\na 2\n", 0, &settings(), &mut c).unwrap();
    assert_eq!(st.rejected, 1);
    assert_eq!(values(&db, "a")[0].1, vec![(0, 1.0)]);
}
