//! `telltale-loadgen`: `bench` runs the side-by-side comparison, `send`
//! feeds the workload to one remote write receiver.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use telltale_loadgen::report::{self, Context};
use telltale_loadgen::{
    BenchConfig, Error, Kind, ScrapeConfig, ScrapeStream, SendConfig, Spec, run_system, send,
};
use telltale_loadgen::{scrape_path, targets};

#[derive(Debug, Parser)]
#[command(
    name = "telltale-loadgen",
    about = "Telltale's side-by-side benchmark driver"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run Telltale, Prometheus and VictoriaMetrics on the same workload.
    Bench(Box<BenchArgs>),
    /// Send the workload to one remote write URL and print the stats.
    Send(SendArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Size {
    /// 4 hosts (2,028 series) x 1 h at 15 s: 486,720 samples.
    Small,
    /// 200 hosts (101,400 series) x 3 h at 15 s: 73 million samples.
    Large,
}

#[derive(Debug, Args, Clone)]
struct Workload {
    /// Hosts (507 series each) [default: by size].
    #[arg(long)]
    hosts: Option<usize>,
    /// Hours of data [default: by size].
    #[arg(long)]
    hours: Option<f64>,
    /// Parallel in-order senders (remote write shards).
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Samples per request (Prometheus's max_samples_per_send default).
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Scrape jitter in ms.
    #[arg(long, default_value_t = 5)]
    jitter_ms: i64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Conformance data directory [default: $TELLTALE_TESTDATA or ../shared/testdata].
    #[arg(long)]
    testdata: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Workload size.
    #[arg(long, value_enum, default_value = "small")]
    size: Size,
    #[command(flatten)]
    workload: Workload,
    /// Runs of each query.
    #[arg(long)]
    query_runs: Option<usize>,
    /// The telltale binary.
    #[arg(long, default_value = "target/release/telltale")]
    telltale: PathBuf,
    /// The prometheus binary.
    #[arg(long, default_value = "/usr/bin/prometheus")]
    prometheus: PathBuf,
    /// The victoria-metrics binary.
    #[arg(long, default_value = "/usr/bin/victoria-metrics")]
    victoria_metrics: PathBuf,
    /// Systems to run, comma separated (telltale, prometheus, vm).
    #[arg(long, value_delimiter = ',', default_value = "telltale,prometheus,vm")]
    systems: Vec<String>,
    /// Scratch directory for data directories and logs.
    #[arg(long)]
    work_dir: PathBuf,
    /// Where `<date>-<size>.md` is written.
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// A Markdown document whose side-by-side block for this size is replaced.
    #[arg(long)]
    doc: Option<PathBuf>,
    /// Scrape-path targets (0 skips the scrape-path benchmark) [default: 50 small, 200 large].
    #[arg(long)]
    scrape_targets: Option<usize>,
    /// Seconds each system scrapes them while measured [default: 30 small, 120 large].
    #[arg(long)]
    scrape_seconds: Option<u64>,
    /// Scrape interval of the scrape-path benchmark, in seconds.
    #[arg(long, default_value_t = 5)]
    scrape_interval: u64,
    /// node_exporter binary for the collector comparison (skipped if missing).
    #[arg(long, default_value = "/usr/bin/prometheus-node-exporter")]
    node_exporter: PathBuf,
    /// Back-to-back scrapes of each exporter.
    #[arg(long, default_value_t = 50)]
    exporter_scrapes: usize,
    /// The command line to print in the report.
    #[arg(long, default_value = "bench/run.sh")]
    command_line: String,
}

#[derive(Debug, Args)]
struct SendArgs {
    /// The remote write URL.
    #[arg(long)]
    url: String,
    #[command(flatten)]
    workload: Workload,
}

fn scrape_config(w: &Workload, hosts: usize, hours: f64) -> ScrapeConfig {
    let interval_ms = 15_000;
    let scrapes = ((hours * 3_600_000.0) / interval_ms as f64)
        .round()
        .max(1.0) as usize;
    // The data ends 5 minutes before now, on a whole minute: recent enough
    // for every retention, old enough for VictoriaMetrics' latency offset.
    let now = chrono::Utc::now().timestamp_millis();
    let end = (now - 300_000).div_euclid(60_000) * 60_000;
    ScrapeConfig {
        hosts,
        scrapes,
        interval_ms,
        start_ms: end - scrapes as i64 * interval_ms,
        jitter_ms: w.jitter_ms,
        spread: true,
        seed: w.seed,
    }
}

fn testdata(w: &Workload) -> PathBuf {
    w.testdata
        .clone()
        .unwrap_or_else(telltale_tsdb::workload::Workload::testdata_dir)
}

fn client() -> Result<reqwest::Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(16)
        .build()
        .map_err(|e| Error::Invalid {
            what: "HTTP client",
            message: e.to_string(),
        })
}

fn machine() -> (String, String) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: f64 = mem
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    (
        format!(
            "{cores} cores ({model}), {:.1} GiB RAM",
            kb / 1024.0 / 1024.0
        ),
        load,
    )
}

