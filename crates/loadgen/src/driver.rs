//! The measuring run: each system in turn, fresh, on the same stream.
//!
//! For one system: start it on an empty data directory and wait until it
//! is ready; read its idle RSS and CPU; send the stream (ingest
//! throughput, server CPU per sample); read RSS (memory per active
//! series); wait until all series answer `count({job="node"})`; run every
//! query of [`QUERIES`] several times (median and max latency, the last
//! answer kept for digests); persist (Telltale and Prometheus: the admin
//! snapshot, which writes the head into a block; VictoriaMetrics:
//! `/internal/force_flush` then `/snapshot/create`) and measure the
//! snapshot and the whole data directory; stop it gracefully and start it
//! again, timing until the count query answers the full series count.
//! Systems run one after another, never together, so they do not compete
//! for the cores.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::api::{self, QUERIES, Query};
use crate::digest::Answer;
use crate::error::{Error, Result};
use crate::scrapes::{ScrapeConfig, ScrapeStream};
use crate::send::{SendConfig, SendStats, send};
use crate::system::{self, Kind, Server, Spec};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The workload.
    pub scrape: ScrapeConfig,
    /// Parallel in-order senders.
    pub concurrency: usize,
    /// Samples per remote write request.
    pub batch: usize,
    /// Runs of each query.
    pub query_runs: usize,
    /// Where data directories and logs go (one subdirectory per system).
    pub work_dir: PathBuf,
    /// The conformance data directory (for the node_exporter exposition).
    pub testdata: PathBuf,
    /// The systems, in order.
    pub systems: Vec<Spec>,
    /// How long a start or restart may take before it counts as failed.
    pub start_timeout: Duration,
}

/// One query's figures on one system.
#[derive(Debug, Clone)]
pub struct QueryFigures {
    /// The query.
    pub query: Query,
    /// Latencies of the successful runs.
    pub runs: Vec<Duration>,
    /// The last answer.
    pub answer: Option<Answer>,
    /// The first error, if a run failed.
    pub error: Option<String>,
}

impl QueryFigures {
    /// Median latency.
    pub fn median(&self) -> Option<Duration> {
        let mut r = self.runs.clone();
        r.sort();
        r.get(r.len() / 2).copied()
    }

    /// Max latency.
    pub fn max(&self) -> Option<Duration> {
        self.runs.iter().max().copied()
    }
}

/// Everything measured on one system.
#[derive(Debug, Clone)]
pub struct SystemFigures {
    /// Which system.
    pub kind: Kind,
    /// Its version line.
    pub version: String,
    /// Active series sent.
    pub series: usize,
    /// The send.
    pub send: SendStats,
    /// Server CPU seconds during the send.
    pub ingest_cpu_s: f64,
    /// RSS right after startup.
    pub rss_idle: u64,
    /// RSS right after the send.
    pub rss_after: u64,
    /// Time from the end of the send until every series was visible.
    pub visible_after: Option<Duration>,
    /// Server CPU seconds of the flush or snapshot.
    pub flush_cpu_s: f64,
    /// Wall time of the flush or snapshot.
    pub flush_wall: Duration,
    /// Bytes of the snapshot (blocks or parts, no WAL).
    pub persisted_bytes: u64,
    /// Bytes of the whole data directory, snapshots excluded.
    pub total_bytes: u64,
    /// The queries.
    pub queries: Vec<QueryFigures>,
    /// Restart until the data is queryable again.
    pub restart: Option<Duration>,
    /// Things that went wrong (the run goes on).
    pub notes: Vec<String>,
}

