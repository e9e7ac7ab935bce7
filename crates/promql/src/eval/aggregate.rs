//! Aggregation operators: `sum avg count min max group stddev stdvar
//! quantile topk bottomk limitk limit_ratio count_values`.

use std::collections::HashMap;

use super::FastMap;

use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};
use telltale_model::{Labels, METRIC_NAME};

use super::{Ctx, Evaluator, OutBuilder, Ser, Val, kahan_inc};
use crate::error::PromqlError;
use crate::value::format_float;

/// The grouping labels of `l` for `by`/`without`.
fn group_labels(l: &Labels, m: &Option<LabelModifier>) -> Labels {
    match m {
        Some(LabelModifier::Include(ls)) => Labels::from_sorted(
            l.iter()
                .filter(|x| ls.labels.contains(&x.name))
                .cloned()
                .collect(),
        ),
        Some(LabelModifier::Exclude(ls)) => Labels::from_sorted(
            l.iter()
                .filter(|x| x.name != METRIC_NAME && !ls.labels.contains(&x.name))
                .cloned()
                .collect(),
        ),
        None => Labels::empty(),
    }
}

/// A hash identifying the group of `l` (equal for equal group labels).
fn group_hash(l: &Labels, m: &Option<LabelModifier>, without_names: &[String]) -> u64 {
    match m {
        Some(LabelModifier::Include(ls)) => l.hash_for(&ls.labels, true),
        Some(LabelModifier::Exclude(_)) => l.hash_for(without_names, false),
        None => 0,
    }
}

/// The names `without(...)` removes, plus the metric name.
fn without_names(m: &Option<LabelModifier>) -> Vec<String> {
    let mut v = match m {
        Some(LabelModifier::Exclude(ls)) => ls.labels.clone(),
        _ => Vec::new(),
    };
    v.push(METRIC_NAME.to_string());
    v
}

/// Running state of one group at one step.
#[derive(Clone, Copy, Default)]
struct Acc {
    n: f64,
    v: f64,
    c: f64,
    mean: f64,
    incremental: bool,
}

/// Prometheus's `quantile` over unsorted values (NaN sorts first).
pub(crate) fn quantile(q: f64, vals: &mut [f64]) -> f64 {
    if vals.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    vals.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = vals.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let w = rank - rank.floor();
    vals[lower as usize] * (1.0 - w) + vals[upper as usize] * w
}

/// Adds `f` to an incremental mean, as Prometheus's `avg` and
/// `avg_over_time` (Kahan sum until it overflows, then incremental mean).
pub(crate) fn mean_add(a: &mut Acc2, f: f64) {
    a.n += 1.0;
    if !a.incremental {
        let (ns, nc) = kahan_inc(f, a.sum, a.c);
        if a.n == 1.0 || !ns.is_infinite() {
            a.sum = ns;
            a.c = nc;
            return;
        }
        a.incremental = true;
        a.mean = a.sum / (a.n - 1.0);
        a.c /= a.n - 1.0;
    }
    if a.mean.is_infinite() {
        if f.is_infinite() && (a.mean > 0.0) == (f > 0.0) {
            return;
        }
        if !f.is_infinite() && !f.is_nan() {
            return;
        }
    }
    let corrected = a.mean + a.c;
    let (m, c) = kahan_inc(f / a.n - corrected / a.n, a.mean, a.c);
    a.mean = m;
    a.c = c;
}

/// State for [`mean_add`].
#[derive(Clone, Copy, Default)]
pub(crate) struct Acc2 {
    pub n: f64,
    pub sum: f64,
    pub c: f64,
    pub mean: f64,
    pub incremental: bool,
}

impl Acc2 {
    pub fn result(&self) -> f64 {
        if self.incremental {
            self.mean + self.c
        } else {
            (self.sum + self.c) / self.n
        }
    }
}

