//! Remote read client: our remote read server as the endpoint, merged with
//! a local storage.

mod common;

use std::sync::Arc;

use common::*;
use telltale_model::{Labels, Matcher, MemStorage, Queryable, Sample, SelectHints};
use telltale_remote::{
    MergeQueryable, ReadLimits, RemoteReadConfig, RemoteReadQueryable, remote_read_router,
};

fn series(name: &str, inst: &str) -> Labels {
    Labels::from_pairs(&[("__name__", name), ("instance", inst)])
}

fn select(q: &dyn Queryable, mint: i64, maxt: i64, ms: &[Matcher]) -> Vec<(String, Vec<i64>)> {
    let querier = q.querier(mint, maxt).unwrap();
    querier
        .select(&SelectHints::default(), ms)
        .unwrap()
        .into_iter()
        .map(|mut s| {
            let ts = s
                .samples
                .collect_all()
                .unwrap()
                .iter()
                .map(|x| x.t)
                .collect();
            (s.labels.to_string(), ts)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_series_merge_into_local_queries() {
    let remote = MemStorage::new();
    remote.insert(series("m", "old"), (0..5).map(|i| Sample::new(i * 10, 1.0)));
    remote.insert(
        series("m", "both"),
        (0..5).map(|i| Sample::new(i * 10, 2.0)),
    );
    let addr = serve(remote_read_router(Arc::new(remote), ReadLimits::default())).await;
    let local = MemStorage::new();
    local.insert(
        series("m", "both"),
        (3..8).map(|i| Sample::new(i * 10, 3.0)),
    );
    local.insert(series("m", "new"), [Sample::new(70, 4.0)]);

    let mut cfg = RemoteReadConfig::new(format!("http://{addr}/api/v1/read"));
    cfg.read_recent = true;
    let rr = RemoteReadQueryable::new(cfg.clone()).unwrap();
    let mut required = cfg.clone();
    required
        .required_matchers
        .insert("instance".into(), "old".into());
    let dead = RemoteReadQueryable::new(RemoteReadConfig {
        read_recent: true,
        ..RemoteReadConfig::new("http://127.0.0.1:1/api/v1/read")
    })
    .unwrap();
    let merged = MergeQueryable::new(Arc::new(local), vec![rr, dead]);

    let got = tokio::task::spawn_blocking(move || {
        let all = select(&merged, 0, 100, &[Matcher::equal("__name__", "m")]);
        // read_recent off and local complete from 25: remote asked for < 25 only.
        let mut cfg2 = cfg;
        cfg2.read_recent = false;
        let older = MergeQueryable::new(
            Arc::new(MemStorage::new()),
            vec![RemoteReadQueryable::new(cfg2).unwrap()],
        );
        older.set_local_start(25);
        let cut = select(&older, 0, 100, &[Matcher::equal("instance", "old")]);
        // required_matchers: asked only when the query has instance="old".
        let req = MergeQueryable::new(
            Arc::new(MemStorage::new()),
            vec![RemoteReadQueryable::new(required).unwrap()],
        );
        let skipped = select(&req, 0, 100, &[Matcher::equal("__name__", "m")]);
        let asked = select(&req, 0, 100, &[Matcher::equal("instance", "old")]);
        (all, cut, skipped, asked)
    })
    .await
    .unwrap();
    let (all, cut, skipped, asked) = got;
    assert_eq!(
        all,
        vec![
            (
                "m{instance=\"both\"}".to_string(),
                vec![0, 10, 20, 30, 40, 50, 60, 70]
            ),
            ("m{instance=\"new\"}".to_string(), vec![70]),
            ("m{instance=\"old\"}".to_string(), vec![0, 10, 20, 30, 40]),
        ],
        "merged by timestamp; the dead endpoint is left out"
    );
    assert_eq!(
        cut,
        vec![("m{instance=\"old\"}".to_string(), vec![0, 10, 20])]
    );
    assert!(skipped.is_empty());
    assert_eq!(asked.len(), 1);
}