/// The version line of a system's binary.
pub fn version(spec: &Spec) -> String {
    let out = match spec.kind {
        Kind::Telltale => std::process::Command::new(&spec.binary)
            .arg("version")
            .output(),
        Kind::Prometheus => std::process::Command::new(&spec.binary)
            .arg("--version")
            .output(),
        Kind::VictoriaMetrics => std::process::Command::new("dpkg-query")
            .args(["-W", "-f", "${Version}", "victoria-metrics"])
            .output(),
    };
    out.ok()
        .map(|o| {
            let mut t = String::from_utf8_lossy(&o.stdout).into_owned();
            t.push_str(&String::from_utf8_lossy(&o.stderr));
            t.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

async fn wait_ready(client: &reqwest::Client, s: &mut Server, timeout: Duration) -> Result<()> {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if !s.alive() {
            return Err(Error::Process {
                system: s.spec.kind.name().into(),
                message: format!("exited; see {}", s.data_dir.with_extension("log").display()),
            });
        }
        if let Ok(r) = client.get(s.ready_url()).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Error::Process {
        system: s.spec.kind.name().into(),
        message: format!("not ready after {timeout:?}"),
    })
}

/// The number `count({job="node"})` answers at `at_ms`, if any.
async fn visible_series(client: &reqwest::Client, s: &Server, at_ms: i64) -> Option<usize> {
    let q = Query {
        name: "count",
        expr: r#"count({job="node"})"#,
        range: false,
    };
    let (v, _) = api::run(client, s.spec.kind.name(), &s.base(), &q, at_ms)
        .await
        .ok()?;
    let a = Answer::from_json(q.expr, &v).ok()?;
    a.series
        .first()
        .and_then(|s| s.points.first())
        .map(|p| p.1 as usize)
}

async fn wait_visible(
    client: &reqwest::Client,
    s: &mut Server,
    at_ms: i64,
    want: usize,
    timeout: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < timeout && s.alive() {
        if visible_series(client, s, at_ms).await == Some(want) {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

/// Persists the data; returns the snapshot directory.
async fn persist(client: &reqwest::Client, s: &Server) -> Result<PathBuf> {
    let http = |url: &str, message: String| Error::Http {
        system: s.spec.kind.name().into(),
        url: url.into(),
        message,
    };
    let (url, flush) = match s.spec.kind {
        Kind::VictoriaMetrics => (format!("{}/snapshot/create", s.base()), true),
        _ => (format!("{}/api/v1/admin/tsdb/snapshot", s.base()), false),
    };
    if flush {
        let f = format!("{}/internal/force_flush", s.base());
        let r = client
            .get(&f)
            .send()
            .await
            .map_err(|e| http(&f, e.to_string()))?;
        if !r.status().is_success() {
            return Err(http(&f, format!("status {}", r.status())));
        }
    }
    let r = if flush {
        client.get(&url).send().await
    } else {
        client.post(&url).send().await
    }
    .map_err(|e| http(&url, e.to_string()))?;
    let status = r.status();
    let v: serde_json::Value = r.json().await.map_err(|e| http(&url, e.to_string()))?;
    let name = v
        .get("snapshot")
        .or_else(|| v.get("data").and_then(|d| d.get("name")))
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty() && !n.contains(['/', '\\']) && *n != "..")
        .ok_or_else(|| http(&url, format!("status {status}: no snapshot name in {v}")))?;
    Ok(s.data_dir.join("snapshots").join(name))
}

fn cpu(s: &Server, ticks: f64) -> f64 {
    system::cpu_seconds(s.pid(), ticks).unwrap_or(f64::NAN)
}

/// Runs the whole measurement on one system.
///
/// # Errors
///
/// When the system cannot be started or fed at all; later failures are
/// recorded in [`SystemFigures::notes`].
pub async fn run_system(
    client: &reqwest::Client,
    cfg: &BenchConfig,
    spec: &Spec,
) -> Result<SystemFigures> {
    let ticks = system::clock_ticks();
    let name = spec.kind.name();
    let dir = cfg.work_dir.join(name.to_ascii_lowercase());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
    }
    let addr = format!("127.0.0.1:{}", system::free_port()?);
    eprintln!("[{name}] starting on {addr}, data in {}", dir.display());
    let mut s = spec.start(&dir, &addr)?;
    wait_ready(client, &mut s, cfg.start_timeout).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = system::rss_bytes(s.pid()).unwrap_or(0);
    let stream = ScrapeStream::node_exporter(&cfg.testdata, cfg.scrape.clone())?;
    let series = stream.labels().len();
    let at = cfg.scrape.end_ms();
    let mut notes = Vec::new();

    eprintln!(
        "[{name}] sending {series} series x {} scrapes",
        cfg.scrape.scrapes
    );
    let cpu0 = cpu(&s, ticks);
    let send_cfg = SendConfig {
        url: s.write_url(),
        concurrency: cfg.concurrency,
        batch: cfg.batch,
        attempts: 10,
    };
    let stats = send(client, stream, &send_cfg).await?;
    let ingest_cpu_s = cpu(&s, ticks) - cpu0;
    let rss_after = system::rss_bytes(s.pid()).unwrap_or(0);
    if let Some(e) = &stats.first_error {
        notes.push(format!(
            "{} samples refused; first: {e}",
            stats.samples_failed
        ));
    }
    eprintln!(
        "[{name}] sent {} samples in {:.1} s ({} refused)",
        stats.samples_ok,
        stats.wall.as_secs_f64(),
        stats.samples_failed
    );

    let visible_after = wait_visible(client, &mut s, at, series, Duration::from_secs(60)).await;
    if visible_after.is_none() {
        notes.push(format!(
            "count({{job=\"node\"}}) never reached {series} within 60 s"
        ));
    }

    let mut queries = Vec::new();
    for q in QUERIES {
        let mut f = QueryFigures {
            query: q.clone(),
            runs: Vec::new(),
            answer: None,
            error: None,
        };
        for _ in 0..cfg.query_runs.max(1) {
            match api::run(client, name, &s.base(), q, at).await {
                Ok((v, took)) => match Answer::from_json(q.expr, &v) {
                    Ok(a) => {
                        f.runs.push(took);
                        f.answer = Some(a);
                    }
                    Err(e) => f.error = Some(e.to_string()),
                },
                Err(e) => f.error = Some(e.to_string()),
            }
            if f.error.is_some() {
                break;
            }
        }
        queries.push(f);
    }
    eprintln!("[{name}] queries done; persisting");

    let cpu2 = cpu(&s, ticks);
    let t = Instant::now();
    let (persisted_bytes, flush_wall) = match persist(client, &s).await {
        Ok(snap) => {
            let wall = t.elapsed();
            (system::dir_bytes(&snap, &[]), wall)
        }
        Err(e) => {
            notes.push(format!("persist failed: {e}"));
            (0, t.elapsed())
        }
    };
    let flush_cpu_s = cpu(&s, ticks) - cpu2;
    let total_bytes = system::dir_bytes(&dir, &["snapshots"]);

    eprintln!("[{name}] restarting");
    s.stop(Duration::from_secs(300))?;
    let t = Instant::now();
    let mut s = spec.start(&dir, &addr)?;
    let restart = wait_visible(client, &mut s, at, series, cfg.start_timeout)
        .await
        .map(|_| t.elapsed());
    if restart.is_none() {
        notes.push("not queryable again after restart within the timeout".into());
    }
    s.stop(Duration::from_secs(300))?;
    Ok(SystemFigures {
        kind: spec.kind,
        version: version(spec),
        series,
        send: stats,
        ingest_cpu_s,
        rss_idle,
        rss_after,
        visible_after,
        flush_cpu_s,
        flush_wall,
        persisted_bytes,
        total_bytes,
        queries,
        restart,
        notes,
    })
}
