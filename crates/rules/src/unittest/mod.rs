//! `telltale test rules FILE...`: promtool's rule unit-test format, run on
//! [`MemStorage`] and the PromQL engine with controlled time.
//!
//! A test file names `rule_files` (relative to the test file), an
//! `evaluation_interval` and `tests`, each with `input_series` in the
//! expanding notation, `alert_rule_test`s (firing alerts expected at an
//! `eval_time`) and `promql_expr_test`s (samples expected from an
//! expression at an `eval_time`). As promtool does, every group is
//! evaluated at every `evaluation_interval` from time 0 to the largest
//! `eval_time`; alerts are compared at the evaluation at or just before
//! their `eval_time`, expressions after the last evaluation.

pub mod series;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{Engine, EngineOptions};

use crate::alert::AlertState;
use crate::duration::{format_duration_ms, parse_duration_ms};
use crate::file::load_files;
use crate::group::{Group, GroupOptions, Rule};
use crate::query::{EngineQuery, QueryFn};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    rule_files: Vec<String>,
    #[serde(default)]
    evaluation_interval: Option<String>,
    #[serde(default)]
    group_eval_order: Vec<String>,
    #[serde(default)]
    tests: Vec<TestGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestGroup {
    #[serde(default)]
    interval: Option<String>,
    #[serde(default)]
    input_series: Vec<InputSeries>,
    #[serde(default)]
    alert_rule_test: Vec<AlertTest>,
    #[serde(default)]
    promql_expr_test: Vec<ExprTest>,
    #[serde(default)]
    external_labels: BTreeMap<String, String>,
    #[serde(default)]
    external_url: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputSeries {
    series: String,
    #[serde(default)]
    values: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpAlert {
    #[serde(default)]
    exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    exp_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprTest {
    expr: String,
    eval_time: String,
    #[serde(default)]
    exp_samples: Vec<ExpSample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpSample {
    #[serde(default)]
    labels: String,
    value: f64,
}

/// The outcome of [`test_rules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    /// The text to print, promtool's wording (`Unit Testing:  FILE`,
    /// `  SUCCESS` or `  FAILED:` and the differences).
    pub output: String,
    /// Whether every test of every file passed (exit code 1 otherwise).
    pub success: bool,
    /// The number of failed files.
    pub failed_files: usize,
}

/// Runs rule unit-test files as `promtool test rules` does.
pub fn test_rules<S: AsRef<str>>(paths: &[S]) -> TestReport {
    let mut out = String::new();
    let mut failed = 0;
    for p in paths {
        let p = p.as_ref();
        let _ = writeln!(out, "Unit Testing:  {p}");
        let errs = run_file(p);
        if errs.is_empty() {
            let _ = writeln!(out, "  SUCCESS");
        } else {
            failed += 1;
            let _ = writeln!(out, "  FAILED:");
            for e in errs {
                let _ = writeln!(out, "{e}");
            }
        }
        let _ = writeln!(out);
    }
    TestReport {
        output: out,
        success: failed == 0,
        failed_files: failed,
    }
}

fn dur(s: &str, what: &str) -> Result<i64, String> {
    parse_duration_ms(s)
        .map(|v| v as i64)
        .map_err(|e| format!("    {what}: {e}"))
}

fn run_file(path: &str) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("    {e}")],
    };
    let tf: TestFile = match serde_saphyr::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            return vec![format!("    {}", msg.lines().next().unwrap_or(""))];
        }
    };
    let dir = Path::new(path).parent().unwrap_or(Path::new(""));
    let files: Vec<String> = tf
        .rule_files
        .iter()
        .map(|f| {
            if Path::new(f).is_absolute() {
                f.clone()
            } else {
                dir.join(f).to_string_lossy().into_owned()
            }
        })
        .collect();
    let mut specs = match load_files(&files) {
        Ok(s) => s,
        Err(errs) => return errs.iter().map(|e| format!("    {e}")).collect(),
    };
    if !tf.group_eval_order.is_empty() {
        let pos = |n: &str| tf.group_eval_order.iter().position(|x| x == n);
        if let Some(missing) = specs.iter().find(|g| pos(&g.name).is_none()) {
            return vec![format!(
                "    group {:?} is not in group_eval_order",
                missing.name
            )];
        }
        specs.sort_by_key(|g| pos(&g.name));
    }
    let eval_interval = match tf
        .evaluation_interval
        .as_deref()
        .map(|s| dur(s, "evaluation_interval"))
    {
        Some(Ok(0)) | None => 60_000,
        Some(Ok(v)) => v,
        Some(Err(e)) => return vec![e],
    };
    let mut errs = Vec::new();
    for tg in &tf.tests {
        errs.extend(run_group(tg, &specs, eval_interval));
    }
    errs
}

