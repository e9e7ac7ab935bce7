//! Alerting and recording rules on controlled time: MemStorage, the real
//! PromQL engine, and evaluation called with explicit timestamps.

use std::sync::Arc;

use telltale_model::{Labels, MemStorage, Queryable, Sample, is_stale_nan};
use telltale_promql::{Engine, EngineOptions};
use telltale_rules::file::parse_rule_file;
use telltale_rules::{AlertState, EngineQuery, Group, GroupOptions, Health, Rule};

const MIN: i64 = 60_000;

fn setup() -> (MemStorage, GroupOptions) {
    let db = MemStorage::new();
    let engine = Arc::new(Engine::new(EngineOptions::default()));
    let q = EngineQuery::new(engine, Arc::new(db.clone()));
    let opts = GroupOptions::new(Arc::new(q), Arc::new(db.clone()), Arc::new(db.clone()));
    (db, opts)
}

fn group(yaml: &str, opts: &GroupOptions, restored: bool) -> Group {
    let mut g = parse_rule_file("t.yml", yaml).unwrap();
    Group::new(g.remove(0), opts, restored)
}

fn set(db: &MemStorage, pairs: &[(&str, &str)], t: i64, v: f64) {
    db.insert(Labels::from_pairs(pairs), [Sample::new(t, v)]);
}

fn samples(db: &MemStorage, name: &str) -> Vec<(Labels, Vec<Sample>)> {
    let q = db.querier(i64::MIN / 2, i64::MAX / 2).unwrap();
    let m = [telltale_model::Matcher::equal("__name__", name)];
    q.select(&Default::default(), &m)
        .unwrap()
        .into_iter()
        .map(|mut s| (s.labels.clone(), s.samples.collect_all().unwrap()))
        .collect()
}

fn alert_states(g: &Group) -> Vec<AlertState> {
    match &g.rules()[0].rule {
        Rule::Alerting(a) => a.alerts().iter().map(|a| a.state).collect(),
        Rule::Recording(_) => vec![],
    }
}

const HIGH: &str = r#"
groups:
- name: g
  interval: 1m
  rules:
  - alert: High
    expr: load > 1
    for: 5m
    keep_firing_for: 2m
    labels:
      severity: "{{ if gt $value 5.0 }}page{{ else }}ticket{{ end }}"
    annotations:
      summary: "{{ $labels.instance }} load is {{ $value | humanize }}"
"#;

#[test]
fn pending_then_firing_after_for_then_keep_firing_then_resolved() {
    let (db, opts) = setup();
    let mut g = group(HIGH, &opts, true);
    let inst = [("__name__", "load"), ("instance", "a")];
    // Value above the threshold from 0 to 7m, then gone.
    for m in 0..=7 {
        set(&db, &inst, m * MIN, 2.0);
    }
    set(&db, &inst, 7 * MIN + 1, telltale_model::stale_nan());
    let mut sent = Vec::new();
    for m in 0..=12 {
        sent.push((m, g.eval(m * MIN, &opts)));
        let st = alert_states(&g);
        match m {
            0..=4 => assert_eq!(st, vec![AlertState::Pending], "at {m}m"),
            5..=9 => assert_eq!(st, vec![AlertState::Firing], "at {m}m"),
            _ => assert_eq!(st, vec![AlertState::Inactive], "at {m}m"),
        }
    }
    // Sent when it fires, resent after the resend delay, and once resolved.
    let sent_at: Vec<i64> = sent
        .iter()
        .filter(|(_, a)| !a.is_empty())
        .map(|(m, _)| *m)
        .collect();
    assert_eq!(sent_at, vec![5, 7, 9, 10, 12]);
    let first = &sent[5].1[0];
    assert_eq!(
        first.labels.get("severity").map(String::as_str),
        Some("ticket")
    );
    assert_eq!(
        first.labels.get("alertname").map(String::as_str),
        Some("High")
    );
    assert_eq!(
        first.annotations.get("summary").map(String::as_str),
        Some("a load is 2")
    );
    assert_eq!(first.starts_at_ms, 5 * MIN);
    assert_eq!(first.ends_at_ms, 5 * MIN + 4 * MIN);
    let resolved = &sent[10].1[0];
    assert_eq!(resolved.ends_at_ms, 10 * MIN);
    // ALERTS carries the state; ALERTS_FOR_STATE the active time.
    let alerts = samples(&db, "ALERTS");
    let pending: Vec<_> = alerts
        .iter()
        .filter(|(l, _)| l.get("alertstate") == "pending")
        .collect();
    let firing: Vec<_> = alerts
        .iter()
        .filter(|(l, _)| l.get("alertstate") == "firing")
        .collect();
    assert_eq!(
        pending[0].1.iter().filter(|s| !is_stale_nan(s.v)).count(),
        5
    );
    assert!(is_stale_nan(pending[0].1.last().unwrap().v));
    assert_eq!(firing[0].1.iter().filter(|s| !is_stale_nan(s.v)).count(), 5);
    assert_eq!(firing[0].1.last().unwrap().t, 10 * MIN);
    assert!(is_stale_nan(firing[0].1.last().unwrap().v));
    let fs = samples(&db, "ALERTS_FOR_STATE");
    assert_eq!(fs[0].1[0].v, 0.0);
}