async fn bench(a: BenchArgs) -> Result<(), Error> {
    let began = Instant::now();
    let (hosts, hours, runs) = match a.size {
        Size::Small => (4, 1.0, 10),
        Size::Large => (200, 3.0, 5),
    };
    let hosts = a.workload.hosts.unwrap_or(hosts);
    let hours = a.workload.hours.unwrap_or(hours);
    let mut systems = Vec::new();
    for s in &a.systems {
        let kind = Kind::parse(s).ok_or_else(|| Error::Invalid {
            what: "--systems",
            message: format!("unknown system {s:?}"),
        })?;
        let binary = match kind {
            Kind::Telltale => a.telltale.clone(),
            Kind::Prometheus => a.prometheus.clone(),
            Kind::VictoriaMetrics => a.victoria_metrics.clone(),
        };
        systems.push(Spec { kind, binary });
    }
    let cfg = BenchConfig {
        scrape: scrape_config(&a.workload, hosts, hours),
        concurrency: a.workload.concurrency,
        batch: a.workload.batch,
        query_runs: a.query_runs.unwrap_or(runs),
        work_dir: a.work_dir.clone(),
        testdata: testdata(&a.workload),
        systems,
        start_timeout: Duration::from_secs(900),
    };
    // Fail early (before starting anything) if the workload is missing.
    let probe = ScrapeStream::node_exporter(&cfg.testdata, cfg.scrape.clone())?;
    let series = probe.labels().len();
    drop(probe);
    let size = format!("{:?}", a.size).to_ascii_lowercase();
    let (machine, load) = machine();
    let date = chrono::Utc::now();
    let client = client()?;
    let mut all = Vec::new();
    for spec in &cfg.systems {
        match run_system(&client, &cfg, spec).await {
            Ok(f) => all.push(f),
            Err(e) => eprintln!("[{}] failed: {e}", spec.kind.name()),
        }
    }
    let ctx = Context {
        size: size.clone(),
        date: date.format("%Y-%m-%d %H:%M UTC").to_string(),
        machine,
        load,
        command: a.command_line.clone(),
        workload: format!(
            "node_exporter 1.5.0 series x {hosts} hosts = {series} active series, {hours} h at 15 s ({} scrapes, {} samples), remote write 1.0, {} shards x {} samples per request",
            cfg.scrape.scrapes,
            cfg.scrape.total_samples(series / hosts.max(1)),
            cfg.concurrency,
            cfg.batch
        ),
        duration: format!("{:.0} s", began.elapsed().as_secs_f64()),
    };
    let mut md = report::render(&ctx, &all);
    md.push_str(&scrape_benchmark(&a, &cfg, &client).await);
    println!("{md}");
    if let Some(dir) = &a.results_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        let p = dir.join(format!("{}-{size}.md", date.format("%Y-%m-%d")));
        std::fs::write(&p, &md).map_err(|e| Error::io("write", &p, e))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(doc) = &a.doc {
        let text = std::fs::read_to_string(doc).unwrap_or_default();
        let out = report::splice(&text, &size, &md);
        std::fs::write(doc, out).map_err(|e| Error::io("write", doc, e))?;
        eprintln!("updated {}", doc.display());
    }
    if all.len() < cfg.systems.len() {
        return Err(Error::Process {
            system: "bench".into(),
            message: "some systems failed; see above".into(),
        });
    }
    Ok(())
}

