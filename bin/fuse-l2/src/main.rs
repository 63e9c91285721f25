//! The `fuse-l2` binary: a thin command line over the crates that do the work — the devnet
//! (`fuse-devnet`), the node (`fuse-node`), the validator (`fuse-validator`), the wallet
//! (`fuse-exec` signs), dispute replay and the developer commands over the machine, the
//! prover and the contracts. Each subcommand is one module of `commands`; the benchmarks are
//! their own binary (`fuse-bench`), which `fuse-l2 bench` runs.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod logs;
mod progress;

fn main() -> std::process::ExitCode {
    // Before any HTTP client is built (https L1 endpoints).
    fuse_l1::install_tls_provider();
    cli::main()
}
