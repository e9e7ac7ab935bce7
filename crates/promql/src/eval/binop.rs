//! Binary operators: arithmetic, comparison, set operators and vector
//! matching (`on`, `ignoring`, `group_left`, `group_right`).

use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};
use telltale_model::{Labels, METRIC_NAME};

use super::{Ctx, Evaluator, FastMap, OutBuilder, Ser, Val, go_labels_string};
use crate::error::PromqlError;

/// Applies an arithmetic or comparison operator to two floats. Returns the
/// value and whether a comparison holds (always true for arithmetic).
pub(crate) fn apply_op(op: &str, l: f64, r: f64) -> (f64, bool) {
    match op {
        "+" => (l + r, true),
        "-" => (l - r, true),
        "*" => (l * r, true),
        "/" => (l / r, true),
        "%" => (l % r, true),
        "^" => (l.powf(r), true),
        "atan2" => (l.atan2(r), true),
        "==" => (l, l == r),
        "!=" => (l, l != r),
        ">" => (l, l > r),
        "<" => (l, l < r),
        ">=" => (l, l >= r),
        "<=" => (l, l <= r),
        _ => (f64::NAN, false),
    }
}

fn is_cmp(op: &str) -> bool {
    matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=")
}

/// Whether the operator's result no longer is "the same metric".
fn drops_name(op: &str) -> bool {
    matches!(op, "+" | "-" | "*" | "/" | "%" | "^" | "atan2")
}

/// The matching labels and whether they are `on(...)` labels.
fn matching(m: &Option<BinModifier>) -> (bool, Vec<String>) {
    match m.as_ref().and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
        Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
        None => (false, Vec::new()),
    }
}

/// A hash of the matching signature of a label set (`ignoring` always
/// ignores the metric name too).
fn sig_hash(l: &Labels, on: bool, names: &[String], ignored: &[String]) -> u64 {
    if on {
        l.hash_for(names, true)
    } else {
        l.hash_for(ignored, false)
    }
}

/// The matching signature of a label set.
fn signature(l: &Labels, on: bool, names: &[String]) -> Labels {
    Labels::from_sorted(
        l.iter()
            .filter(|lb| {
                if on {
                    names.contains(&lb.name)
                } else {
                    lb.name != METRIC_NAME && !names.contains(&lb.name)
                }
            })
            .cloned()
            .collect(),
    )
}

