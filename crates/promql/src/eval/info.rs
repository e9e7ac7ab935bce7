//! `info()`: enriches series with the data labels of info metrics
//! (`target_info` by default) that share their identifying labels.
//!
//! The info series are looked up at the same reference time as the base
//! samples: `@` and `offset` on the base expression (down through
//! subqueries) shift the lookup too.

use promql_parser::parser::{Call, Expr};
use telltale_model::{Labels, METRIC_NAME, MatchOp, Matcher, is_stale_nan};

use super::selector::selector_matchers;
use super::{Ctx, Evaluator, OutBuilder, Raw, Val, dur_ms, offset_ms};
use crate::error::PromqlError;

/// Labels that identify the target an info metric describes.
const IDENTIFYING: [&str; 2] = ["instance", "job"];

impl Evaluator<'_> {
    /// The `(at, offset)` shifts from evaluation time to the reference time
    /// of the data under `e`, outermost first.
    fn ref_shifts(&self, e: &Expr) -> Vec<(Option<i64>, i64)> {
        match e {
            Expr::VectorSelector(vs) => vec![(self.at_ms(&vs.at), offset_ms(&vs.offset))],
            Expr::MatrixSelector(ms) => vec![(self.at_ms(&ms.vs.at), offset_ms(&ms.vs.offset))],
            Expr::Subquery(sq) => {
                let mut v = vec![(self.at_ms(&sq.at), offset_ms(&sq.offset))];
                v.extend(self.ref_shifts(&sq.expr));
                v
            }
            Expr::Paren(p) => self.ref_shifts(&p.expr),
            Expr::Unary(u) => self.ref_shifts(&u.expr),
            Expr::Aggregate(a) => self.ref_shifts(&a.expr),
            Expr::Binary(b) => {
                let l = self.ref_shifts(&b.lhs);
                if l.is_empty() {
                    self.ref_shifts(&b.rhs)
                } else {
                    l
                }
            }
            Expr::Call(c) => c
                .args
                .args
                .iter()
                .map(|a| self.ref_shifts(a))
                .find(|v| !v.is_empty())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn info_fn(&mut self, ctx: Ctx, c: &Call) -> Result<Val, PromqlError> {
        let args = &c.args.args;
        let base = self.eval_vector(ctx, &args[0])?;
        let n = ctx.n();
        let mut name_ms: Vec<Matcher> = Vec::new();
        let mut data_ms: Vec<Matcher> = Vec::new();
        if let Some(sel) = args.get(1) {
            let Expr::VectorSelector(vs) = &**sel else {
                return Err(PromqlError::exec(
                    "info() expects a series selector as its second argument",
                ));
            };
            for m in selector_matchers(vs)?.into_iter().flatten() {
                if m.name == METRIC_NAME {
                    name_ms.push(m);
                } else {
                    data_ms.push(m);
                }
            }
        }
        if !name_ms
            .iter()
            .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex))
        {
            if name_ms.is_empty() {
                name_ms.push(Matcher::equal(METRIC_NAME, "target_info"));
            } else {
                let m = Matcher::new(MatchOp::Regex, METRIC_NAME, ".+_info")
                    .map_err(|e| PromqlError::exec(e.to_string()))?;
                name_ms.push(m);
            }
        }
        let shifts = self.ref_shifts(&args[0]);
        let refs: Vec<i64> = (0..n)
            .map(|i| {
                shifts.iter().fold(ctx.t(i), |r, (at, off)| {
                    at.unwrap_or(r).saturating_sub(*off)
                })
            })
            .collect();
        let lookback = dur_ms(&self.opts.lookback_delta);
        let lo = refs.iter().copied().min().unwrap_or(ctx.start);
        let hi = refs.iter().copied().max().unwrap_or(ctx.end);
        let mut all: Vec<Matcher> = name_ms.clone();
        all.extend(data_ms.iter().cloned());
        let infos = self.load_matchers(&all, lo.saturating_sub(lookback).saturating_add(1), hi)?;
        let data_names: Vec<&str> = data_ms.iter().map(|m| m.name.as_str()).collect();
        let drop_unmatched = data_ms.iter().any(|m| !m.matches(""));
        let mut ob = OutBuilder::new(n);
        for s in base {
            self.check()?;
            let is_info = name_ms.iter().all(|m| m.matches(s.labels.metric_name()));
            let ident: Vec<(&str, &str)> = IDENTIFYING
                .iter()
                .map(|l| (*l, s.labels.get(l)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let cands: Vec<&Raw> = if is_info || ident.is_empty() {
                Vec::new()
            } else {
                infos
                    .iter()
                    .filter(|r| ident.iter().all(|(l, v)| r.labels.get(l) == *v))
                    .collect()
            };
            for (step, v) in s.vals.iter().enumerate() {
                let Some(v) = *v else { continue };
                if is_info || ident.is_empty() {
                    let slot = ob.slot(s.labels.clone(), s.drop_name);
                    ob.set(slot, step, v)?;
                    continue;
                }
                let rt = refs[step];
                // The newest sample per info metric name wins.
                let mut chosen: Vec<(&str, i64, &Labels)> = Vec::new();
                for r in &cands {
                    let idx = r.samples.partition_point(|x| x.t <= rt);
                    if idx == 0 {
                        continue;
                    }
                    let x = r.samples[idx - 1];
                    if x.t <= rt.saturating_sub(lookback) || is_stale_nan(x.v) {
                        continue;
                    }
                    let name = r.labels.metric_name();
                    match chosen.iter_mut().find(|c| c.0 == name) {
                        Some(c) if c.1 < x.t => *c = (name, x.t, &r.labels),
                        Some(_) => {}
                        None => chosen.push((name, x.t, &r.labels)),
                    }
                }
                if chosen.is_empty() {
                    if drop_unmatched {
                        continue;
                    }
                    let slot = ob.slot(s.labels.clone(), s.drop_name);
                    ob.set(slot, step, v)?;
                    continue;
                }
                let mut b = s.labels.builder();
                let mut added: Vec<(String, String)> = Vec::new();
                for (_, _, l) in &chosen {
                    for lb in l.iter() {
                        if lb.name == METRIC_NAME
                            || IDENTIFYING.contains(&lb.name.as_str())
                            || s.labels.has(&lb.name)
                            || (!data_names.is_empty() && !data_names.contains(&lb.name.as_str()))
                        {
                            continue;
                        }
                        match added.iter().find(|(n, _)| *n == lb.name) {
                            Some((_, prev)) if *prev != lb.value => {
                                return Err(PromqlError::exec(format!(
                                    "conflicting label {:?}: values {:?} and {:?} from different info metrics",
                                    lb.name, prev, lb.value
                                )));
                            }
                            Some(_) => {}
                            None => {
                                added.push((lb.name.clone(), lb.value.clone()));
                                b.set(&lb.name, &lb.value);
                            }
                        }
                    }
                }
                let slot = ob.slot(b.build(), s.drop_name);
                ob.set(slot, step, v)?;
            }
        }
        let mut out = ob.series;
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(Val::Vector(out))
    }
}
