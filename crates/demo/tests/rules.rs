//! The demo's rule file and scrape configuration are valid for Telltale
//! (and for promtool, when it is installed).

use std::path::Path;
use std::process::Command;

const RULES_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo_rules.yml");

#[test]
fn rule_file_is_the_constant() {
    let text = std::fs::read_to_string(RULES_FILE).unwrap();
    assert_eq!(text, telltale_demo::DEMO_RULES);
}

#[test]
fn rule_file_passes_check_rules() {
    let report = telltale_rules::check_rules(&[RULES_FILE]);
    assert!(report.success, "{}", report.output);
    assert_eq!(report.rules, 5, "{}", report.output);
}

#[test]
fn rules_name_the_alerts_with_for_and_annotations() {
    let groups =
        telltale_rules::file::parse_rule_file("demo_rules.yml", telltale_demo::DEMO_RULES).unwrap();
    assert_eq!(groups.len(), 1);
    let names: Vec<&str> = groups[0].rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DemoStockOutOfRange",
            "DemoHighErrorRatio",
            "DemoHighLatencyP95",
            "DemoProcessCpuBusy",
            "DemoSimulatedCpuHigh"
        ]
    );
    for r in &groups[0].rules {
        assert_eq!(r.kind, telltale_rules::RuleKind::Alerting, "{}", r.name);
        assert!(r.expr.contains("job=\"demo\""), "{}", r.name);
        assert_eq!(r.for_ms, 60_000, "{}", r.name);
        assert!(r.annotations.contains_key("summary"), "{}", r.name);
        assert!(r.annotations.contains_key("description"), "{}", r.name);
    }
}

#[test]
fn fast_rules_for_tests_still_parse() {
    let text = telltale_demo::demo_rules_with("1s", "0s", "30s");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fast.yml");
    std::fs::write(&p, &text).unwrap();
    let report = telltale_rules::check_rules(&[p.to_string_lossy()]);
    assert!(report.success, "{}", report.output);
}

#[test]
fn rule_file_passes_promtool_when_installed() {
    let promtool = Path::new("/usr/bin/promtool");
    if !promtool.exists() {
        println!("skipped: /usr/bin/promtool is not installed");
        return;
    }
    let out = Command::new(promtool)
        .args(["check", "rules", RULES_FILE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scrape_config_parses_as_job_demo() {
    let addr = "127.0.0.1:9799".parse().unwrap();
    let yaml = telltale_demo::scrape_config_yaml(addr);
    let sec = telltale_scrape::config::parse_config(&yaml, "<demo>").unwrap();
    assert_eq!(sec.scrape_configs.len(), 1);
    let job = &sec.scrape_configs[0];
    assert_eq!(job.job_name, "demo");
    assert_eq!(job.interval().as_millis(), 15_000);
    let targets: Vec<&String> = job.static_configs.iter().flat_map(|s| &s.targets).collect();
    assert_eq!(targets, [&"127.0.0.1:9799".to_string()]);

    let fast = telltale_demo::scrape_config_yaml_every(addr, std::time::Duration::from_millis(500));
    let sec = telltale_scrape::config::parse_config(&fast, "<demo>").unwrap();
    assert_eq!(sec.scrape_configs[0].interval().as_millis(), 500);
}
