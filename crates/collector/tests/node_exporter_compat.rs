//! Every family of a real node_exporter 1.5.0 scrape that comes from a
//! collector we have must exist in our output on this machine with the
//! same type, help text and label names.

mod common;

use std::collections::BTreeSet;

use telltale_collector::{CollectorConfig, Collectors};

/// Families from node_exporter parts we do not implement (its own Go
/// runtime and HTTP handler, and collectors outside our set).
const OUT_OF_SCOPE: [&str; 5] = [
    "go_",
    "process_",
    "promhttp_",
    "node_exporter_build_info",
    "node_timex_",
];

#[test]
fn families_match_node_exporter_1_5_0() {
    let path = common::testdata_dir().join("node_exporter/metrics-1.5.0.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "skipping: {} not found (set TELLTALE_TESTDATA)",
            path.display()
        );
        return;
    };
    if !std::path::Path::new("/proc/stat").exists() {
        println!("skipping: no /proc on this machine");
        return;
    }
    let reference = common::read_reference(&text);
    let collectors = Collectors::new(&CollectorConfig::default()).unwrap();
    let ours = collectors.collect();

    let mut problems = Vec::new();
    let mut in_scope = 0;
    let mut covered = 0;
    for (name, r) in &reference {
        if OUT_OF_SCOPE.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        in_scope += 1;
        let Some(f) = ours.iter().find(|f| &f.name == name) else {
            problems.push(format!("{name}: missing"));
            continue;
        };
        covered += 1;
        if common::type_name(f) != r.metric_type {
            problems.push(format!(
                "{name}: type {} want {}",
                common::type_name(f),
                r.metric_type
            ));
        }
        if f.metadata.help != r.help {
            problems.push(format!(
                "{name}: help {:?} want {:?}",
                f.metadata.help, r.help
            ));
        }
        let labels: BTreeSet<String> = f
            .samples
            .iter()
            .flat_map(|s| s.labels.iter().map(|l| l.name.clone()))
            .filter(|n| n != "__name__")
            .collect();
        if !labels.is_subset(&r.labels_all) || !r.labels_nonempty.is_subset(&labels) {
            problems.push(format!(
                "{name}: labels {labels:?} want {:?} (non-empty {:?})",
                r.labels_all, r.labels_nonempty
            ));
        }
    }
    println!("node_exporter 1.5.0 compatibility: {covered} of {in_scope} families covered");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
