//! The remote write receiver over HTTP on 127.0.0.1.

mod common;

use std::sync::Arc;

use common::{series, serve};
use telltale_model::{
    Appendable, Appender, Labels, MemStorage, SeriesRef, StorageError, is_stale_nan, stale_nan,
};
use telltale_prompb::{
    Label, Sample, TimeSeries, WriteRequest, encode_write_request, labels_to_proto,
};
use telltale_scrape::{RemoteWriteConfig, RemoteWriteState, remote_write_router};

/// One series for a request: its labels and its samples.
type SeriesSpec<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

fn request(series: &[SeriesSpec<'_>]) -> Vec<u8> {
    let req = WriteRequest {
        timeseries: series
            .iter()
            .map(|(l, s)| TimeSeries {
                labels: labels_to_proto(&Labels::from_pairs(l)),
                samples: s
                    .iter()
                    .map(|(t, v)| Sample {
                        value: *v,
                        timestamp: *t,
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        metadata: vec![],
    };
    encode_write_request(&req)
}

async fn post(url: &str, body: Vec<u8>, encoding: Option<&str>) -> u16 {
    telltale_scrape::client::ensure_crypto_provider();
    let mut r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-protobuf")
        .header("x-prometheus-remote-write-version", "0.1.0");
    if let Some(e) = encoding {
        r = r.header("content-encoding", e);
    }
    r.body(body).send().await.unwrap().status().as_u16()
}

async fn start(storage: Arc<dyn Appendable>, cfg: RemoteWriteConfig) -> (String, RemoteWriteState) {
    let st = RemoteWriteState::new(storage, cfg);
    let addr = serve(remote_write_router(st.clone())).await;
    (format!("http://{addr}/api/v1/write"), st)
}

#[tokio::test]
async fn appends_series_and_answers_204() {
    let db = MemStorage::new();
    let (url, st) = start(Arc::new(db.clone()), RemoteWriteConfig::default()).await;
    let body = request(&[
        (
            &[("__name__", "rw"), ("job", "a")],
            &[(1000, 1.0), (2000, 2.0), (3000, stale_nan())],
        ),
        (&[("__name__", "rw"), ("job", "b")], &[(1000, 5.0)]),
    ]);
    assert_eq!(post(&url, body, Some("snappy")).await, 204);
    let s = series(&db, "rw");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].1.len(), 3);
    assert!(is_stale_nan(s[0].1[2].v));
    // Out-of-order within the storage's window is the storage's call:
    // MemStorage accepts it.
    let body = request(&[(&[("__name__", "rw"), ("job", "a")], &[(500, 0.5)])]);
    assert_eq!(post(&url, body, None).await, 204);
    assert_eq!(series(&db, "rw")[0].1[0].t, 500);
    assert_eq!(
        st.stats
            .samples_appended
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );
}

#[tokio::test]
async fn bad_bodies_get_4xx_and_leave_data_intact() {
    let db = MemStorage::new();
    let cfg = RemoteWriteConfig {
        max_body_bytes: 4096,
        max_decompressed_bytes: 20_000,
        max_samples_per_request: 10,
        ..Default::default()
    };
    let (url, _st) = start(Arc::new(db.clone()), cfg).await;
    assert_eq!(
        post(&url, request(&[(&[("__name__", "ok")], &[(1, 1.0)])]), None).await,
        204
    );
    // Not snappy.
    assert_eq!(post(&url, b"hello".to_vec(), None).await, 400);
    // Snappy of garbage protobuf.
    assert_eq!(
        post(&url, telltale_prompb::compress(&[0xff; 20]), None).await,
        400
    );
    // Truncated.
    let full = request(&[(&[("__name__", "x")], &[(1, 1.0)])]);
    assert_eq!(post(&url, full[..full.len() - 3].to_vec(), None).await, 400);
    // Invalid labels: no metric name, duplicate names.
    assert_eq!(
        post(&url, request(&[(&[("job", "x")], &[(1, 1.0)])]), None).await,
        400
    );
    let dup = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: "d".into(),
                },
                Label {
                    name: "a".into(),
                    value: "1".into(),
                },
                Label {
                    name: "a".into(),
                    value: "2".into(),
                },
            ],
            samples: vec![Sample {
                value: 1.0,
                timestamp: 1,
            }],
            ..Default::default()
        }],
        metadata: vec![],
    };
    assert_eq!(post(&url, encode_write_request(&dup), None).await, 400);
    // Too many samples.
    let many: Vec<(i64, f64)> = (0..11).map(|t| (t, 1.0)).collect();
    assert_eq!(
        post(&url, request(&[(&[("__name__", "m")], &many)]), None).await,
        400
    );
    // Over the compressed limit.
    let big: Vec<(i64, f64)> = (0..10).map(|t| (t, t as f64 * 1.1)).collect();
    // Incompressible: a pseudo-random hex string.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let name: String = (0..6000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from_digit(((x >> 60) & 0xf) as u32, 16).unwrap()
        })
        .collect();
    assert_eq!(
        post(&url, request(&[(&[("__name__", &name)], &big)]), None).await,
        413
    );
    // A snappy bomb: tiny body, huge declared size.
    let bomb = telltale_prompb::compress(&vec![0u8; 60_000]);
    assert!(bomb.len() < 4096);
    assert_eq!(post(&url, bomb, None).await, 400);
    // Wrong encoding.
    assert_eq!(
        post(
            &url,
            request(&[(&[("__name__", "ok")], &[(2, 1.0)])]),
            Some("gzip")
        )
        .await,
        415
    );
    assert_eq!(db.series_count(), 1);
    assert_eq!(series(&db, "ok")[0].1.len(), 1);
}

