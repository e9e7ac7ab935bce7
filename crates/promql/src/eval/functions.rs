//! Function calls over instant vectors and scalars, and the dispatch of
//! every call (range-vector functions live in `range_fns`).

use promql_parser::parser::{Call, Expr, value::ValueType};
use telltale_model::{Labels, METRIC_NAME, MatchOp};

use super::{Ctx, Evaluator, OutBuilder, Ser, Val};
use crate::error::PromqlError;

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// A date function applied to Unix seconds `v`.
fn date_fn(name: &str, v: f64) -> f64 {
    if v.is_nan() || v.is_infinite() {
        return f64::NAN;
    }
    let secs = v as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let month_days = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    match name {
        "minute" => ((sod / 60) % 60) as f64,
        "hour" => (sod / 3600) as f64,
        "day_of_month" => d as f64,
        "day_of_week" => (days + 4).rem_euclid(7) as f64,
        "day_of_year" => {
            let before: u32 = month_days[..(m - 1) as usize].iter().sum();
            (before + d) as f64
        }
        "days_in_month" => month_days[(m - 1) as usize] as f64,
        "month" => m as f64,
        "year" => y as f64,
        _ => f64::NAN,
    }
}

/// An element-wise math function, or `None` if `name` is not one.
fn math_fn(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "deg" => |x| x * 180.0 / std::f64::consts::PI,
        "rad" => |x| x * std::f64::consts::PI / 180.0,
        "sgn" => |x: f64| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        },
        _ => return None,
    })
}