fn run_group(tg: &TestGroup, specs: &[crate::GroupSpec], eval_interval: i64) -> Vec<String> {
    let prefix = if tg.name.is_empty() {
        String::new()
    } else {
        format!("    name: {},\n", tg.name)
    };
    let fail = |e: String| vec![format!("{prefix}{e}")];
    let interval = match tg.interval.as_deref().map(|s| dur(s, "interval")) {
        Some(Ok(0)) | None => eval_interval,
        Some(Ok(v)) => v,
        Some(Err(e)) => return fail(e),
    };
    let db = MemStorage::new();
    for s in &tg.input_series {
        let labels = match series::parse_series(&s.series) {
            Ok(l) => l,
            Err(e) => return fail(format!("    {e}")),
        };
        let values = match series::expand_values(&s.values) {
            Ok(v) => v,
            Err(e) => return fail(format!("    series {}: {e}", s.series)),
        };
        db.insert(
            labels,
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| Sample::new(i as i64 * interval, v))),
        );
    }
    let engine = Arc::new(Engine::new(EngineOptions::default()));
    let query: Arc<dyn QueryFn> = Arc::new(EngineQuery::new(engine, Arc::new(db.clone())));
    let mut opts = GroupOptions::new(query.clone(), Arc::new(db.clone()), Arc::new(db.clone()));
    opts.default_interval_ms = eval_interval as u64;
    opts.external_labels = tg.external_labels.clone();
    opts.external_url = tg.external_url.clone();
    let mut groups: Vec<Group> = specs
        .iter()
        .map(|s| Group::new(s.clone(), &opts, true))
        .collect();

    let mut alert_tests: Vec<(i64, &AlertTest)> = Vec::new();
    for t in &tg.alert_rule_test {
        match dur(&t.eval_time, "eval_time") {
            Ok(v) => alert_tests.push((v, t)),
            Err(e) => return fail(e),
        }
    }
    alert_tests.sort_by_key(|(t, _)| *t);
    let mut expr_tests: Vec<(i64, &ExprTest)> = Vec::new();
    for t in &tg.promql_expr_test {
        match dur(&t.eval_time, "eval_time") {
            Ok(v) => expr_tests.push((v, t)),
            Err(e) => return fail(e),
        }
    }
    let maxt = alert_tests
        .iter()
        .map(|x| x.0)
        .chain(expr_tests.iter().map(|x| x.0))
        .max()
        .unwrap_or(0);
    let mut errs = Vec::new();
    let mut next_alert = 0;
    let mut ts = 0;
    while ts <= maxt {
        for g in groups.iter_mut() {
            g.eval(ts, &opts);
            for r in g.rules() {
                if let Some(e) = &r.last_error {
                    errs.push(format!(
                        "    rule: {}, time: {}, err: {e}",
                        r.rule.spec().name,
                        format_duration_ms(ts as u64)
                    ));
                }
            }
        }
        while next_alert < alert_tests.len()
            && ts <= alert_tests[next_alert].0
            && alert_tests[next_alert].0 < ts + eval_interval
        {
            let (t, test) = alert_tests[next_alert];
            if let Some(e) = compare_alerts(&groups, test, t) {
                errs.push(e);
            }
            next_alert += 1;
        }
        ts += eval_interval;
    }
    for (t, test) in expr_tests {
        if let Some(e) = compare_expr(query.as_ref(), test, t) {
            errs.push(e);
        }
    }
    errs.into_iter().map(|e| format!("{prefix}{e}")).collect()
}

type LabelsAndAnnotations = Vec<(Labels, BTreeMap<String, String>)>;

fn show(v: &LabelsAndAnnotations) -> String {
    let items: Vec<String> = v
        .iter()
        .enumerate()
        .map(|(i, (l, a))| {
            let ann: Vec<String> = a.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            format!(
                "{i}:\n          Labels:{l}\n          Annotations:{{{}}}",
                ann.join(", ")
            )
        })
        .collect();
    format!("[\n        {}\n        ]", items.join("\n        "))
}

fn compare_alerts(groups: &[Group], test: &AlertTest, t: i64) -> Option<String> {
    let mut got: LabelsAndAnnotations = Vec::new();
    for g in groups {
        for r in g.rules() {
            if let Rule::Alerting(a) = &r.rule
                && a.spec().name == test.alertname
            {
                got.extend(
                    a.alerts()
                        .into_iter()
                        .filter(|x| x.state == AlertState::Firing)
                        .map(|x| (x.labels.clone(), x.annotations.clone())),
                );
            }
        }
    }
    let mut exp: LabelsAndAnnotations = test
        .exp_alerts
        .iter()
        .map(|e| {
            let mut l: Vec<(&str, &str)> = e
                .exp_labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            l.push(("alertname", &test.alertname));
            (Labels::from_pairs(&l), e.exp_annotations.clone())
        })
        .collect();
    got.sort();
    exp.sort();
    if got == exp {
        return None;
    }
    Some(format!(
        "    alertname: {}, time: {}, \n        exp:{},\n        got:{}",
        test.alertname,
        format_duration_ms(t as u64),
        show(&exp),
        show(&got)
    ))
}

fn fmt_samples(v: &[(Labels, f64)]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|(l, x)| format!("{l} {}", crate::humanize::go_v(*x)))
        .collect();
    format!("[{}]", items.join(", "))
}

fn compare_expr(query: &dyn QueryFn, test: &ExprTest, t: i64) -> Option<String> {
    let head = format!(
        "    expr: {:?}, time: {}",
        test.expr,
        format_duration_ms(t as u64)
    );
    let mut got: Vec<(Labels, f64)> = match query.query(&test.expr, t) {
        Ok(v) => v.into_iter().map(|s| (s.labels, s.value)).collect(),
        Err(e) => return Some(format!("{head}, err: {e}")),
    };
    let mut exp = Vec::new();
    for s in &test.exp_samples {
        match series::parse_series(&s.labels) {
            Ok(l) => exp.push((l, s.value)),
            Err(e) => return Some(format!("{head}, err: {e}")),
        }
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    exp.sort_by(|a, b| a.0.cmp(&b.0));
    let same = got.len() == exp.len()
        && got
            .iter()
            .zip(&exp)
            .all(|(g, e)| g.0 == e.0 && (g.1 == e.1 || (g.1.is_nan() && e.1.is_nan())));
    if same {
        return None;
    }
    Some(format!(
        "{head},\n        exp: {}\n        got: {}",
        fmt_samples(&exp),
        fmt_samples(&got)
    ))
}
