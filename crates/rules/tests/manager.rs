//! The rule manager: API data, reloads, and the evaluation tasks on paused
//! tokio time.

use std::sync::Arc;
use std::time::Duration;

use telltale_model::{Labels, MemStorage, Queryable, Sample, is_stale_nan};
use telltale_promql::{Engine, EngineOptions};
use telltale_rules::file::parse_rule_file;
use telltale_rules::{EngineQuery, GroupOptions, InstantSample, MemorySink, QueryFn, RuleManager};

const MIN: i64 = 60_000;

fn opts(db: &MemStorage) -> GroupOptions {
    let engine = Arc::new(Engine::new(EngineOptions::default()));
    let q = EngineQuery::new(engine, Arc::new(db.clone()));
    let mut o = GroupOptions::new(Arc::new(q), Arc::new(db.clone()), Arc::new(db.clone()));
    o.external_url = "http://telltale:9099".into();
    o.external_labels.insert("cluster".into(), "eu".into());
    o
}

const RULES: &str = r#"
groups:
- name: node
  interval: 1m
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - alert: Down
    expr: up == 0
    for: 2m
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.instance }} down in {{ $externalLabels.cluster }}"
"#;

fn load(db: &MemStorage) {
    for m in 0..=10 {
        db.insert(
            Labels::from_pairs(&[("__name__", "up"), ("job", "n"), ("instance", "a")]),
            [Sample::new(m * MIN, 0.0)],
        );
    }
}

