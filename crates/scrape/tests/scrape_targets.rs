//! Scrape loops against in-test HTTP targets on 127.0.0.1: labels,
//! relabelling, limits, timeouts, staleness, reloads and discovery.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{last, series, start_target, wait_for};
use telltale_model::{MemStorage, is_stale_nan};
use telltale_scrape::{Health, ScrapeConfig, ScrapeManager, parse_config};

fn jobs(yaml: &str) -> Vec<ScrapeConfig> {
    parse_config(yaml, "test.yml").unwrap().scrape_configs
}

fn manager(db: &MemStorage) -> ScrapeManager {
    ScrapeManager::new(Arc::new(db.clone())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_appends_reports_and_keeps_metadata() {
    let (addr, target) =
        start_target("# HELP req Requests.\n# TYPE req counter\nreq_total{code=\"200\"} 7\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: app\n  scrape_interval: 100ms\n  static_configs: [{{targets: ['{addr}'], labels: {{env: test}}}}]\n"
    )))
    .unwrap();
    wait_for("up", || last(&db, "up") == Some(1.0)).await;
    let s = series(&db, "req_total");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0.get("job"), "app");
    assert_eq!(s[0].0.get("instance"), addr);
    assert_eq!(s[0].0.get("env"), "test");
    assert_eq!(s[0].0.get("code"), "200");
    assert_eq!(s[0].1[0].v, 7.0);
    for name in [
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ] {
        assert!(last(&db, name).is_some(), "{name}");
    }
    assert_eq!(last(&db, "scrape_samples_scraped"), Some(1.0));
    let t = &m.targets()[0];
    assert_eq!(t.health, Health::Up);
    assert_eq!(t.scrape_url, format!("http://{addr}/metrics"));
    assert!(t.last_scrape.is_some());
    let md = m.metadata();
    assert_eq!(md["req"][0].help, "Requests.");
    // Prometheus's headers.
    let h = target.hits.lock().unwrap()[0].clone();
    assert!(
        h["accept"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text;version=1.0.0")
    );
    assert!(h.contains_key("x-prometheus-scrape-timeout-seconds"));
    assert!(h["user-agent"].to_str().unwrap().starts_with("Telltale/"));
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relabelling_and_metric_relabelling_apply() {
    let (addr, _t) = start_target("go_gc 1\nkeep_me{tmp=\"x\"} 2\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        r#"scrape_configs:
- job_name: app
  scrape_interval: 100ms
  static_configs: [{{targets: ['{addr}']}}]
  relabel_configs:
  - {{source_labels: [__address__], regex: '127\.0\.0\.1:(.*)', target_label: port}}
  metric_relabel_configs:
  - {{source_labels: [__name__], regex: 'go_.*', action: drop}}
  - {{regex: tmp, action: labeldrop}}
"#
    )))
    .unwrap();
    wait_for("up", || last(&db, "up") == Some(1.0)).await;
    assert!(series(&db, "go_gc").is_empty());
    let s = series(&db, "keep_me");
    assert!(!s[0].0.has("tmp"));
    assert_eq!(s[0].0.get("port"), addr.rsplit(':').next().unwrap());
    assert_eq!(last(&db, "scrape_samples_scraped"), Some(2.0));
    assert_eq!(
        last(&db, "scrape_samples_post_metric_relabeling"),
        Some(1.0)
    );
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_marks_target_down() {
    let (addr, t) = start_target("a 1\n").await;
    t.page.lock().unwrap().delay = Duration::from_millis(600);
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: slow\n  scrape_interval: 200ms\n  scrape_timeout: 100ms\n  static_configs: [{{targets: ['{addr}']}}]\n"
    )))
    .unwrap();
    wait_for("up 0", || last(&db, "up") == Some(0.0)).await;
    let st = &m.targets()[0];
    assert_eq!(st.health, Health::Down);
    assert!(st.last_error.contains("deadline"), "{}", st.last_error);
    assert!(series(&db, "a").is_empty());
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_fail_the_scrape_and_keep_earlier_data() {
    let (addr, t) = start_target("a 1\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: lim\n  scrape_interval: 100ms\n  sample_limit: 2\n  body_size_limit: 1KB\n  static_configs: [{{targets: ['{addr}']}}]\n"
    )))
    .unwrap();
    wait_for("up", || last(&db, "up") == Some(1.0)).await;
    t.set_body("a 1\nb 1\nc 1\n");
    wait_for("sample limit", || {
        m.targets()[0].last_error.contains("sample limit")
    })
    .await;
    assert_eq!(last(&db, "up"), Some(0.0));
    assert!(series(&db, "b").is_empty());
    // The earlier series is kept and marked stale.
    let a = series(&db, "a");
    assert_eq!(a[0].1[0].v, 1.0);
    assert!(is_stale_nan(a[0].1.last().unwrap().v));
    t.set_body(&format!("big {}\n", "1".repeat(2000)));
    wait_for("body limit", || {
        m.targets()[0].last_error.contains("body size limit")
    })
    .await;
    t.set_body("a 1\nb{ 1\n");
    wait_for("parse error", || {
        m.targets()[0].last_error.contains("parse error")
    })
    .await;
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staleness_for_vanished_series_and_removed_targets() {
    let (addr, t) = start_target("a 1\nb 1\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    let cfg = jobs(&format!(
        "scrape_configs:\n- job_name: st\n  scrape_interval: 100ms\n  static_configs: [{{targets: ['{addr}']}}]\n"
    ));
    m.apply_config(&cfg).unwrap();
    wait_for("b", || !series(&db, "b").is_empty()).await;
    t.set_body("a 1\n");
    wait_for("b stale", || {
        series(&db, "b")
            .first()
            .is_some_and(|(_, v)| v.last().is_some_and(|s| is_stale_nan(s.v)))
    })
    .await;
    // Removing the job marks every series of its target stale, `up` too.
    m.apply_config(&[]).unwrap();
    wait_for("a and up stale", || {
        let a = series(&db, "a");
        let up = series(&db, "up");
        a[0].1.last().is_some_and(|s| is_stale_nan(s.v))
            && up[0].1.last().is_some_and(|s| is_stale_nan(s.v))
    })
    .await;
    assert!(m.targets().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_loops_of_unchanged_targets() {
    let (addr, _t) = start_target("a 1\n").await;
    let (addr2, _t2) = start_target("b 1\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    let one = format!(
        "scrape_configs:\n- job_name: r\n  scrape_interval: 100ms\n  static_configs: [{{targets: ['{addr}']}}]\n"
    );
    m.apply_config(&jobs(&one)).unwrap();
    wait_for("up", || {
        m.targets().first().is_some_and(|t| t.health == Health::Up)
    })
    .await;
    // Same target plus a new one: the first loop keeps its state.
    let two = format!(
        "scrape_configs:\n- job_name: r\n  scrape_interval: 100ms\n  static_configs: [{{targets: ['{addr}', '{addr2}']}}]\n"
    );
    m.apply_config(&jobs(&two)).unwrap();
    wait_for("two targets", || m.targets().len() == 2).await;
    let first = m
        .targets()
        .into_iter()
        .find(|t| t.scrape_url.contains(&addr))
        .unwrap();
    assert_eq!(
        first.health,
        Health::Up,
        "loop of the unchanged target was restarted"
    );
    wait_for("b", || !series(&db, "b").is_empty()).await;
    // An invalid config changes nothing.
    assert!(
        m.apply_config(&jobs("scrape_configs:\n- job_name: x\n"))
            .is_ok()
    );
    let mut bad = jobs(&two);
    bad[0].scrape_timeout = Some(telltale_scrape::duration::PromDuration::from_secs(60));
    assert!(m.apply_config(&bad).is_err());
    assert_eq!(m.jobs(), vec!["x".to_string()]);
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_and_basic_auth() {
    let (addr, t) = start_target("zipped 3\n").await;
    {
        let mut p = t.page.lock().unwrap();
        p.gzip = true;
        p.require_auth = Some("Basic dTpw".into()); // u:p
    }
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: z\n  scrape_interval: 100ms\n  basic_auth: {{username: u, password: p}}\n  static_configs: [{{targets: ['{addr}']}}]\n"
    )))
    .unwrap();
    wait_for("zipped", || last(&db, "zipped") == Some(3.0)).await;
    let h = t.hits.lock().unwrap()[0].clone();
    assert!(h["accept-encoding"].to_str().unwrap().contains("gzip"));
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_changes_are_picked_up_without_restart() {
    let (addr, _t) = start_target("from_a 1\n").await;
    let (addr2, _t2) = start_target("from_b 1\n").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.json");
    std::fs::write(
        &file,
        format!(r#"[{{"targets":["{addr}"],"labels":{{"team":"x"}}}}]"#),
    )
    .unwrap();
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: f\n  scrape_interval: 100ms\n  file_sd_configs: [{{files: ['{}'], refresh_interval: 50ms}}]\n",
        dir.path().join("*.json").display()
    )))
    .unwrap();
    wait_for("from_a", || !series(&db, "from_a").is_empty()).await;
    assert_eq!(series(&db, "from_a")[0].0.get("team"), "x");
    std::fs::write(&file, format!(r#"[{{"targets":["{addr2}"]}}]"#)).unwrap();
    // Make sure the modification time moves even on coarse clocks.
    let later = std::time::SystemTime::now() + Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    wait_for("from_b", || !series(&db, "from_b").is_empty()).await;
    wait_for("one target", || m.targets().len() == 1).await;
    assert!(m.targets()[0].scrape_url.contains(&addr2));
    wait_for("from_a stale", || {
        series(&db, "from_a")[0]
            .1
            .last()
            .is_some_and(|s| is_stale_nan(s.v))
    })
    .await;
    // A broken file keeps the last good targets and reports the error.
    std::fs::write(&file, "[{").unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(4);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
    wait_for("sd error", || !m.discovery_errors().is_empty()).await;
    assert_eq!(m.targets().len(), 1);
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_sd_targets_are_scraped() {
    let (addr, _t) = start_target("via_http 1\n").await;
    let body = format!(r#"[{{"targets":["{addr}"],"labels":{{"dc":"eu"}}}}]"#);
    let app = axum::Router::new().route(
        "/sd",
        axum::routing::get(move || {
            let b = body.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], b) }
        }),
    );
    let sd = common::serve(app).await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: h\n  scrape_interval: 100ms\n  http_sd_configs: [{{url: 'http://{sd}/sd', refresh_interval: 1s}}]\n  relabel_configs: [{{source_labels: [__meta_url], target_label: sd_url}}]\n"
    )))
    .unwrap();
    wait_for("via_http", || !series(&db, "via_http").is_empty()).await;
    let s = &series(&db, "via_http")[0].0;
    assert_eq!(s.get("dc"), "eu");
    assert_eq!(s.get("sd_url"), format!("http://{sd}/sd"));
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honor_labels_and_dropped_targets() {
    let (addr, _t) = start_target("m{job=\"inner\",instance=\"i\"} 1\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        r#"scrape_configs:
- job_name: hon
  scrape_interval: 100ms
  honor_labels: true
  static_configs: [{{targets: ['{addr}', 'drop.me:1']}}]
  relabel_configs: [{{source_labels: [__address__], regex: 'drop.*', action: drop}}]
- job_name: nohon
  scrape_interval: 100ms
  static_configs: [{{targets: ['{addr}']}}]
"#
    )))
    .unwrap();
    wait_for("both", || series(&db, "m").len() == 2).await;
    let s = series(&db, "m");
    let hon = s.iter().find(|(l, _)| l.get("job") == "inner").unwrap();
    assert_eq!(hon.0.get("instance"), "i");
    let no = s.iter().find(|(l, _)| l.get("job") == "nohon").unwrap();
    assert_eq!(no.0.get("exported_job"), "inner");
    assert_eq!(no.0.get("exported_instance"), "i");
    let d = m.dropped_targets();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].discovered_labels.get("__address__"), "drop.me:1");
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_settings_restart_the_loop_without_stale_markers() {
    let (addr, _t) = start_target("a 1\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    let cfg = |iv: &str| {
        jobs(&format!(
            "scrape_configs:\n- job_name: c\n  scrape_interval: {iv}\n  static_configs: [{{targets: ['{addr}']}}]\n"
        ))
    };
    m.apply_config(&cfg("100ms")).unwrap();
    wait_for("a", || {
        series(&db, "a").first().is_some_and(|(_, v)| v.len() >= 2)
    })
    .await;
    m.apply_config(&cfg("150ms")).unwrap();
    assert_eq!(m.targets()[0].scrape_interval, Duration::from_millis(150));
    // The new loop inherits the old one's state and keeps appending.
    let before = series(&db, "a")[0].1.len();
    wait_for("more samples", || series(&db, "a")[0].1.len() >= before + 2).await;
    assert!(series(&db, "a")[0].1.iter().all(|s| !is_stale_nan(s.v)));
    assert!(series(&db, "up")[0].1.iter().all(|s| !is_stale_nan(s.v)));
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openmetrics_histograms_created_and_compression_off() {
    let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nh_created 1700000000\n# TYPE c counter\nc_total 5 1700000000.5\n# EOF\n";
    let (addr, t) = start_target(body).await;
    t.page.lock().unwrap().content_type =
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8".into());
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: om\n  scrape_interval: 100ms\n  enable_compression: false\n  params: {{x: ['a b']}}\n  static_configs: [{{targets: ['{addr}']}}]\n"
    )))
    .unwrap();
    wait_for("up", || last(&db, "up") == Some(1.0)).await;
    // `le` is normalized as Prometheus 3 does; `_created` is not a series.
    let b = series(&db, "h_bucket");
    let les: Vec<&str> = b.iter().map(|(l, _)| l.get("le")).collect();
    assert_eq!(les, vec!["+Inf", "1.0"]);
    assert!(series(&db, "h_created").is_empty());
    // OpenMetrics timestamps are seconds.
    assert_eq!(series(&db, "c_total")[0].1[0].t, 1_700_000_000_500);
    assert_eq!(last(&db, "scrape_samples_scraped"), Some(5.0));
    let h = t.hits.lock().unwrap()[0].clone();
    assert!(
        !h.get("accept-encoding")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("gzip"))
    );
    assert!(m.targets()[0].scrape_url.ends_with("/metrics?x=a+b"));
    m.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_limit_keeps_the_first_targets() {
    let (a1, _t1) = start_target("x 1\n").await;
    let (a2, _t2) = start_target("x 2\n").await;
    let db = MemStorage::new();
    let m = manager(&db);
    m.apply_config(&jobs(&format!(
        "scrape_configs:\n- job_name: tl\n  scrape_interval: 100ms\n  target_limit: 1\n  static_configs: [{{targets: ['{a1}', '{a2}']}}]\n"
    )))
    .unwrap();
    wait_for("one up", || last(&db, "up") == Some(1.0)).await;
    assert_eq!(m.targets().len(), 1);
    let d = m.dropped_targets();
    assert_eq!(d.len(), 1);
    assert!(d[0].reason.contains("target_limit"));
    let sm = m.self_metrics();
    let get = |n: &str| {
        sm.iter().find(|f| f.name == n).map(|f| {
            (
                f.samples[0].labels.get("scrape_job").to_string(),
                f.samples[0].value,
            )
        })
    };
    assert_eq!(
        get("prometheus_target_scrape_pool_targets"),
        Some(("tl".into(), 1.0))
    );
    assert_eq!(
        get("prometheus_target_scrape_pool_dropped_targets"),
        Some(("tl".into(), 1.0))
    );
    m.stop();
}
