//! Grafana dashboard JSON import and export.

use std::path::Path;

use telltale_ui::dashboard::{Dashboard, builtin};
use telltale_ui::{PanelKind, grafana};

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

#[test]
fn imports_our_grafana_test_dashboard() {
    let bytes = std::fs::read(testdata("grafana-node.json")).unwrap();
    let d = Dashboard::parse(Path::new("grafana-node.json"), &bytes).unwrap();
    assert_eq!(d.id, "test-node");
    assert_eq!(d.title, "Node (Grafana format test)");
    assert_eq!(d.time, "3h");
    assert_eq!(d.refresh, "1m");
    let titles: Vec<&str> = d.rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["Quick CPU / Mem / Disk", "Details", "Collapsed"]);
    let kinds: Vec<PanelKind> = d.rows[0].panels.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [PanelKind::Gauge, PanelKind::Stat, PanelKind::Bargauge]
    );
    let gauge = &d.rows[0].panels[0];
    assert_eq!(gauge.unit, "percent");
    assert_eq!((gauge.min, gauge.max), (Some(0.0), Some(100.0)));
    assert_eq!(gauge.thresholds.len(), 3);
    assert_eq!(gauge.thresholds[0].value, None);
    assert_eq!(gauge.thresholds[2].value, Some(95.0));
    assert_eq!(gauge.width, 6);
    assert!(gauge.targets[0].instant);
    let details = &d.rows[1].panels;
    assert_eq!(details[0].kind, PanelKind::Timeseries);
    assert!(details[0].stacked);
    assert_eq!(details[0].targets.len(), 1, "hidden targets are dropped");
    assert_eq!(details[0].targets[0].legend, "{{mode}}");
    assert_eq!(details[1].kind, PanelKind::Timeseries);
    assert_eq!(
        details[1].unit, "Bps",
        "old graph panels take the y-axis format"
    );
    assert_eq!(details[2].kind, PanelKind::Table);
    assert_eq!(details.len(), 3, "the text panel is skipped");
    assert!(d.rows[2].collapsed);
    assert_eq!(d.rows[2].panels[0].title, "Load");
    let vars: Vec<&str> = d.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(vars, ["job", "node", "mode", "diskdevices", "interval"]);
    assert_eq!(d.variables[4].values, ["1m", "5m"]);
    assert_eq!(d.variables[0].query, "label_values(node_uname_info, job)");
    assert!(d.variables[1].multi && d.variables[1].include_all);
    assert_eq!(d.variables[2].values, ["user", "system", "iowait"]);
    assert!(
        d.warnings.iter().any(|w| w.contains("\"text\"")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn api_export_wrapper_is_accepted() {
    let v = serde_json::json!({"dashboard": {"title": "W", "panels": [
        {"type": "stat", "title": "s", "targets": [{"expr": "up"}]}]}, "meta": {}});
    let d = grafana::import(Path::new("x.json"), &v).unwrap();
    assert_eq!(d.title, "W");
    assert_eq!(d.rows[0].panels[0].kind, PanelKind::Stat);
}

#[test]
fn non_dashboards_are_errors_with_the_file_name() {
    let e = grafana::import(
        Path::new("x.json"),
        &serde_json::json!({"schemaVersion": 1}),
    )
    .unwrap_err();
    assert!(e.to_string().contains("x.json"), "{e}");
    let e = grafana::import(Path::new("y.json"), &serde_json::json!([1])).unwrap_err();
    assert!(e.to_string().contains("y.json"), "{e}");
}

#[test]
fn export_then_import_keeps_the_shipped_dashboards() {
    for d in builtin() {
        let g = grafana::export(&d);
        let back = grafana::import(Path::new("g.json"), &g).unwrap();
        assert_eq!(back.title, d.title);
        assert_eq!(back.variables, d.variables, "{}", d.id);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        let ours: Vec<_> = d.rows.iter().flat_map(|r| r.panels.iter()).collect();
        let theirs: Vec<_> = back.rows.iter().flat_map(|r| r.panels.iter()).collect();
        assert_eq!(ours.len(), theirs.len(), "{}", d.id);
        for (a, b) in ours.iter().zip(theirs.iter()) {
            assert_eq!(a.targets, b.targets, "{}", a.title);
            assert_eq!(a.kind, b.kind);
            assert_eq!(a.stacked, b.stacked);
            assert_eq!(a.thresholds, b.thresholds);
        }
    }
}

/// The files in `deploy/grafana/dashboards/` are the shipped dashboards in
/// Grafana's format; `TELLTALE_UPDATE_GRAFANA=1` rewrites them.
#[test]
fn deploy_grafana_dashboards_match_the_shipped_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/grafana/dashboards");
    let update = std::env::var_os("TELLTALE_UPDATE_GRAFANA").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for d in builtin() {
        let want = serde_json::to_string_pretty(&grafana::export(&d)).unwrap() + "\n";
        let path = dir.join(format!("telltale-{}.json", d.id));
        if update {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with TELLTALE_UPDATE_GRAFANA=1)",
                path.display()
            )
        });
        assert_eq!(
            have,
            want,
            "{} is stale: run with TELLTALE_UPDATE_GRAFANA=1",
            path.display()
        );
    }
}