#[test]
fn api_rules_and_alerts_have_prometheus_shape() {
    let db = MemStorage::new();
    load(&db);
    let sink = Arc::new(MemorySink::new());
    let m = RuleManager::new(opts(&db), Some(sink.clone()));
    m.update(parse_rule_file("r.yml", RULES).unwrap(), false);
    m.eval_all(0);
    m.restore_all(0);
    for t in 1..=3 {
        m.eval_all(t * MIN);
    }
    let rules = m.api_rules(None);
    let g = &rules["groups"][0];
    assert_eq!(g["name"], "node");
    assert_eq!(g["file"], "r.yml");
    assert_eq!(g["interval"], 60.0);
    assert_eq!(g["lastEvaluation"], "1970-01-01T00:03:00Z");
    let rec = &g["rules"][0];
    assert_eq!(rec["type"], "recording");
    assert_eq!(rec["name"], "job:up:sum");
    assert_eq!(rec["query"], "sum by (job) (up)");
    assert_eq!(rec["health"], "ok");
    assert!(rec.get("labels").is_none(), "empty labels are left out");
    let al = &g["rules"][1];
    assert_eq!(al["type"], "alerting");
    assert_eq!(al["state"], "firing");
    assert_eq!(al["duration"], 120.0);
    assert_eq!(al["keepFiringFor"], 0.0);
    assert_eq!(al["labels"]["severity"], "page");
    let a = &al["alerts"][0];
    assert_eq!(a["state"], "firing");
    assert_eq!(a["value"], "0e+00");
    assert_eq!(a["activeAt"], "1970-01-01T00:00:00Z");
    assert_eq!(a["annotations"]["summary"], "a down in eu");
    assert_eq!(a["labels"]["alertname"], "Down");
    assert_eq!(
        m.api_rules(Some("record"))["groups"][0]["rules"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        m.api_rules(Some("alert"))["groups"][0]["rules"][0]["name"],
        "Down"
    );
    let alerts = m.api_alerts();
    assert_eq!(alerts["alerts"].as_array().map(Vec::len), Some(1));
    // The sink got the firing alert with external labels and a generator URL.
    let batches = sink.take();
    assert_eq!(batches.len(), 1);
    let sent = &batches[0][0];
    assert_eq!(sent.labels.get("cluster").map(String::as_str), Some("eu"));
    assert_eq!(
        sent.generator_url,
        "http://telltale:9099/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );
}

#[test]
fn reload_keeps_alerts_and_marks_removed_groups_stale() {
    let db = MemStorage::new();
    load(&db);
    let m = RuleManager::new(opts(&db), None);
    m.update(parse_rule_file("r.yml", RULES).unwrap(), false);
    m.restore_all(0);
    m.eval_all(0);
    m.eval_all(MIN);
    m.update(parse_rule_file("r.yml", RULES).unwrap(), false);
    m.eval_all(2 * MIN);
    let rules = m.api_rules(Some("alert"));
    assert_eq!(rules["groups"][0]["rules"][0]["state"], "firing");
    // A reload without the group stops it and marks its series stale.
    m.update(Vec::new(), false);
    assert!(m.groups().is_empty());
    let q = db.querier(0, i64::MAX / 2).unwrap();
    let sel = [telltale_model::Matcher::equal("__name__", "job:up:sum")];
    let mut s = q.select(&Default::default(), &sel).unwrap();
    let samples = s[0].samples.collect_all().unwrap();
    assert!(is_stale_nan(samples.last().unwrap().v));
}

#[test]
fn reload_from_files_reports_errors_and_keeps_old_rules() {
    let db = MemStorage::new();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yml");
    std::fs::write(&good, RULES).unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "groups:\n- name: x\n  rules:\n  - record: y\n    expr: 'sum('\n",
    )
    .unwrap();
    let m = RuleManager::new(opts(&db), None);
    m.reload(&[good.to_string_lossy().as_ref()]).unwrap();
    assert_eq!(m.groups().len(), 1);
    let errs = m.reload(&[bad.to_string_lossy().as_ref()]).unwrap_err();
    assert!(errs[0].to_string().contains("could not parse expression"));
    assert_eq!(m.groups().len(), 1);
}

const CONST_RULES: &str = r#"
groups:
- name: const
  interval: 1m
  rules:
  - alert: Always
    expr: vector(1) > 0
    for: 2m
"#;

#[tokio::test(start_paused = true)]
async fn group_task_evaluates_on_its_interval() {
    let db = MemStorage::new();
    let sink = Arc::new(MemorySink::new());
    let m = RuleManager::new(opts(&db), Some(sink.clone()));
    m.update(parse_rule_file("c.yml", CONST_RULES).unwrap(), true);
    tokio::time::sleep(Duration::from_secs(10 * 60 + 30)).await;
    let g = m.groups()[0].clone();
    let (iterations, missed, last) = {
        let g = g.lock().unwrap();
        (g.iterations, g.missed_iterations, g.last_eval_ms)
    };
    assert!((9..=11).contains(&iterations), "{iterations}");
    assert_eq!(missed, 0);
    let aligned = g.lock().unwrap().eval_timestamp(last);
    assert_eq!(aligned, last);
    // Fired after `for`, then re-sent once the resend delay (1m) has
    // passed: as in Prometheus, "passed" is strict, so every second minute.
    let batches = sink.take();
    assert!((4..=5).contains(&batches.len()), "{}", batches.len());
    assert!(batches.iter().all(|b| b[0].labels["alertname"] == "Always"));
    m.stop();
}

/// A query that takes longer than the group interval.
struct Slow;

impl QueryFn for Slow {
    fn query(&self, _expr: &str, _t: i64) -> Result<Vec<InstantSample>, String> {
        std::thread::sleep(Duration::from_millis(150));
        Ok(Vec::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_group_counts_missed_iterations_instead_of_piling_up() {
    let db = MemStorage::new();
    let o = GroupOptions::new(Arc::new(Slow), Arc::new(db.clone()), Arc::new(db.clone()));
    let m = RuleManager::new(o, None);
    let rules =
        "groups:\n- name: slow\n  interval: 50ms\n  rules:\n  - record: x\n    expr: vector(1)\n";
    m.update(parse_rule_file("s.yml", rules).unwrap(), true);
    let g = m.groups()[0].clone();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let g = g.lock().unwrap();
        if g.iterations >= 2 && g.missed_iterations > 0 {
            break;
        }
    }
    let g = g.lock().unwrap();
    assert!(g.missed_iterations > 0, "missed {}", g.missed_iterations);
    m.stop();
}

#[tokio::test(start_paused = true)]
async fn update_from_a_plain_thread_starts_tasks_on_the_managers_runtime() {
    let db = MemStorage::new();
    let m = Arc::new(RuleManager::new(opts(&db), None));
    let m2 = m.clone();
    std::thread::spawn(move || m2.update(parse_rule_file("c.yml", CONST_RULES).unwrap(), true))
        .join()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5 * 60 + 30)).await;
    let iterations = m.groups()[0].lock().unwrap().iterations;
    assert!(iterations >= 4, "{iterations}");
    m.stop();
}
