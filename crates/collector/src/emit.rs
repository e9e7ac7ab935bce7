//! Where collectors put what they read: metric families keyed by name.

use std::collections::HashMap;

use telltale_model::{MetricFamily, MetricMetadata, MetricType};

/// Collects samples into families. The first help text and type given for
/// a name win, as node_exporter's registry keeps the first descriptor.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    families: Vec<MetricFamily>,
    index: HashMap<String, usize>,
}

impl Emitter {
    /// An empty emitter.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a gauge sample.
    pub(crate) fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        self.add(name, help, MetricType::Gauge, labels, v);
    }

    /// Adds a counter sample.
    pub(crate) fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        self.add(name, help, MetricType::Counter, labels, v);
    }

    /// Adds an untyped sample.
    pub(crate) fn untyped(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        self.add(name, help, MetricType::Unknown, labels, v);
    }

    /// Adds one sample to family `name`, creating the family on first use.
    pub(crate) fn add(
        &mut self,
        name: &str,
        help: &str,
        metric_type: MetricType,
        labels: &[(&str, &str)],
        v: f64,
    ) {
        self.family(name, help, metric_type).push(labels, v);
    }

    /// The family `name`, created with `help` and `metric_type` if new.
    pub(crate) fn family(
        &mut self,
        name: &str,
        help: &str,
        metric_type: MetricType,
    ) -> &mut MetricFamily {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.families.len();
                self.families.push(MetricFamily::new(
                    name,
                    MetricMetadata {
                        metric_type,
                        help: help.to_string(),
                        unit: String::new(),
                    },
                ));
                self.index.insert(name.to_string(), i);
                i
            }
        };
        &mut self.families[i]
    }

    /// The families sorted by name, each family's samples sorted by label
    /// set, as node_exporter's registry hands them out. Histograms and
    /// summaries (from text files) keep their given order, so buckets stay
    /// in `le` order before `_sum` and `_count`.
    pub(crate) fn into_families(self) -> Vec<MetricFamily> {
        let mut fams = self.families;
        fams.sort_by(|a, b| a.name.cmp(&b.name));
        for f in &mut fams {
            if matches!(
                f.metadata.metric_type,
                MetricType::Histogram | MetricType::Summary
            ) {
                continue;
            }
            f.samples.sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        fams
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_grouped_sorted_and_keep_first_help() {
        let mut e = Emitter::new();
        e.gauge("b", "help b", &[("x", "2")], 2.0);
        e.counter("a", "help a", &[], 1.0);
        e.gauge("b", "other help", &[("x", "1")], 1.0);
        let f = e.into_families();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "a");
        assert_eq!(f[0].metadata.metric_type, MetricType::Counter);
        assert_eq!(f[1].metadata.help, "help b");
        assert_eq!(f[1].samples[0].labels.get("x"), "1");
        assert_eq!(f[1].samples[1].value, 2.0);
    }
}
