//! The evaluator: walks promql-parser's AST over a grid of steps.
//!
//! Every expression is evaluated for all steps of the query at once. An
//! instant vector is a list of [`Ser`]ies with one optional value per step,
//! a scalar one value per step. Range vectors appear only as function
//! arguments ([`MatrixArg`]) and as the result of an instant query over a
//! range selector or subquery.

mod aggregate;
mod binop;
pub(crate) mod extended;
mod functions;
mod histogram;
mod info;
pub(crate) mod position;
mod range_fns;
mod selector;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use promql_parser::parser::{AtModifier, Expr, Offset};
use telltale_model::{Labels, Queryable, Sample};

use crate::engine::{CancelToken, EngineOptions};
use crate::error::PromqlError;

/// A hash map with a fast, non-cryptographic hasher (keys come from our
/// own label sets, not from an attacker who sees the hashes).
pub(crate) type FastMap<K, V> = foldhash::HashMap<K, V>;

/// The step grid an expression is evaluated on (all in milliseconds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub start: i64,
    pub end: i64,
    /// Always > 0 (an instant query uses 1).
    pub step: i64,
}

impl Ctx {
    pub fn n(&self) -> usize {
        (self.end.saturating_sub(self.start) / self.step).max(-1) as usize + 1
    }
    pub fn t(&self, i: usize) -> i64 {
        self.start
            .saturating_add(self.step.saturating_mul(i as i64))
    }
}

/// An instant-vector series: labels and one optional value per step.
#[derive(Debug, Clone)]
pub(crate) struct Ser {
    pub labels: Labels,
    /// The metric name is to be removed at the end of evaluation (delayed
    /// name removal).
    pub drop_name: bool,
    pub vals: Vec<Option<f64>>,
}

/// A series of raw samples (a range selector's or subquery's data).
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub labels: Labels,
    pub drop_name: bool,
    pub samples: Vec<Sample>,
}

/// An evaluated expression.
#[derive(Debug)]
pub(crate) enum Val {
    Scalar(Vec<f64>),
    Str(String),
    Vector(Vec<Ser>),
    /// Only for a range vector at the top of an instant query.
    Matrix(Vec<Raw>),
}

/// A range-vector function argument: the data plus how to cut windows.
pub(crate) struct MatrixArg {
    pub series: Vec<Raw>,
    pub range: i64,
    pub offset: i64,
    pub at: Option<i64>,
    /// `anchored`/`smoothed`; the series then hold samples around the
    /// windows too.
    pub modifier: Option<extended::Modifier>,
}

impl MatrixArg {
    /// The right end of the window at step time `t`.
    pub fn ref_time(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }
    /// The samples in the left-open window `(ref - range, ref]`.
    pub fn window<'s>(&self, samples: &'s [Sample], t: i64) -> &'s [Sample] {
        let r = self.ref_time(t);
        let lo = samples.partition_point(|s| s.t <= r.saturating_sub(self.range));
        let hi = samples.partition_point(|s| s.t <= r);
        &samples[lo..hi.max(lo)]
    }
}

/// Annotations collected during evaluation, deduplicated and sorted.
#[derive(Debug, Default)]
pub(crate) struct Annotations {
    pub warnings: BTreeSet<String>,
    pub infos: BTreeSet<String>,
}

/// One query's evaluation state.
pub(crate) struct Evaluator<'a> {
    pub storage: &'a dyn Queryable,
    pub opts: &'a EngineOptions,
    pub cancel: &'a CancelToken,
    pub deadline: Instant,
    pub query: &'a str,
    pub positions: HashMap<usize, usize>,
    /// The outermost query's start and end, for `@ start()` / `@ end()`.
    pub query_start: i64,
    pub query_end: i64,
    /// The outermost query's step (0 for an instant query), for `step()`.
    pub query_step: i64,
    pub annos: Annotations,
    /// String literals that are not valid UTF-8 in Go (see
    /// [`position::non_utf8_literals`]): invalid as label names.
    pub bad_strings: Vec<(String, String)>,
    pub samples_loaded: usize,
    pub checks: u32,
}

pub(crate) fn ptr(e: &Expr) -> usize {
    e as *const Expr as usize
}

pub(crate) fn dur_ms(d: &Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => dur_ms(d),
        Some(Offset::Neg(d)) => -dur_ms(d),
    }
}