#[test]
fn pending_alert_that_goes_away_is_dropped() {
    let (db, opts) = setup();
    let mut g = group(HIGH, &opts, true);
    set(&db, &[("__name__", "load"), ("instance", "a")], 0, 2.0);
    set(&db, &[("__name__", "load"), ("instance", "a")], MIN, 0.5);
    assert!(g.eval(0, &opts).is_empty());
    assert_eq!(alert_states(&g), vec![AlertState::Pending]);
    assert!(g.eval(MIN, &opts).is_empty());
    assert!(alert_states(&g).is_empty());
}

#[test]
fn restart_in_the_middle_keeps_the_pending_time() {
    let (db, opts) = setup();
    let yaml = HIGH.replace("for: 5m", "for: 30m");
    let inst = [("__name__", "load"), ("instance", "a")];
    for m in 0..=60 {
        set(&db, &inst, m * MIN, 2.0);
    }
    let mut g = group(&yaml, &opts, true);
    for m in 0..=10 {
        g.eval(m * MIN, &opts);
    }
    assert_eq!(alert_states(&g), vec![AlertState::Pending]);
    // Restart: a new group, down from 10m to 15m; first evaluation, then restore.
    let mut g2 = group(&yaml, &opts, false);
    g2.eval(15 * MIN, &opts);
    g2.restore_for_state(15 * MIN, &opts);
    let active_at = match &g2.rules()[0].rule {
        Rule::Alerting(a) => a.alerts()[0].active_at_ms,
        Rule::Recording(_) => unreachable!(),
    };
    // 10 minutes were spent pending before the outage of 5 minutes.
    assert_eq!(active_at, 5 * MIN);
    for m in 16..=34 {
        g2.eval(m * MIN, &opts);
        assert_eq!(alert_states(&g2), vec![AlertState::Pending], "at {m}m");
    }
    g2.eval(35 * MIN, &opts);
    assert_eq!(alert_states(&g2), vec![AlertState::Firing]);
    // Without restoring, the alert would have waited 30m from the restart.
    let mut g3 = group(&yaml, &opts, false);
    g3.eval(15 * MIN, &opts);
    match &g3.rules()[0].rule {
        Rule::Alerting(a) => assert_eq!(a.alerts()[0].active_at_ms, 15 * MIN),
        Rule::Recording(_) => unreachable!(),
    }
}

#[test]
fn restore_gives_a_grace_period_and_skips_long_outages() {
    let (db, mut opts) = setup();
    opts.for_grace_period_ms = 10 * MIN as u64;
    let yaml = HIGH.replace("for: 5m", "for: 30m");
    let inst = [("__name__", "load"), ("instance", "a")];
    for m in 0..=200 {
        set(&db, &inst, m * MIN, 2.0);
    }
    let mut g = group(&yaml, &opts, true);
    for m in 0..=25 {
        g.eval(m * MIN, &opts);
    }
    // Back at 27m: 5m remained, less than the 10m grace period.
    let mut g2 = group(&yaml, &opts, false);
    g2.eval(27 * MIN, &opts);
    g2.restore_for_state(27 * MIN, &opts);
    match &g2.rules()[0].rule {
        Rule::Alerting(a) => assert_eq!(a.alerts()[0].active_at_ms, 27 * MIN + 10 * MIN - 30 * MIN),
        Rule::Recording(_) => unreachable!(),
    }
    // Back after more than the outage tolerance (1h): nothing restored.
    let mut g3 = group(&yaml, &opts, false);
    g3.eval(200 * MIN, &opts);
    g3.restore_for_state(200 * MIN, &opts);
    match &g3.rules()[0].rule {
        Rule::Alerting(a) => assert_eq!(a.alerts()[0].active_at_ms, 200 * MIN),
        Rule::Recording(_) => unreachable!(),
    }
}

