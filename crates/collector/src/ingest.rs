//! Feeding a collection straight into storage, without an HTTP hop, as
//! `telltale serve` does every scrape interval.

use telltale_model::{Appendable, Label, Labels, MetricFamily, StorageError};

/// The machine's host name (`uname -n`), the default `instance` label of
/// in-process collections.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Every sample of `fams` with the target labels added, as a scrape of a
/// target with those labels would store it: a sample that already has one
/// of the target's label names keeps its own value under `exported_<name>`
/// (Prometheus's `honor_labels: false`).
pub fn with_target_labels(fams: &[MetricFamily], target: &[(&str, &str)]) -> Vec<(Labels, f64)> {
    let mut out = Vec::with_capacity(fams.iter().map(|f| f.samples.len()).sum());
    for f in fams {
        for s in &f.samples {
            let mut labels: Vec<Label> = Vec::with_capacity(s.labels.len() + target.len());
            for l in s.labels.iter() {
                if target.iter().any(|(n, _)| *n == l.name) {
                    labels.push(Label::new(format!("exported_{}", l.name), l.value.clone()));
                } else {
                    labels.push(l.clone());
                }
            }
            labels.extend(target.iter().map(|(n, v)| Label::new(*n, *v)));
            out.push((Labels::new(labels), s.value));
        }
    }
    out
}

/// Appends one collection to `db` at time `t` (milliseconds) with the
/// target labels added (see [`with_target_labels`]), in one committed
/// batch. Samples storage rejects one by one (out of order, duplicate)
/// are skipped and counted. Returns `(appended, rejected)`.
///
/// Staleness markers for series that disappear between collections are
/// the caller's business, as for any scrape.
///
/// # Errors
///
/// A storage error other than a per-sample one; the batch is rolled back.
pub fn append_collection(
    db: &dyn Appendable,
    fams: &[MetricFamily],
    t: i64,
    target: &[(&str, &str)],
) -> Result<(usize, usize), StorageError> {
    let mut app = db.appender();
    let (mut ok, mut rejected) = (0, 0);
    for (labels, v) in with_target_labels(fams, target) {
        match app.append(0, &labels, t, v) {
            Ok(_) => ok += 1,
            Err(e) if e.is_sample_error() => rejected += 1,
            Err(e) => {
                app.rollback();
                return Err(e);
            }
        }
    }
    app.commit()?;
    Ok((ok, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::{Matcher, MemStorage, MetricMetadata, Queryable};

    fn family() -> MetricFamily {
        let mut f = MetricFamily::new("node_load1", MetricMetadata::default());
        f.push(&[], 0.5);
        f.push(&[("instance", "from-textfile")], 1.5);
        f
    }

    #[test]
    fn target_labels_are_added_and_clashes_exported() {
        let s = with_target_labels(&[family()], &[("job", "node"), ("instance", "h1")]);
        assert_eq!(s[0].0.get("instance"), "h1");
        assert_eq!(s[0].0.get("job"), "node");
        assert_eq!(s[1].0.get("instance"), "h1");
        assert_eq!(s[1].0.get("exported_instance"), "from-textfile");
    }

    #[test]
    fn a_collection_lands_in_storage() {
        let db = MemStorage::new();
        let (ok, rejected) = append_collection(
            &db,
            &[family()],
            1_000,
            &[("job", "node"), ("instance", "h1")],
        )
        .unwrap();
        assert_eq!((ok, rejected), (2, 0));
        let q = db.querier(0, 2_000).unwrap();
        let series = q
            .select(&Default::default(), &[Matcher::equal("job", "node")])
            .unwrap();
        assert_eq!(series.len(), 2);
        assert!(!hostname().is_empty());
    }
}
