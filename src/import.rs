//! `telltale import FILE`: history from OpenMetrics or Prometheus text with
//! timestamps, into a data directory, with a progress bar, a summary and a
//! report of the lines that were rejected and why.
//!
//! Each sample line is parsed on its own (so one bad line is reported and
//! the rest still imported); the format is OpenMetrics when the file ends
//! with `# EOF` (timestamps in seconds), else the Prometheus text format
//! (timestamps in milliseconds). Samples go through the storage's normal
//! `Appender` with an out-of-order window wide enough for any history, in
//! batches; the head is persisted into blocks every few million samples so
//! memory stays bounded, and once more at the end.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use telltale_exposition::{Entry, Format, Parser};
use telltale_model::{Appendable, Appender};

use crate::cli::ImportArgs;

/// Samples per committed batch.
const BATCH: usize = 10_000;
/// Samples between two persists of the head into blocks.
const PERSIST_EVERY: usize = 4_000_000;
/// Rejected lines printed in full; the rest are only counted.
const SHOWN_REJECTS: usize = 20;
/// The largest file read (the text is held in memory while parsing).
const MAX_INPUT: u64 = 8 << 30;

/// What an import did.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    /// Samples stored.
    pub imported: usize,
    /// Lines that could not be imported.
    pub rejected: usize,
    /// The first rejected lines: line number and reason.
    pub reasons: Vec<(usize, String)>,
    /// Oldest and newest timestamp imported (ms).
    pub range: Option<(i64, i64)>,
}

impl Summary {
    fn reject(&mut self, line: usize, reason: String) {
        self.rejected += 1;
        if self.reasons.len() < SHOWN_REJECTS {
            self.reasons.push((line, reason));
        }
    }
}

fn read_input(file: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_INPUT)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        f.take(MAX_INPUT)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", file.display()))?;
    }
    Ok(buf)
}

/// Imports `text` into `db`, calling `progress` with the bytes done.
pub fn import_text(
    db: &telltale_tsdb::Db,
    text: &[u8],
    mut progress: impl FnMut(usize),
) -> Result<Summary> {
    let om = text.trim_ascii_end().ends_with(b"# EOF");
    let format = if om {
        Format::OpenMetrics
    } else {
        Format::Text
    };
    let mut sum = Summary::default();
    let mut app: Box<dyn Appender> = db.appender();
    let mut in_batch = 0;
    let mut since_persist = 0;
    let mut offset = 0;
    let mut doc = Vec::with_capacity(256);
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        offset += line.len() + 1;
        let n = i + 1;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        doc.clear();
        doc.extend_from_slice(trimmed);
        doc.push(b'\n');
        if om {
            doc.extend_from_slice(b"# EOF\n");
        }
        let mut parsed = None;
        for e in Parser::new(&doc, format) {
            match e {
                Ok(Entry::Series(s)) => {
                    parsed = Some(Ok((s.to_labels(), s.value, s.timestamp)));
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    parsed = Some(Err(e.to_string()));
                    break;
                }
            }
        }
        let (labels, v, t) = match parsed {
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                sum.reject(n, e);
                continue;
            }
            None => {
                sum.reject(n, "no sample on this line".into());
                continue;
            }
        };
        let Some(t) = t else {
            sum.reject(
                n,
                "the sample has no timestamp (import needs one on every sample)".into(),
            );
            continue;
        };
        match app.append(0, &labels, t, v) {
            Ok(_) => {
                sum.imported += 1;
                in_batch += 1;
                since_persist += 1;
                sum.range = Some(match sum.range {
                    None => (t, t),
                    Some((a, b)) => (a.min(t), b.max(t)),
                });
            }
            Err(e) if e.is_sample_error() => sum.reject(n, e.to_string()),
            Err(e) => bail!("storage failed at line {n}: {e}"),
        }
        if in_batch >= BATCH {
            app.commit()
                .with_context(|| format!("committing at line {n}"))?;
            app = db.appender();
            in_batch = 0;
            progress(offset.min(text.len()));
        }
        if since_persist >= PERSIST_EVERY {
            db.flush().context("persisting imported samples")?;
            since_persist = 0;
        }
    }
    app.commit().context("committing the last batch")?;
    db.flush().context("persisting imported samples")?;
    progress(text.len());
    Ok(sum)
}

