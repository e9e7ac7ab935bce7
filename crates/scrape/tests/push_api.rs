//! The push API over HTTP on 127.0.0.1, checked against storage, and
//! interop with Python's `prometheus_client` when it is installed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{last, series, serve, wait_for};
use telltale_model::{MemStorage, is_stale_nan};
use telltale_scrape::push::path::GroupingKey;
use telltale_scrape::{PushConfig, PushState, push_router};

async fn start(db: &MemStorage, cfg: PushConfig) -> (String, PushState) {
    let st = PushState::new(Arc::new(db.clone()), cfg).unwrap();
    let addr = serve(push_router(st.clone())).await;
    (format!("http://{addr}"), st)
}

fn client() -> reqwest::Client {
    telltale_scrape::client::ensure_crypto_provider();
    reqwest::Client::new()
}

async fn send(method: reqwest::Method, url: &str, body: &str) -> (u16, String) {
    let r = client()
        .request(method, url)
        .header("content-type", "text/plain; version=0.0.4")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn stale_last(db: &MemStorage, name: &str) -> bool {
    series(db, name)
        .iter()
        .all(|(_, v)| v.last().is_some_and(|s| is_stale_nan(s.v)))
}

#[tokio::test]
async fn put_post_delete_follow_pushgateway_semantics() {
    let db = MemStorage::new();
    let (base, st) = start(&db, PushConfig::default()).await;
    let url = format!("{base}/metrics/job/batch/instance/h1");
    let (code, _) = send(
        reqwest::Method::PUT,
        &url,
        "# TYPE a gauge\na 1\nb{x=\"y\"} 2\n",
    )
    .await;
    assert_eq!(code, 200);
    let a = series(&db, "a");
    assert_eq!(a[0].0.get("job"), "batch");
    assert_eq!(a[0].0.get("instance"), "h1");
    assert!(last(&db, "push_time_seconds").unwrap() > 1.6e9);
    assert_eq!(last(&db, "push_failure_time_seconds"), Some(0.0));
    // POST replaces only the families it names.
    let (code, _) = send(reqwest::Method::POST, &url, "a 10\n").await;
    assert_eq!(code, 200);
    assert_eq!(last(&db, "a"), Some(10.0));
    assert_eq!(st.snapshot()[0].families.len(), 2);
    // PUT replaces the group: b goes stale.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (code, _) = send(reqwest::Method::PUT, &url, "a 11\n").await;
    assert_eq!(code, 200);
    assert!(stale_last(&db, "b"));
    assert_eq!(st.snapshot()[0].families.len(), 1);
    // DELETE answers 202 and marks everything stale.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (code, _) = send(reqwest::Method::DELETE, &url, "").await;
    assert_eq!(code, 202);
    assert!(stale_last(&db, "a"));
    assert!(st.snapshot().is_empty());
}

#[tokio::test]
async fn bad_pushes_are_rejected_and_keep_earlier_data() {
    let db = MemStorage::new();
    let (base, st) = start(
        &db,
        PushConfig {
            max_body_bytes: 1000,
            ..Default::default()
        },
    )
    .await;
    let url = format!("{base}/metrics/job/j");
    assert_eq!(send(reqwest::Method::PUT, &url, "a 1\n").await.0, 200);
    for (body, want) in [
        ("a{job=\"other\"} 1\n", 400),
        ("a 1 1000\n", 400),
        ("a{ 1\n", 400),
        ("a 1\na 2\n", 400),
        (&*format!("a{{x=\"{}\"}} 1\n", "y".repeat(2000)), 413),
    ] {
        let (code, text) = send(reqwest::Method::PUT, &url, body).await;
        assert_eq!(code, want, "{body}: {text}");
    }
    assert_eq!(
        send(
            reqwest::Method::PUT,
            &format!("{base}/metrics/job/"),
            "a 1\n"
        )
        .await
        .0,
        400
    );
    assert_eq!(
        send(
            reqwest::Method::PUT,
            &format!("{base}/metrics/job/j/odd"),
            "a 1\n"
        )
        .await
        .0,
        400
    );
    // Type conflicts with another group.
    assert_eq!(
        send(
            reqwest::Method::PUT,
            &format!("{base}/metrics/job/k"),
            "# TYPE a counter\na 1\n"
        )
        .await
        .0,
        400
    );
    let g = &st.snapshot()[0];
    assert!(g.push_failure_time_ms >= g.push_time_ms);
    assert_eq!(last(&db, "a"), Some(1.0));
    // A truncated protobuf body is a 400 too.
    let r = client()
        .put(&url)
        .header("content-type", PROTO)
        .body(vec![0x10, 0x0a, 0x01])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(last(&db, "a"), Some(1.0));
}

const PROTO: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// What Go's `push` package sends: delimited protobuf families.
#[tokio::test]
async fn protobuf_delimited_bodies_are_accepted() {
    use prost::Message;
    use telltale_scrape::push::proto::{LabelPair, Metric, ProtoFamily, Value};
    let db = MemStorage::new();
    let (base, _st) = start(&db, PushConfig::default()).await;
    let fam = ProtoFamily {
        name: Some("go_pushed".into()),
        help: Some("From Go.".into()),
        r#type: Some(1),
        metric: vec![Metric {
            label: vec![LabelPair {
                name: Some("k".into()),
                value: Some("v".into()),
            }],
            gauge: Some(Value { value: Some(42.0) }),
            ..Default::default()
        }],
        unit: None,
    };
    let mut body = Vec::new();
    fam.encode_length_delimited(&mut body).unwrap();
    let r = client()
        .put(format!("{base}/metrics/job/go"))
        .header("content-type", PROTO)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let s = series(&db, "go_pushed");
    assert_eq!(s[0].0.get("k"), "v");
    assert_eq!(s[0].0.get("job"), "go");
    assert_eq!(s[0].1[0].v, 42.0);
}

#[tokio::test]
async fn base64_keys_gzip_bodies_and_json_listing() {
    use std::io::Write;
    let db = MemStorage::new();
    let (base, _st) = start(
        &db,
        PushConfig {
            max_body_bytes: 10_000,
            ..Default::default()
        },
    )
    .await;
    // job "a/b", path "" (base64 "=").
    let url = format!("{base}/metrics/job@base64/YS9i/path@base64/=");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b"z 5\n").unwrap();
    let r = client()
        .put(&url)
        .header("content-encoding", "gzip")
        .body(e.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(series(&db, "z")[0].0.get("job"), "a/b");
    // A gzip bomb is refused after decompression.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![b'#'; 1_000_000]).unwrap();
    let r = client()
        .put(&url)
        .header("content-encoding", "gzip")
        .body(e.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let j: serde_json::Value = client()
        .get(format!("{base}/api/v1/metrics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["status"], "success");
    assert_eq!(j["data"][0]["labels"]["job"], "a/b");
    assert_eq!(j["data"][0]["z"]["metrics"][0]["value"], "5");
    assert_eq!(j["data"][0]["push_time_seconds"]["type"], "GAUGE");
}

#[tokio::test]
async fn groups_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PushConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let db = MemStorage::new();
    let (base, st) = start(&db, cfg.clone()).await;
    assert_eq!(
        send(
            reqwest::Method::PUT,
            &format!("{base}/metrics/job/keep/instance/i"),
            "# HELP k Kept.\nk 3\n"
        )
        .await
        .0,
        200
    );
    st.flush().unwrap();
    let db2 = MemStorage::new();
    let st2 = PushState::new(Arc::new(db2.clone()), cfg.clone()).unwrap();
    let g = st2.snapshot();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].families["k"].metadata.help, "Kept.");
    st2.append_all(telltale_model_now()).unwrap();
    assert_eq!(last(&db2, "k"), Some(3.0));
    // Wipe empties the file too.
    let addr2 = serve(push_router(st2.clone())).await;
    assert_eq!(
        send(
            reqwest::Method::PUT,
            &format!("http://{addr2}/api/v1/admin/wipe"),
            ""
        )
        .await
        .0,
        202
    );
    assert!(stale_last(&db2, "k"));
    st2.flush().unwrap();
    assert!(
        PushState::new(Arc::new(MemStorage::new()), cfg.clone())
            .unwrap()
            .snapshot()
            .is_empty()
    );
    // A corrupt file is moved aside for inspection; the API starts empty.
    std::fs::write(dir.path().join("push_groups.json"), b"{broken").unwrap();
    let st3 = PushState::new(Arc::new(MemStorage::new()), cfg).unwrap();
    assert!(st3.snapshot().is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("push_groups.json.corrupt")).unwrap(),
        b"{broken"
    );
}