impl Evaluator<'_> {
    pub(crate) fn aggregate(
        &mut self,
        ctx: Ctx,
        a: &AggregateExpr,
        node: &Expr,
    ) -> Result<Val, PromqlError> {
        let op = a.op.to_string();
        let n = ctx.n();
        let param = match (&a.param, op.as_str()) {
            (Some(p), "count_values") => Some(Val::Str(self.eval_string(ctx, p)?)),
            (Some(p), _) => Some(Val::Scalar(self.eval_scalar(ctx, p)?)),
            _ => None,
        };
        let input = self.eval_vector(ctx, &a.expr)?;
        let _ = node;
        match op.as_str() {
            "topk" | "bottomk" | "limitk" | "limit_ratio" => {
                let Some(Val::Scalar(p)) = param else {
                    return Err(PromqlError::exec(format!("{op} requires a parameter")));
                };
                self.select_agg(ctx, &op, p, input, a)
            }
            "count_values" => {
                let Some(Val::Str(label)) = param else {
                    return Err(PromqlError::exec("count_values requires a label parameter"));
                };
                if let Some(lit) = self.invalid_label(&label) {
                    return Err(PromqlError::exec(format!("invalid label name {lit}")));
                }
                if !valid_label_name(&label) {
                    return Err(PromqlError::exec(format!("invalid label name {label:?}")));
                }
                let mut ob = OutBuilder::new(n);
                let groups: Vec<Labels> = input
                    .iter()
                    .map(|s| group_labels(&s.labels, &a.modifier))
                    .collect();
                for step in 0..n {
                    let mut counts: Vec<(Labels, f64)> = Vec::new();
                    let mut idx: HashMap<Labels, usize> = HashMap::new();
                    for (i, s) in input.iter().enumerate() {
                        let Some(v) = s.vals[step] else { continue };
                        let mut b = groups[i].builder();
                        b.set(&label, &format_float(v));
                        let l = b.build();
                        match idx.get(&l) {
                            Some(&k) => counts[k].1 += 1.0,
                            None => {
                                idx.insert(l.clone(), counts.len());
                                counts.push((l, 1.0));
                            }
                        }
                    }
                    for (l, c) in counts {
                        let slot = ob.slot(l, false);
                        ob.set(slot, step, c)?;
                    }
                }
                Ok(Val::Vector(ob.series))
            }
            _ => self.simple_agg(ctx, &op, param, input, a),
        }
    }

    fn simple_agg(
        &mut self,
        ctx: Ctx,
        op: &str,
        param: Option<Val>,
        input: Vec<Ser>,
        a: &AggregateExpr,
    ) -> Result<Val, PromqlError> {
        let n = ctx.n();
        let wn = without_names(&a.modifier);
        let mut gidx: FastMap<u64, usize> = FastMap::default();
        let mut glabels: Vec<Labels> = Vec::new();
        let mut member: Vec<usize> = Vec::with_capacity(input.len());
        let mut gdrop: Vec<bool> = Vec::new();
        for s in &input {
            let h = group_hash(&s.labels, &a.modifier, &wn);
            let k = match gidx.get(&h) {
                Some(&k) => k,
                None => {
                    let k = glabels.len();
                    gidx.insert(h, k);
                    glabels.push(group_labels(&s.labels, &a.modifier));
                    gdrop.push(false);
                    k
                }
            };
            // A group keyed by a to-be-dropped name drops it too.
            gdrop[k] |= s.drop_name && s.labels.has(METRIC_NAME);
            member.push(k);
        }
        let ng = glabels.len();
        let mut out: Vec<Ser> = glabels
            .into_iter()
            .zip(gdrop)
            .map(|(l, d)| Ser {
                labels: l,
                drop_name: d,
                vals: vec![None; n],
            })
            .collect();
        let q = match &param {
            Some(Val::Scalar(q)) => q.clone(),
            _ => vec![0.0; n],
        };
        if op == "quantile" && q.iter().any(|q| q.is_nan() || *q < 0.0 || *q > 1.0) {
            let bad = q
                .iter()
                .find(|q| q.is_nan() || **q < 0.0 || **q > 1.0)
                .copied();
            if let Some(b) = bad {
                self.warn(
                    format!("quantile value should be between 0 and 1, got {}", go_g(b)),
                    a.param.as_deref(),
                );
            }
        }
        /// The operator, resolved once instead of per sample.
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Sum,
            Avg,
            Min,
            Max,
            Var,
            Quantile,
            Other,
        }
        let kind = match op {
            "sum" => Kind::Sum,
            "avg" => Kind::Avg,
            "min" => Kind::Min,
            "max" => Kind::Max,
            "stddev" | "stdvar" => Kind::Var,
            "quantile" => Kind::Quantile,
            _ => Kind::Other,
        };
        let mut accs = vec![Acc::default(); ng];
        let mut means = vec![Acc2::default(); ng];
        let mut lists: Vec<Vec<f64>> = vec![Vec::new(); ng];
        for (step, &qs) in q.iter().enumerate() {
            self.check()?;
            accs.iter_mut().for_each(|x| *x = Acc::default());
            if op == "avg" {
                means.iter_mut().for_each(|x| *x = Acc2::default());
            }
            if op == "quantile" {
                lists.iter_mut().for_each(Vec::clear);
            }
            for (i, s) in input.iter().enumerate() {
                let Some(f) = s.vals[step] else { continue };
                let g = member[i];
                let acc = &mut accs[g];
                let first = acc.n == 0.0;
                match kind {
                    Kind::Sum => {
                        let (v, c) = kahan_inc(f, acc.v, acc.c);
                        acc.v = v;
                        acc.c = c;
                    }
                    Kind::Avg => mean_add(&mut means[g], f),
                    Kind::Min if first || acc.v > f || acc.v.is_nan() => acc.v = f,
                    Kind::Max if first || acc.v < f || acc.v.is_nan() => acc.v = f,
                    Kind::Var => {
                        if first {
                            acc.mean = f;
                            acc.v = if f.is_finite() { 0.0 } else { f64::NAN };
                        } else {
                            let cnt = acc.n + 1.0;
                            let delta = f - acc.mean;
                            acc.mean += delta / cnt;
                            acc.v += delta * (f - acc.mean);
                        }
                    }
                    Kind::Quantile => lists[g].push(f),
                    _ => {}
                }
                acc.n += 1.0;
                let _ = acc.incremental;
            }
            for (g, acc) in accs.iter().enumerate() {
                if acc.n == 0.0 {
                    continue;
                }
                let v = match op {
                    "sum" => acc.v + acc.c,
                    "avg" => means[g].result(),
                    "count" => acc.n,
                    "group" => 1.0,
                    "min" | "max" => acc.v,
                    "stdvar" => acc.v / acc.n,
                    "stddev" => (acc.v / acc.n).sqrt(),
                    "quantile" => quantile(qs, &mut lists[g]),
                    _ => return Err(PromqlError::exec(format!("unknown aggregation {op}"))),
                };
                out[g].vals[step] = Some(v);
            }
        }
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(Val::Vector(out))
    }

    fn select_agg(
        &mut self,
        ctx: Ctx,
        op: &str,
        p: Vec<f64>,
        mut input: Vec<Ser>,
        a: &AggregateExpr,
    ) -> Result<Val, PromqlError> {
        let n = ctx.n();
        let wn = without_names(&a.modifier);
        let mut gidx: FastMap<u64, usize> = FastMap::default();
        let mut member = Vec::with_capacity(input.len());
        for s in &input {
            let g = group_hash(&s.labels, &a.modifier, &wn);
            let k = gidx.len();
            member.push(*gidx.entry(g).or_insert(k));
        }
        let ng = gidx.len();
        let mut keep = vec![vec![false; n]; input.len()];
        let mut order: Vec<usize> = Vec::new();
        for step in 0..n {
            self.check()?;
            let pv = p[step];
            if op == "limit_ratio" {
                if pv.is_nan() {
                    return Err(PromqlError::exec("Ratio value is NaN"));
                }
                let mut r = pv;
                if !(-1.0..=1.0).contains(&r) {
                    let to = r.clamp(-1.0, 1.0);
                    self.warn(
                        format!(
                            "ratio value should be between -1 and 1, got {}, capping to {}",
                            go_g(r),
                            go_g(to)
                        ),
                        a.param.as_deref(),
                    );
                    r = to;
                }
                for (i, s) in input.iter().enumerate() {
                    if s.vals[step].is_none() {
                        continue;
                    }
                    let off = ratio_offset(&s.labels);
                    let sel = if r >= 0.0 { off < r } else { off >= 1.0 + r };
                    if sel && r != 0.0 {
                        keep[i][step] = true;
                    }
                }
                continue;
            }
            if pv.is_nan() {
                return Err(PromqlError::exec("Parameter value is NaN"));
            }
            if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&pv) {
                return Err(PromqlError::exec(format!(
                    "Scalar value {} overflows int64",
                    go_g(pv)
                )));
            }
            let k = pv as i64;
            if k < 1 {
                continue;
            }
            let k = k as usize;
            let mut per_group: Vec<Vec<usize>> = vec![Vec::new(); ng];
            for (i, s) in input.iter().enumerate() {
                if s.vals[step].is_some() {
                    per_group[member[i]].push(i);
                }
            }
            for mut g in per_group {
                let val = |i: &usize| input[*i].vals[step].unwrap_or(f64::NAN);
                // Ties keep input order; selecting before sorting keeps the
                // cost linear in the group size.
                let rank = |x: &usize, y: &usize| {
                    let o = if op == "topk" {
                        cmp_nan_last(val(y), val(x), true)
                    } else {
                        cmp_nan_last(val(x), val(y), false)
                    };
                    o.then(x.cmp(y))
                };
                if op == "topk" || op == "bottomk" {
                    if g.len() > k {
                        g.select_nth_unstable_by(k - 1, rank);
                        g.truncate(k);
                    }
                    g.sort_by(rank);
                }
                g.truncate(k);
                for &i in &g {
                    keep[i][step] = true;
                }
                if n == 1 {
                    order.extend(g);
                }
            }
        }
        for (i, s) in input.iter_mut().enumerate() {
            for (step, slot) in s.vals.iter_mut().enumerate() {
                if !keep[i][step] {
                    *slot = None;
                }
            }
        }
        if n == 1 && op != "limit_ratio" {
            let mut taken: Vec<Option<Ser>> = input.into_iter().map(Some).collect();
            let out = order.into_iter().filter_map(|i| taken[i].take()).collect();
            return Ok(Val::Vector(out));
        }
        input.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(Val::Vector(input))
    }
}