fn system_time_ms(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => dur_ms(&d),
        Err(e) => -dur_ms(&e.duration()),
    }
}

impl<'a> Evaluator<'a> {
    /// Checks cancellation and the deadline; cheap enough to call per series.
    pub fn check(&mut self) -> Result<(), PromqlError> {
        if self.cancel.is_canceled() {
            return Err(PromqlError::Canceled("query execution".into()));
        }
        self.checks = self.checks.wrapping_add(1);
        if self.checks.is_multiple_of(16) && Instant::now() > self.deadline {
            return Err(PromqlError::Timeout("query execution".into()));
        }
        Ok(())
    }

    /// Accounts `n` points held in memory against the sample limit.
    pub fn account(&mut self, n: usize) -> Result<(), PromqlError> {
        if n > self.opts.max_samples {
            return Err(PromqlError::TooManySamples {
                limit: self.opts.max_samples,
                stage: "query execution".into(),
            });
        }
        Ok(())
    }

    pub fn at_ms(&self, at: &Option<AtModifier>) -> Option<i64> {
        match at {
            None => None,
            Some(AtModifier::Start) => Some(self.query_start),
            Some(AtModifier::End) => Some(self.query_end),
            Some(AtModifier::At(t)) => Some(system_time_ms(t)),
        }
    }

    /// Adds a warning for the node `node` (its position is looked up).
    pub fn warn(&mut self, msg: String, node: Option<&Expr>) {
        let s = self.render("PromQL warning", msg, node);
        self.annos.warnings.insert(s);
    }

    /// Adds an info annotation.
    pub fn info(&mut self, msg: String, node: Option<&Expr>) {
        let s = self.render("PromQL info", msg, node);
        self.annos.infos.insert(s);
    }

    fn render(&self, kind: &str, msg: String, node: Option<&Expr>) -> String {
        match node.and_then(|n| self.positions.get(&ptr(n))) {
            Some(&off) => {
                let (line, col) = position::line_col(self.query, off);
                format!("{kind}: {msg} ({line}:{col})")
            }
            None => format!("{kind}: {msg}"),
        }
    }

    /// The literal as written if `s` came from a string that is not valid
    /// UTF-8 in Prometheus (so not a valid label name).
    pub fn invalid_label(&self, s: &str) -> Option<&str> {
        self.bad_strings
            .iter()
            .find(|(v, _)| v == s)
            .map(|(_, lit)| lit.as_str())
    }

    /// Evaluates `e` on the grid `ctx`.
    pub fn eval(&mut self, ctx: Ctx, e: &Expr) -> Result<Val, PromqlError> {
        self.check()?;
        // Every step of every series costs memory: bound the grid first.
        self.account(ctx.n())?;
        let v = self.eval_node(ctx, e)?;
        let points = match &v {
            Val::Vector(s) => s.len().saturating_mul(ctx.n()),
            Val::Matrix(m) => m.iter().map(|r| r.samples.len()).sum(),
            Val::Scalar(s) => s.len(),
            Val::Str(_) => 0,
        };
        self.account(points)?;
        Ok(v)
    }

    fn eval_node(&mut self, ctx: Ctx, e: &Expr) -> Result<Val, PromqlError> {
        match e {
            Expr::NumberLiteral(n) => Ok(Val::Scalar(vec![n.val; ctx.n()])),
            Expr::StringLiteral(s) => Ok(Val::Str(s.val.clone())),
            Expr::Paren(p) => self.eval(ctx, &p.expr),
            Expr::Unary(u) => match self.eval(ctx, &u.expr)? {
                Val::Scalar(v) => Ok(Val::Scalar(v.into_iter().map(|x| -x).collect())),
                Val::Vector(mut vs) => {
                    for s in &mut vs {
                        s.drop_name = true;
                        for v in s.vals.iter_mut().flatten() {
                            *v = -*v;
                        }
                    }
                    Ok(Val::Vector(vs))
                }
                _ => Err(PromqlError::exec(
                    "unary expression only allowed on expressions of type scalar or vector",
                )),
            },
            Expr::VectorSelector(vs) => Ok(Val::Vector(self.vector_selector(ctx, vs, false)?)),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => {
                let m = self.matrix_arg(ctx, e)?;
                // A range vector as a value exists only for one step.
                let t = ctx.start;
                let mut out = Vec::with_capacity(m.series.len());
                for s in &m.series {
                    let w = m.window(&s.samples, t);
                    if !w.is_empty() {
                        out.push(Raw {
                            labels: s.labels.clone(),
                            drop_name: s.drop_name,
                            samples: w.to_vec(),
                        });
                    }
                }
                Ok(Val::Matrix(out))
            }
            Expr::Binary(b) => self.binary(ctx, b),
            Expr::Aggregate(a) => self.aggregate(ctx, a, e),
            Expr::Call(c) => self.call(ctx, c, e),
            Expr::Extension(_) => Err(PromqlError::exec("extension expressions are not supported")),
        }
    }