fn telltale_model_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn periodic_appends_and_ttl_expiry() {
    let db = MemStorage::new();
    let st = PushState::new(
        Arc::new(db.clone()),
        PushConfig {
            interval: Duration::from_millis(30),
            ..Default::default()
        },
    )
    .unwrap();
    let key: GroupingKey = [("job".to_string(), "ttl".to_string())].into();
    let fams =
        telltale_exposition::parse_families(b"t 1\n", telltale_exposition::Format::Text).unwrap();
    st.push(
        key.clone(),
        fams.clone(),
        telltale_scrape::PushMode::Replace,
        Some(Duration::from_millis(300)),
        telltale_model_now(),
    )
    .unwrap();
    let task = st.start().unwrap();
    wait_for("re-appends", || series(&db, "t")[0].1.len() >= 3).await;
    wait_for("expiry", || st.snapshot().is_empty()).await;
    wait_for("stale", || stale_last(&db, "t")).await;
    task.abort();
}

/// Python's `prometheus_client` pushes to us like to a Pushgateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_prometheus_client_interop() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!(
            "SKIP python_prometheus_client_interop: python3 with prometheus_client not available (pip install prometheus_client)"
        );
        return;
    }
    let db = MemStorage::new();
    let (base, st) = start(&db, PushConfig::default()).await;
    let gw = base.trim_start_matches("http://").to_string();
    let script = r#"
