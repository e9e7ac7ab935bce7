//! Conversions between the wire messages and Telltale's model.

use telltale_model::{
    Label as ModelLabel, Labels, METRIC_NAME, MatchOp, Matcher, MetricType, Sample as ModelSample,
};

use crate::error::Error;
use crate::types::{Label, LabelMatcher, Sample, label_matcher, metric_metadata};

/// The wire labels of a label set, in its (sorted) order.
pub fn labels_to_proto(labels: &Labels) -> Vec<Label> {
    labels
        .iter()
        .map(|l| Label {
            name: l.name.clone(),
            value: l.value.clone(),
        })
        .collect()
}

/// A label set from wire labels, checked as Prometheus's receiver checks
/// them: no empty names, no name twice, a non-empty `__name__`. Empty
/// values are dropped (an empty value is the same as no label). `series` is
/// the index reported in errors.
///
/// # Errors
///
/// [`Error::InvalidLabels`] saying what is wrong.
pub fn labels_from_proto(labels: &[Label], series: usize) -> Result<Labels, Error> {
    let invalid = |reason: String| Error::InvalidLabels { series, reason };
    let mut v: Vec<ModelLabel> = Vec::with_capacity(labels.len());
    for l in labels {
        if l.name.is_empty() {
            return Err(invalid("empty label name".into()));
        }
        v.push(ModelLabel::new(l.name.clone(), l.value.clone()));
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = v.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(invalid(format!("duplicate label name {:?}", w[0].name)));
    }
    let labels = Labels::new(v);
    if labels.get(METRIC_NAME).is_empty() {
        return Err(invalid("missing metric name".into()));
    }
    Ok(labels)
}

impl From<Sample> for ModelSample {
    fn from(s: Sample) -> Self {
        ModelSample::new(s.timestamp, s.value)
    }
}

impl From<ModelSample> for Sample {
    fn from(s: ModelSample) -> Self {
        Sample {
            value: s.v,
            timestamp: s.t,
        }
    }
}

/// A model matcher from a remote read matcher.
///
/// # Errors
///
/// [`Error::MatcherType`] for an unknown operator, [`Error::Matcher`] for a
/// regex that does not compile.
pub fn matcher_from_proto(m: &LabelMatcher) -> Result<Matcher, Error> {
    let op = match label_matcher::Type::try_from(m.r#type) {
        Ok(label_matcher::Type::Eq) => MatchOp::Equal,
        Ok(label_matcher::Type::Neq) => MatchOp::NotEqual,
        Ok(label_matcher::Type::Re) => MatchOp::Regex,
        Ok(label_matcher::Type::Nre) => MatchOp::NotRegex,
        Err(_) => {
            return Err(Error::MatcherType {
                name: m.name.clone(),
                op: m.r#type,
            });
        }
    };
    Ok(Matcher::new(op, &m.name, &m.value)?)
}

/// A remote read matcher from a model matcher.
pub fn matcher_to_proto(m: &Matcher) -> LabelMatcher {
    let t = match m.op {
        MatchOp::Equal => label_matcher::Type::Eq,
        MatchOp::NotEqual => label_matcher::Type::Neq,
        MatchOp::Regex => label_matcher::Type::Re,
        MatchOp::NotRegex => label_matcher::Type::Nre,
    };
    LabelMatcher {
        r#type: t as i32,
        name: m.name.clone(),
        value: m.value.clone(),
    }
}

/// The wire metric type of a model type.
pub fn metric_type_to_proto(t: MetricType) -> metric_metadata::MetricType {
    use metric_metadata::MetricType as P;
    match t {
        MetricType::Counter => P::Counter,
        MetricType::Gauge => P::Gauge,
        MetricType::Histogram => P::Histogram,
        MetricType::GaugeHistogram => P::Gaugehistogram,
        MetricType::Summary => P::Summary,
        MetricType::Info => P::Info,
        MetricType::StateSet => P::Stateset,
        MetricType::Unknown => P::Unknown,
    }
}

/// The model type of a wire metric type number (unknown numbers give
/// [`MetricType::Unknown`]).
pub fn metric_type_from_proto(t: i32) -> MetricType {
    use metric_metadata::MetricType as P;
    match P::try_from(t) {
        Ok(P::Counter) => MetricType::Counter,
        Ok(P::Gauge) => MetricType::Gauge,
        Ok(P::Histogram) => MetricType::Histogram,
        Ok(P::Gaugehistogram) => MetricType::GaugeHistogram,
        Ok(P::Summary) => MetricType::Summary,
        Ok(P::Info) => MetricType::Info,
        Ok(P::Stateset) => MetricType::StateSet,
        Ok(P::Unknown) | Err(_) => MetricType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(n: &str, v: &str) -> Label {
        Label {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn labels_are_checked_and_sorted() {
        let got = labels_from_proto(&[l("job", "a"), l("__name__", "up"), l("x", "")], 0).unwrap();
        assert_eq!(got, Labels::from_pairs(&[("__name__", "up"), ("job", "a")]));
        assert_eq!(
            labels_to_proto(&got),
            vec![l("__name__", "up"), l("job", "a")]
        );

        let e = labels_from_proto(&[l("__name__", "up"), l("a", "1"), l("a", "2")], 3).unwrap_err();
        assert_eq!(e.to_string(), "series 3: duplicate label name \"a\"");
        let e = labels_from_proto(&[l("", "x"), l("__name__", "up")], 0).unwrap_err();
        assert!(e.to_string().contains("empty label name"));
        let e = labels_from_proto(&[l("a", "1")], 0).unwrap_err();
        assert!(e.to_string().contains("missing metric name"));
    }

    #[test]
    fn matchers_convert_both_ways() {
        let m = LabelMatcher {
            r#type: label_matcher::Type::Re as i32,
            name: "job".into(),
            value: "a|b".into(),
        };
        let model = matcher_from_proto(&m).unwrap();
        assert!(model.matches("b"));
        assert!(!model.matches("c"));
        assert_eq!(matcher_to_proto(&model), m);
        let bad = LabelMatcher {
            r#type: 9,
            ..m.clone()
        };
        assert!(matches!(
            matcher_from_proto(&bad),
            Err(Error::MatcherType { op: 9, .. })
        ));
        let bad_re = LabelMatcher {
            value: "(".into(),
            ..m
        };
        assert!(matches!(
            matcher_from_proto(&bad_re),
            Err(Error::Matcher(_))
        ));
    }

    #[test]
    fn metric_types_round_trip() {
        for t in [
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::GaugeHistogram,
            MetricType::Summary,
            MetricType::Info,
            MetricType::StateSet,
            MetricType::Unknown,
        ] {
            assert_eq!(metric_type_from_proto(metric_type_to_proto(t) as i32), t);
        }
        assert_eq!(metric_type_from_proto(42), MetricType::Unknown);
    }
}
