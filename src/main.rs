//! The `telltale` binary: command line, configuration, wiring and exit codes.
//!
//! `telltale` with no command runs `serve`: the whole system on embedded
//! defaults. The other commands are the exporter role and offline tools.

mod alerting;
mod cli;
mod commands;
mod config;
mod demo;
mod exporter;
mod host;
mod import;
mod selfmetrics;
mod serve;
mod storage;
mod targets;

use std::process::ExitCode;

use clap::Parser;

use cli::{CheckCommand, Cli, Command, TestCommand};

fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("telltale")
        .build()?)
}

/// Takes node_exporter-style collector flags (`--collector.cpu`,
/// `--no-collector.wifi`, `--collector.textfile.directory=...`,
/// `--collector.disable-defaults`) out of `telltale exporter`'s arguments:
/// there are dozens and they are passed on to the collectors as they are,
/// so existing node_exporter command lines carry over.
fn split_collector_flags(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    if args.get(1).map(String::as_str) != Some("exporter") {
        return (args, Vec::new());
    }
    args.into_iter()
        .partition(|a| !(a.starts_with("--collector.") || a.starts_with("--no-collector.")))
}

fn main() -> ExitCode {
    let (argv, collector_flags) = split_collector_flags(std::env::args().collect());
    let cli = Cli::parse_from(argv);
    init_logging();
    // reqwest and the TLS server use rustls with the ring provider; install
    // it once for the whole process (an error means it is already there).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let result = match cli.command {
        None => runtime().and_then(|rt| rt.block_on(serve::run(cli.serve))),
        Some(Command::Serve(args)) => runtime().and_then(|rt| rt.block_on(serve::run(args))),
        Some(Command::Exporter(args)) => {
            runtime().and_then(|rt| rt.block_on(exporter::run(args, collector_flags)))
        }
        Some(Command::Query(args)) => commands::query(args),
        Some(Command::Check(CheckCommand::Config { file })) => commands::check_config(&file),
        Some(Command::Check(CheckCommand::Rules { files })) => commands::check_rules(&files),
        Some(Command::Test(TestCommand::Promql { files })) => commands::test_promql(&files),
        Some(Command::Test(TestCommand::Rules { files })) => commands::test_rules(&files),
        Some(Command::Import(args)) => commands::import(args),
        Some(Command::Demo(args)) => runtime().and_then(|rt| rt.block_on(demo::run(args))),
        Some(Command::Version) => {
            println!(
                "telltale, version {} (rust, {} {})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("telltale: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
