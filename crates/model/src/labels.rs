//! Label sets: the identity of a series.

use std::fmt;

/// The label that holds a series' metric name.
pub const METRIC_NAME: &str = "__name__";

/// One label: a name and a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The label name, for example `instance`.
    pub name: String,
    /// The label value; an empty value is the same as no label.
    pub value: String,
}

impl Label {
    /// Creates a label.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A label set sorted by name, with unique names and no empty values.
///
/// The order of labels is part of the type's invariant: constructors sort and
/// deduplicate (the last value given for a name wins) and drop empty values,
/// so two `Labels` are equal exactly when they name the same series.
/// Comparison (`Ord`) is label by label, as Prometheus sorts series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// An empty label set.
    pub fn empty() -> Self {
        Labels(Vec::new())
    }

    /// Builds a label set from labels in any order.
    pub fn new(mut labels: Vec<Label>) -> Self {
        labels.retain(|l| !l.value.is_empty());
        // Stable sort keeps the given order among equal names, so keeping the
        // last of each run makes the last value given win.
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(labels.len());
        for l in labels {
            match out.last_mut() {
                Some(last) if last.name == l.name => *last = l,
                _ => out.push(l),
            }
        }
        Labels(out)
    }

    /// Builds a label set from `(name, value)` pairs in any order.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Labels::new(pairs.iter().map(|(n, v)| Label::new(*n, *v)).collect())
    }

    /// Wraps labels that the caller guarantees are sorted by name, unique and
    /// without empty values (checked in debug builds).
    pub fn from_sorted(labels: Vec<Label>) -> Self {
        debug_assert!(labels.windows(2).all(|w| w[0].name < w[1].name));
        debug_assert!(labels.iter().all(|l| !l.value.is_empty()));
        Labels(labels)
    }

    /// The value of label `name`, or `""` if the set does not have it.
    pub fn get(&self, name: &str) -> &str {
        match self.0.binary_search_by(|l| l.name.as_str().cmp(name)) {
            Ok(i) => &self.0[i].value,
            Err(_) => "",
        }
    }

    /// Whether the set has a label `name`.
    pub fn has(&self, name: &str) -> bool {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .is_ok()
    }

    /// The metric name (`__name__`), or `""`.
    pub fn metric_name(&self) -> &str {
        self.get(METRIC_NAME)
    }

    /// The labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The labels as a slice, in name order.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Consumes the set and returns its labels in name order.
    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }

    /// The number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set has no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A stable 64-bit hash of the set (xxh3 over `name 0xff value 0xff ...`),
    /// the same on every platform and in every run.
    pub fn stable_hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for l in &self.0 {
            h.update(l.name.as_bytes());
            h.update(&[0xff]);
            h.update(l.value.as_bytes());
            h.update(&[0xff]);
        }
        h.digest()
    }

    /// A stable hash over only the named labels (`on(...)`) or over all but
    /// the named labels (`ignoring(...)`, when `include` is false). Used for
    /// vector matching and grouping.
    pub fn hash_for(&self, names: &[String], include: bool) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for l in &self.0 {
            let listed = names.contains(&l.name);
            if listed == include {
                h.update(l.name.as_bytes());
                h.update(&[0xff]);
                h.update(l.value.as_bytes());
                h.update(&[0xff]);
            }
        }
        h.digest()
    }

    /// A copy without the metric name.
    pub fn without_metric_name(&self) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|l| l.name != METRIC_NAME)
                .cloned()
                .collect(),
        )
    }

    /// A builder that starts from this set.
    pub fn builder(&self) -> LabelsBuilder {
        LabelsBuilder::from(self.clone())
    }

    /// The number of bytes of all names and values (a measure for limits).
    pub fn byte_size(&self) -> usize {
        self.0.iter().map(|l| l.name.len() + l.value.len()).sum()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Label> for Labels {
    fn from_iter<I: IntoIterator<Item = Label>>(iter: I) -> Self {
        Labels::new(iter.into_iter().collect())
    }
}

/// Prints the set the way Prometheus does: `name{a="1", b="2"}`, with values
/// escaped as in the text format; a set without a metric name prints as
/// `{a="1"}`.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.metric_name();
        f.write_str(name)?;
        let others = self.0.iter().filter(|l| l.name != METRIC_NAME);
        if !name.is_empty() && self.0.len() == 1 {
            // `up{}` reads worse than `up`: no empty braces after a name.
            return Ok(());
        }
        f.write_str("{")?;
        for (i, l) in others.enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}=\"", l.name)?;
            for c in l.value.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

/// Edits a label set: set, delete, keep; then [`LabelsBuilder::build`]s a
/// sorted [`Labels`]. Setting an empty value deletes the label.
#[derive(Debug, Clone, Default)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl From<Labels> for LabelsBuilder {
    fn from(l: Labels) -> Self {
        LabelsBuilder { labels: l.0 }
    }
}

impl LabelsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
            .unwrap_or("")
    }

    /// Sets `name` to `value` (an empty value deletes the label).
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        if value.is_empty() {
            return self.del(name);
        }
        match self.labels.iter_mut().find(|l| l.name == name) {
            Some(l) => {
                if l.value != value {
                    l.value = value.to_string();
                }
            }
            None => self.labels.push(Label::new(name, value)),
        }
        self
    }

    /// Deletes `name`.
    pub fn del(&mut self, name: &str) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        self
    }

    /// Keeps only the labels whose names are listed.
    pub fn keep(&mut self, names: &[String]) -> &mut Self {
        self.labels.retain(|l| names.contains(&l.name));
        self
    }

    /// Keeps only the labels for which `f` returns true.
    pub fn retain(&mut self, f: impl FnMut(&Label) -> bool) -> &mut Self {
        self.labels.retain(f);
        self
    }

    /// The labels as they are now, in no particular order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Builds the sorted label set.
    pub fn build(&self) -> Labels {
        Labels::new(self.labels.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_sorts_dedups_and_drops_empty_values() {
        let l = Labels::new(vec![
            Label::new("b", "2"),
            Label::new("a", "1"),
            Label::new("c", ""),
            Label::new("a", "3"),
        ]);
        let names: Vec<_> = l
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect();
        assert_eq!(names, vec![("a", "3"), ("b", "2")]);
        assert_eq!(l.get("a"), "3");
        assert_eq!(l.get("zz"), "");
    }

    #[test]
    fn display_is_prometheus_style() {
        let l = Labels::from_pairs(&[("__name__", "up"), ("job", "a\"b"), ("i", "x\ny")]);
        assert_eq!(l.to_string(), r#"up{i="x\ny", job="a\"b"}"#);
        assert_eq!(Labels::from_pairs(&[("__name__", "up")]).to_string(), "up");
        assert_eq!(Labels::from_pairs(&[("a", "1")]).to_string(), r#"{a="1"}"#);
    }

    #[test]
    fn stable_hash_distinguishes_boundaries() {
        let a = Labels::from_pairs(&[("a", "bc")]);
        let b = Labels::from_pairs(&[("ab", "c")]);
        assert_ne!(a.stable_hash(), b.stable_hash());
        assert_eq!(a.stable_hash(), a.clone().stable_hash());
    }

    #[test]
    fn builder_edits() {
        let l = Labels::from_pairs(&[("__name__", "x"), ("a", "1")]);
        let mut b = l.builder();
        b.set("b", "2").del("a").set("__name__", "");
        assert_eq!(b.build(), Labels::from_pairs(&[("b", "2")]));
    }
}
