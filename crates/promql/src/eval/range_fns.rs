//! Functions over range vectors: rates, deltas and `*_over_time`.

use promql_parser::parser::{Call, Expr, value::ValueType};
use telltale_model::{Labels, Sample};

use super::aggregate::{Acc2, go_g, mean_add, quantile};
use super::extended::{self, Modifier};
use super::{Ctx, Evaluator, Ser, Val, kahan_inc};
use crate::error::PromqlError;

/// Prometheus's `extrapolatedRate` for `rate`, `increase` and `delta`.
fn extrapolated(
    w: &[Sample],
    start: i64,
    end: i64,
    counter: bool,
    rate: bool,
    range: i64,
) -> Option<f64> {
    if w.len() < 2 {
        return None;
    }
    let first = w[0];
    let last = w[w.len() - 1];
    let mut result = last.v - first.v;
    if counter {
        let mut prev = 0.0;
        for s in w {
            if s.v < prev {
                result += prev;
            }
            prev = s.v;
        }
    }
    let mut to_start = (first.t - start) as f64 / 1000.0;
    let mut to_end = (end - last.t) as f64 / 1000.0;
    let sampled = (last.t - first.t) as f64 / 1000.0;
    let avg = sampled / (w.len() - 1) as f64;
    let threshold = avg * 1.1;
    if to_start >= threshold {
        to_start = avg / 2.0;
    }
    if counter && result > 0.0 && first.v >= 0.0 {
        let to_zero = sampled * (first.v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg / 2.0;
    }
    let mut factor = (sampled + to_start + to_end) / sampled;
    if rate {
        factor /= range as f64 / 1000.0;
    }
    Some(result * factor)
}

/// Prometheus's `linearRegression` with Kahan sums.
fn linear_regression(w: &[Sample], intercept_t: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let init = w[0].v;
    let mut const_y = true;
    for (i, s) in w.iter().enumerate() {
        if const_y && i > 0 && s.v != init {
            const_y = false;
        }
        n += 1.0;
        let x = (s.t - intercept_t) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(s.v, sy, cy);
        (sxy, cxy) = kahan_inc(x * s.v, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

fn variance(w: &[Sample]) -> f64 {
    let (mut count, mut mean, mut cm, mut aux, mut ca) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for s in w {
        count += 1.0;
        let delta = s.v - (mean + cm);
        (mean, cm) = kahan_inc(delta / count, mean, cm);
        (aux, ca) = kahan_inc(delta * (s.v - (mean + cm)), aux, ca);
    }
    (aux + ca) / count
}

/// `ts_of_*`/`*_over_time` selection: index of the winning sample.
fn pick(w: &[Sample], better: impl Fn(f64, f64) -> bool) -> usize {
    let mut best = 0;
    for (i, s) in w.iter().enumerate().skip(1) {
        if better(s.v, w[best].v) {
            best = i;
        }
    }
    best
}

impl Evaluator<'_> {
    pub(crate) fn range_call(
        &mut self,
        ctx: Ctx,
        c: &Call,
        node: &Expr,
    ) -> Result<Val, PromqlError> {
        let name = c.func.name;
        let args = &c.args.args;
        let n = ctx.n();
        let midx = c
            .func
            .arg_types
            .iter()
            .position(|t| *t == ValueType::Matrix)
            .unwrap_or(0);
        let mut scalars: Vec<Vec<f64>> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i != midx {
                scalars.push(self.eval_scalar(ctx, a)?);
            }
        }
        let mut m = self.matrix_arg(ctx, &args[midx])?;
        if name == "absent_over_time" {
            let mut vals = vec![Some(1.0); n];
            for s in &m.series {
                for (i, v) in vals.iter_mut().enumerate() {
                    if v.is_some() && !m.window(&s.samples, ctx.t(i)).is_empty() {
                        *v = None;
                    }
                }
            }
            if vals.iter().all(Option::is_none) {
                return Ok(Val::Vector(Vec::new()));
            }
            let labels = match &*args[0] {
                Expr::MatrixSelector(_) => super::functions::absent_labels_pub(&args[0]),
                _ => Labels::empty(),
            };
            return Ok(Val::Vector(vec![Ser {
                labels,
                drop_name: false,
                vals,
            }]));
        }
        if name == "quantile_over_time"
            && let Some(b) = scalars[0]
                .iter()
                .find(|q| q.is_nan() || **q < 0.0 || **q > 1.0)
        {
            let msg = format!("quantile value should be between 0 and 1, got {}", go_g(*b));
            self.warn(msg, Some(&args[0]));
        }
        if name == "double_exponential_smoothing" {
            for (i, what) in [(0, "smoothing"), (1, "trend")] {
                if let Some(b) = scalars[i].iter().find(|f| **f <= 0.0 || **f >= 1.0) {
                    let short = if i == 0 { "sf" } else { "tf" };
                    return Err(PromqlError::exec(format!(
                        "invalid {what} factor. Expected: 0 < {short} < 1, got: {b:.6}"
                    )));
                }
            }
        }
        let keep_name = matches!(name, "last_over_time" | "first_over_time");
        let mut out = Vec::with_capacity(m.series.len());
        let mut buf: Vec<f64> = Vec::new();
        if let Some(md) = m.modifier {
            out = self.modified_range(ctx, name, &m, md)?;
        }
        let series = if m.modifier.is_none() {
            std::mem::take(&mut m.series)
        } else {
            Vec::new()
        };
        for s in series {
            self.check()?;
            let mut vals = vec![None; n];
            let mut any = false;
            for (i, slot) in vals.iter_mut().enumerate() {
                let t = ctx.t(i);
                let w = m.window(&s.samples, t);
                if w.is_empty() {
                    continue;
                }
                let r = m.ref_time(t);
                let sc = |k: usize| scalars.get(k).map(|v| v[i]).unwrap_or(f64::NAN);
                let v = match name {
                    "rate" => extrapolated(w, r - m.range, r, true, true, m.range),
                    "increase" => extrapolated(w, r - m.range, r, true, false, m.range),
                    "delta" => extrapolated(w, r - m.range, r, false, false, m.range),
                    "irate" | "idelta" => {
                        if w.len() < 2 {
                            None
                        } else {
                            let (p, l) = (w[w.len() - 2], w[w.len() - 1]);
                            let is_rate = name == "irate";
                            let v = if is_rate && l.v < p.v { l.v } else { l.v - p.v };
                            let dt = l.t - p.t;
                            if dt == 0 {
                                None
                            } else if is_rate {
                                Some(v / (dt as f64 / 1000.0))
                            } else {
                                Some(v)
                            }
                        }
                    }
                    "deriv" => {
                        if w.len() < 2 {
                            None
                        } else {
                            Some(linear_regression(w, w[0].t).0)
                        }
                    }
                    "predict_linear" => {
                        if w.len() < 2 {
                            None
                        } else {
                            let (slope, icpt) = linear_regression(w, t);
                            Some(slope * sc(0) + icpt)
                        }
                    }
                    "changes" | "resets" => {
                        let mut cnt = 0.0;
                        for p in w.windows(2) {
                            let (a, b) = (p[0].v, p[1].v);
                            let hit = if name == "changes" {
                                b != a && !(a.is_nan() && b.is_nan())
                            } else {
                                b < a
                            };
                            if hit {
                                cnt += 1.0;
                            }
                        }
                        Some(cnt)
                    }
                    "avg_over_time" => {
                        let mut a = Acc2::default();
                        for x in w {
                            mean_add(&mut a, x.v);
                        }
                        Some(a.result())
                    }
                    "sum_over_time" => {
                        let (mut sum, mut c) = (0.0, 0.0);
                        for x in w {
                            (sum, c) = kahan_inc(x.v, sum, c);
                        }
                        Some(if sum.is_infinite() { sum } else { sum + c })
                    }
                    "count_over_time" => Some(w.len() as f64),
                    "present_over_time" => Some(1.0),
                    "last_over_time" => Some(w[w.len() - 1].v),
                    "first_over_time" => Some(w[0].v),
                    "ts_of_last_over_time" => Some(w[w.len() - 1].t as f64 / 1000.0),
                    "ts_of_first_over_time" => Some(w[0].t as f64 / 1000.0),
                    "max_over_time" => Some(w[pick(w, |c, b| c > b || b.is_nan())].v),
                    "min_over_time" => Some(w[pick(w, |c, b| c < b || b.is_nan())].v),
                    "ts_of_max_over_time" => {
                        Some(w[pick(w, |c, b| c >= b || b.is_nan())].t as f64 / 1000.0)
                    }
                    "ts_of_min_over_time" => {
                        Some(w[pick(w, |c, b| c <= b || b.is_nan())].t as f64 / 1000.0)
                    }
                    "stdvar_over_time" => Some(variance(w)),
                    "stddev_over_time" => Some(variance(w).sqrt()),
                    "quantile_over_time" => {
                        buf.clear();
                        buf.extend(w.iter().map(|x| x.v));
                        Some(quantile(sc(0), &mut buf))
                    }
                    "mad_over_time" if w.iter().any(|x| x.v.is_nan()) => Some(f64::NAN),
                    "mad_over_time" => {
                        buf.clear();
                        buf.extend(w.iter().map(|x| x.v));
                        let med = quantile(0.5, &mut buf);
                        buf.iter_mut().for_each(|x| *x = (*x - med).abs());
                        Some(quantile(0.5, &mut buf))
                    }
                    "double_exponential_smoothing" => des(w, sc(0), sc(1)),
                    _ => {
                        return Err(PromqlError::exec(format!(
                            "function {name:?} is not supported"
                        )));
                    }
                };
                if v.is_some() {
                    any = true;
                }
                *slot = v;
            }
            if any {
                out.push(Ser {
                    labels: s.labels,
                    drop_name: !keep_name || s.drop_name,
                    vals,
                });
            }
        }
        if matches!(name, "rate" | "increase") {
            for s in &out {
                let mn = s.labels.metric_name();
                if !mn.is_empty()
                    && !["_total", "_sum", "_count", "_bucket"]
                        .iter()
                        .any(|x| mn.ends_with(x))
                {
                    let msg = format!(
                        "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
                        super::go_quote(mn)
                    );
                    self.info(msg, Some(&args[midx]));
                }
            }
        }
        let _ = node;
        Ok(Val::Vector(out))
    }
}

impl Evaluator<'_> {
    /// `rate`, `increase`, `delta`, `changes` and `resets` over `anchored`
    /// or `smoothed` ranges.
    fn modified_range(
        &mut self,
        ctx: Ctx,
        name: &str,
        m: &super::MatrixArg,
        md: Modifier,
    ) -> Result<Vec<Ser>, PromqlError> {
        let (allowed, label): (&[&str], &str) = match md {
            Modifier::Anchored => (
                &["changes", "delta", "increase", "rate", "resets"],
                "anchored",
            ),
            Modifier::Smoothed => (&["delta", "increase", "rate"], "smoothed"),
        };
        if !allowed.contains(&name) {
            return Err(PromqlError::exec(format!(
                "{label} modifier can only be used with: {} - not with {name}",
                allowed.join(", ")
            )));
        }
        let lookback = super::dur_ms(&self.opts.lookback_delta);
        let counter = matches!(name, "rate" | "increase");
        let n = ctx.n();
        let mut out = Vec::with_capacity(m.series.len());
        for s in &m.series {
            self.check()?;
            let mut vals = vec![None; n];
            for (i, slot) in vals.iter_mut().enumerate() {
                let r = m.ref_time(ctx.t(i));
                let p = extended::points(md, &s.samples, r, m.range, lookback, counter);
                let (Some(first), Some(last)) = (p.first(), p.last()) else {
                    continue;
                };
                *slot = Some(match name {
                    "increase" => extended::counter_increase(&p),
                    "rate" => extended::counter_increase(&p) / (m.range as f64 / 1000.0),
                    "delta" => last.v - first.v,
                    "changes" => p
                        .windows(2)
                        .filter(|w| w[1].v != w[0].v && !(w[0].v.is_nan() && w[1].v.is_nan()))
                        .count() as f64,
                    _ => p.windows(2).filter(|w| w[1].v < w[0].v).count() as f64,
                });
            }
            if vals.iter().any(Option::is_some) {
                out.push(Ser {
                    labels: s.labels.clone(),
                    drop_name: true,
                    vals,
                });
            }
        }
        Ok(out)
    }
}

/// `double_exponential_smoothing` over one window.
fn des(w: &[Sample], sf: f64, tf: f64) -> Option<f64> {
    if w.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, w[0].v);
    let mut b = w[1].v - w[0].v;
    for (i, x) in w.iter().enumerate().skip(1) {
        let xv = sf * x.v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = xv + y;
    }
    Some(s1)
}
