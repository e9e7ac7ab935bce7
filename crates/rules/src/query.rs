//! The one thing rules need from a query engine: an instant query.
//!
//! Rules, templates (`query`) and the unit-test runner all evaluate PromQL
//! through [`QueryFn`], so the evaluation loop does not depend on how the
//! engine and the storage are put together; [`EngineQuery`] is the adapter
//! for Telltale's engine over any [`Queryable`].

use std::sync::Arc;

use telltale_model::{Labels, Queryable};
use telltale_promql::{CancelToken, Engine, Value};

/// One sample of an instant query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    /// The series' labels.
    pub labels: Labels,
    /// The value.
    pub value: f64,
}

/// Evaluates an instant query (Prometheus's `rules.QueryFunc`).
pub trait QueryFn: Send + Sync {
    /// Evaluates `expr` at `t_ms` (milliseconds). A scalar result comes back
    /// as one sample with no labels.
    ///
    /// # Errors
    ///
    /// The engine's message when the query fails, or when it returns a
    /// string or range vector.
    fn query(&self, expr: &str, t_ms: i64) -> Result<Vec<InstantSample>, String>;
}

/// [`QueryFn`] over Telltale's PromQL [`Engine`] and a storage.
#[derive(Clone)]
pub struct EngineQuery {
    engine: Arc<Engine>,
    storage: Arc<dyn Queryable>,
}

impl EngineQuery {
    /// Queries `storage` with `engine`.
    pub fn new(engine: Arc<Engine>, storage: Arc<dyn Queryable>) -> Self {
        EngineQuery { engine, storage }
    }
}

impl QueryFn for EngineQuery {
    fn query(&self, expr: &str, t_ms: i64) -> Result<Vec<InstantSample>, String> {
        let cancel = CancelToken::new();
        let res = self
            .engine
            .instant_query(self.storage.as_ref(), expr, t_ms, &cancel)
            .map_err(|e| e.to_string())?;
        match res.value {
            Value::Vector(v) => Ok(v
                .into_iter()
                .map(|s| InstantSample {
                    labels: s.labels,
                    value: s.v,
                })
                .collect()),
            Value::Scalar { v, .. } => Ok(vec![InstantSample {
                labels: Labels::empty(),
                value: v,
            }]),
            other => Err(format!(
                "rule result is not a vector or scalar: {}",
                other.type_name()
            )),
        }
    }
}
