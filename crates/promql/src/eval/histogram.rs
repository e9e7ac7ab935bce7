//! `histogram_quantile` and `histogram_fraction` over classic `le` buckets.

use std::collections::HashMap;

use promql_parser::parser::Call;
use telltale_model::Labels;

use super::aggregate::go_g;
use super::{Ctx, Evaluator, Ser, Val, almost_equal, go_quote};
use crate::error::PromqlError;

#[derive(Clone, Copy)]
struct Bucket {
    upper: f64,
    count: f64,
}

fn sort_and_coalesce(b: &mut Vec<Bucket>) {
    b.sort_by(|x, y| {
        x.upper
            .partial_cmp(&y.upper)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out: Vec<Bucket> = Vec::with_capacity(b.len());
    for x in b.drain(..) {
        match out.last_mut() {
            Some(l) if l.upper == x.upper => l.count += x.count,
            _ => out.push(x),
        }
    }
    *b = out;
}

/// Makes counts monotonic; returns whether a real decrease was fixed.
fn ensure_monotonic(b: &mut [Bucket]) -> bool {
    let mut forced = false;
    let Some(first) = b.first() else { return false };
    let mut prev = first.count;
    for x in b.iter_mut().skip(1) {
        let curr = x.count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, 1e-12) {
            x.count = prev;
            continue;
        }
        if curr < prev {
            x.count = prev;
            forced = true;
            continue;
        }
        prev = curr;
    }
    forced
}

/// Prometheus's `BucketQuantile`: the value and whether monotonicity had
/// to be forced.
fn bucket_quantile(q: f64, mut b: Vec<Bucket>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    sort_and_coalesce(&mut b);
    match b.last() {
        Some(l) if l.upper == f64::INFINITY => {}
        _ => return (f64::NAN, false),
    }
    let forced = ensure_monotonic(&mut b);
    if b.len() < 2 {
        return (f64::NAN, false);
    }
    let obs = b[b.len() - 1].count;
    if obs == 0.0 {
        return (f64::NAN, false);
    }
    let mut rank = q * obs;
    let idx = b[..b.len() - 1].partition_point(|x| x.count < rank);
    if idx == b.len() - 1 {
        return (b[b.len() - 2].upper, forced);
    }
    if idx == 0 && b[0].upper <= 0.0 {
        return (b[0].upper, forced);
    }
    let mut start = 0.0;
    let end = b[idx].upper;
    let mut count = b[idx].count;
    if idx > 0 {
        start = b[idx - 1].upper;
        count -= b[idx - 1].count;
        rank -= b[idx - 1].count;
    }
    (start + (end - start) * (rank / count), forced)
}

/// Prometheus's `BucketFraction`.
fn bucket_fraction(lower: f64, upper: f64, mut b: Vec<Bucket>) -> f64 {
    sort_and_coalesce(&mut b);
    match b.last() {
        Some(l) if l.upper == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    ensure_monotonic(&mut b);
    let count = b[b.len() - 1].count;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lr, mut ur) = (0.0, 0.0, 0.0);
    let (mut ls, mut us) = (false, false);
    for (i, x) in b.iter().enumerate() {
        let lb = if i == 0 {
            if x.upper > 0.0 {
                0.0
            } else {
                f64::NEG_INFINITY
            }
        } else {
            b[i - 1].upper
        };
        let ub = x.upper;
        // A bucket of infinite width contributes nothing to the fraction.
        let interp = |v: f64, is_lower: bool| {
            if lb.is_infinite() {
                return if is_lower { x.count } else { rank };
            }
            if ub.is_infinite() {
                return rank;
            }
            rank + (x.count - rank) * (v - lb) / (ub - lb)
        };
        if !ls && lb >= lower {
            lr = rank;
            ls = true;
        }
        if !us && lb >= upper {
            ur = rank;
            us = true;
        }
        if ls && us {
            break;
        }
        if !ls && lb < lower && ub > lower {
            lr = interp(lower, true);
            ls = true;
        }
        if !us && lb < upper && ub > upper {
            ur = interp(upper, false);
            us = true;
        }
        if ls && us {
            break;
        }
        rank = x.count;
    }
    if !ls || lr > count {
        lr = count;
    }
    if !us || ur > count {
        ur = count;
    }
    if ur < lr {
        // Both bounds inside one infinite-width bucket.
        return 0.0;
    }
    (ur - lr) / count
}

impl Evaluator<'_> {
    pub(crate) fn histogram_fn(&mut self, ctx: Ctx, c: &Call) -> Result<Val, PromqlError> {
        let name = c.func.name;
        let args = &c.args.args;
        let n = ctx.n();
        let multi = name == "histogram_quantiles";
        let quant = name == "histogram_quantile" || multi;
        let vec_arg = match name {
            "histogram_quantile" => 1,
            "histogram_quantiles" => 0,
            _ => 2,
        };
        // (label value for histogram_quantiles, per-step parameter, its node)
        let mut params: Vec<(Option<String>, Vec<f64>, &promql_parser::parser::Expr)> = Vec::new();
        let mut qlabel = String::new();
        if multi {
            qlabel = self.eval_string(ctx, &args[1])?;
            for a in &args[2..] {
                let v = self.eval_scalar(ctx, a)?;
                let mut lv = crate::value::format_float(v.first().copied().unwrap_or(f64::NAN));
                if lv.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    lv.push_str(".0");
                }
                params.push((Some(lv), v, a));
            }
        } else {
            params.push((None, self.eval_scalar(ctx, &args[0])?, &args[0]));
        }
        let p1 = if quant {
            Vec::new()
        } else {
            self.eval_scalar(ctx, &args[1])?
        };
        let input = self.eval_vector(ctx, &args[vec_arg])?;
        for (_, p0, node) in &params {
            if let Some(b) = p0
                .iter()
                .find(|q| quant && (q.is_nan() || **q < 0.0 || **q > 1.0))
            {
                let msg = format!("quantile value should be between 0 and 1, got {}", go_g(*b));
                self.warn(msg, Some(node));
            }
        }
        // Group series by their labels without `le`.
        let mut gidx: HashMap<Labels, usize> = HashMap::new();
        let mut groups: Vec<Ser> = Vec::new();
        let mut member: Vec<Option<(usize, f64)>> = Vec::with_capacity(input.len());
        for s in &input {
            let le = s.labels.get("le");
            let Ok(upper) = parse_go_float(le) else {
                let msg = format!(
                    "bucket label \"le\" is missing or has a malformed value of {}{}",
                    go_quote(le),
                    name_suffix(&s.labels)
                );
                self.warn(msg, Some(&args[vec_arg]));
                member.push(None);
                continue;
            };
            let mut b = s.labels.builder();
            b.del("le");
            let key = b.build();
            let k = match gidx.get(&key) {
                Some(&k) => k,
                None => {
                    let k = groups.len();
                    gidx.insert(key.clone(), k);
                    groups.push(Ser {
                        labels: key,
                        drop_name: true,
                        vals: vec![None; n],
                    });
                    k
                }
            };
            member.push(Some((k, upper)));
        }
        let ng = groups.len();
        let mut outs: Vec<Ser> = Vec::with_capacity(ng * params.len());
        for (lv, _, _) in &params {
            for g in &groups {
                let mut labels = g.labels.clone();
                if let Some(lv) = lv {
                    let mut b = labels.builder();
                    b.set(&qlabel, lv);
                    labels = b.build();
                }
                outs.push(Ser {
                    labels,
                    drop_name: true,
                    vals: vec![None; n],
                });
            }
        }
        let mut buckets: Vec<Vec<Bucket>> = vec![Vec::new(); groups.len()];
        for step in 0..n {
            self.check()?;
            buckets.iter_mut().for_each(Vec::clear);
            for (i, s) in input.iter().enumerate() {
                if let (Some((k, upper)), Some(v)) = (member[i], s.vals[step]) {
                    buckets[k].push(Bucket { upper, count: v });
                }
            }
            for (k, b) in buckets.iter_mut().enumerate() {
                if b.is_empty() {
                    continue;
                }
                for (pi, (_, p0, _)) in params.iter().enumerate() {
                    let v = if quant {
                        let (v, forced) = bucket_quantile(p0[step], b.clone());
                        if forced {
                            let msg = format!(
                                "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile){}",
                                name_suffix(&groups[k].labels)
                            );
                            self.info(msg, Some(&args[vec_arg]));
                        }
                        v
                    } else {
                        bucket_fraction(p0[step], p1[step], b.clone())
                    };
                    outs[pi * ng + k].vals[step] = Some(v);
                }
            }
        }
        outs.retain(|s| s.vals.iter().any(Option::is_some));
        let mut seen: Vec<&Labels> = outs.iter().map(|s| &s.labels).collect();
        seen.sort();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(PromqlError::exec(
                "vector cannot contain metrics with the same labelset",
            ));
        }
        Ok(Val::Vector(outs))
    }
}

fn name_suffix(l: &Labels) -> String {
    let n = l.metric_name();
    if n.is_empty() {
        String::new()
    } else {
        format!(" for metric name {}", go_quote(n))
    }
}

/// Go's `strconv.ParseFloat` for bucket bounds (`+Inf`, `Inf`, `1e3`, ...).
pub(crate) fn parse_go_float(s: &str) -> Result<f64, ()> {
    let t = s.trim();
    if t.is_empty() || t != s {
        return Err(());
    }
    let lower = t.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Ok(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Ok(f64::NAN),
        _ => {}
    }
    if lower.starts_with("0x") || lower.starts_with("+0x") || lower.starts_with("-0x") {
        return Err(());
    }
    t.replace('_', "").parse::<f64>().map_err(|_| ())
}
