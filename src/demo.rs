//! `telltale demo` and `telltale serve --demo`: the demo service of
//! `crates/demo`, on its own or beside the server (scraped as job `demo`,
//! with its alert rules).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use telltale_demo::{DEFAULT_DEMO_LISTEN, DemoConfig, DemoHandle};
use telltale_scrape::config::{GlobalConfig, ScrapeConfig};

use crate::cli::{DemoArgs, ServeArgs};

/// The file name the demo rules are reported under.
pub const DEMO_RULES_FILE: &str = "<demo rules>";

fn parse_addr(flag: &str, s: &str) -> Result<SocketAddr> {
    s.parse().with_context(|| {
        format!("{flag} {s:?}: want an IP address and port such as 127.0.0.1:9799")
    })
}

/// `telltale demo`: runs until SIGINT or SIGTERM.
///
/// # Errors
///
/// A bad or busy listen address.
pub async fn run(args: DemoArgs) -> Result<()> {
    let cfg = DemoConfig {
        listen: parse_addr("--listen", &args.listen)?,
        log_interval: (!args.no_logs).then_some(Duration::from_secs(10)),
        ..DemoConfig::default()
    };
    let demo = telltale_demo::start(cfg).await?;
    tracing::info!(
        "demo service ready: {}/ (metrics on {}/metrics)",
        demo.url(),
        demo.url()
    );
    wait_for_stop().await;
    demo.shutdown().await?;
    Ok(())
}

async fn wait_for_stop() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `serve --demo`: starts the demo on `--demo-listen`, or on 127.0.0.1:9799
/// falling back to a free port when that one is taken.
///
/// # Errors
///
/// A bad `--demo-listen`, or one that cannot be bound.
pub async fn start_beside(args: &ServeArgs) -> Result<DemoHandle> {
    let cfg = |listen| DemoConfig {
        listen,
        ..DemoConfig::default()
    };
    let demo = match &args.demo_listen {
        Some(l) => telltale_demo::start(cfg(parse_addr("--demo-listen", l)?)).await?,
        None => match telltale_demo::start(cfg(DEFAULT_DEMO_LISTEN)).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "demo: default port taken, using a free one");
                telltale_demo::start(cfg(SocketAddr::from(([127, 0, 0, 1], 0)))).await?
            }
        },
    };
    tracing::info!("demo service ready: {}/ (scraped as job demo)", demo.url());
    Ok(demo)
}

/// The configured jobs plus the demo's (job `demo`), unless a job of that
/// name is configured already.
///
/// # Errors
///
/// Never for the generated job (listed for completeness).
pub fn with_demo_job(
    configured: &[ScrapeConfig],
    global: &GlobalConfig,
    demo: Option<SocketAddr>,
) -> Result<Vec<ScrapeConfig>> {
    let mut jobs = configured.to_vec();
    let Some(addr) = demo else {
        return Ok(jobs);
    };
    if jobs.iter().any(|j| j.job_name == "demo") {
        tracing::warn!("a scrape job named demo is configured; not adding the demo's own");
        return Ok(jobs);
    }
    let yaml = telltale_demo::scrape_config_yaml(addr);
    let mut sec = telltale_scrape::config::parse_config(&yaml, "<demo scrape config>")
        .map_err(|e| anyhow!("{e}"))?;
    for j in &mut sec.scrape_configs {
        // The demo's interval and timeout are set; the limits left unset
        // follow the configured global section.
        j.apply_global(global);
    }
    jobs.extend(sec.scrape_configs);
    Ok(jobs)
}

/// The demo's alert rules, parsed.
///
/// # Errors
///
/// Never for the shipped rules (the demo crate tests them).
pub fn rule_groups() -> Result<Vec<telltale_rules::GroupSpec>> {
    telltale_rules::file::parse_rule_file(DEMO_RULES_FILE, telltale_demo::DEMO_RULES).map_err(
        |errs| {
            anyhow!(
                "{}",
                errs.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        },
    )
}
