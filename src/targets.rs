//! The targets API over the scrape manager.

use std::collections::BTreeMap;

use telltale_model::{Labels, MetricMetadata};
use telltale_scrape::ScrapeManager;
use telltale_server::TargetInfo;

/// Adapts [`ScrapeManager`] to the server's [`telltale_server::TargetsProvider`].
pub struct Targets(pub ScrapeManager);

fn map(l: &Labels) -> BTreeMap<String, String> {
    l.iter()
        .map(|x| (x.name.clone(), x.value.clone()))
        .collect()
}

fn dur(d: std::time::Duration) -> String {
    telltale_scrape::duration::PromDuration(d).to_string()
}

impl telltale_server::TargetsProvider for Targets {
    fn active(&self) -> Vec<TargetInfo> {
        self.0
            .targets()
            .into_iter()
            .map(|t| TargetInfo {
                discovered_labels: map(&t.discovered_labels),
                labels: map(&t.labels),
                scrape_pool: t.job,
                scrape_url: t.scrape_url,
                last_error: t.last_error,
                last_scrape_ms: t
                    .last_scrape
                    .and_then(|s| s.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
                last_scrape_duration: t.last_scrape_duration.as_secs_f64(),
                health: t.health.as_str().to_string(),
                scrape_interval: dur(t.scrape_interval),
                scrape_timeout: dur(t.scrape_timeout),
            })
            .collect()
    }

    fn dropped(&self) -> Vec<TargetInfo> {
        self.0
            .dropped_targets()
            .into_iter()
            .map(|d| TargetInfo {
                discovered_labels: map(&d.discovered_labels),
                scrape_pool: d.job,
                last_error: d.reason,
                ..TargetInfo::default()
            })
            .collect()
    }

    fn metadata(&self) -> BTreeMap<String, Vec<MetricMetadata>> {
        self.0.metadata()
    }

    fn target_metadata(&self) -> Vec<(BTreeMap<String, String>, String, MetricMetadata)> {
        self.0
            .target_metadata(None)
            .into_iter()
            .map(|m| (map(&m.target), m.metric, m.metadata))
            .collect()
    }
}
