//! The public surface: names, flags, errors and thread safety.

use telltale_collector::{CollectorConfig, CollectorError, Collectors};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn collectors_are_shareable_between_threads() {
    assert_send_sync::<Collectors>();
    let c = std::sync::Arc::new(Collectors::new(&CollectorConfig::default()).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let c = std::sync::Arc::clone(&c);
            std::thread::spawn(move || c.collect().len())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 0);
    }
}

#[test]
fn default_set_is_node_exporters_and_opt_ins_are_off() {
    let cfg = CollectorConfig::default();
    for (name, on) in Collectors::names() {
        assert_eq!(cfg.enabled.contains(*name), *on, "{name}");
    }
    assert!(!cfg.enabled.contains("cgroup"));
    assert!(!cfg.enabled.contains("processes_top"));
    assert!(cfg.enabled.contains("filesystem"));
}

#[test]
fn unknown_names_in_the_enabled_set_are_refused() {
    let mut cfg = CollectorConfig::default();
    cfg.enabled.insert("wifi".into());
    assert!(matches!(
        Collectors::new(&cfg),
        Err(CollectorError::UnknownCollector(n)) if n == "wifi"
    ));
}

#[test]
fn an_empty_root_fails_every_collector_but_not_the_collection() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = CollectorConfig::with_root(dir.path());
    cfg.apply_flags(&["--collector.cgroup", "--collector.processes_top"])
        .unwrap();
    let c = Collectors::new(&cfg).unwrap();
    let (fams, errors) = c.collect_with_errors();
    let success = fams
        .iter()
        .find(|f| f.name == "node_scrape_collector_success")
        .unwrap();
    assert_eq!(success.samples.len(), c.enabled().len());
    let failed: Vec<&str> = success
        .samples
        .iter()
        .filter(|s| s.value == 0.0)
        .map(|s| s.labels.get("collector"))
        .collect();
    assert_eq!(failed.len(), errors.len());
    // Collectors that need no files (time, textfile without a directory)
    // still succeed; everything that reads /proc or /sys fails cleanly.
    for name in [
        "cpu",
        "meminfo",
        "filesystem",
        "cgroup",
        "netclass",
        "uname",
    ] {
        assert!(
            failed.contains(&name),
            "{name} should fail on an empty tree"
        );
    }
    for (_, e) in &errors {
        assert!(!e.to_string().is_empty());
    }
}