/// `telltale import FILE --data-dir DIR`.
///
/// # Errors
///
/// The file cannot be read, or the data directory cannot be opened or
/// written. Rejected lines are reported, not errors.
pub fn run(args: ImportArgs) -> Result<()> {
    let text = read_input(&args.file)?;
    let opts = telltale_tsdb::Options {
        // Any history is accepted: the server is not running on this
        // directory, and the import persists everything into blocks.
        out_of_order_window: Duration::from_secs(100 * 365 * 86_400),
        retention: None,
        background: false,
        ..Default::default()
    };
    let db = telltale_tsdb::Db::open(&args.data_dir, opts)
        .with_context(|| format!("opening {}", args.data_dir.display()))?;
    let bar = indicatif::ProgressBar::new(text.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let res = import_text(&db, &text, |done| bar.set_position(done as u64));
    bar.finish_and_clear();
    let sum = res?;
    db.close().context("closing the data directory")?;
    println!(
        "imported {} samples from {} into {}",
        sum.imported,
        args.file.display(),
        args.data_dir.display()
    );
    if let Some((a, b)) = sum.range {
        println!(
            "time range: {} to {}",
            telltale_server::api::status::rfc3339(a),
            telltale_server::api::status::rfc3339(b)
        );
    }
    if sum.rejected > 0 {
        println!("rejected {} lines:", sum.rejected);
        for (line, why) in &sum.reasons {
            println!("  line {line}: {why}");
        }
        if sum.rejected > sum.reasons.len() {
            println!("  ... and {} more", sum.rejected - sum.reasons.len());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::{Matcher, Queryable, SelectHints};

    fn open(dir: &Path) -> telltale_tsdb::Db {
        telltale_tsdb::Db::open(
            dir,
            telltale_tsdb::Options {
                out_of_order_window: Duration::from_secs(100 * 365 * 86_400),
                background: false,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn imports_openmetrics_and_reports_bad_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let db = open(tmp.path());
        let text = b"# TYPE temp gauge\ntemp{room=\"a\"} 20.5 1600000000\ntemp{room=\"a\"} 21 1600000015.5\ntemp{room=\"a\" 22 1600000030\ntemp{room=\"b\"} 19\n# EOF\n";
        let s = import_text(&db, text, |_| {}).unwrap();
        assert_eq!(s.imported, 2);
        assert_eq!(s.rejected, 2);
        assert_eq!(s.reasons[0].0, 4);
        assert!(s.reasons[1].1.contains("timestamp"), "{:?}", s.reasons);
        let q = db.querier(0, i64::MAX / 4).unwrap();
        let mut series = q
            .select(
                &SelectHints::default(),
                &[Matcher::equal("__name__", "temp")],
            )
            .unwrap();
        let got = series[0].samples.collect_all().unwrap();
        assert_eq!(
            got.iter().map(|s| s.t).collect::<Vec<_>>(),
            vec![1_600_000_000_000, 1_600_000_015_500]
        );
    }

    #[test]
    fn imports_text_format_with_millisecond_timestamps_out_of_order() {
        let tmp = tempfile::tempdir().unwrap();
        let db = open(tmp.path());
        let text = b"up{job=\"a\"} 1 1600000030000\nup{job=\"a\"} 0 1600000000000\nup{job=\"a\"} 1 1600000015000\n";
        let s = import_text(&db, text, |_| {}).unwrap();
        assert_eq!((s.imported, s.rejected), (3, 0));
        assert_eq!(s.range, Some((1_600_000_000_000, 1_600_000_030_000)));
    }
}
