//! Golden tests: full collections over fake `/proc`, `/sys` and `/` trees
//! under `testdata/`, compared with the expected text in
//! `testdata/<tree>.prom`. Run with `UPDATE_GOLDEN=1` to rewrite the
//! expected files after a deliberate change (and review the diff).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use telltale_collector::{CollectorConfig, Collectors, FsStats, StatfsFn};

/// Values that change from run to run are replaced by a placeholder.
const VOLATILE: [&str; 3] = [
    "node_scrape_collector_duration_seconds",
    "node_time_seconds",
    "node_textfile_mtime_seconds",
];

fn tree(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// A statfs that answers from a table: every mount is 4 MB with half
/// free, except NFS which fails as a dead server would.
fn fake_statfs() -> StatfsFn {
    Arc::new(|p: &Path| {
        if p.ends_with("mnt/nfs") {
            return Err(std::io::Error::from_raw_os_error(5));
        }
        Ok(FsStats {
            block_size: 4096,
            blocks: 1000,
            bfree: 500,
            bavail: 400,
            files: 100,
            ffree: 50,
        })
    })
}

fn collect(name: &str) -> String {
    let root = tree(name);
    let mut cfg = CollectorConfig::with_root(&root);
    cfg.apply_flags(&["--collector.cgroup", "--collector.processes_top"])
        .unwrap();
    if root.join("textfile").is_dir() {
        cfg.textfile_dir = Some(root.join("textfile"));
    }
    let c = Collectors::with_statfs(&cfg, fake_statfs()).unwrap();
    let text = common::encode(&c.collect());
    let machine = format!(
        "machine=\"{}\"",
        rustix::system::uname().machine().to_string_lossy()
    );
    let root_str = root.to_string_lossy().into_owned();
    text.lines()
        .map(|l| {
            let l = l
                .replace(&machine, "machine=\"<machine>\"")
                .replace(&root_str, "<root>");
            if VOLATILE.iter().any(|v| l.starts_with(v)) {
                match l.rsplit_once(' ') {
                    Some((head, _)) => format!("{head} <volatile>\n"),
                    None => l + "\n",
                }
            } else {
                l + "\n"
            }
        })
        .collect()
}

fn check(name: &str) {
    let got = collect(name);
    let want_path = tree(&format!("{name}.prom"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&want_path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&want_path).unwrap();
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .filter(|l| !got.lines().any(|g| g == *l))
            .map(|l| format!("- {l}"))
            .chain(
                got.lines()
                    .filter(|g| !want.lines().any(|l| l == *g))
                    .map(|g| format!("+ {g}")),
            )
            .collect();
        panic!(
            "{name}: output differs from {}:\n{}",
            want_path.display(),
            diff.join("\n")
        );
    }
}

#[test]
fn golden_full_host_with_sixteen_cpus() {
    check("full");
}

#[test]
fn golden_minimal_vm_without_swap_and_missing_files() {
    check("minimal");
}
