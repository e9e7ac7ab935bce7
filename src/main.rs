//! The `telltale` binary: command line, configuration, wiring and exit codes.

use clap::{Parser, Subcommand};

/// Telltale: one binary that collects, stores, queries, alerts on and shows metrics.
#[derive(Debug, Parser)]
#[command(name = "telltale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version and build information.
    Version,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Version) | None => {
            println!("telltale {}", env!("CARGO_PKG_VERSION"));
        }
    }
    Ok(())
}