    /// Evaluates `e` and requires an instant vector.
    pub fn eval_vector(&mut self, ctx: Ctx, e: &Expr) -> Result<Vec<Ser>, PromqlError> {
        match self.eval(ctx, e)? {
            Val::Vector(v) => Ok(v),
            _ => Err(PromqlError::exec("expected an instant vector")),
        }
    }

    /// Evaluates `e` and requires a scalar.
    pub fn eval_scalar(&mut self, ctx: Ctx, e: &Expr) -> Result<Vec<f64>, PromqlError> {
        match self.eval(ctx, e)? {
            Val::Scalar(v) => Ok(v),
            _ => Err(PromqlError::exec("expected a scalar")),
        }
    }

    /// Evaluates `e` and requires a string.
    pub fn eval_string(&mut self, ctx: Ctx, e: &Expr) -> Result<String, PromqlError> {
        match self.eval(ctx, e)? {
            Val::Str(s) => Ok(s),
            _ => Err(PromqlError::exec("expected a string")),
        }
    }
}

/// Collects per-step output samples into series keyed by label set,
/// rejecting two samples with the same labels at the same step.
pub(crate) struct OutBuilder {
    n: usize,
    map: FastMap<u64, usize>,
    collisions: Vec<usize>,
    pub series: Vec<Ser>,
}

impl OutBuilder {
    pub fn new(n: usize) -> Self {
        OutBuilder {
            n,
            map: FastMap::default(),
            collisions: Vec::new(),
            series: Vec::new(),
        }
    }

    /// The index of the output series with `labels`, created if new.
    pub fn slot(&mut self, labels: Labels, drop_name: bool) -> usize {
        // Keyed by hash so the labels are not cloned; equal hashes of
        // different label sets fall back to a short list.
        let h = labels.stable_hash();
        let found = match self.map.get(&h) {
            Some(&i) if self.series[i].labels == labels => Some(i),
            Some(_) => self
                .collisions
                .iter()
                .copied()
                .find(|&i| self.series[i].labels == labels),
            None => None,
        };
        if let Some(i) = found {
            if drop_name {
                self.series[i].drop_name = true;
            }
            return i;
        }
        let i = self.series.len();
        match self.map.entry(h) {
            std::collections::hash_map::Entry::Occupied(_) => self.collisions.push(i),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
        }
        self.series.push(Ser {
            labels,
            drop_name,
            vals: vec![None; self.n],
        });
        i
    }

    /// Sets the value of series `i` at `step`.
    pub fn set(&mut self, i: usize, step: usize, v: f64) -> Result<(), PromqlError> {
        let slot = &mut self.series[i].vals[step];
        if slot.is_some() {
            return Err(PromqlError::exec(
                "vector cannot contain metrics with the same labelset",
            ));
        }
        *slot = Some(v);
        Ok(())
    }
}

/// Prometheus's `almost.Equal`.
pub(crate) fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    let sum = (a.abs() + b.abs()).min(f64::MAX);
    if a == 0.0 || b == 0.0 || sum < MIN_NORMAL {
        return diff < eps * MIN_NORMAL;
    }
    diff / sum < eps
}

/// Kahan-Neumaier summation step, as Prometheus's `kahanSumInc`.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Go's `labels.Labels.String()`: `{a="1", b="2"}` (the name as a label).
pub(crate) fn go_labels_string(l: &Labels) -> String {
    let mut s = String::from("{");
    for (i, lb) in l.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&lb.name);
        s.push('=');
        s.push_str(&go_quote(&lb.value));
    }
    s.push('}');
    s
}

/// Go's `strconv.Quote` for the characters label values usually hold.
pub(crate) fn go_quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                s.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}