async fn scrape_benchmark(a: &BenchArgs, cfg: &BenchConfig, client: &reqwest::Client) -> String {
    let (n, secs) = match a.size {
        Size::Small => (50, 30),
        Size::Large => (200, 120),
    };
    let n = a.scrape_targets.unwrap_or(n);
    let window = Duration::from_secs(a.scrape_seconds.unwrap_or(secs));
    let interval = Duration::from_secs(a.scrape_interval.max(1));
    let mut scrapers = Vec::new();
    let mut series_per_target = 0;
    if n > 0 {
        let p = cfg.testdata.join("node_exporter/metrics-1.5.0.txt");
        match std::fs::read_to_string(&p) {
            Err(e) => eprintln!("scrape path skipped: {}: {e}", p.display()),
            Ok(text) => match targets::serve(&text, n, a.workload.seed).await {
                Err(e) => eprintln!("scrape path skipped: {e}"),
                Ok(t) => {
                    series_per_target = t.series_per_target;
                    let conf = cfg.work_dir.join("scrape.yml");
                    let yml = targets::scrape_config(&t.addrs, interval.as_secs());
                    if let Err(e) = std::fs::write(&conf, yml) {
                        eprintln!("scrape path skipped: {}: {e}", conf.display());
                    } else {
                        for spec in &cfg.systems {
                            match scrape_path::run_scraper(
                                client,
                                spec,
                                &cfg.work_dir,
                                &conf,
                                n,
                                interval,
                                window,
                            )
                            .await
                            {
                                Ok(f) => scrapers.push(f),
                                Err(e) => eprintln!("[scrape {}] failed: {e}", spec.kind.name()),
                            }
                        }
                    }
                }
            },
        }
    }
    let mut exporters = Vec::new();
    let mut candidates = Vec::new();
    if cfg.systems.iter().any(|s| s.kind == Kind::Telltale) {
        candidates.push(("telltale exporter", a.telltale.clone(), true));
    }
    if a.node_exporter.exists() {
        candidates.push(("node_exporter", a.node_exporter.clone(), false));
    }
    for (name, bin, ours) in candidates {
        let Ok(port) = telltale_loadgen::system::free_port() else {
            continue;
        };
        let addr = format!("127.0.0.1:{port}");
        let args: Vec<String> = if ours {
            vec!["exporter".into(), "--listen".into(), addr.clone()]
        } else {
            vec![format!("--web.listen-address={addr}")]
        };
        match scrape_path::run_exporter(client, name, &bin, &args, &addr, a.exporter_scrapes).await
        {
            Ok(f) => exporters.push(f),
            Err(e) => eprintln!("[{name}] failed: {e}"),
        }
    }
    if scrapers.is_empty() && exporters.is_empty() {
        return String::new();
    }
    format!(
        "\n{}",
        scrape_path::render(n, series_per_target, interval, &scrapers, &exporters)
    )
}

async fn send_only(a: SendArgs) -> Result<(), Error> {
    let cfg = scrape_config(
        &a.workload,
        a.workload.hosts.unwrap_or(4),
        a.workload.hours.unwrap_or(1.0),
    );
    let stream = ScrapeStream::node_exporter(&testdata(&a.workload), cfg)?;
    let send_cfg = SendConfig {
        url: a.url,
        concurrency: a.workload.concurrency,
        batch: a.workload.batch,
        attempts: 10,
    };
    let st = send(&client()?, stream, &send_cfg).await?;
    println!(
        "sent {} samples in {:.2} s ({:.0} samples/s), {} requests, {} retries, {} refused{}",
        st.samples_ok,
        st.wall.as_secs_f64(),
        st.samples_ok as f64 / st.wall.as_secs_f64(),
        st.requests,
        st.retries,
        st.samples_failed,
        st.first_error
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let res = rt.block_on(async {
        match cli.command {
            Cmd::Bench(a) => bench(*a).await,
            Cmd::Send(a) => send_only(a).await,
        }
    });
    match res {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