import sys
from prometheus_client import CollectorRegistry, Gauge, Counter, push_to_gateway, pushadd_to_gateway, delete_from_gateway
gw = sys.argv[1]
r = CollectorRegistry()
g = Gauge('job_last_success_unixtime', 'Last time the batch job succeeded', registry=r)
g.set(1234.5)
c = Counter('records_processed', 'Records', ['kind'], registry=r)
c.labels('a/b').inc(7)
push_to_gateway(gw, job='py batch', registry=r, grouping_key={'path': '/x/y'})
r2 = CollectorRegistry()
Gauge('extra', 'Extra', registry=r2).set(2)
pushadd_to_gateway(gw, job='py batch', registry=r2, grouping_key={'path': '/x/y'})
r3 = CollectorRegistry()
Gauge('gone', 'Gone', registry=r3).set(3)
push_to_gateway(gw, job='other', registry=r3)
delete_from_gateway(gw, job='other')
print("ok")
"#;
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", script, &gw])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g = series(&db, "job_last_success_unixtime");
    assert_eq!(g[0].0.get("job"), "py batch");
    assert_eq!(g[0].0.get("path"), "/x/y");
    assert_eq!(g[0].1[0].v, 1234.5);
    let c = series(&db, "records_processed_total");
    assert_eq!(c[0].0.get("kind"), "a/b");
    assert_eq!(c[0].1.last().unwrap().v, 7.0);
    assert_eq!(last(&db, "extra"), Some(2.0));
    assert!(stale_last(&db, "gone"));
    let groups = st.snapshot();
    assert_eq!(groups.len(), 1);
    // The gauge, the counter, its `_created` gauge (text 0.0.4 exposes it
    // as a family of its own) and the pushadd'ed gauge.
    assert_eq!(groups[0].families.len(), 4);
}
