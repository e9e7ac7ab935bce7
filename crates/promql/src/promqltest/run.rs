//! Running parsed scripts against the engine and comparing results.

use std::collections::BTreeMap;

use promql_parser::parser::Expr;
use telltale_model::{Labels, MemStorage, Sample};

use super::script::{Command, Eval, Matcher, Point};
use crate::engine::{CancelToken, Engine, EngineOptions};
use crate::eval::almost_equal;
use crate::value::{QueryResult, Value, format_float};

/// The engine settings test scripts assume.
pub fn test_engine() -> Engine {
    Engine::new(EngineOptions {
        enable_experimental: true,
        // Upstream's test engine has no resolution limit (that lives in
        // the HTTP API).
        max_points_per_series: usize::MAX,
        ..EngineOptions::default()
    })
}

fn float_eq(a: f64, b: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return telltale_model::is_stale_nan(a) == telltale_model::is_stale_nan(b);
    }
    almost_equal(a, b, 1e-6)
}

/// Loads series lines into `db`.
pub(crate) fn load(db: &MemStorage, interval: i64, series: &[super::script::SeriesLine]) {
    let mut block: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
    for s in series {
        let samples = s
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Point::Float(v) => Some(Sample::new(i as i64 * interval, *v)),
                _ => None,
            })
            .collect();
        block.insert(s.labels.clone(), samples);
    }
    for (l, s) in block {
        db.insert(l, s);
    }
}

/// Runs one eval; `Err` carries the reason it failed.
pub(crate) fn run_eval(engine: &Engine, db: &MemStorage, ev: &Eval) -> Result<(), String> {
    let cancel = CancelToken::new();
    let res = match ev.range {
        Some((s, e, st)) => engine.range_query(db, &ev.expr, s, e, st, &cancel),
        None => engine.instant_query(db, &ev.expr, ev.at, &cancel),
    };
    let ex = &ev.expect;
    if let Some(m) = &ex.fail {
        return match res {
            Ok(_) => Err("expected the query to fail, but it succeeded".into()),
            Err(e) => {
                let msg = e.to_string();
                match m {
                    Some(m) if !m.matches(&msg) => {
                        Err(format!("error {msg:?} does not match expected {m:?}"))
                    }
                    _ => Ok(()),
                }
            }
        };
    }
    let r = res.map_err(|e| format!("unexpected error: {e}"))?;
    check_annotations(&r, ev)?;
    check_value(&r.value, ev)?;
    if ev.range.is_none() {
        range_cross_check(engine, db, ev, &r.value)?;
        at_invariance_check(engine, db, ev)?;
    }
    Ok(())
}

/// Functions whose result depends on the evaluation time itself.
const TIME_DEPENDENT: [&str; 16] = [
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "end",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
    "info",
];

fn pin_at(e: &mut Expr, at: std::time::SystemTime) {
    use promql_parser::parser::AtModifier;
    match e {
        Expr::VectorSelector(vs) if vs.at.is_none() => vs.at = Some(AtModifier::At(at)),
        Expr::MatrixSelector(ms) if ms.vs.at.is_none() => ms.vs.at = Some(AtModifier::At(at)),
        // The inner expression of a subquery runs relative to the
        // subquery's own time, so it is left alone.
        Expr::Subquery(sq) if sq.at.is_none() => sq.at = Some(AtModifier::At(at)),
        Expr::Paren(p) => pin_at(&mut p.expr, at),
        Expr::Unary(u) => pin_at(&mut u.expr, at),
        Expr::Binary(b) => {
            pin_at(&mut b.lhs, at);
            pin_at(&mut b.rhs, at);
        }
        Expr::Aggregate(a) => {
            pin_at(&mut a.expr, at);
            if let Some(p) = &mut a.param {
                pin_at(p, at);
            }
        }
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| pin_at(a, at)),
        _ => {}
    }
}

fn uses_time_functions(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => {
            TIME_DEPENDENT.contains(&c.func.name)
                || c.args.args.iter().any(|a| uses_time_functions(a))
        }
        Expr::Paren(p) => uses_time_functions(&p.expr),
        Expr::Unary(u) => uses_time_functions(&u.expr),
        Expr::Binary(b) => uses_time_functions(&b.lhs) || uses_time_functions(&b.rhs),
        Expr::Aggregate(a) => {
            uses_time_functions(&a.expr) || a.param.as_deref().is_some_and(uses_time_functions)
        }
        Expr::Subquery(s) => uses_time_functions(&s.expr),
        _ => false,
    }
}

