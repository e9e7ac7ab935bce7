//! Host metrics in `telltale serve`: the collectors feed storage in process
//! every interval (no HTTP hop), labelled `job` and `instance`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use telltale_collector::Collectors;
use telltale_model::{Appendable, Labels, MetricFamily, stale_nan};
use tokio::sync::watch;

/// The most recent collection, kept for `/metrics`.
pub type LastFamilies = Arc<Mutex<Vec<MetricFamily>>>;

/// Runs the collection loop until `stop` turns true.
pub async fn run(
    collectors: Arc<Collectors>,
    db: Arc<dyn Appendable>,
    interval: Duration,
    job: String,
    instance: String,
    last: LastFamilies,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut previous: HashSet<Labels> = HashSet::new();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => break,
        }
        let c = collectors.clone();
        let families = match tokio::task::spawn_blocking(move || c.collect()).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "host collection task failed");
                continue;
            }
        };
        let now = telltale_server::state::now_ms();
        let db2 = db.clone();
        let (job2, inst2) = (job.clone(), instance.clone());
        let prev = std::mem::take(&mut previous);
        let fams = families.clone();
        let res = tokio::task::spawn_blocking(move || {
            append_families(db2.as_ref(), &fams, &job2, &inst2, now, prev)
        })
        .await;
        match res {
            Ok((seen, rejected)) => {
                previous = seen;
                if rejected > 0 {
                    tracing::debug!(rejected, "host samples rejected by storage");
                }
            }
            Err(e) => tracing::warn!(error = %e, "appending host metrics failed"),
        }
        if let Ok(mut l) = last.lock() {
            *l = families;
        }
    }
}

/// Appends one collection at `now` and stale markers for series that were
/// there last time and are gone now. Returns the series seen and how many
/// samples storage rejected.
pub fn append_families(
    db: &dyn Appendable,
    families: &[MetricFamily],
    job: &str,
    instance: &str,
    now: i64,
    previous: HashSet<Labels>,
) -> (HashSet<Labels>, usize) {
    let mut app = db.appender();
    let mut seen = HashSet::with_capacity(previous.len());
    let mut rejected = 0;
    let target = [("job", job), ("instance", instance)];
    for (labels, v) in telltale_collector::with_target_labels(families, &target) {
        if app.append(0, &labels, now, v).is_err() {
            rejected += 1;
        }
        seen.insert(labels);
    }
    for gone in previous.difference(&seen) {
        if app.append(0, gone, now, stale_nan()).is_err() {
            rejected += 1;
        }
    }
    if let Err(e) = app.commit() {
        tracing::warn!(error = %e, "committing host metrics failed");
    }
    (seen, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::{
        Matcher, MemStorage, MetricMetadata, Queryable, SelectHints, is_stale_nan,
    };

    #[test]
    fn labels_added_and_vanished_series_go_stale() {
        let db = MemStorage::new();
        let mut f = MetricFamily::new("node_load1", MetricMetadata::default());
        f.push(&[], 0.5);
        let mut g = MetricFamily::new("node_x", MetricMetadata::default());
        g.push(&[("dev", "a")], 1.0);
        let (seen, rej) = append_families(&db, &[f.clone(), g], "node", "h1", 1000, HashSet::new());
        assert_eq!((seen.len(), rej), (2, 0));
        let (seen, _) = append_families(&db, &[f], "node", "h1", 2000, seen);
        assert_eq!(seen.len(), 1);
        let q = db.querier(0, 3000).unwrap();
        let mut s = q
            .select(
                &SelectHints::default(),
                &[Matcher::equal("__name__", "node_x")],
            )
            .unwrap();
        assert_eq!(s[0].labels.get("instance"), "h1");
        assert_eq!(s[0].labels.get("job"), "node");
        let samples = s[0].samples.collect_all().unwrap();
        assert_eq!(samples.len(), 2);
        assert!(is_stale_nan(samples[1].v));
    }
}
