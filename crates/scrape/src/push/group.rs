//! Push groups: the metric families pushed under one grouping key, and the
//! Pushgateway's rules for replacing them.

use std::collections::{BTreeMap, HashSet};

use telltale_model::{Label, Labels, MetricFamily, MetricMetadata, MetricType};

use super::path::GroupingKey;
use crate::error::ScrapeError;

/// The families pushed under one grouping key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PushGroup {
    /// The grouping key (`job` and any further labels).
    pub key: GroupingKey,
    /// The families by name; every sample carries the grouping labels.
    pub families: BTreeMap<String, MetricFamily>,
    /// The last successful push, in milliseconds (0 = never).
    pub push_time_ms: i64,
    /// The last failed push, in milliseconds (0 = never).
    pub push_failure_time_ms: i64,
    /// When the group expires (milliseconds), if it has a time to live.
    pub expires_at_ms: Option<i64>,
    /// The series last written to storage, for stale markers.
    pub(crate) written: HashSet<Labels>,
}

/// Builds the labels of a pushed sample: its own labels plus the grouping
/// labels.
///
/// # Errors
///
/// [`ScrapeError::BadPush`] when the sample has a grouping label with a
/// different value, as the Pushgateway rejects it.
fn with_key(labels: &Labels, key: &GroupingKey) -> Result<Labels, ScrapeError> {
    let mut v: Vec<Label> = labels.as_slice().to_vec();
    for (k, val) in key {
        let have = labels.get(k);
        if !have.is_empty() && have != val {
            return Err(ScrapeError::BadPush(format!(
                "pushed metric {labels} has label {k}={have:?} that conflicts with the grouping key value {val:?}"
            )));
        }
        v.push(Label::new(k.clone(), val.clone()));
    }
    Ok(Labels::new(v))
}

/// Checks pushed families and adds the grouping labels to their samples.
///
/// # Errors
///
/// [`ScrapeError::BadPush`] for samples with timestamps, label conflicts
/// with the grouping key, a family pushed twice, or a reserved name.
pub fn prepare_families(
    families: Vec<MetricFamily>,
    key: &GroupingKey,
) -> Result<BTreeMap<String, MetricFamily>, ScrapeError> {
    let mut out: BTreeMap<String, MetricFamily> = BTreeMap::new();
    for mut f in families {
        if f.name == "push_time_seconds" || f.name == "push_failure_time_seconds" {
            return Err(ScrapeError::BadPush(format!(
                "pushed metrics must not be named {}",
                f.name
            )));
        }
        let mut seen = HashSet::new();
        for s in &mut f.samples {
            if s.timestamp.is_some() {
                return Err(ScrapeError::BadPush(format!(
                    "pushed metrics must not have timestamps: {}",
                    s.labels
                )));
            }
            s.labels = with_key(&s.labels, key)?;
            if !seen.insert(s.labels.clone()) {
                return Err(ScrapeError::BadPush(format!(
                    "pushed metric {} is duplicated",
                    s.labels
                )));
            }
        }
        if out.contains_key(&f.name) {
            return Err(ScrapeError::BadPush(format!(
                "metric family {} is pushed more than once",
                f.name
            )));
        }
        out.insert(f.name.clone(), f);
    }
    Ok(out)
}

impl PushGroup {
    /// An empty group for `key`.
    pub fn new(key: GroupingKey) -> Self {
        PushGroup {
            key,
            ..Default::default()
        }
    }

    /// The grouping key as labels (empty values dropped).
    pub fn key_labels(&self) -> Labels {
        self.key
            .iter()
            .map(|(k, v)| Label::new(k.clone(), v.clone()))
            .collect()
    }