/// Upstream's second check: pinning every selector to `@ t` makes the
/// result independent of the evaluation time.
fn at_invariance_check(engine: &Engine, db: &MemStorage, ev: &Eval) -> Result<(), String> {
    let ex = &ev.expect;
    if ex.range_vector.is_some() || ex.string.is_some() {
        return Ok(());
    }
    let Ok(mut expr) = promql_parser::parser::parse(&ev.expr) else {
        return Ok(());
    };
    if uses_time_functions(&expr) {
        return Ok(());
    }
    let t = ev.at;
    let at = if t >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(t as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_millis(t.unsigned_abs())
    };
    pin_at(&mut expr, at);
    let q = expr.to_string();
    let times: Vec<i64> = if t == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t, 0, t / 5, t, 10 * t]
    };
    for et in times {
        let r = engine
            .instant_query(db, &q, et, &CancelToken::new())
            .map_err(|e| format!("@ check at {et}ms of {q:?} failed: {e}"))?;
        check_value(&r.value, ev).map_err(|e| format!("@ check at {et}ms of {q:?}: {e}"))?;
    }
    Ok(())
}

/// Upstream's consistency check: an instant query must equal the middle
/// step of the same query run as a range query around it.
fn range_cross_check(engine: &Engine, db: &MemStorage, ev: &Eval, v: &Value) -> Result<(), String> {
    let ex = &ev.expect;
    if ex.ordered || ex.range_vector.is_some() || ex.string.is_some() {
        return Ok(());
    }
    if ["start()", "end()", "range()", "step()"]
        .iter()
        .any(|f| ev.expr.contains(f))
    {
        return Ok(());
    }
    let want: Vec<(Labels, f64)> = match v {
        Value::Vector(s) => s.iter().map(|s| (s.labels.clone(), s.v)).collect(),
        Value::Scalar { v, .. } => vec![(Labels::empty(), *v)],
        _ => return Ok(()),
    };
    let t = ev.at;
    let r = engine
        .range_query(
            db,
            &ev.expr,
            t - 60_000,
            t + 60_000,
            60_000,
            &CancelToken::new(),
        )
        .map_err(|e| format!("range cross-check failed: {e}"))?;
    let Value::Matrix(m) = r.value else {
        return Err("range cross-check did not return a matrix".into());
    };
    let mut got: Vec<(Labels, f64)> = m
        .iter()
        .filter_map(|s| {
            s.samples
                .iter()
                .find(|p| p.t == t)
                .map(|p| (s.labels.clone(), p.v))
        })
        .collect();
    let mut want = want;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let same = got.len() == want.len()
        && got
            .iter()
            .zip(&want)
            .all(|(a, b)| a.0 == b.0 && float_eq(a.1, b.1));
    if !same {
        return Err(format!(
            "range cross-check: instant result {:?} differs from the range query's middle step {:?}",
            want.iter()
                .map(|(l, v)| format!("{l} {}", format_float(*v)))
                .collect::<Vec<_>>(),
            got.iter()
                .map(|(l, v)| format!("{l} {}", format_float(*v)))
                .collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn check_kind(
    kind: &str,
    got: &[String],
    want: &[Option<Matcher>],
    none: bool,
) -> Result<(), String> {
    if none && !got.is_empty() {
        return Err(format!("expected no {kind} annotations, got {got:?}"));
    }
    if want.is_empty() {
        return Ok(());
    }
    if got.is_empty() {
        return Err(format!("expected {kind} annotations, got none"));
    }
    for w in want.iter().flatten() {
        if !got.iter().any(|g| w.matches(g)) {
            return Err(format!("expected {kind} annotation {w:?}, got {got:?}"));
        }
    }
    if want.iter().all(Option::is_some) {
        for g in got {
            if !want.iter().flatten().any(|w| w.matches(g)) {
                return Err(format!("unexpected {kind} annotation {g:?}"));
            }
        }
    }
    Ok(())
}

fn check_annotations(r: &QueryResult, ev: &Eval) -> Result<(), String> {
    let ex = &ev.expect;
    check_kind("warn", &r.warnings, &ex.warn, ex.no_warn)?;
    check_kind("info", &r.infos, &ex.info, ex.no_info)
}

fn series_points(points: &[Point], start: i64, step: i64) -> Result<Vec<(i64, f64)>, String> {
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        match p {
            Point::Float(v) => out.push((start + i as i64 * step, *v)),
            Point::Missing => {}
            Point::Histogram => {
                return Err("native histogram expectations are not supported".into());
            }
        }
    }
    Ok(out)
}

fn show(l: &Labels) -> String {
    l.to_string()
}

fn compare_matrix(
    got: &[crate::value::RangeSeries],
    ev: &Eval,
    start: i64,
    step: i64,
) -> Result<(), String> {
    let want = &ev.expect.series;
    if got.len() != want.len() {
        return Err(format!(
            "expected {} series, got {}: {:?}",
            want.len(),
            got.len(),
            got.iter().map(|s| show(&s.labels)).collect::<Vec<_>>()
        ));
    }
    for w in want {
        let g = got
            .iter()
            .find(|g| g.labels == w.labels)
            .ok_or_else(|| format!("expected series {} not in result", show(&w.labels)))?;
        let wp = series_points(&w.points, start, step)?;
        let gp: Vec<(i64, f64)> = g.samples.iter().map(|s| (s.t, s.v)).collect();
        let ok = wp.len() == gp.len()
            && wp
                .iter()
                .zip(&gp)
                .all(|(a, b)| a.0 == b.0 && float_eq(a.1, b.1));
        if !ok {
            let fmt = |v: &[(i64, f64)]| {
                v.iter()
                    .map(|(t, x)| format!("{}@{}", format_float(*x), t))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Err(format!(
                "series {}: expected [{}], got [{}]",
                show(&w.labels),
                fmt(&wp),
                fmt(&gp)
            ));
        }
    }
    Ok(())
}

fn check_value(v: &Value, ev: &Eval) -> Result<(), String> {
    let ex = &ev.expect;
    if let Some(s) = &ex.string {
        return match v {
            Value::String { v, .. } if v == s => Ok(()),
            other => Err(format!("expected string {s:?}, got {other:?}")),
        };
    }
    if let Some(want) = ex.scalar {
        return match v {
            Value::Scalar { v, .. } if float_eq(*v, want) => Ok(()),
            other => Err(format!(
                "expected scalar {}, got {other:?}",
                format_float(want)
            )),
        };
    }
    match v {
        Value::Matrix(m) => {
            if let Some((s, _, st)) = ex.range_vector {
                return compare_matrix(m, ev, s, st);
            }
            match ev.range {
                Some((s, _, st)) => compare_matrix(m, ev, s, st),
                None => {
                    if m.is_empty() && ex.series.is_empty() {
                        Ok(())
                    } else {
                        Err(format!(
                            "unexpected range vector result with {} series",
                            m.len()
                        ))
                    }
                }
            }
        }
        Value::Vector(got) => {
            let want = &ex.series;
            if got.len() != want.len() {
                return Err(format!(
                    "expected {} samples, got {}: {}",
                    want.len(),
                    got.len(),
                    got.iter()
                        .map(|s| format!("{} {}", show(&s.labels), format_float(s.v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for (pos, w) in want.iter().enumerate() {
                let idx = got
                    .iter()
                    .position(|g| g.labels == w.labels)
                    .ok_or_else(|| format!("expected series {} not in result", show(&w.labels)))?;
                if ex.ordered && idx != pos {
                    return Err(format!(
                        "series {} at position {}, expected {}",
                        show(&w.labels),
                        idx + 1,
                        pos + 1
                    ));
                }
                let wv = match w.points.as_slice() {
                    [Point::Float(x)] => *x,
                    [Point::Histogram] => {
                        return Err("native histogram expectations are not supported".into());
                    }
                    _ => return Err(format!("expected one value for {}", show(&w.labels))),
                };
                if !float_eq(got[idx].v, wv) {
                    return Err(format!(
                        "series {}: expected {}, got {}",
                        show(&w.labels),
                        format_float(wv),
                        format_float(got[idx].v)
                    ));
                }
            }
            Ok(())
        }
        Value::Scalar { v, .. } => Err(format!("unexpected scalar result {}", format_float(*v))),
        Value::String { v, .. } => Err(format!("unexpected string result {v:?}")),
    }
}

/// Runs all commands; calls `report` with each eval's line and outcome
/// (`None` when skipped).
pub(crate) fn run_commands(
    cmds: &[Command],
    skip: &dyn Fn(usize) -> bool,
    mut report: impl FnMut(&Eval, Option<Result<(), String>>),
) {
    let engine = test_engine();
    let db = MemStorage::new();
    for c in cmds {
        match c {
            Command::Clear => db.clear(),
            Command::Load { interval, series } => load(&db, *interval, series),
            Command::Eval(ev) => {
                if skip(ev.line) {
                    report(ev, None);
                } else {
                    report(ev, Some(run_eval(&engine, &db, ev)));
                }
            }
        }
    }
}
