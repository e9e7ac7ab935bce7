//! A runner for Prometheus's PromQL test-script format (`*.test`).
//!
//! A script loads series into an in-memory storage and checks queries
//! against expected results (see the format description in the shared test
//! data, `FORMAT.md`). [`run_file`] runs one file and writes one summary
//! line; [`run_dir`] runs every `*.test` file in a directory with a
//! [`SkipList`] and prints the final `N passed, N failed, N skipped` line.
//! `telltale test promql FILE...` calls [`run_file`].
//!
//! Like upstream's runner, every passing instant `eval` is checked twice
//! more: the same query as a range query around the instant must agree on
//! the middle step, and pinning every selector with `@ t` must give the same
//! result at other evaluation times.
//!
//! ```
//! use telltale_promql::promqltest::{SkipList, run_script};
//!
//! let script = "load 1m\n  up{job=\"a\"} 1 2 3\n\neval instant at 2m up\n  up{job=\"a\"} 3\n";
//! let mut out = Vec::new();
//! let r = run_script("inline.test", script, &SkipList::default(), &mut out);
//! assert_eq!((r.passed, r.failed, r.skipped), (1, 0, 0));
//! ```

mod run;
pub mod script;

use std::io::Write;
use std::path::Path;

pub use run::test_engine;

/// The outcome of one script file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// Evals that passed.
    pub passed: usize,
    /// Evals that failed.
    pub failed: usize,
    /// Evals skipped through the skip list.
    pub skipped: usize,
    /// One line per failure: `line N: query: reason`.
    pub failures: Vec<String>,
    /// Set when the script itself could not be read or parsed.
    pub error: Option<String>,
}

/// Evals to skip: `file line reason` entries (`*` as the line skips the
/// whole file). Lines starting with `#` are comments.
#[derive(Debug, Clone, Default)]
pub struct SkipList {
    entries: Vec<(String, Option<usize>, String)>,
}

impl SkipList {
    /// Parses a skip list: one `file:line reason` or `file:* reason` per line.
    pub fn parse(text: &str) -> Self {
        let mut entries = Vec::new();
        for l in text.lines() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (loc, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            let Some((file, line)) = loc.rsplit_once(':') else {
                continue;
            };
            let line = if line == "*" { None } else { line.parse().ok() };
            if line.is_none() && loc.rsplit_once(':').map(|x| x.1) != Some("*") {
                continue;
            }
            entries.push((file.to_string(), line, reason.trim().to_string()));
        }
        SkipList { entries }
    }

    /// Whether the eval at `line` of `file` is skipped.
    pub fn is_skipped(&self, file: &str, line: usize) -> bool {
        self.entries
            .iter()
            .any(|(f, l, _)| f == file && l.is_none_or(|l| l == line))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Runs a script given as text; writes failures and a summary line to `out`.
pub fn run_script(name: &str, text: &str, skips: &SkipList, out: &mut dyn Write) -> FileReport {
    let mut rep = FileReport {
        name: name.to_string(),
        ..Default::default()
    };
    match script::parse_script(text) {
        Err(e) => {
            rep.error = Some(e.clone());
            rep.failed += 1;
            let _ = writeln!(out, "{name}: cannot parse: {e}");
        }
        Ok(cmds) => {
            run::run_commands(
                &cmds,
                &|line| skips.is_skipped(name, line),
                |ev, r| match r {
                    None => rep.skipped += 1,
                    Some(Ok(())) => rep.passed += 1,
                    Some(Err(e)) => {
                        rep.failed += 1;
                        let msg = format!("line {}: {}: {e}", ev.line, ev.expr);
                        let _ = writeln!(out, "  FAIL {name}:{msg}");
                        rep.failures.push(msg);
                    }
                },
            );
        }
    }
    let _ = writeln!(
        out,
        "{name}: {} passed, {} failed, {} skipped",
        rep.passed, rep.failed, rep.skipped
    );
    rep
}

/// Runs one script file with no skips (the `telltale test promql` command).
pub fn run_file(path: &Path, out: &mut dyn Write) -> FileReport {
    run_file_with_skips(path, &SkipList::default(), out)
}

/// Runs one script file, skipping the evals `skips` names.
pub fn run_file_with_skips(path: &Path, skips: &SkipList, out: &mut dyn Write) -> FileReport {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(&name, &text, skips, out),
        Err(e) => {
            let _ = writeln!(out, "{name}: cannot read {}: {e}", path.display());
            FileReport {
                name,
                failed: 1,
                error: Some(e.to_string()),
                ..Default::default()
            }
        }
    }
}

/// Runs every `*.test` file in `dir` (sorted by name) and writes the final
/// `N passed, N failed, N skipped` line.
///
/// # Errors
///
/// The directory cannot be listed.
pub fn run_dir(
    dir: &Path,
    skips: &SkipList,
    out: &mut dyn Write,
) -> std::io::Result<Vec<FileReport>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    let reports: Vec<FileReport> = files
        .iter()
        .map(|f| run_file_with_skips(f, skips, out))
        .collect();
    let (p, f, s) = reports.iter().fold((0, 0, 0), |a, r| {
        (a.0 + r.passed, a.1 + r.failed, a.2 + r.skipped)
    });
    writeln!(out, "{p} passed, {f} failed, {s} skipped")?;
    Ok(reports)
}