    /// The group's samples as families, `push_time_seconds` and
    /// `push_failure_time_seconds` included, as the Pushgateway exposes
    /// them.
    pub fn exposed_families(&self) -> Vec<MetricFamily> {
        let mut out: Vec<MetricFamily> = self.families.values().cloned().collect();
        let key = self.key_labels();
        for (name, help, ms) in [
            (
                "push_time_seconds",
                "Last Unix time when changing this group in the Pushgateway succeeded.",
                self.push_time_ms,
            ),
            (
                "push_failure_time_seconds",
                "Last Unix time when changing this group in the Pushgateway failed.",
                self.push_failure_time_ms,
            ),
        ] {
            let mut f = MetricFamily::new(
                name,
                MetricMetadata {
                    metric_type: MetricType::Gauge,
                    help: help.into(),
                    unit: String::new(),
                },
            );
            let mut b = key.builder();
            b.set(telltale_model::METRIC_NAME, name);
            f.samples.push(telltale_model::FamilySample {
                labels: b.build(),
                value: ms as f64 / 1000.0,
                timestamp: None,
            });
            out.push(f);
        }
        out
    }

    /// The number of samples in the group (without the push time series).
    pub fn sample_count(&self) -> usize {
        self.families.values().map(|f| f.samples.len()).sum()
    }
}

/// Checks that `families` do not declare a type or help that differs from
/// the same family in other groups (the Pushgateway refuses a push that
/// would make its exposition inconsistent).
///
/// # Errors
///
/// [`ScrapeError::BadPush`] naming the family.
pub fn check_consistency<'a>(
    families: &BTreeMap<String, MetricFamily>,
    others: impl Iterator<Item = &'a PushGroup>,
) -> Result<(), ScrapeError> {
    for g in others {
        for (name, f) in families {
            if let Some(o) = g.families.get(name)
                && o.metadata.metric_type != f.metadata.metric_type
            {
                return Err(ScrapeError::BadPush(format!(
                    "pushed metrics are inconsistent with existing metrics: family {name} has type {} here and {} in group {:?}",
                    f.metadata.metric_type, o.metadata.metric_type, g.key
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_exposition::{Format, parse_families};

    fn key(pairs: &[(&str, &str)]) -> GroupingKey {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn grouping_labels_are_added_and_conflicts_rejected() {
        let k = key(&[("job", "j"), ("instance", "i")]);
        let f = parse_families(b"a{x=\"1\"} 1\nb{job=\"j\"} 2\n", Format::Text).unwrap();
        let out = prepare_families(f, &k).unwrap();
        assert_eq!(out["a"].samples[0].labels.get("job"), "j");
        assert_eq!(out["a"].samples[0].labels.get("instance"), "i");
        let f = parse_families(b"a{job=\"other\"} 1\n", Format::Text).unwrap();
        assert!(prepare_families(f, &k).is_err());
        let f = parse_families(b"a 1 1000\n", Format::Text).unwrap();
        assert!(prepare_families(f, &k).is_err());
        let f = parse_families(b"push_time_seconds 1\n", Format::Text).unwrap();
        assert!(prepare_families(f, &k).is_err());
    }

    #[test]
    fn push_time_series_carry_the_key() {
        let mut g = PushGroup::new(key(&[("job", "j")]));
        g.push_time_ms = 1500;
        let f = g.exposed_families();
        let pt = f.iter().find(|f| f.name == "push_time_seconds").unwrap();
        assert_eq!(pt.samples[0].value, 1.5);
        assert_eq!(pt.samples[0].labels.get("job"), "j");
    }

    #[test]
    fn type_conflicts_across_groups() {
        let mut g = PushGroup::new(key(&[("job", "a")]));
        let f = parse_families(b"# TYPE m counter\nm 1\n", Format::Text).unwrap();
        g.families = prepare_families(f, &g.key).unwrap();
        let f = parse_families(b"# TYPE m gauge\nm 1\n", Format::Text).unwrap();
        let new = prepare_families(f, &key(&[("job", "b")])).unwrap();
        assert!(check_consistency(&new, [&g].into_iter()).is_err());
    }
}