/// Natural-order comparison of strings (digit runs compare as numbers).
pub(crate) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na = a[si..i].trim_start_matches('0');
            let nb = b[sj..j].trim_start_matches('0');
            let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            if ab[i] != bb[j] {
                return ab[i].cmp(&bb[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

/// Labels for `absent()`/`absent_over_time()`: the equality matchers of a
/// plain selector argument (a label given twice is left out).
pub(crate) fn absent_labels_pub(e: &Expr) -> Labels {
    absent_labels(e)
}

fn absent_labels(e: &Expr) -> Labels {
    let vs = match e {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::empty(),
    };
    let Ok(groups) = super::selector::selector_matchers(vs) else {
        return Labels::empty();
    };
    if groups.len() != 1 {
        return Labels::empty();
    }
    let mut b = Labels::empty().builder();
    let mut seen: Vec<&str> = Vec::new();
    for m in &groups[0] {
        if m.name == METRIC_NAME {
            continue;
        }
        if m.op == MatchOp::Equal && !seen.contains(&m.name.as_str()) {
            b.set(&m.name, &m.value);
        } else {
            b.del(&m.name);
        }
        seen.push(&m.name);
    }
    b.build()
}

impl Evaluator<'_> {
    pub(crate) fn call(&mut self, ctx: Ctx, c: &Call, node: &Expr) -> Result<Val, PromqlError> {
        let name = c.func.name;
        let args = &c.args.args;
        let n = ctx.n();
        if c.func.arg_types.contains(&ValueType::Matrix) {
            return self.range_call(ctx, c, node);
        }
        if let Some(f) = math_fn(name) {
            let mut v = self.eval_vector(ctx, &args[0])?;
            for s in &mut v {
                s.drop_name = true;
                for x in s.vals.iter_mut().flatten() {
                    *x = f(*x);
                }
            }
            return Ok(Val::Vector(v));
        }
        match name {
            "time" => Ok(Val::Scalar(
                (0..n).map(|i| ctx.t(i) as f64 / 1000.0).collect(),
            )),
            "pi" => Ok(Val::Scalar(vec![std::f64::consts::PI; n])),
            "start" => Ok(Val::Scalar(vec![self.query_start as f64 / 1000.0; n])),
            "end" => Ok(Val::Scalar(vec![self.query_end as f64 / 1000.0; n])),
            "step" => Ok(Val::Scalar(vec![self.query_step as f64 / 1000.0; n])),
            "range" => Ok(Val::Scalar(vec![
                (self.query_end - self.query_start) as f64
                    / 1000.0;
                n
            ])),
            "min_of" | "max_of" => {
                let mut acc: Option<Vec<f64>> = None;
                for a in args {
                    let v = self.eval_scalar(ctx, a)?;
                    acc = Some(match acc {
                        None => v,
                        Some(p) => p
                            .iter()
                            .zip(&v)
                            .map(|(x, y)| {
                                if name == "min_of" {
                                    go_min(*x, *y)
                                } else {
                                    go_max(*x, *y)
                                }
                            })
                            .collect(),
                    });
                }
                Ok(Val::Scalar(acc.unwrap_or_else(|| vec![f64::NAN; n])))
            }
            "vector" => {
                let s = self.eval_scalar(ctx, &args[0])?;
                Ok(Val::Vector(vec![Ser {
                    labels: Labels::empty(),
                    drop_name: false,
                    vals: s.into_iter().map(Some).collect(),
                }]))
            }
            "scalar" => {
                let v = self.eval_vector(ctx, &args[0])?;
                let mut out = vec![f64::NAN; n];
                for (step, o) in out.iter_mut().enumerate() {
                    let mut it = v.iter().filter_map(|s| s.vals[step]);
                    if let (Some(x), None) = (it.next(), it.next()) {
                        *o = x;
                    }
                }
                Ok(Val::Scalar(out))
            }
            "timestamp" => {
                let mut inner = &*args[0];
                while let Expr::Paren(p) = inner {
                    inner = &p.expr;
                }
                let mut v = match inner {
                    Expr::VectorSelector(vs) => self.vector_selector(ctx, vs, true)?,
                    _ => {
                        let mut v = self.eval_vector(ctx, &args[0])?;
                        for s in &mut v {
                            for (i, x) in s.vals.iter_mut().enumerate() {
                                if x.is_some() {
                                    *x = Some(ctx.t(i) as f64 / 1000.0);
                                }
                            }
                        }
                        v
                    }
                };
                v.iter_mut().for_each(|s| s.drop_name = true);
                Ok(Val::Vector(v))
            }
            "absent" => {
                let v = self.eval_vector(ctx, &args[0])?;
                let mut vals = vec![Some(1.0); n];
                for s in &v {
                    for (i, x) in s.vals.iter().enumerate() {
                        if x.is_some() {
                            vals[i] = None;
                        }
                    }
                }
                if vals.iter().all(Option::is_none) {
                    return Ok(Val::Vector(Vec::new()));
                }
                Ok(Val::Vector(vec![Ser {
                    labels: absent_labels(&args[0]),
                    drop_name: false,
                    vals,
                }]))
            }
            "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year"
            | "days_in_month" | "month" | "year" => {
                let mut v = if args.is_empty() {
                    vec![Ser {
                        labels: Labels::empty(),
                        drop_name: false,
                        vals: (0..n).map(|i| Some(ctx.t(i) as f64 / 1000.0)).collect(),
                    }]
                } else {
                    self.eval_vector(ctx, &args[0])?
                };
                for s in &mut v {
                    s.drop_name = true;
                    for x in s.vals.iter_mut().flatten() {
                        *x = date_fn(name, *x);
                    }
                }
                Ok(Val::Vector(v))
            }
            "clamp" | "clamp_min" | "clamp_max" | "round" => {
                let mut v = self.eval_vector(ctx, &args[0])?;
                let a1 = match args.get(1) {
                    Some(a) => self.eval_scalar(ctx, a)?,
                    None => vec![1.0; n],
                };
                let a2 = match args.get(2) {
                    Some(a) => self.eval_scalar(ctx, a)?,
                    None => vec![0.0; n],
                };
                for s in &mut v {
                    s.drop_name = true;
                    for (i, slot) in s.vals.iter_mut().enumerate() {
                        let Some(x) = *slot else { continue };
                        *slot = match name {
                            "clamp" => {
                                if a2[i] < a1[i] {
                                    None
                                } else {
                                    Some(go_max(a1[i], go_min(a2[i], x)))
                                }
                            }
                            "clamp_min" => Some(go_max(a1[i], x)),
                            "clamp_max" => Some(go_min(a1[i], x)),
                            _ => {
                                let inv = 1.0 / a1[i];
                                Some((x * inv + 0.5).floor() / inv)
                            }
                        };
                    }
                }
                v.retain(|s| s.vals.iter().any(Option::is_some));
                Ok(Val::Vector(v))
            }
            "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => {
                let mut v = self.eval_vector(ctx, &args[0])?;
                let mut names = Vec::new();
                for a in &args[1..] {
                    names.push(self.eval_string(ctx, a)?);
                }
                if n > 1 {
                    self.warn(
                        "sort is ineffective for range queries since results are always ordered by labels".into(),
                        Some(node),
                    );
                    return Ok(Val::Vector(v));
                }
                let val = |s: &Ser| s.vals[0].unwrap_or(f64::NAN);
                match name {
                    "sort" | "sort_desc" => {
                        let desc = name == "sort_desc";
                        v.sort_by(|a, b| {
                            let (x, y) = (val(a), val(b));
                            match (x.is_nan(), y.is_nan()) {
                                (true, true) => std::cmp::Ordering::Equal,
                                (true, false) => std::cmp::Ordering::Greater,
                                (false, true) => std::cmp::Ordering::Less,
                                _ if desc => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
                                _ => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                            }
                        });
                    }
                    _ => {
                        let desc = name == "sort_by_label_desc";
                        v.sort_by(|a, b| {
                            for l in &names {
                                let o = natural_cmp(a.labels.get(l), b.labels.get(l));
                                if o != std::cmp::Ordering::Equal {
                                    return if desc { o.reverse() } else { o };
                                }
                            }
                            let o = a.labels.cmp(&b.labels);
                            if desc { o.reverse() } else { o }
                        });
                    }
                }
                Ok(Val::Vector(v))
            }
            "label_replace" => {
                let v = self.eval_vector(ctx, &args[0])?;
                let dst = self.eval_string(ctx, &args[1])?;
                let repl = self.eval_string(ctx, &args[2])?;
                let src = self.eval_string(ctx, &args[3])?;
                let re_s = self.eval_string(ctx, &args[4])?;
                let re = regex::Regex::new(&format!("^(?s:{re_s})$")).map_err(|_| {
                    PromqlError::exec(format!(
                        "invalid regular expression in label_replace(): {re_s}"
                    ))
                })?;
                if dst.is_empty() || self.invalid_label(&dst).is_some() {
                    return Err(PromqlError::exec(format!(
                        "invalid destination label name in label_replace(): {dst}"
                    )));
                }
                let mut ob = OutBuilder::new(n);
                for s in v {
                    let sv = s.labels.get(&src).to_string();
                    let (labels, drop) = match re.captures(&sv) {
                        Some(caps) => {
                            let mut res = String::new();
                            caps.expand(&repl, &mut res);
                            let mut b = s.labels.builder();
                            b.set(&dst, &res);
                            (
                                b.build(),
                                if dst == METRIC_NAME {
                                    false
                                } else {
                                    s.drop_name
                                },
                            )
                        }
                        None => (s.labels, s.drop_name),
                    };
                    self.merge_into(&mut ob, labels, drop, &s.vals)?;
                }
                Ok(Val::Vector(ob.series))
            }
            "label_join" => {
                let v = self.eval_vector(ctx, &args[0])?;
                let dst = self.eval_string(ctx, &args[1])?;
                let sep = self.eval_string(ctx, &args[2])?;
                let mut srcs = Vec::new();
                for a in &args[3..] {
                    srcs.push(self.eval_string(ctx, a)?);
                }
                if dst.is_empty() || self.invalid_label(&dst).is_some() {
                    return Err(PromqlError::exec(format!(
                        "invalid destination label name in label_join(): {dst}"
                    )));
                }
                let mut ob = OutBuilder::new(n);
                for s in v {
                    let joined: Vec<&str> = srcs.iter().map(|l| s.labels.get(l)).collect();
                    let mut b = s.labels.builder();
                    b.set(&dst, &joined.join(&sep));
                    let drop = if dst == METRIC_NAME {
                        false
                    } else {
                        s.drop_name
                    };
                    self.merge_into(&mut ob, b.build(), drop, &s.vals)?;
                }
                Ok(Val::Vector(ob.series))
            }
            "info" => self.info_fn(ctx, c),
            "histogram_quantile" | "histogram_fraction" | "histogram_quantiles" => {
                self.histogram_fn(ctx, c)
            }
            "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_stddev"
            | "histogram_stdvar" => {
                // Only native histograms have these; float series give nothing.
                let _ = self.eval_vector(ctx, &args[0])?;
                Ok(Val::Vector(Vec::new()))
            }
            _ => Err(PromqlError::exec(format!(
                "function {name:?} is not supported"
            ))),
        }
    }

    fn merge_into(
        &mut self,
        ob: &mut OutBuilder,
        labels: Labels,
        drop: bool,
        vals: &[Option<f64>],
    ) -> Result<(), PromqlError> {
        let slot = ob.slot(labels, drop);
        for (i, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                ob.set(slot, i, *v)?;
            }
        }
        Ok(())
    }
}

/// Go's `math.Max` (NaN wins).
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min` (NaN wins).
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
