//! [`Engine`]: parses a query, checks it and evaluates it over a storage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use promql_parser::parser::{Expr, value::ValueType};
use telltale_model::{Queryable, Sample};

use crate::error::PromqlError;
use crate::eval::{Annotations, Ctx, Evaluator, Raw, Ser, Val, position};
use crate::value::{QueryResult, RangeSeries, Value, VectorSample};

/// Engine settings; [`Default`] gives Prometheus's defaults.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (5m).
    pub lookback_delta: Duration,
    /// The most samples one query may hold in memory (50,000,000).
    pub max_samples: usize,
    /// How long a query may run (2m).
    pub timeout: Duration,
    /// Allow experimental functions (`limitk`, `sort_by_label`, ...).
    pub enable_experimental: bool,
    /// The step of a subquery written without one (`[5m:]`), 1m.
    pub default_subquery_step: Duration,
    /// The most points per series a range query may return (11,000).
    pub max_points_per_series: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            enable_experimental: false,
            default_subquery_step: Duration::from_secs(60),
            max_points_per_series: 11_000,
        }
    }
}

/// Cancels a running query from another thread. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// Cancels every query using this token (or a clone of it).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The PromQL engine. Cheap to share; holds only its options.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOptions,
}

/// Parses `query` into promql-parser's AST, mapping errors to
/// [`PromqlError::Parse`].
///
/// # Errors
///
/// A syntax error.
pub fn parse(query: &str) -> Result<Expr, PromqlError> {
    promql_parser::parser::parse(query).map_err(PromqlError::parse)
}

/// Formats `query` the way Prometheus's `/api/v1/format_query` does
/// (prettified over several lines when long).
///
/// # Errors
///
/// A syntax error.
pub fn format_query(query: &str) -> Result<String, PromqlError> {
    Ok(parse(query)?.prettify())
}

/// The syntax tree of `query` as JSON, in the shape Prometheus's
/// `/api/v1/parse_query` returns (`{"type":"aggregation",...}`).
///
/// # Errors
///
/// A syntax error.
pub fn parse_query_json(query: &str) -> Result<String, PromqlError> {
    let expr = parse(query)?;
    serde_json::to_string(&expr)
        .map_err(|e| PromqlError::exec(format!("cannot encode the syntax tree: {e}")))
}

/// Rejects experimental functions and aggregations unless enabled.
fn check_features(e: &Expr, experimental: bool) -> Result<(), PromqlError> {
    match e {
        Expr::Aggregate(a) => {
            let op = a.op.to_string();
            if !experimental && (op == "limitk" || op == "limit_ratio") {
                return Err(PromqlError::parse(
                    "limitk() and limit_ratio() are experimental and must be enabled with --enable-feature=promql-experimental-functions",
                ));
            }
            if let Some(p) = &a.param {
                check_features(p, experimental)?;
            }
            check_features(&a.expr, experimental)
        }
        Expr::Call(c) => {
            if c.func.experimental && !experimental {
                return Err(PromqlError::parse(format!(
                    "function {:?} is not enabled",
                    c.func.name
                )));
            }
            c.args
                .args
                .iter()
                .try_for_each(|a| check_features(a, experimental))
        }
        Expr::Unary(u) => check_features(&u.expr, experimental),
        Expr::Binary(b) => {
            if !experimental
                && b.modifier
                    .as_ref()
                    .is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
            {
                return Err(PromqlError::parse(
                    "fill modifiers are experimental and must be enabled with --enable-feature=promql-binop-fill-modifiers",
                ));
            }
            check_features(&b.lhs, experimental)?;
            check_features(&b.rhs, experimental)
        }
        Expr::Paren(p) => check_features(&p.expr, experimental),
        Expr::Subquery(s) => check_features(&s.expr, experimental),
        _ => Ok(()),
    }
}

