//! Runs Prometheus's PromQL test scripts (and our own) through the runner.
//!
//! The upstream scripts live outside the repository, in the directory named
//! by `TELLTALE_PROMQL_TESTS` (default `../shared/testdata/promql` beside
//! the checkout). Evals that need native histograms or experimental syntax
//! are skipped through `tests/skip.txt`.

use std::path::PathBuf;

use telltale_promql::promqltest::{SkipList, run_dir};

fn skips() -> SkipList {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/skip.txt");
    SkipList::parse(&std::fs::read_to_string(p).unwrap_or_default())
}

#[test]
fn upstream_scripts() {
    let dir = std::env::var("TELLTALE_PROMQL_TESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/promql")
        });
    if !dir.is_dir() {
        println!(
            "skipping: PromQL test scripts not found at {}",
            dir.display()
        );
        return;
    }
    let mut out = Vec::new();
    let reports = run_dir(&dir, &skips(), &mut out).unwrap();
    print!("{}", String::from_utf8_lossy(&out));
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    assert!(!reports.is_empty(), "no .test files in {}", dir.display());
    assert_eq!(failed, 0, "{failed} evals failed");
}

#[test]
fn own_scripts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut out = Vec::new();
    let reports = run_dir(&dir, &SkipList::default(), &mut out).unwrap();
    print!("{}", String::from_utf8_lossy(&out));
    assert!(!reports.is_empty());
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    assert_eq!(failed, 0, "{failed} evals failed");
}
