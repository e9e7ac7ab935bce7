//! Owned metric families built from a parse: the convenience path for
//! callers that want [`MetricFamily`] values rather than borrowed entries.

use std::borrow::Cow;

use telltale_model::{
    FamilySample, Label, Labels, METRIC_NAME, MetricFamily, MetricMetadata, MetricType,
};

use crate::entry::Entry;
use crate::error::Error;
use crate::float::format_openmetrics_float;
use crate::format::Format;
use crate::lex::parse_float;
use crate::parser::Parser;
use crate::validate::classify;

/// Rewrites `le` of histograms and `quantile` of summaries to the
/// OpenMetrics float spelling (`1` becomes `1.0`, `+inf` becomes `+Inf`), as
/// Prometheus 3 does on ingestion, so that `le="1"` and `le="1.0"` name the
/// same series. Other labels, and values that are not floats, pass through.
pub fn normalize_float_label<'v>(
    metric_type: MetricType,
    name: &str,
    value: Cow<'v, str>,
) -> Cow<'v, str> {
    let applies = (metric_type == MetricType::Histogram && name == "le")
        || (metric_type == MetricType::Summary && name == "quantile");
    if !applies {
        return value;
    }
    match parse_float(value.as_bytes()) {
        Ok(f) => {
            let s = format_openmetrics_float(f);
            if s == value { value } else { Cow::Owned(s) }
        }
        Err(_) => value,
    }
}

/// Finds or starts the family a metadata line names: the last family if it
/// has that name and no samples yet (metadata after samples applies to the
/// samples that follow, so it starts a new family).
fn family_for_meta(out: &mut Vec<MetricFamily>, name: &str) -> usize {
    match out.last() {
        Some(f) if f.name == name && f.samples.is_empty() => out.len() - 1,
        _ => {
            out.push(MetricFamily::new(name, MetricMetadata::default()));
            out.len() - 1
        }
    }
}

/// Parses a whole exposition into metric families.
///
/// Samples join the family declared just before them when their name is
/// the family name or a suffix its type allows (`x_bucket`, `x_sum`,
/// `x_count`, `x_created`, `x_total`...); other samples form untyped
/// families of their own, consecutive samples of one name sharing one.
/// Each sample's labels hold the full sample name in `__name__`, values
/// unescaped, `le`/`quantile` normalized by [`normalize_float_label`].
/// Exemplars and comments are dropped.
///
/// # Errors
///
/// The first parse error, with its position; nothing is returned then.
pub fn parse_families(buf: &[u8], format: Format) -> Result<Vec<MetricFamily>, Error> {
    let mut out: Vec<MetricFamily> = Vec::new();
    for entry in Parser::new(buf, format) {
        match entry? {
            Entry::Help { name, text } => {
                let i = family_for_meta(&mut out, &name);
                out[i].metadata.help = text.into_owned();
            }
            Entry::Type { name, metric_type } => {
                let i = family_for_meta(&mut out, &name);
                out[i].metadata.metric_type = metric_type;
            }
            Entry::Unit { name, unit } => {
                let i = family_for_meta(&mut out, &name);
                out[i].metadata.unit = unit.to_string();
            }
            Entry::Comment(_) => {}
            Entry::Series(s) => {
                let name = s.name();
                let joins = out
                    .last()
                    .is_some_and(|f| classify(&f.name, f.metadata.metric_type, &name).is_some());
                if !joins {
                    out.push(MetricFamily::new(name.as_ref(), MetricMetadata::default()));
                }
                let fam = out.len() - 1;
                let t = out[fam].metadata.metric_type;
                let mut labels: Vec<Label> = Vec::with_capacity(4);
                labels.push(Label::new(METRIC_NAME, name.into_owned()));
                for (n, v) in s.labels() {
                    let v = normalize_float_label(t, &n, v);
                    labels.push(Label::new(n.into_owned(), v.into_owned()));
                }
                out[fam].samples.push(FamilySample {
                    labels: Labels::new(labels),
                    value: s.value,
                    timestamp: s.timestamp,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_le_and_quantile_only_where_they_apply() {
        let n = |t, l, v: &'static str| normalize_float_label(t, l, Cow::Borrowed(v)).into_owned();
        assert_eq!(n(MetricType::Histogram, "le", "1"), "1.0");
        assert_eq!(n(MetricType::Histogram, "le", "+inf"), "+Inf");
        assert_eq!(n(MetricType::Histogram, "le", "0.25"), "0.25");
        assert_eq!(n(MetricType::Summary, "quantile", "0"), "0.0");
        assert_eq!(n(MetricType::Gauge, "le", "1"), "1");
        assert_eq!(n(MetricType::Histogram, "other", "1"), "1");
        assert_eq!(n(MetricType::Histogram, "le", "x"), "x");
    }

    #[test]
    fn samples_join_their_declared_family() {
        let body = b"# HELP h Help.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nother 1\nother 2\n";
        let fams = parse_families(body, Format::Text).unwrap();
        assert_eq!(fams.len(), 2);
        assert_eq!(fams[0].name, "h");
        assert_eq!(fams[0].metadata.metric_type, MetricType::Histogram);
        assert_eq!(fams[0].metadata.help, "Help.");
        assert_eq!(fams[0].samples.len(), 4);
        assert_eq!(fams[0].samples[0].labels.get("le"), "1.0");
        assert_eq!(fams[0].samples[2].labels.metric_name(), "h_sum");
        assert_eq!(fams[1].name, "other");
        assert_eq!(fams[1].samples.len(), 2);
    }

    #[test]
    fn metadata_after_samples_starts_a_new_family() {
        let body =
            b"# HELP s Help.\ns{quantile=\"x\"} 1\n# TYPE s summary\ns{quantile=\"0.5\"} 2\n";
        let fams = parse_families(body, Format::Text).unwrap();
        assert_eq!(fams.len(), 2);
        assert_eq!(fams[0].metadata.metric_type, MetricType::Unknown);
        assert_eq!(fams[0].samples[0].labels.get("quantile"), "x");
        assert_eq!(fams[1].metadata.metric_type, MetricType::Summary);
        assert_eq!(fams[1].samples[0].labels.get("quantile"), "0.5");
    }
}
