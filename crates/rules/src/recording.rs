//! Recording rules: evaluate, rename, relabel.

use std::collections::HashSet;

use telltale_model::{Labels, LabelsBuilder, METRIC_NAME};

use crate::alert::EvalContext;
use crate::file::RuleSpec;

/// Evaluates a recording rule: the result's series get the rule's name and
/// labels. Returns (labels, value) pairs.
///
/// # Errors
///
/// A failed query, a result with the same labels twice after renaming, or
/// more series than the group's `limit`.
pub fn eval_recording(
    spec: &RuleSpec,
    ctx: &EvalContext<'_>,
) -> Result<Vec<(Labels, f64)>, String> {
    let res = ctx.query.query(&spec.expr, ctx.ts - ctx.query_offset_ms)?;
    let mut seen = HashSet::with_capacity(res.len());
    let mut out = Vec::with_capacity(res.len());
    for s in res {
        let mut b = LabelsBuilder::from(s.labels);
        b.set(METRIC_NAME, &spec.name);
        for (k, v) in &spec.labels {
            b.set(k, v);
        }
        let l = b.build();
        if !seen.insert(l.clone()) {
            return Err(
                "vector contains metrics with the same labelset after applying rule labels".into(),
            );
        }
        out.push((l, s.value));
    }
    if ctx.limit > 0 && out.len() > ctx.limit {
        return Err(format!(
            "exceeded limit of {} with {} series",
            ctx.limit,
            out.len()
        ));
    }
    Ok(out)
}
