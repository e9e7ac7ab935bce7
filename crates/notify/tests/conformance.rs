//! Alertmanager conformance: every case of the shared `config-cases.json`
//! (configurations accepted or rejected with Alertmanager's message) and
//! `routing-cases.json` (routes chosen and route keys).
//!
//! The data is read from `$TELLTALE_TESTDATA/alertmanager` (default
//! `../shared/testdata` beside the repository); the tests are skipped with a
//! printed reason when it is absent.

use std::path::PathBuf;

use serde_json::Value;
use telltale_model::Labels;
use telltale_notify::Config;
use telltale_notify::config::PromDuration;

fn testdata() -> Option<PathBuf> {
    let base = std::env::var_os("TELLTALE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        });
    let dir = base.join("alertmanager");
    if dir.join("config-cases.json").exists() {
        Some(dir)
    } else {
        println!("skipping: no Alertmanager test data at {}", dir.display());
        None
    }
}

fn read_json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn config_cases_load_as_alertmanager_loads_them() {
    let Some(dir) = testdata() else { return };
    let cases = read_json(dir.join("config-cases.json"));
    let mut passed = 0;
    let mut failures = Vec::new();
    let fixtures = cases["file_fixtures"].as_array().unwrap();
    for f in fixtures {
        let file = f["file"].as_str().unwrap();
        let path = dir.join("config-testdata").join(file);
        let result = Config::load_file(&path);
        let expect_err = f["expect_load_error"].as_bool().unwrap();
        let ok = match (&result, expect_err) {
            (Ok(_), false) => true,
            (Err(e), true) => {
                let msg = e.to_string();
                if let Some(want) = f["expected_error"].as_str() {
                    msg == want
                } else if let Some(want) = f["expected_error_contains"].as_str() {
                    msg.contains(want)
                } else {
                    true
                }
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{file}: got {:?}, want {f}",
                result.err().map(|e| e.to_string())
            ));
        }
    }
    let inline = cases["inline_cases"].as_array().unwrap();
    for c in inline {
        let want = c["expected_error"].as_str().unwrap();
        match Config::load(c["config_yaml"].as_str().unwrap()) {
            Err(e) if e.to_string() == want => passed += 1,
            other => failures.push(format!(
                "{}: got {:?}, want {want:?}",
                c["test"],
                other.map(|_| "accepted").map_err(|e| e.to_string())
            )),
        }
    }
    let total = fixtures.len() + inline.len();
    println!("config conformance: {passed}/{total} cases pass");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn wrap_route(route_yaml: &str, receivers: &[String]) -> String {
    let mut s = String::from("route:\n");
    for line in route_yaml.lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("receivers:\n");
    for r in receivers {
        s.push_str(&format!("- name: {r}\n"));
    }
    s
}

#[test]
fn routing_cases_choose_alertmanagers_routes() {
    let Some(dir) = testdata() else { return };
    let cases = read_json(dir.join("routing-cases.json"));
    let mut passed = 0;
    let mut total = 0;
    for suite in cases["suites"].as_array().unwrap() {
        let yaml = suite["route_config_yaml"].as_str().unwrap();
        let mut receivers: Vec<String> = Vec::new();
        for line in yaml.lines() {
            if let Some(r) = line.trim().strip_prefix("receiver:") {
                let r = r.trim().trim_matches('\'').trim_matches('"').to_string();
                if !receivers.contains(&r) {
                    receivers.push(r);
                }
            }
        }
        let cfg = Config::load(&wrap_route(yaml, &receivers)).unwrap();
        for case in suite["cases"].as_array().unwrap() {
            total += 1;
            let pairs: Vec<(String, String)> = case["input_labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let refs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let labels = Labels::from_pairs(&refs);
            let got = cfg.route.match_labels(&labels);
            let want = case["expected_matches"].as_array().unwrap();
            let keys = case["expected_route_keys"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{} {labels}", suite["test"]);
            for ((r, w), k) in got.iter().zip(want).zip(keys) {
                assert_eq!(r.receiver, w["receiver"].as_str().unwrap());
                let gb: Vec<&str> = w["group_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(r.group_by, gb, "{labels}");
                assert_eq!(r.group_by_all, w["group_by_all"].as_bool().unwrap());
                assert_eq!(PromDuration(r.group_wait).to_string(), w["group_wait"]);
                assert_eq!(
                    PromDuration(r.group_interval).to_string(),
                    w["group_interval"]
                );
                assert_eq!(
                    PromDuration(r.repeat_interval).to_string(),
                    w["repeat_interval"]
                );
                assert_eq!(
                    serde_json::to_value(&r.route_labels).unwrap(),
                    w["route_labels"]
                );
                assert_eq!(r.key, k.as_str().unwrap(), "{labels}");
            }
            passed += 1;
        }
    }
    println!("routing conformance: {passed}/{total} cases pass");
}
