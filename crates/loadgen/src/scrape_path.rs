//! The scrape-path benchmark: each system scrapes the same many targets
//! (served by [`crate::targets`] in this process) for a fixed time; and
//! the collector side: `telltale exporter` against node_exporter, each
//! scraped the same number of times.
//!
//! For a system: start it fresh with a scrape configuration of all
//! targets, wait two intervals (the first scrapes create the series),
//! then read its CPU, wait `duration`, read CPU again and RSS, and check
//! with `count(up == 1)` that every target was up. Figures per target:
//! CPU milliseconds per scrape, RSS bytes.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::api::{self, Query};
use crate::digest::Answer;
use crate::error::{Error, Result};
use crate::system::{self, Kind, Spec};

/// The figures of one scraper.
#[derive(Debug, Clone)]
pub struct ScrapeFigures {
    /// Which system.
    pub kind: Kind,
    /// CPU seconds over the measured window.
    pub cpu_s: f64,
    /// The window.
    pub window: Duration,
    /// Scrapes expected in the window (targets x window / interval).
    pub scrapes: f64,
    /// RSS at the end.
    pub rss: u64,
    /// Targets `up == 1` at the end.
    pub up: usize,
}

/// Runs one system against the targets.
///
/// # Errors
///
/// When it cannot start; a missing `up` count reads as 0.
pub async fn run_scraper(
    client: &reqwest::Client,
    spec: &Spec,
    work: &Path,
    config: &Path,
    targets: usize,
    interval: Duration,
    window: Duration,
) -> Result<ScrapeFigures> {
    let ticks = system::clock_ticks();
    let dir = work.join(format!("scrape-{}", spec.kind.name().to_ascii_lowercase()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
    }
    let addr = format!("127.0.0.1:{}", system::free_port()?);
    eprintln!(
        "[scrape {}] {targets} targets for {window:?}",
        spec.kind.name()
    );
    let mut s = spec.start_with(&dir, &addr, Some(config))?;
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if !s.alive() || Instant::now() > until {
            return Err(Error::Process {
                system: spec.kind.name().into(),
                message: "did not become ready".into(),
            });
        }
        if let Ok(r) = client.get(s.ready_url()).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(interval * 2).await;
    let cpu0 = system::cpu_seconds(s.pid(), ticks).unwrap_or(f64::NAN);
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let cpu_s = system::cpu_seconds(s.pid(), ticks).unwrap_or(f64::NAN) - cpu0;
    let window = t0.elapsed();
    let rss = system::rss_bytes(s.pid()).unwrap_or(0);
    let q = Query {
        name: "up",
        expr: "count(up == 1)",
        range: false,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let up = match api::run(client, spec.kind.name(), &s.base(), &q, now).await {
        Ok((v, _)) => Answer::from_json(q.expr, &v)
            .ok()
            .and_then(|a| {
                a.series
                    .first()
                    .and_then(|s| s.points.first())
                    .map(|p| p.1 as usize)
            })
            .unwrap_or(0),
        Err(_) => 0,
    };
    s.stop(Duration::from_secs(60))?;
    Ok(ScrapeFigures {
        kind: spec.kind,
        cpu_s,
        window,
        scrapes: targets as f64 * window.as_secs_f64() / interval.as_secs_f64(),
        rss,
        up,
    })
}

/// The figures of one exporter.
#[derive(Debug, Clone)]
pub struct ExporterFigures {
    /// Its name.
    pub name: String,
    /// CPU seconds over all scrapes.
    pub cpu_s: f64,
    /// Scrapes made.
    pub scrapes: usize,
    /// Median scrape latency.
    pub median: Duration,
    /// RSS at the end.
    pub rss: u64,
    /// Sample lines in the last answer.
    pub series: usize,
    /// Bytes of the last answer.
    pub bytes: usize,
}

/// Starts an exporter (`args` must make it listen on `addr`), scrapes
/// `/metrics` `n` times in a row, measures it and stops it.
///
/// # Errors
///
/// When it cannot start or never answers.
pub async fn run_exporter(
    client: &reqwest::Client,
    name: &str,
    binary: &Path,
    args: &[String],
    addr: &str,
    n: usize,
) -> Result<ExporterFigures> {
    let ticks = system::clock_ticks();
    let mut child = std::process::Command::new(binary)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Error::io("spawn", binary, e))?;
    let pid = child.id();
    let url = format!("http://{addr}/metrics");
    let get = |c: &reqwest::Client| {
        let url = url.clone();
        let c = c.clone();
        async move {
            let r = c.get(&url).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            r.text().await.ok()
        }
    };
    let until = Instant::now() + Duration::from_secs(30);
    let res = loop {
        if get(client).await.is_some() {
            break Ok(());
        }
        if Instant::now() > until {
            break Err(Error::Process {
                system: name.into(),
                message: format!("{url} never answered"),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut out = None;
    if res.is_ok() {
        let cpu0 = system::cpu_seconds(pid, ticks).unwrap_or(f64::NAN);
        let mut times = Vec::with_capacity(n);
        let mut last = String::new();
        for _ in 0..n.max(1) {
            let t = Instant::now();
            if let Some(body) = get(client).await {
                times.push(t.elapsed());
                last = body;
            }
        }
        let cpu_s = system::cpu_seconds(pid, ticks).unwrap_or(f64::NAN) - cpu0;
        times.sort();
        out = Some(ExporterFigures {
            name: name.into(),
            cpu_s,
            scrapes: times.len(),
            median: times.get(times.len() / 2).copied().unwrap_or_default(),
            rss: system::rss_bytes(pid).unwrap_or(0),
            series: last
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .count(),
            bytes: last.len(),
        });
    }
    let _ = child.kill();
    let _ = child.wait();
    res?;
    out.ok_or_else(|| Error::Process {
        system: name.into(),
        message: "no figures".into(),
    })
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "n/a".into()
    }
}

/// The Markdown tables of the scrape path and the collectors.
pub fn render(
    targets: usize,
    series_per_target: usize,
    interval: Duration,
    scrapers: &[ScrapeFigures],
    exporters: &[ExporterFigures],
) -> String {
    let mut o = String::new();
    if !scrapers.is_empty() {
        let _ = writeln!(
            o,
            "Scrape path: {targets} targets x {series_per_target} series every {} s, served by one local process:\n",
            interval.as_secs()
        );
        let _ = writeln!(
            o,
            "| figure | better | {} | Telltale / Prometheus | Telltale / VictoriaMetrics |",
            scrapers
                .iter()
                .map(|s| s.kind.name())
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(o, "|---|---|{}---:|---:|", "---:|".repeat(scrapers.len()));
        type Get = fn(&ScrapeFigures) -> f64;
        let rows: [(&str, Get, usize); 4] = [
            (
                "CPU per target scrape (ms)",
                |s| s.cpu_s * 1000.0 / s.scrapes,
                3,
            ),
            (
                "CPU (% of one core)",
                |s| s.cpu_s * 100.0 / s.window.as_secs_f64(),
                1,
            ),
            (
                "RSS per target (KiB)",
                |s| s.rss as f64 / 1024.0 / s.up.max(1) as f64,
                0,
            ),
            ("Targets up", |s| s.up as f64, 0),
        ];
        let find = |k: Kind| scrapers.iter().find(|s| s.kind == k);
        for (label, get, prec) in rows {
            let cells: Vec<String> = scrapers
                .iter()
                .map(|s| format!("{:.*}", prec, get(s)))
                .collect();
            let tt = find(Kind::Telltale).map(get).unwrap_or(f64::NAN);
            let p = find(Kind::Prometheus).map(get).unwrap_or(f64::NAN);
            let v = find(Kind::VictoriaMetrics).map(get).unwrap_or(f64::NAN);
            let better = if label == "Targets up" {
                "all"
            } else {
                "lower"
            };
            let _ = writeln!(
                o,
                "| {label} | {better} | {} | {} | {} |",
                cells.join(" | "),
                ratio(tt, p),
                ratio(tt, v)
            );
        }
    }
    if !exporters.is_empty() {
        let _ = writeln!(
            o,
            "\nCollectors: this host's `/metrics`, scraped back to back:\n"
        );
        let _ = writeln!(
            o,
            "| exporter | CPU per scrape (ms) | median latency (ms) | RSS (MiB) | series | bytes |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
        for e in exporters {
            let _ = writeln!(
                o,
                "| {} | {:.2} | {:.2} | {:.1} | {} | {} |",
                e.name,
                e.cpu_s * 1000.0 / e.scrapes.max(1) as f64,
                e.median.as_secs_f64() * 1000.0,
                e.rss as f64 / 1024.0 / 1024.0,
                e.series,
                e.bytes
            );
        }
    }
    o
}