/// Orders values descending (`desc`) or ascending with NaN always last.
fn cmp_nan_last(a: f64, b: f64, desc: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // `a` and `b` come pre-swapped for descending order.
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if desc {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if desc {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Where a series falls in `[0, 1)` for `limit_ratio`: its Prometheus label
/// hash (xxHash64 over `name 0xff value 0xff ...`) scaled to the unit range.
fn ratio_offset(l: &Labels) -> f64 {
    let mut buf = Vec::with_capacity(l.byte_size() + 2 * l.len());
    for lb in l.iter() {
        buf.extend_from_slice(lb.name.as_bytes());
        buf.push(0xff);
        buf.extend_from_slice(lb.value.as_bytes());
        buf.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&buf, 0) as f64 / u64::MAX as f64
}

/// Whether `s` is a valid label name (UTF-8 names are allowed, but not
/// empty or invalid ones).
pub(crate) fn valid_label_name(s: &str) -> bool {
    !s.is_empty()
}

/// Go's `%g` formatting of a float (shortest representation, exponent for
/// large and small magnitudes).
pub(crate) fn go_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let exp = v.abs().log10().floor() as i32;
    if (-4..21).contains(&exp) {
        format!("{v}")
    } else {
        let s = format!("{v:e}");
        // Rust prints `1e21`, Go `1e+21`.
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e:0>2}"),
            Some((m, e)) => format!("{m}e-{:0>2}", &e[1..]),
            None => s,
        }
    }
}
