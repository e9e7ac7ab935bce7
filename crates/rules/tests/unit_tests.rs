//! `test_rules` and `check_rules` on the files in `tests/data`, the default
//! rules included; and, when promtool is installed, agreement with it.

use std::path::PathBuf;
use std::process::Command;

use telltale_rules::{DEFAULT_RULES, check_rules, default_groups, test_rules};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn default_rules_path() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("default_rules.yml")
        .to_string_lossy()
        .into_owned()
}

/// promtool from `$PROMTOOL` or `/usr/bin/promtool`; `None` (with the
/// reason printed) when it is not there.
fn promtool() -> Option<String> {
    let p = std::env::var("PROMTOOL").unwrap_or_else(|_| "/usr/bin/promtool".into());
    match Command::new(&p).arg("--version").output() {
        Ok(o) if o.status.success() => Some(p),
        _ => {
            println!("skipping promtool interop: {p} is not installed (set PROMTOOL)");
            None
        }
    }
}

#[test]
fn our_unit_tests_pass() {
    let r = test_rules(&[data("rules_test.yml")]);
    assert!(r.success, "{}", r.output);
    assert!(r.output.contains("  SUCCESS\n"), "{}", r.output);
}

#[test]
fn templates_render_like_prometheus() {
    // The expected texts in templates_test.yml are what Prometheus renders
    // (promtool passes the same file, see the interop test below).
    let r = test_rules(&[data("templates_test.yml")]);
    assert!(r.success, "{}", r.output);
}

#[test]
fn failing_unit_tests_report_the_differences() {
    let r = test_rules(&[data("rules_test_fail.yml")]);
    assert!(!r.success);
    assert_eq!(r.failed_files, 1);
    assert!(r.output.contains("  FAILED:\n"), "{}", r.output);
    assert!(
        r.output.contains("alertname: InstanceDown, time: 4m"),
        "{}",
        r.output
    );
    assert!(r.output.contains("expr: \"up\", time: 1m"), "{}", r.output);
}

#[test]
fn default_rules_pass_check_and_their_unit_tests() {
    let r = check_rules(&[default_rules_path()]);
    assert!(r.success, "{}", r.output);
    assert_eq!(r.rules, 9);
    let g = default_groups().unwrap();
    assert_eq!(g.iter().map(|g| g.rules.len()).sum::<usize>(), 9);
    let on_disk = std::fs::read_to_string(default_rules_path()).unwrap();
    assert_eq!(on_disk, DEFAULT_RULES);
    let r = test_rules(&[data("default_rules_test.yml")]);
    assert!(r.success, "{}", r.output);
}

#[test]
fn promtool_accepts_the_default_rules() {
    let Some(pt) = promtool() else { return };
    let out = Command::new(pt)
        .args(["check", "rules", &default_rules_path()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("SUCCESS: 9 rules found"), "{text}");
    // Same words, byte for byte.
    assert_eq!(text, check_rules(&[default_rules_path()]).output);
}

#[test]
fn promtool_and_telltale_agree_on_unit_tests() {
    let Some(pt) = promtool() else { return };
    for f in [
        "rules_test.yml",
        "rules_test_fail.yml",
        "default_rules_test.yml",
    ] {
        let path = data(f);
        let theirs = Command::new(&pt)
            .args(["test", "rules", &path])
            .output()
            .unwrap();
        let ours = test_rules(&[path.as_str()]);
        if theirs.status.success() {
            assert_eq!(String::from_utf8_lossy(&theirs.stdout), ours.output);
        }
        assert_eq!(
            theirs.status.success(),
            ours.success,
            "{f}: promtool says\n{}{}\ntelltale says\n{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&theirs.stderr),
            ours.output
        );
    }
}

#[test]
fn promtool_and_telltale_agree_on_bad_rules() {
    let Some(pt) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "groups:\n- name: a\n  rules:\n  - record: x\n    expr: 'sum('\n",
        "groups:\n- name: a\n  rules: []\n- name: a\n  rules: []\n",
        "groups:\n- name: a\n  rules:\n  - record: 'a-b'\n    expr: up\n",
        "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    labels:\n      'a-b': x\n",
        "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    for: 1m\n",
        "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    bogus: 1\n",
        "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      s: '{{ $labels.x '\n",
        "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    for: 5m\n",
    ];
    for (i, c) in cases.iter().enumerate() {
        let p = dir.path().join(format!("case{i}.yml"));
        std::fs::write(&p, c).unwrap();
        let p = p.to_string_lossy().into_owned();
        let theirs = Command::new(&pt)
            .args(["check", "rules", &p])
            .output()
            .unwrap();
        let ours = check_rules(&[p.as_str()]);
        assert_eq!(
            theirs.status.success(),
            ours.success,
            "case {i}: promtool says\n{}{}\ntelltale says\n{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&theirs.stderr),
            ours.output
        );
    }
}
