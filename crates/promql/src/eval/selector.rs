//! Vector selectors, range selectors and subqueries: where data comes in.

use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use telltale_model::{MatchOp, Matcher, Sample, SelectHints, is_stale_nan};

use super::{Ctx, Evaluator, MatrixArg, Raw, Ser, Val, dur_ms, offset_ms};
use crate::error::PromqlError;

/// Our matchers for a selector: one list per `or` alternative.
pub(crate) fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Vec<Matcher>>, PromqlError> {
    let conv = |m: &promql_parser::label::Matcher| -> Result<Matcher, PromqlError> {
        let op = match m.op {
            PMatchOp::Equal => MatchOp::Equal,
            PMatchOp::NotEqual => MatchOp::NotEqual,
            PMatchOp::Re(_) => MatchOp::Regex,
            PMatchOp::NotRe(_) => MatchOp::NotRegex,
        };
        Matcher::new(op, &m.name, &m.value).map_err(|e| PromqlError::parse(e.to_string()))
    };
    let mut groups: Vec<Vec<&promql_parser::label::Matcher>> = Vec::new();
    if vs.matchers.or_matchers.is_empty() {
        groups.push(vs.matchers.matchers.iter().collect());
    } else {
        for g in &vs.matchers.or_matchers {
            let mut v: Vec<_> = g.iter().collect();
            v.extend(vs.matchers.matchers.iter());
            groups.push(v);
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut ms = Vec::with_capacity(g.len() + 1);
        if let Some(name) = &vs.name {
            ms.push(Matcher::equal(telltale_model::METRIC_NAME, name));
        }
        for m in g {
            if m.name != super::extended::MARKER {
                ms.push(conv(m)?);
            }
        }
        out.push(ms);
    }
    Ok(out)
}

impl Evaluator<'_> {
    /// Loads the series of `vs` with samples in `[mint, maxt]`.
    pub(crate) fn load(
        &mut self,
        vs: &VectorSelector,
        mint: i64,
        maxt: i64,
        range: i64,
        func: Option<&str>,
    ) -> Result<Vec<Raw>, PromqlError> {
        let groups = selector_matchers(vs)?;
        self.load_groups(&groups, mint, maxt, range, func)
    }

    /// Loads the series selected by one list of matchers.
    pub(crate) fn load_matchers(
        &mut self,
        ms: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<Raw>, PromqlError> {
        self.load_groups(&[ms.to_vec()], mint, maxt, 0, None)
    }

    fn load_groups(
        &mut self,
        groups: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
        range: i64,
        func: Option<&str>,
    ) -> Result<Vec<Raw>, PromqlError> {
        let q = self.storage.querier(mint, maxt)?;
        let hints = SelectHints {
            start: Some(mint),
            end: Some(maxt),
            step: 0,
            func: func.map(str::to_string),
            range,
        };
        let mut out: Vec<Raw> = Vec::new();
        let mut loaded = 0usize;
        for ms in groups {
            for mut s in q.select(&hints, ms)? {
                self.check()?;
                let mut samples = Vec::new();
                while let Some(x) = s.samples.next()? {
                    if x.t < mint {
                        continue;
                    }
                    if x.t > maxt {
                        break;
                    }
                    samples.push(x);
                }
                self.samples_loaded += samples.len();
                loaded += samples.len();
                self.account(loaded)?;
                out.push(Raw {
                    labels: s.labels,
                    drop_name: false,
                    samples,
                });
            }
        }
        if groups.len() > 1 {
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
            out.dedup_by(|a, b| a.labels == b.labels);
        }
        Ok(out)
    }

    /// The reference times (`t - offset`, or the `@` time) over the grid.
    fn ref_bounds(&self, ctx: Ctx, at: Option<i64>, offset: i64) -> (i64, i64) {
        match at {
            Some(a) => (a.saturating_sub(offset), a.saturating_sub(offset)),
            None => (
                ctx.start.saturating_sub(offset),
                ctx.end.saturating_sub(offset),
            ),
        }
    }

    /// An instant vector selector: the newest sample in `(ref - lookback, ref]`
    /// per step, unless it is a stale marker. With `timestamps`, the value is
    /// the sample's timestamp in seconds (for `timestamp()`).
    pub(crate) fn vector_selector(
        &mut self,
        ctx: Ctx,
        vs: &VectorSelector,
        timestamps: bool,
    ) -> Result<Vec<Ser>, PromqlError> {
        let at = self.at_ms(&vs.at);
        let off = offset_ms(&vs.offset);
        let lookback = dur_ms(&self.opts.lookback_delta);
        let (lo, hi) = self.ref_bounds(ctx, at, off);
        let smoothed = super::extended::modifier(vs) == Some(super::extended::Modifier::Smoothed);
        let maxt = if smoothed {
            hi.saturating_add(lookback)
        } else {
            hi
        };
        let mut raws = self.load(
            vs,
            lo.saturating_sub(lookback).saturating_add(1),
            maxt,
            0,
            None,
        )?;
        if smoothed {
            for r in &mut raws {
                r.samples.retain(|x| !is_stale_nan(x.v));
            }
        }
        let n = ctx.n();
        let mut out = Vec::with_capacity(raws.len());
        for r in raws {
            let mut vals = vec![None; n];
            let mut any = false;
            for (i, slot) in vals.iter_mut().enumerate() {
                let rt = at.unwrap_or(ctx.t(i)).saturating_sub(off);
                if smoothed {
                    *slot = super::extended::smoothed_value(&r.samples, rt, lookback);
                    any |= slot.is_some();
                    continue;
                }
                let idx = r.samples.partition_point(|s| s.t <= rt);
                if idx == 0 {
                    continue;
                }
                let s = r.samples[idx - 1];
                if s.t <= rt.saturating_sub(lookback) || is_stale_nan(s.v) {
                    continue;
                }
                *slot = Some(if timestamps { s.t as f64 / 1000.0 } else { s.v });
                any = true;
            }
            if any {
                out.push(Ser {
                    labels: r.labels,
                    drop_name: false,
                    vals,
                });
            }
        }
        self.account(out.len().saturating_mul(n))?;
        Ok(out)
    }

    /// A range-vector argument: a range selector or a subquery (in parens).
    pub(crate) fn matrix_arg(&mut self, ctx: Ctx, e: &Expr) -> Result<MatrixArg, PromqlError> {
        match e {
            Expr::Paren(p) => self.matrix_arg(ctx, &p.expr),
            Expr::MatrixSelector(ms) => {
                let vs = &ms.vs;
                let at = self.at_ms(&vs.at);
                let off = offset_ms(&vs.offset);
                let range = dur_ms(&ms.range);
                let (lo, hi) = self.ref_bounds(ctx, at, off);
                let modifier = super::extended::modifier(vs);
                let (mint, maxt) = match modifier {
                    None => (lo.saturating_sub(range).saturating_add(1), hi),
                    Some(_) => {
                        let lb = dur_ms(&self.opts.lookback_delta);
                        (
                            lo.saturating_sub(range).saturating_sub(lb),
                            hi.saturating_add(lb),
                        )
                    }
                };
                let mut series = self.load(vs, mint, maxt, range, None)?;
                for s in &mut series {
                    s.samples.retain(|x| !is_stale_nan(x.v));
                }
                series.retain(|s| !s.samples.is_empty());
                Ok(MatrixArg {
                    series,
                    range,
                    offset: off,
                    at,
                    modifier,
                })
            }
            Expr::Subquery(sq) => {
                let at = self.at_ms(&sq.at);
                let off = offset_ms(&sq.offset);
                let range = dur_ms(&sq.range);
                let step = match &sq.step {
                    Some(d) if !d.is_zero() => dur_ms(d),
                    _ => dur_ms(&self.opts.default_subquery_step).max(1),
                };
                let (lo, hi) = self.ref_bounds(ctx, at, off);
                let from = lo.saturating_sub(range);
                let mut start = step.saturating_mul(from / step);
                if start <= from {
                    start = start.saturating_add(step);
                }
                if start > hi {
                    return Ok(MatrixArg {
                        series: Vec::new(),
                        range,
                        offset: off,
                        at,
                        modifier: None,
                    });
                }
                let inner = Ctx {
                    start,
                    end: hi,
                    step,
                };
                let val = self.eval(inner, &sq.expr)?;
                let series = match val {
                    Val::Vector(v) => v
                        .into_iter()
                        .map(|s| Raw {
                            samples: s
                                .vals
                                .iter()
                                .enumerate()
                                .filter_map(|(i, v)| v.map(|v| Sample::new(inner.t(i), v)))
                                .collect(),
                            labels: s.labels,
                            drop_name: s.drop_name,
                        })
                        .filter(|r| !r.samples.is_empty())
                        .collect(),
                    Val::Scalar(v) => vec![Raw {
                        labels: Default::default(),
                        drop_name: false,
                        samples: v
                            .iter()
                            .enumerate()
                            .map(|(i, v)| Sample::new(inner.t(i), *v))
                            .collect(),
                    }],
                    _ => {
                        return Err(PromqlError::exec(
                            "subquery is only allowed on instant vector or scalar",
                        ));
                    }
                };
                let total: usize = series.iter().map(|s: &Raw| s.samples.len()).sum();
                self.account(total)?;
                Ok(MatrixArg {
                    series,
                    range,
                    offset: off,
                    at,
                    modifier: None,
                })
            }
            _ => Err(PromqlError::exec("expected a range vector")),
        }
    }
}