#[test]
fn recording_rule_writes_results_and_stale_markers() {
    let (db, opts) = setup();
    let yaml = "groups:\n- name: r\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n    labels:\n      src: rule\n";
    let mut g = group(yaml, &opts, true);
    set(&db, &[("__name__", "up"), ("job", "a"), ("i", "1")], 0, 1.0);
    set(&db, &[("__name__", "up"), ("job", "a"), ("i", "2")], 0, 1.0);
    set(&db, &[("__name__", "up"), ("job", "b"), ("i", "1")], 0, 1.0);
    set(
        &db,
        &[("__name__", "up"), ("job", "a"), ("i", "1")],
        MIN,
        1.0,
    );
    set(
        &db,
        &[("__name__", "up"), ("job", "b"), ("i", "1")],
        MIN,
        telltale_model::stale_nan(),
    );
    g.eval(0, &opts);
    g.eval(MIN, &opts);
    let got = samples(&db, "job:up:sum");
    assert_eq!(got.len(), 2);
    let a = got.iter().find(|(l, _)| l.get("job") == "a").unwrap();
    assert_eq!(a.0.get("src"), "rule");
    assert_eq!(a.1, vec![Sample::new(0, 2.0), Sample::new(MIN, 2.0)]);
    let b = got.iter().find(|(l, _)| l.get("job") == "b").unwrap();
    assert_eq!(b.1.len(), 2);
    assert!(is_stale_nan(b.1[1].v));
    assert_eq!(g.rules()[0].health, Health::Ok);
}

#[test]
fn limit_and_duplicate_labelsets_fail_the_rule() {
    let (db, opts) = setup();
    let yaml = "groups:\n- name: r\n  limit: 1\n  rules:\n  - record: x\n    expr: up\n  - alert: A\n    expr: up\n  - record: y\n    expr: up\n    labels:\n      job: same\n";
    let mut g = parse_rule_file("t.yml", yaml).unwrap();
    g[0].limit = 1;
    let mut g = Group::new(g.remove(0), &opts, true);
    set(&db, &[("__name__", "up"), ("job", "a")], 0, 1.0);
    set(&db, &[("__name__", "up"), ("job", "b")], 0, 1.0);
    g.eval(0, &opts);
    let r = g.rules();
    assert_eq!(r[0].health, Health::Err);
    assert_eq!(
        r[0].last_error.as_deref(),
        Some("exceeded limit of 1 with 2 series")
    );
    assert_eq!(
        r[1].last_error.as_deref(),
        Some("exceeded limit of 1 with 2 alerts")
    );
    assert!(
        r[2].last_error
            .as_deref()
            .unwrap_or("")
            .contains("same labelset")
    );
}

#[test]
fn query_offset_shifts_evaluation_and_sample_time() {
    let (db, opts) = setup();
    let yaml = "groups:\n- name: r\n  query_offset: 1m\n  rules:\n  - record: x\n    expr: v\n";
    let mut g = group(yaml, &opts, true);
    set(&db, &[("__name__", "v")], 0, 1.0);
    set(&db, &[("__name__", "v")], MIN, 2.0);
    g.eval(2 * MIN, &opts);
    let got = samples(&db, "x");
    assert_eq!(got[0].1, vec![Sample::new(MIN, 2.0)]);
}

#[test]
fn reload_keeps_state_of_unchanged_rules() {
    let (db, opts) = setup();
    let inst = [("__name__", "load"), ("instance", "a")];
    for m in 0..=10 {
        set(&db, &inst, m * MIN, 2.0);
    }
    let mut g = group(HIGH, &opts, true);
    for m in 0..=3 {
        g.eval(m * MIN, &opts);
    }
    let mut same = group(HIGH, &opts, true);
    same.copy_state(&g);
    let mut changed = group(&HIGH.replace("load > 1", "load > 1.5"), &opts, true);
    changed.copy_state(&g);
    same.eval(5 * MIN, &opts);
    changed.eval(5 * MIN, &opts);
    assert_eq!(alert_states(&same), vec![AlertState::Firing]);
    assert_eq!(alert_states(&changed), vec![AlertState::Pending]);
}

#[test]
fn eval_timestamp_is_aligned_to_the_interval() {
    let (_db, opts) = setup();
    let g = group(HIGH, &opts, true);
    let t1 = g.eval_timestamp(1_000_000_000);
    assert!(t1 <= 1_000_000_000 && 1_000_000_000 - t1 < MIN);
    assert_eq!(g.eval_timestamp(t1 + 59_999), t1);
    assert_eq!(g.eval_timestamp(t1 + MIN), t1 + MIN);
}