impl Evaluator<'_> {
    pub(crate) fn binary(&mut self, ctx: Ctx, b: &BinaryExpr) -> Result<Val, PromqlError> {
        let op = b.op.to_string();
        let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        let lhs = self.eval(ctx, &b.lhs)?;
        let rhs = self.eval(ctx, &b.rhs)?;
        match (lhs, rhs) {
            (Val::Scalar(l), Val::Scalar(r)) => Ok(Val::Scalar(
                l.iter()
                    .zip(&r)
                    .map(|(a, c)| {
                        let (v, keep) = apply_op(&op, *a, *c);
                        if is_cmp(&op) {
                            if keep { 1.0 } else { 0.0 }
                        } else {
                            v
                        }
                    })
                    .collect(),
            )),
            (Val::Vector(mut v), Val::Scalar(s)) => {
                self.vector_scalar(&mut v, &s, &op, return_bool, false);
                Ok(Val::Vector(v))
            }
            (Val::Scalar(s), Val::Vector(mut v)) => {
                self.vector_scalar(&mut v, &s, &op, return_bool, true);
                Ok(Val::Vector(v))
            }
            (Val::Vector(l), Val::Vector(r)) => match op.as_str() {
                "and" | "or" | "unless" => {
                    Ok(Val::Vector(self.set_op(ctx, &op, l, r, &b.modifier)?))
                }
                _ => Ok(Val::Vector(self.vector_vector(
                    ctx,
                    &op,
                    l,
                    r,
                    &b.modifier,
                    return_bool,
                )?)),
            },
            _ => Err(PromqlError::exec(format!(
                "binary operator {op:?} not allowed on these operand types"
            ))),
        }
    }

    fn vector_scalar(&mut self, v: &mut Vec<Ser>, s: &[f64], op: &str, rb: bool, swap: bool) {
        let cmp = is_cmp(op);
        for ser in v.iter_mut() {
            for (slot, sv) in ser.vals.iter_mut().zip(s) {
                let Some(x) = *slot else { continue };
                let (l, r) = if swap { (*sv, x) } else { (x, *sv) };
                let (mut val, keep) = apply_op(op, l, r);
                if cmp && swap {
                    val = x;
                }
                if rb {
                    *slot = Some(if keep { 1.0 } else { 0.0 });
                } else if keep {
                    *slot = Some(val);
                } else {
                    *slot = None;
                }
            }
            if rb || drops_name(op) {
                ser.drop_name = true;
            }
        }
        v.retain(|s| s.vals.iter().any(Option::is_some));
    }

    fn set_op(
        &mut self,
        ctx: Ctx,
        op: &str,
        l: Vec<Ser>,
        r: Vec<Ser>,
        m: &Option<BinModifier>,
    ) -> Result<Vec<Ser>, PromqlError> {
        let (on, names) = matching(m);
        let ignored = ignored_names(&names);
        let n = ctx.n();
        // Signatures as small integers so per-step sets are vectors of flags.
        let mut sig_ids: FastMap<u64, usize> = FastMap::default();
        let mut id = |l: &Labels| {
            let s = sig_hash(l, on, &names, &ignored);
            let k = sig_ids.len();
            *sig_ids.entry(s).or_insert(k)
        };
        let lsig: Vec<usize> = l.iter().map(|s| id(&s.labels)).collect();
        let rsig: Vec<usize> = r.iter().map(|s| id(&s.labels)).collect();
        let nsig = sig_ids.len();
        match op {
            "and" | "unless" => {
                let want = op == "and";
                let mut out = l;
                let mut present = vec![false; nsig];
                for step in 0..n {
                    present.iter_mut().for_each(|p| *p = false);
                    for (i, s) in r.iter().enumerate() {
                        if s.vals[step].is_some() {
                            present[rsig[i]] = true;
                        }
                    }
                    for (i, s) in out.iter_mut().enumerate() {
                        if s.vals[step].is_some() && present[lsig[i]] != want {
                            s.vals[step] = None;
                        }
                    }
                }
                out.retain(|s| s.vals.iter().any(Option::is_some));
                Ok(out)
            }
            _ => {
                let mut ob = OutBuilder::new(n);
                let lslots: Vec<usize> = l
                    .iter()
                    .map(|s| ob.slot(s.labels.clone(), s.drop_name))
                    .collect();
                let mut rslots: Vec<Option<usize>> = vec![None; r.len()];
                let mut present = vec![false; nsig];
                for step in 0..n {
                    self.check()?;
                    present.iter_mut().for_each(|p| *p = false);
                    for (i, s) in l.iter().enumerate() {
                        if let Some(v) = s.vals[step] {
                            present[lsig[i]] = true;
                            ob.set(lslots[i], step, v)?;
                        }
                    }
                    for (i, s) in r.iter().enumerate() {
                        if let Some(v) = s.vals[step] {
                            if present[rsig[i]] {
                                continue;
                            }
                            let slot = match rslots[i] {
                                Some(x) => x,
                                None => {
                                    let x = ob.slot(s.labels.clone(), s.drop_name);
                                    rslots[i] = Some(x);
                                    x
                                }
                            };
                            ob.set(slot, step, v)?;
                        }
                    }
                }
                let mut out = ob.series;
                out.retain(|s| s.vals.iter().any(Option::is_some));
                Ok(out)
            }
        }
    }

    fn vector_vector(
        &mut self,
        ctx: Ctx,
        op: &str,
        l: Vec<Ser>,
        r: Vec<Ser>,
        m: &Option<BinModifier>,
        rb: bool,
    ) -> Result<Vec<Ser>, PromqlError> {
        let (on, names) = matching(m);
        let card = m
            .as_ref()
            .map(|m| m.card.clone())
            .unwrap_or(VectorMatchCardinality::OneToOne);
        let (include, one_to_many, one_to_one) = match &card {
            VectorMatchCardinality::ManyToOne(ls) => (ls.labels.clone(), false, false),
            VectorMatchCardinality::OneToMany(ls) => (ls.labels.clone(), true, false),
            _ => (Vec::new(), false, true),
        };
        let n = ctx.n();
        // `fill_left`/`fill_right` values; after the one-to-many swap below
        // they apply to the many and the one side (as Prometheus does).
        let (fill_many, fill_one) = m
            .as_ref()
            .map(|m| (m.fill_values.lhs, m.fill_values.rhs))
            .unwrap_or((None, None));
        if (l.is_empty() && fill_many.is_none()) || (r.is_empty() && fill_one.is_none()) {
            return Ok(Vec::new());
        }
        // The "many" side is `ls`, the "one" side `rs`.
        let (ls, rs) = if one_to_many { (r, l) } else { (l, r) };
        let ignored = ignored_names(&names);
        let mut sig_ids: FastMap<u64, usize> = FastMap::default();
        let mut id = |x: &Labels| {
            let s = sig_hash(x, on, &names, &ignored);
            let k = sig_ids.len();
            *sig_ids.entry(s).or_insert(k)
        };
        let lsig: Vec<usize> = ls.iter().map(|s| id(&s.labels)).collect();
        let rsig: Vec<usize> = rs.iter().map(|s| id(&s.labels)).collect();
        let nsig = sig_ids.len();
        let cmp = is_cmp(op);
        let drop = rb || drops_name(op);
        let mut ob = OutBuilder::new(n);
        let mut pair_slot: FastMap<(usize, usize), usize> = FastMap::default();
        let mut right: Vec<Option<usize>> = vec![None; nsig];
        // Step stamps (step + 1) instead of per-step sets: which match
        // groups and which output series already got a value this step.
        let mut matched: Vec<usize> = vec![0; nsig];
        let mut slot_stamp: Vec<usize> = Vec::new();
        let mut many_present = vec![false; nsig];
        let mut last_pair: Vec<(usize, usize)> = vec![(usize::MAX, 0); ls.len()];
        for step in 0..n {
            self.check()?;
            right.iter_mut().for_each(|x| *x = None);
            for (j, s) in rs.iter().enumerate() {
                if s.vals[step].is_none() {
                    continue;
                }
                let sig = rsig[j];
                if let Some(prev) = right[sig] {
                    let side = if one_to_many { "left" } else { "right" };
                    let ml = signature(&s.labels, on, &names);
                    let (a, b) = if s.labels <= rs[prev].labels {
                        (&s.labels, &rs[prev].labels)
                    } else {
                        (&rs[prev].labels, &s.labels)
                    };
                    return Err(PromqlError::exec(format!(
                        "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                        go_labels_string(&ml),
                        go_labels_string(a),
                        go_labels_string(b)
                    )));
                }
                right[sig] = Some(j);
            }
            let stamp = step + 1;
            many_present.iter_mut().for_each(|x| *x = false);
            for (i, s) in ls.iter().enumerate() {
                let Some(lv) = s.vals[step] else { continue };
                let sig = lsig[i];
                many_present[sig] = true;
                let Some(j) = right[sig] else {
                    if let Some(f) = fill_one {
                        let (fl, fr) = if one_to_many { (f, lv) } else { (lv, f) };
                        let (val, keep) = apply_op(op, fl, fr);
                        let slot = match pair_slot.get(&(i, usize::MAX)) {
                            Some(&x) => x,
                            None => {
                                let labels = result_labels(
                                    &s.labels,
                                    &Labels::empty(),
                                    on,
                                    &names,
                                    one_to_one,
                                    &include,
                                );
                                let x = ob.slot(labels, drop || (cmp && s.drop_name));
                                pair_slot.insert((i, usize::MAX), x);
                                x
                            }
                        };
                        if rb {
                            ob.set(slot, step, if keep { 1.0 } else { 0.0 })?;
                        } else if keep {
                            ob.set(slot, step, val)?;
                        }
                    }
                    continue;
                };
                let Some(rv) = rs[j].vals[step] else { continue };
                let (fl, fr) = if one_to_many { (rv, lv) } else { (lv, rv) };
                let (val, keep) = apply_op(op, fl, fr);
                // Usually a series meets the same partner at every step.
                let slot = match last_pair[i] {
                    (lj, ls) if lj == j => ls,
                    _ => {
                        let x = match pair_slot.get(&(i, j)) {
                            Some(&x) => x,
                            None => {
                                let labels = result_labels(
                                    &s.labels,
                                    &rs[j].labels,
                                    on,
                                    &names,
                                    one_to_one,
                                    &include,
                                );
                                let x = ob.slot(labels, drop || (cmp && s.drop_name));
                                pair_slot.insert((i, j), x);
                                x
                            }
                        };
                        last_pair[i] = (j, x);
                        x
                    }
                };
                if one_to_one {
                    if matched[sig] == stamp {
                        return Err(PromqlError::exec(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                        ));
                    }
                    matched[sig] = stamp;
                } else {
                    if slot_stamp.len() <= slot {
                        slot_stamp.resize(slot + 1, 0);
                    }
                    if slot_stamp[slot] == stamp {
                        return Err(PromqlError::exec(
                            "multiple matches for labels: grouping labels must ensure unique matches",
                        ));
                    }
                    slot_stamp[slot] = stamp;
                }
                let val = if rb {
                    if keep { 1.0 } else { 0.0 }
                } else if keep {
                    val
                } else {
                    continue;
                };
                ob.set(slot, step, val)?;
            }
            if let Some(f) = fill_many {
                for (j, s) in rs.iter().enumerate() {
                    let Some(rv) = s.vals[step] else { continue };
                    if many_present[rsig[j]] {
                        continue;
                    }
                    let (fl, fr) = if one_to_many { (rv, f) } else { (f, rv) };
                    let (val, keep) = apply_op(op, fl, fr);
                    let slot = match pair_slot.get(&(usize::MAX, j)) {
                        Some(&x) => x,
                        None => {
                            let x = ob.slot(signature(&s.labels, on, &names), drop);
                            pair_slot.insert((usize::MAX, j), x);
                            x
                        }
                    };
                    if rb {
                        ob.set(slot, step, if keep { 1.0 } else { 0.0 })?;
                    } else if keep {
                        ob.set(slot, step, val)?;
                    }
                }
            }
        }
        let mut out = ob.series;
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(out)
    }
}

fn ignored_names(names: &[String]) -> Vec<String> {
    let mut v = names.to_vec();
    v.push(METRIC_NAME.to_string());
    v
}

/// The labels of a vector-matching result, as Prometheus's `resultMetric`.
fn result_labels(
    l: &Labels,
    r: &Labels,
    on: bool,
    names: &[String],
    one_to_one: bool,
    include: &[String],
) -> Labels {
    let mut b = l.builder();
    if one_to_one {
        if on {
            b.keep(names);
        } else {
            for n in names {
                b.del(n);
            }
        }
    }
    for n in include {
        let v = r.get(n);
        if v.is_empty() {
            b.del(n);
        } else {
            b.set(n, v);
        }
    }
    b.build()
}
