//! The `fuse-bench` binary: the benchmarks of [`fuse_bench`], one subcommand each.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// fuse-bench: measure and report (never assert). `fuse-l2 bench …` runs this binary.
#[derive(Debug, Parser)]
#[command(name = "fuse-bench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    bench: fuse_bench::Bench,
}

fn main() -> ExitCode {
    fuse_l1::install_tls_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // Above the progress bar; in colour only where a person reads it.
        .with_writer(fuse_bench::progress::stderr)
        .with_ansi(
            fuse_bench::progress::on_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .init();
    match fuse_bench::run(Cli::parse().bench) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
