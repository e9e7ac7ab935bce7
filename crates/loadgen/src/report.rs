//! The Markdown report: one table of figures with Telltale's ratio to each
//! peer, one of query latencies, one of result digests, and notes.

use std::fmt::Write;

use crate::digest::compare;
use crate::driver::{QueryFigures, SystemFigures};
use crate::system::Kind;

/// What the report says about where and how it was measured.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `small` or `large` (or `custom`).
    pub size: String,
    /// UTC date and time of the run.
    pub date: String,
    /// Cores, CPU model, memory.
    pub machine: String,
    /// Load average when the run started.
    pub load: String,
    /// The command that produced it.
    pub command: String,
    /// Workload description.
    pub workload: String,
    /// Wall time of the whole run.
    pub duration: String,
}

/// Relative tolerance when comparing answers with Prometheus's.
pub const TOLERANCE: f64 = 1e-6;

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1024.0 * 1024.0))
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if v.abs() >= 1000.0 {
        let s = format!("{:.0}", v);
        let (sign, digits) = s.split_at(if s.starts_with('-') { 1 } else { 0 });
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn ratio(tt: Option<f64>, peer: Option<f64>) -> String {
    match (tt, peer) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() && b > 0.0 => format!("{:.2}×", a / b),
        _ => "n/a".into(),
    }
}

type Getter = fn(&SystemFigures) -> Option<f64>;
type Row = (&'static str, &'static str, Getter, fn(f64) -> String);

fn samples(f: &SystemFigures) -> f64 {
    f.send.samples_ok as f64
}

fn rows() -> [Row; 10] {
    [
        (
            "Ingest throughput (samples/s)",
            "higher",
            |f: &SystemFigures| Some(samples(f) / f.send.wall.as_secs_f64()),
            fmt_num,
        ),
        (
            "Ingest CPU (s per 1M samples)",
            "lower",
            |f: &SystemFigures| Some(f.ingest_cpu_s / samples(f) * 1e6),
            fmt_num,
        ),
        (
            "Ingest + persist CPU (s per 1M samples)",
            "lower",
            |f: &SystemFigures| Some((f.ingest_cpu_s + f.flush_cpu_s) / samples(f) * 1e6),
            fmt_num,
        ),
        (
            "RSS idle (MiB)",
            "lower",
            |f: &SystemFigures| Some(f.rss_idle as f64),
            |v| mib(v as u64),
        ),
        (
            "RSS after ingest (MiB)",
            "lower",
            |f: &SystemFigures| Some(f.rss_after as f64),
            |v| mib(v as u64),
        ),
        (
            "RSS per active series (bytes)",
            "lower",
            |f: &SystemFigures| Some(f.rss_after as f64 / f.series as f64),
            fmt_num,
        ),
        (
            "Persisted, snapshot (bytes/sample)",
            "lower",
            |f: &SystemFigures| Some(f.persisted_bytes as f64 / samples(f)).filter(|&v| v > 0.0),
            fmt_num,
        ),
        (
            "Data dir incl. WAL (bytes/sample)",
            "lower",
            |f: &SystemFigures| Some(f.total_bytes as f64 / samples(f)),
            fmt_num,
        ),
        (
            "Persist wall time (s)",
            "lower",
            |f: &SystemFigures| Some(f.flush_wall.as_secs_f64()),
            fmt_num,
        ),
        (
            "Restart until queryable (s)",
            "lower",
            |f| f.restart.map(|d| d.as_secs_f64()),
            fmt_num,
        ),
    ]
}

fn query_of(f: Option<&SystemFigures>, i: usize) -> Option<&QueryFigures> {
    f.and_then(|f| f.queries.get(i))
}

fn find(all: &[SystemFigures], k: Kind) -> Option<&SystemFigures> {
    all.iter().find(|f| f.kind == k)
}

