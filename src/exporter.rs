//! `telltale exporter`: this host's metrics on `/metrics` only, like
//! node_exporter, with gzip when the client asks for it. node_exporter's
//! collector flags (`--collector.X`, `--no-collector.X`,
//! `--collector.disable-defaults`, `--collector.<name>.<option>=...`) are
//! accepted as they are.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use telltale_collector::{CollectorConfig, Collectors};

use crate::cli::ExporterArgs;

/// Runs the exporter until SIGINT or SIGTERM.
///
/// # Errors
///
/// Bad flags or an address that cannot be bound.
pub async fn run(args: ExporterArgs, collector_flags: Vec<String>) -> Result<()> {
    let mut cfg = CollectorConfig::default();
    let mut flags: Vec<String> = vec![
        format!("--path.procfs={}", args.procfs.display()),
        format!("--path.sysfs={}", args.sysfs.display()),
        format!("--path.rootfs={}", args.rootfs.display()),
    ];
    for e in &args.enable {
        flags.push(format!("--collector.{e}"));
    }
    for d in &args.disable {
        flags.push(format!("--no-collector.{d}"));
    }
    if let Some(dir) = &args.textfile_directory {
        flags.push(format!("--collector.textfile.directory={}", dir.display()));
    }
    flags.extend(collector_flags);
    cfg.apply_flags(&flags).map_err(|e| anyhow!("{e}"))?;
    let collectors = Arc::new(Collectors::new(&cfg).map_err(|e| anyhow!("{e}"))?);
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(collectors.clone());
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        collectors = ?collectors.enabled(),
        "Telltale exporter is serving this host's metrics on http://{addr}/metrics"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn metrics(State(c): State<Arc<Collectors>>) -> impl IntoResponse {
    let body = tokio::task::spawn_blocking(move || {
        let families = c.collect();
        let mut out = Vec::with_capacity(64 * 1024);
        telltale_exposition::encode_text(&families, &mut out);
        out
    })
    .await
    .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><head><title>Telltale exporter</title></head><body><h1>Telltale exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>",
    )
}
