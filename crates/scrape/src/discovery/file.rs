//! File-based discovery: JSON or YAML target files, re-read when their
//! modification time changes or when a wildcard finds new files.
//!
//! A file that cannot be read or parsed keeps the groups it had; a file
//! that disappears loses them. Each target gets `__meta_filepath`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{GroupSpec, MAX_SD_BYTES, TargetGroup, check_specs};
use crate::config::FileSdConfig;
use crate::error::ScrapeError;

/// Parses a target file's contents; YAML unless the name ends in `.json`.
///
/// # Errors
///
/// [`ScrapeError::Discovery`] naming the file, with the parser's message
/// (and line and column for YAML).
pub fn parse_target_file(path: &str, data: &[u8]) -> Result<Vec<TargetGroup>, ScrapeError> {
    let err = |message: String| ScrapeError::Discovery {
        source_name: path.to_string(),
        message,
    };
    let specs: Vec<GroupSpec> = if path.ends_with(".json") {
        serde_json::from_slice(data).map_err(|e| err(e.to_string()))?
    } else {
        let text = std::str::from_utf8(data).map_err(|e| err(e.to_string()))?;
        if text.trim().is_empty() {
            Vec::new()
        } else {
            crate::config::from_yaml(text, path).map_err(|e| err(e.to_string()))?
        }
    };
    check_specs(&specs).map_err(err)?;
    Ok(specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            TargetGroup::from_spec(format!("{path}:{i}"), s, &[("__meta_filepath", path)])
        })
        .collect())
}

/// Whether `name` matches a shell pattern with `*` and `?`.
fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while n < name.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some(p);
            mark = n;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Expands a path whose last element may hold `*` or `?`.
pub fn expand(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return if path.exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| glob_match(name.as_bytes(), n.as_bytes()))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, ScrapeError> {
    let name = path.to_string_lossy();
    let f = std::fs::File::open(path).map_err(|e| ScrapeError::io(name.as_ref(), &e))?;
    let mut data = Vec::new();
    f.take(MAX_SD_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| ScrapeError::io(name.as_ref(), &e))?;
    if data.len() as u64 > MAX_SD_BYTES {
        return Err(ScrapeError::Discovery {
            source_name: name.into_owned(),
            message: format!("file larger than {MAX_SD_BYTES} bytes"),
        });
    }
    Ok(data)
}

/// The state of one `file_sd_configs` entry between refreshes.
#[derive(Debug, Default)]
pub struct FileDiscovery {
    patterns: Vec<String>,
    /// Per file: the modification time last read and the groups it gave.
    files: BTreeMap<PathBuf, (Option<SystemTime>, Vec<TargetGroup>)>,
    /// Whether the first refresh has happened (it always reports).
    started: bool,
    /// The error of the last refresh, if any file failed.
    pub last_error: Option<ScrapeError>,
}

impl FileDiscovery {
    /// A discovery over the config's files, not read yet.
    pub fn new(cfg: &FileSdConfig) -> Self {
        FileDiscovery {
            patterns: cfg.files.clone(),
            files: BTreeMap::new(),
            started: false,
            last_error: None,
        }
    }

    /// Expands the patterns, re-reads new and changed files and forgets
    /// removed ones. Returns the full list of groups when anything changed
    /// (or on the first call), `None` otherwise.
    pub fn refresh(&mut self) -> Option<Vec<TargetGroup>> {
        let first = !self.started;
        self.started = true;
        let mut changed = false;
        let mut seen: Vec<PathBuf> = Vec::new();
        self.last_error = None;
        for p in &self.patterns {
            for path in expand(p) {
                let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                seen.push(path.clone());
                if let Some((old, _)) = self.files.get(&path)
                    && *old == mtime
                    && mtime.is_some()
                {
                    continue;
                }
                let name = path.to_string_lossy().into_owned();
                match read_bounded(&path).and_then(|d| parse_target_file(&name, &d)) {
                    Ok(groups) => {
                        let prev = self.files.insert(path, (mtime, groups.clone()));
                        if prev.map(|(_, g)| g) != Some(groups) {
                            changed = true;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(file = %name, error = %e, "file_sd: keeping previous targets");
                        self.last_error = Some(e);
                    }
                }
            }
        }
        let before = self.files.len();
        self.files.retain(|k, _| seen.contains(k));
        changed |= self.files.len() != before;
        if changed || first {
            Some(self.groups())
        } else {
            None
        }
    }

    /// The groups of every file as last read.
    pub fn groups(&self) -> Vec<TargetGroup> {
        self.files.values().flat_map(|(_, g)| g.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::PromDuration;

    #[test]
    fn parses_json_and_yaml() {
        let j = br#"[{"targets":["a:1","b:2"],"labels":{"env":"x"}}]"#;
        let g = parse_target_file("t.json", j).unwrap();
        assert_eq!(g[0].targets.len(), 2);
        assert_eq!(g[0].labels["__meta_filepath"], "t.json");
        assert_eq!(g[0].labels["env"], "x");
        let y = b"- targets: ['c:3']\n  labels:\n    env: y\n";
        let g = parse_target_file("t.yml", y).unwrap();
        assert_eq!(g[0].targets[0]["__address__"], "c:3");
        assert!(parse_target_file("t.yml", b"").unwrap().is_empty());
    }

    #[test]
    fn bad_files_are_discovery_errors() {
        for (n, d) in [
            ("t.json", &b"[{"[..]),
            ("t.json", br#"[{"targets":["a"],"bogus":1}]"#),
            ("t.yml", b"- targets: [a/b]\n"),
            ("t.yml", b"- targets: {x: 1}\n"),
        ] {
            assert!(
                matches!(parse_target_file(n, d), Err(ScrapeError::Discovery { .. })),
                "{n}"
            );
        }
    }

    #[test]
    fn glob_matches_stars_and_questions() {
        assert!(glob_match(b"*.json", b"a.json"));
        assert!(glob_match(b"t?.yml", b"t1.yml"));
        assert!(!glob_match(b"*.json", b"a.yml"));
        assert!(glob_match(b"a*b*c", b"aXXbYc"));
    }

    #[test]
    fn refresh_sees_changes_and_keeps_targets_on_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.json");
        std::fs::write(&p, br#"[{"targets":["a:1"]}]"#).unwrap();
        let cfg = FileSdConfig {
            files: vec![dir.path().join("*.json").to_string_lossy().into_owned()],
            refresh_interval: PromDuration::from_secs(1),
        };
        let mut d = FileDiscovery::new(&cfg);
        let g = d.refresh().unwrap();
        assert_eq!(g[0].targets[0]["__address__"], "a:1");
        assert!(d.refresh().is_none());
        // A broken write keeps the old targets.
        std::fs::write(&p, b"[{").unwrap();
        let t = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
        assert!(d.refresh().is_none());
        assert!(d.last_error.is_some());
        assert_eq!(d.groups()[0].targets[0]["__address__"], "a:1");
        // A new file appears.
        std::fs::write(dir.path().join("u.json"), br#"[{"targets":["b:2"]}]"#).unwrap();
        let g = d.refresh().unwrap();
        assert_eq!(g.len(), 2);
        // Removing a file drops its targets.
        std::fs::remove_file(&p).unwrap();
        let g = d.refresh().unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].targets[0]["__address__"], "b:2");
    }
}
