//! Service discovery: where targets come from.
//!
//! Each provider (`static_configs`, one `file_sd_configs` entry, one
//! `http_sd_configs` entry) yields the full list of its [`TargetGroup`]s
//! whenever it changes; the scrape pool turns groups into targets. A
//! provider that fails to refresh keeps its previous groups.

pub mod file;
pub mod http;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::StaticConfig;

/// The largest target file or HTTP SD response accepted, in bytes.
pub const MAX_SD_BYTES: u64 = 64 << 20;

/// A group of targets sharing labels, as in Prometheus's file and HTTP SD
/// formats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetGroup {
    /// Where the group came from (`static/0`, a file path and index, a URL
    /// and index); unique per job.
    pub source: String,
    /// One label set per target; each has `__address__`.
    pub targets: Vec<BTreeMap<String, String>>,
    /// Labels shared by every target; a target's own labels win.
    pub labels: BTreeMap<String, String>,
}

/// The on-disk and on-the-wire form of a group:
/// `{"targets": ["host:port"], "labels": {"k": "v"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// `host:port` addresses.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Labels for every target of the group.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl TargetGroup {
    /// Builds a group from its file form, adding `extra` labels (such as
    /// `__meta_filepath`) to the group labels.
    pub fn from_spec(source: String, spec: GroupSpec, extra: &[(&str, &str)]) -> Self {
        let mut labels = spec.labels;
        for (k, v) in extra {
            labels.insert((*k).to_string(), (*v).to_string());
        }
        TargetGroup {
            source,
            targets: spec
                .targets
                .into_iter()
                .map(|a| BTreeMap::from([("__address__".to_string(), a)]))
                .collect(),
            labels,
        }
    }
}

/// The groups of a job's `static_configs`.
pub fn static_groups(configs: &[StaticConfig]) -> Vec<TargetGroup> {
    configs
        .iter()
        .enumerate()
        .map(|(i, sc)| {
            TargetGroup::from_spec(
                format!("static/{i}"),
                GroupSpec {
                    targets: sc.targets.clone(),
                    labels: sc.labels.clone(),
                },
                &[],
            )
        })
        .collect()
}

/// Checks that group labels are usable: non-empty names, and not the
/// address itself being empty.
pub(crate) fn check_specs(specs: &[GroupSpec]) -> Result<(), String> {
    for g in specs {
        for (k, _) in g.labels.iter() {
            if k.is_empty() {
                return Err("empty label name in target group".into());
            }
        }
        for t in &g.targets {
            if t.is_empty() {
                return Err("empty target address in target group".into());
            }
            if t.contains('/') {
                return Err(format!("{t:?} is not a valid hostname"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_groups_carry_labels_and_addresses() {
        let g = static_groups(&[StaticConfig {
            targets: vec!["a:1".into(), "b:2".into()],
            labels: BTreeMap::from([("env".into(), "x".into())]),
        }]);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].source, "static/0");
        assert_eq!(g[0].targets[1]["__address__"], "b:2");
        assert_eq!(g[0].labels["env"], "x");
    }
}