impl Engine {
    /// An engine with `opts`.
    pub fn new(opts: EngineOptions) -> Self {
        Engine { opts }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Evaluates `query` at `time_ms`.
    ///
    /// # Errors
    ///
    /// Parse errors ([`PromqlError::Parse`]), evaluation errors, limits,
    /// timeout, cancellation and storage failures.
    pub fn instant_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        time_ms: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult, PromqlError> {
        let ctx = Ctx {
            start: time_ms,
            end: time_ms,
            step: 1,
        };
        self.run(storage, query, ctx, false, cancel)
    }

    /// Evaluates `query` at every `step_ms` from `start_ms` to `end_ms`.
    ///
    /// # Errors
    ///
    /// As [`Engine::instant_query`]; also a bad step or range, and
    /// expressions that are not a scalar or instant vector.
    pub fn range_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult, PromqlError> {
        if step_ms <= 0 {
            return Err(PromqlError::parse(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        if end_ms < start_ms {
            return Err(PromqlError::parse(
                "end timestamp must not be before start time",
            ));
        }
        let points = (end_ms - start_ms) / step_ms + 1;
        if points as u64 > self.opts.max_points_per_series as u64 {
            let max = self.opts.max_points_per_series;
            let shown = if max == 11_000 {
                "11,000".to_string()
            } else {
                max.to_string()
            };
            return Err(PromqlError::parse(format!(
                "exceeded maximum resolution of {shown} points per timeseries. Try decreasing the query resolution (?step=XX)"
            )));
        }
        let ctx = Ctx {
            start: start_ms,
            end: end_ms,
            step: step_ms,
        };
        self.run(storage, query, ctx, true, cancel)
    }

    fn run(
        &self,
        storage: &dyn Queryable,
        query: &str,
        ctx: Ctx,
        range: bool,
        cancel: &CancelToken,
    ) -> Result<QueryResult, PromqlError> {
        let rewritten;
        let (query, expr) = match parse(query) {
            Ok(e) => (query, e),
            Err(err) => {
                // Duration expressions and the anchored/smoothed modifiers
                // are experimental and unknown to promql-parser: they are
                // rewritten into syntax it parses first.
                if !self.opts.enable_experimental {
                    return Err(err);
                }
                let step = if range { ctx.step } else { 0 };
                let q1 = crate::duration_expr::rewrite(query, step, ctx.end - ctx.start);
                let q2 = crate::eval::extended::rewrite_modifiers(q1.as_deref().unwrap_or(query));
                match q2.or(q1) {
                    Some(q) => {
                        rewritten = q;
                        (rewritten.as_str(), parse(&rewritten).map_err(|_| err)?)
                    }
                    None => return Err(err),
                }
            }
        };
        check_features(&expr, self.opts.enable_experimental)?;
        if range {
            let vt = expr.value_type();
            if vt != ValueType::Scalar && vt != ValueType::Vector {
                let name = match vt {
                    ValueType::Matrix => "range vector",
                    ValueType::String => "string",
                    _ => "unknown",
                };
                return Err(PromqlError::parse(format!(
                    "invalid expression type {name:?} for range query, must be Scalar or instant Vector"
                )));
            }
        }
        let mut ev = Evaluator {
            storage,
            opts: &self.opts,
            cancel,
            deadline: Instant::now() + self.opts.timeout,
            query,
            positions: position::positions(query, &expr),
            query_start: ctx.start,
            query_end: ctx.end,
            query_step: if range { ctx.step } else { 0 },
            annos: Annotations::default(),
            bad_strings: position::non_utf8_literals(query),
            samples_loaded: 0,
            checks: 0,
        };
        let val = ev.eval(ctx, &expr)?;
        let value = to_value(val, ctx, range)?;
        Ok(QueryResult {
            value,
            warnings: ev.annos.warnings.into_iter().collect(),
            infos: ev.annos.infos.into_iter().collect(),
            samples_loaded: ev.samples_loaded,
        })
    }
}

/// Removes the metric name and, with it, the `__type__` and `__unit__`
/// labels that describe it (Prometheus's type-and-unit labels).
fn drop_name_labels(l: &telltale_model::Labels) -> telltale_model::Labels {
    telltale_model::Labels::from_sorted(
        l.iter()
            .filter(|x| !matches!(x.name.as_str(), "__name__" | "__type__" | "__unit__"))
            .cloned()
            .collect(),
    )
}

fn finish_labels(s: &mut Ser) {
    if s.drop_name {
        s.labels = drop_name_labels(&s.labels);
    }
}

/// Merges series whose labels became equal when names were dropped; two
/// values at the same step are an error.
fn merge_same_labels(v: Vec<Ser>) -> Result<Vec<Ser>, PromqlError> {
    let mut idx: std::collections::HashMap<telltale_model::Labels, usize> =
        std::collections::HashMap::with_capacity(v.len());
    let mut out: Vec<Ser> = Vec::with_capacity(v.len());
    for s in v {
        match idx.get(&s.labels) {
            None => {
                idx.insert(s.labels.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                for (a, b) in out[i].vals.iter_mut().zip(s.vals) {
                    if b.is_some() {
                        if a.is_some() {
                            return Err(PromqlError::exec(
                                "vector cannot contain metrics with the same labelset",
                            ));
                        }
                        *a = b;
                    }
                }
            }
        }
    }
    Ok(out)
}

fn check_unique<'a>(
    labels: impl Iterator<Item = &'a telltale_model::Labels>,
) -> Result<(), PromqlError> {
    let mut all: Vec<&telltale_model::Labels> = labels.collect();
    all.sort();
    if all.windows(2).any(|w| w[0] == w[1]) {
        return Err(PromqlError::exec(
            "vector cannot contain metrics with the same labelset",
        ));
    }
    Ok(())
}

fn to_value(val: Val, ctx: Ctx, range: bool) -> Result<Value, PromqlError> {
    Ok(match val {
        Val::Scalar(v) => {
            if range {
                Value::Matrix(vec![RangeSeries {
                    labels: Default::default(),
                    samples: v
                        .iter()
                        .enumerate()
                        .map(|(i, x)| Sample::new(ctx.t(i), *x))
                        .collect(),
                }])
            } else {
                Value::Scalar {
                    t: ctx.start,
                    v: v.first().copied().unwrap_or(f64::NAN),
                }
            }
        }
        Val::Str(s) => Value::String { t: ctx.start, v: s },
        Val::Vector(mut v) => {
            v.iter_mut().for_each(finish_labels);
            v.retain(|s| s.vals.iter().any(Option::is_some));
            let v = merge_same_labels(v)?;
            if range {
                let mut out: Vec<RangeSeries> = v
                    .into_iter()
                    .map(|s| RangeSeries {
                        labels: s.labels,
                        samples: s
                            .vals
                            .iter()
                            .enumerate()
                            .filter_map(|(i, x)| x.map(|x| Sample::new(ctx.t(i), x)))
                            .collect(),
                    })
                    .collect();
                out.sort_by(|a, b| a.labels.cmp(&b.labels));
                Value::Matrix(out)
            } else {
                Value::Vector(
                    v.into_iter()
                        .filter_map(|s| {
                            s.vals[0].map(|x| VectorSample {
                                labels: s.labels,
                                t: ctx.start,
                                v: x,
                            })
                        })
                        .collect(),
                )
            }
        }
        Val::Matrix(m) => {
            let mut out: Vec<RangeSeries> = m
                .into_iter()
                .map(|r: Raw| RangeSeries {
                    labels: if r.drop_name {
                        drop_name_labels(&r.labels)
                    } else {
                        r.labels
                    },
                    samples: r.samples,
                })
                .collect();
            check_unique(out.iter().map(|s| &s.labels))?;
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
            Value::Matrix(out)
        }
    })
}
