//! Metric families: samples grouped with their metadata, as an exposition
//! page, a collector or a push group holds them.

use crate::labels::Labels;
use crate::sample::MetricMetadata;

/// One metric family: a name, its metadata and its samples.
///
/// For histograms and summaries the samples carry the full sample names
/// (`x_bucket`, `x_sum`, `x_count`, `x_created`) in their `__name__`, as they
/// are stored; `name` is the family name (`x`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricFamily {
    /// The family name as declared by `# TYPE` / `# HELP`.
    pub name: String,
    /// Type, help and unit.
    pub metadata: MetricMetadata,
    /// The samples, in the order they were produced.
    pub samples: Vec<FamilySample>,
}

/// One sample of a [`MetricFamily`].
#[derive(Debug, Clone, PartialEq)]
pub struct FamilySample {
    /// The full label set, `__name__` included.
    pub labels: Labels,
    /// The value.
    pub value: f64,
    /// An explicit timestamp in milliseconds, if the source gave one.
    pub timestamp: Option<i64>,
}

impl MetricFamily {
    /// A family with no samples yet.
    pub fn new(name: impl Into<String>, metadata: MetricMetadata) -> Self {
        MetricFamily {
            name: name.into(),
            metadata,
            samples: Vec::new(),
        }
    }

    /// Adds a sample whose name is the family name, with extra labels.
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        let name = self.name.clone();
        self.push_named(&name, labels, value);
    }

    /// Adds a sample with its own name (`x_bucket`, `x_sum`, ...), with
    /// extra labels.
    pub fn push_named(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let mut all: Vec<crate::Label> = Vec::with_capacity(labels.len() + 1);
        all.push(crate::Label::new(crate::METRIC_NAME, name));
        all.extend(labels.iter().map(|(n, v)| crate::Label::new(*n, *v)));
        self.samples.push(FamilySample {
            labels: Labels::new(all),
            value,
            timestamp: None,
        });
    }
}