/// A storage that refuses samples with negative timestamps as out of
/// order, and fails every commit when `broken`.
#[derive(Clone)]
struct Picky {
    inner: MemStorage,
    broken: bool,
}

struct PickyApp {
    inner: Box<dyn Appender>,
    broken: bool,
}

impl Appendable for Picky {
    fn appender(&self) -> Box<dyn Appender> {
        Box::new(PickyApp {
            inner: self.inner.appender(),
            broken: self.broken,
        })
    }
}

impl Appender for PickyApp {
    fn append(
        &mut self,
        r: SeriesRef,
        l: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, StorageError> {
        if t < 0 {
            return Err(StorageError::OutOfOrder {
                series: l.to_string(),
                timestamp: t,
                newest: 0,
            });
        }
        self.inner.append(r, l, t, v)
    }
    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        if self.broken {
            return Err(StorageError::Io {
                context: "wal".into(),
                message: "disk full".into(),
            });
        }
        self.inner.commit()
    }
    fn rollback(self: Box<Self>) {
        self.inner.rollback()
    }
}

#[tokio::test]
async fn refused_samples_give_400_after_committing_the_rest_and_storage_failure_gives_500() {
    let db = MemStorage::new();
    let (url, st) = start(
        Arc::new(Picky {
            inner: db.clone(),
            broken: false,
        }),
        RemoteWriteConfig::default(),
    )
    .await;
    let body = request(&[(&[("__name__", "p")], &[(-5, 1.0), (10, 2.0)])]);
    assert_eq!(post(&url, body, None).await, 400);
    assert_eq!(series(&db, "p")[0].1.len(), 1);
    assert_eq!(
        st.stats
            .samples_rejected
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let db2 = MemStorage::new();
    let (url2, _) = start(
        Arc::new(Picky {
            inner: db2.clone(),
            broken: true,
        }),
        RemoteWriteConfig::default(),
    )
    .await;
    let body = request(&[(&[("__name__", "p")], &[(10, 2.0)])]);
    assert_eq!(post(&url2, body, None).await, 500);
    assert_eq!(db2.series_count(), 0);
}
