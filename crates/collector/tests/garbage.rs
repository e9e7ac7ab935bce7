//! Bad input never panics: every file of the fake `full` tree is replaced
//! in turn by empty, truncated, binary and oversized content, and a full
//! collection must still return (collectors may fail, the scrape may not).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use telltale_collector::{CollectorConfig, Collectors, FsStats, StatfsFn};

fn copy_tree(from: &Path, to: &Path, files: &mut Vec<PathBuf>) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        let ty = e.file_type().unwrap();
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dst).unwrap();
        } else if ty.is_dir() {
            copy_tree(&e.path(), &dst, files);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
            files.push(dst);
        }
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly printable, with separators the parsers split on.
            b" :=\n\t0123456789abcdefx(){}\"\\,.-"[(x % 30) as usize]
        })
        .collect()
}

#[test]
fn corrupted_files_never_panic_a_collection() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/full");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("full");
    let mut files = Vec::new();
    copy_tree(&src, &root, &mut files);
    let mut cfg = CollectorConfig::with_root(&root);
    cfg.apply_flags(&["--collector.cgroup", "--collector.processes_top"])
        .unwrap();
    cfg.textfile_dir = Some(root.join("textfile"));
    let statfs: StatfsFn = Arc::new(|_: &Path| Ok(FsStats::default()));
    let collectors = Collectors::with_statfs(&cfg, statfs).unwrap();
    let expected = collectors.enabled().len();

    for (i, file) in files.iter().enumerate() {
        let original = std::fs::read(file).unwrap();
        let variants: Vec<Vec<u8>> = vec![
            Vec::new(),
            original[..original.len() / 2].to_vec(),
            vec![0xff, 0xfe, 0x00, b'\n', 0x80],
            noise(i as u64 + 1, 300),
            original.repeat(50),
        ];
        for v in variants {
            std::fs::write(file, &v).unwrap();
            let (fams, _errors) = collectors.collect_with_errors();
            let success = fams
                .iter()
                .find(|f| f.name == "node_scrape_collector_success")
                .expect("success family");
            assert_eq!(success.samples.len(), expected, "{}", file.display());
        }
        std::fs::write(file, &original).unwrap();
    }
    println!("corrupted {} files 5 ways each", files.len());
}
