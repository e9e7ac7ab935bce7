//! The semantic rules Prometheus and OpenMetrics put on samples: unique
//! label names, typed suffixes, `le` and `quantile` values, `_total` on
//! OpenMetrics counters.

use std::borrow::Cow;

use telltale_model::{METRIC_NAME, MetricType};

use crate::entry::{LabelSet, Series};
use crate::error::Error;
use crate::lex::parse_float;
use crate::parser::Parser;

/// Whether `suffix` (what follows the family name in a sample name) is
/// one that a family of type `t` has (`""` is the family name itself).
#[inline]
pub(crate) fn suffix_allowed(t: MetricType, suffix: &str) -> bool {
    match t {
        MetricType::Counter => matches!(suffix, "" | "_total" | "_created"),
        MetricType::Histogram => matches!(suffix, "_bucket" | "_sum" | "_count" | "_created"),
        MetricType::GaugeHistogram => {
            matches!(suffix, "_bucket" | "_gsum" | "_gcount" | "_sum" | "_count")
        }
        MetricType::Summary => matches!(suffix, "" | "_sum" | "_count" | "_created"),
        MetricType::Info => matches!(suffix, "" | "_info"),
        MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => suffix.is_empty(),
    }
}

/// The type of the family `name` belongs to, if `family` of type `t` is it.
#[inline]
pub(crate) fn classify(family: &str, t: MetricType, name: &str) -> Option<MetricType> {
    if family.is_empty() || name.len() < family.len() {
        return None;
    }
    let suffix = name.strip_prefix(family)?;
    suffix_allowed(t, suffix).then_some(t)
}

/// Checks a parsed sample against the family declared before it and
/// returns the sample's type.
pub(crate) fn check_series(
    p: &Parser<'_>,
    s: &Series<'_>,
    at: usize,
    le: Option<&[u8]>,
    quantile: Option<&[u8]>,
) -> Result<MetricType, Error> {
    let name = s.name();
    let Some(t) = classify(&p.family, p.family_type, &name) else {
        return Ok(MetricType::Unknown);
    };
    let suffix = &name[p.family.len()..];
    match t {
        MetricType::Counter if p.om() && suffix.is_empty() && !name.ends_with("_total") => {
            return Err(p.invalid(
                at,
                format!("counter sample {name:?} must have the _total suffix"),
            ));
        }
        MetricType::Histogram | MetricType::GaugeHistogram if suffix == "_bucket" => {
            check_float_label(p, le, "le", true, at)?;
        }
        MetricType::Summary if suffix.is_empty() => {
            check_float_label(p, quantile, "quantile", false, at)?;
        }
        _ => {}
    }
    Ok(t)
}

fn check_float_label(
    p: &Parser<'_>,
    value: Option<&[u8]>,
    label: &str,
    required: bool,
    at: usize,
) -> Result<(), Error> {
    match value {
        Some(v) if parse_float(v).is_err() => {
            let v = String::from_utf8_lossy(v);
            return Err(p.invalid(at, format!("invalid {label} value {v:?}")));
        }
        Some(_) => {}
        None if required => {
            return Err(p.invalid(at, format!("histogram bucket without a {label} label")));
        }
        None => {}
    }
    Ok(())
}

/// Refuses a label set that names a label twice (after unescaping), or that
/// sets `__name__` besides the metric name.
pub(crate) fn check_duplicates(
    p: &Parser<'_>,
    set: &LabelSet<'_>,
    at: usize,
    exemplar: bool,
) -> Result<(), Error> {
    const SMALL: usize = 16;
    let mut small: [&str; SMALL] = [""; SMALL];
    let mut n = 0;
    let mut fast = true;
    for (name, _) in set.iter() {
        if !exemplar && name == METRIC_NAME {
            return Err(dup(p, at, &name));
        }
        match name {
            Cow::Borrowed(b) if n < SMALL => {
                if small[..n].contains(&b) {
                    return Err(dup(p, at, b));
                }
                small[n] = b;
                n += 1;
            }
            _ => {
                fast = false;
                break;
            }
        }
    }
    if fast {
        return Ok(());
    }
    let mut all: Vec<Cow<'_, str>> = set.iter().map(|(n, _)| n).collect();
    all.sort_unstable();
    match all.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(dup(p, at, &w[0])),
        None => Ok(()),
    }
}

fn dup(p: &Parser<'_>, at: usize, name: &str) -> Error {
    p.invalid(at, format!("duplicate label name {name:?}"))
}