/// Renders the report.
pub fn render(ctx: &Context, all: &[SystemFigures]) -> String {
    let mut o = String::new();
    let tt = find(all, Kind::Telltale);
    let prom = find(all, Kind::Prometheus);
    let vm = find(all, Kind::VictoriaMetrics);
    let _ = writeln!(o, "### Side by side, size `{}` ({})\n", ctx.size, ctx.date);
    let _ = writeln!(o, "- Command: `{}`", ctx.command);
    let _ = writeln!(
        o,
        "- Machine: {}; load average at start: {}",
        ctx.machine, ctx.load
    );
    let _ = writeln!(o, "- Workload: {}", ctx.workload);
    for f in all {
        let _ = writeln!(o, "- {}: {}", f.kind.name(), f.version);
    }
    let _ = writeln!(
        o,
        "- Ingest, query and restart part took: {}\n",
        ctx.duration
    );
    let names = [Kind::Telltale, Kind::Prometheus, Kind::VictoriaMetrics];
    let _ = writeln!(
        o,
        "| figure | better | Telltale | Prometheus | VictoriaMetrics | Telltale / Prometheus | Telltale / VictoriaMetrics |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
    for (label, better, get, show) in rows() {
        let cell = |k: Kind| {
            find(all, k)
                .and_then(get)
                .map(show)
                .unwrap_or_else(|| "n/a".into())
        };
        let v = |f: Option<&SystemFigures>| f.and_then(get);
        let _ = writeln!(
            o,
            "| {label} | {better} | {} | {} | {} | {} | {} |",
            cell(names[0]),
            cell(names[1]),
            cell(names[2]),
            ratio(v(tt), v(prom)),
            ratio(v(tt), v(vm)),
        );
    }
    let _ = writeln!(
        o,
        "\nQuery latency in ms, median / max of the runs (instant queries at the end of the data; range queries over its last hour, 60 s step):\n"
    );
    let _ = writeln!(
        o,
        "| query | Telltale | Prometheus | VictoriaMetrics | Telltale / Prometheus (median) | Telltale / VictoriaMetrics (median) |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    let qn = tt.or(prom).or(vm).map(|f| f.queries.len()).unwrap_or(0);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    for i in 0..qn {
        let cell = |f: Option<&SystemFigures>| match query_of(f, i) {
            Some(q) if q.error.is_none() => match (q.median(), q.max()) {
                (Some(m), Some(x)) => format!("{:.2} / {:.2}", ms(m), ms(x)),
                _ => "n/a".into(),
            },
            Some(_) => "error".into(),
            None => "n/a".into(),
        };
        let med = |f: Option<&SystemFigures>| query_of(f, i).and_then(|q| q.median()).map(ms);
        let name = query_of(tt, i)
            .or(query_of(prom, i))
            .or(query_of(vm, i))
            .map(|q| q.query.name)
            .unwrap_or("");
        let _ = writeln!(
            o,
            "| `{name}` | {} | {} | {} | {} | {} |",
            cell(tt),
            cell(prom),
            cell(vm),
            ratio(med(tt), med(prom)),
            ratio(med(tt), med(vm)),
        );
    }
    let _ = writeln!(
        o,
        "\nResult digests (sorted labels, values to 6 significant digits; \"= Prometheus\" compares values within a relative {TOLERANCE:e}):\n"
    );
    let _ = writeln!(
        o,
        "| query | expression | series / points | Telltale | Prometheus | VictoriaMetrics |"
    );
    let _ = writeln!(o, "|---|---|---:|---|---|---|");
    let mut mismatches = Vec::new();
    for i in 0..qn {
        let reference = query_of(prom, i).and_then(|q| q.answer.as_ref());
        let Some(q) = query_of(tt, i)
            .or(query_of(prom, i))
            .or(query_of(vm, i))
            .map(|q| q.query.clone())
        else {
            continue;
        };
        let mut cell = |f: Option<&SystemFigures>| {
            let Some(x) = query_of(f, i) else {
                return "n/a".to_string();
            };
            let Some(a) = &x.answer else {
                return format!(
                    "error: {}",
                    x.error.clone().unwrap_or_default().replace('|', "\\|")
                );
            };
            let verdict = match (reference, f.map(|f| f.kind)) {
                (Some(r), Some(k)) if k != Kind::Prometheus => match compare(a, r, TOLERANCE) {
                    None => " = Prometheus".into(),
                    Some(d) => {
                        mismatches.push(format!("`{}` on {}: {d}", q.name, k.name()));
                        " ≠ Prometheus".into()
                    }
                },
                _ => String::new(),
            };
            format!("`{}`{verdict}", a.digest())
        };
        let shape = query_of(prom, i)
            .or(query_of(tt, i))
            .and_then(|x| x.answer.as_ref())
            .map(|a| format!("{} / {}", a.series.len(), a.points()))
            .unwrap_or_else(|| "n/a".into());
        let (c1, c2, c3) = (cell(tt), cell(prom), cell(vm));
        let _ = writeln!(
            o,
            "| `{}` | `{}` | {shape} | {c1} | {c2} | {c3} |",
            q.name,
            q.expr.replace('|', "\\|")
        );
    }
    let mut notes: Vec<String> = mismatches
        .iter()
        .map(|m| format!("Mismatch: {}", m.replace('|', "\\|")))
        .collect();
    for f in all {
        for n in &f.notes {
            notes.push(format!("{}: {n}", f.kind.name()));
        }
        if let Some(v) = f.visible_after {
            notes.push(format!(
                "{}: all series visible {:.2} s after the last write was acknowledged",
                f.kind.name(),
                v.as_secs_f64()
            ));
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "\nNotes:\n");
        for n in notes {
            let _ = writeln!(o, "- {n}");
        }
    }
    o
}

/// Replaces the text between `<!-- side-by-side:SIZE:begin -->` and
/// `<!-- side-by-side:SIZE:end -->` in `doc` with `table`; appends the
/// markers and the table to the "Side by side" section's end (before the
/// next `## ` heading) when they are missing.
pub fn splice(doc: &str, size: &str, table: &str) -> String {
    let begin = format!("<!-- side-by-side:{size}:begin -->");
    let end = format!("<!-- side-by-side:{size}:end -->");
    let block = format!("{begin}\n{}\n{end}", table.trim_end());
    if let (Some(b), Some(e)) = (doc.find(&begin), doc.find(&end))
        && b < e
    {
        return format!("{}{block}{}", &doc[..b], &doc[e + end.len()..]);
    }
    let at = doc
        .find("## Side by side")
        .and_then(|s| doc[s + 3..].find("\n## ").map(|n| s + 3 + n + 1))
        .unwrap_or(doc.len());
    format!("{}{block}\n\n{}", &doc[..at], &doc[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(fmt_num(1_234_567.4), "1,234,567");
        assert_eq!(fmt_num(-1234.0), "-1,234");
        assert_eq!(fmt_num(12.345), "12.3");
        assert_eq!(fmt_num(0.8), "0.800");
        assert_eq!(fmt_num(f64::NAN), "n/a");
        assert_eq!(ratio(Some(1.0), Some(4.0)), "0.25×");
        assert_eq!(ratio(Some(1.0), Some(0.0)), "n/a");
    }

    #[test]
    fn splice_inserts_then_replaces() {
        let doc = "# B\n\n## Side by side\n\ntext\n\n## Storage engine\n\nx\n";
        let once = splice(doc, "small", "| a |");
        assert!(once.contains("text\n\n<!-- side-by-side:small:begin -->\n| a |\n<!-- side-by-side:small:end -->\n\n## Storage engine"), "{once}");
        let twice = splice(&once, "small", "| b |");
        assert!(twice.contains("| b |") && !twice.contains("| a |"));
        assert_eq!(twice.matches("side-by-side:small:begin").count(), 1);
        let other = splice(&twice, "large", "| c |");
        assert!(other.contains("| b |") && other.contains("| c |"));
    }
}
