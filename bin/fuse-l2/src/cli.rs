//! The `fuse-l2` command line: one subcommand per module of [`commands`]; `node` and
//! `validator` also read a config file ([`config`]).

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::commands;
use crate::config;
use crate::logs::{self, LogFormat};

/// fuse-l2: an optimistic rollup with an interactive bisection fraud-proof engine.
#[derive(Debug, Parser)]
#[command(name = "fuse-l2", version, about, long_about = None)]
pub(crate) struct Cli {
    /// How log lines are written on stderr: `text` for a person, `json` (one object a line)
    /// for a log collector. `RUST_LOG` filters them either way (default `info`).
    #[arg(
        long,
        global = true,
        env = "FUSE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a whole rollup in this process — embedded L1 with the contracts, sequencer, batch
    /// poster, JSON-RPC — with funded dev accounts; prints what to do next.
    Devnet(commands::devnet::Args),
    /// The node against an Ethereum JSON-RPC L1 (`--l1-rpc`): sequencer, batch poster, honest
    /// validator, JSON-RPC; `--deploy` deploys a fresh rollup first.
    Node(commands::node::Args),
    /// A validator alone against an Ethereum JSON-RPC L1: follows the Inbox, asserts, confirms,
    /// challenges wrong assertions and defends its own; `--lie-…` makes it the lying validator
    /// of demos and tests.
    Validator(Box<commands::validator::Args>),
    /// Replay dispute vectors (test-vectors/disputes/) against freshly deployed contracts and
    /// print every move; `--html OUT` writes the dispute viewer's page; `--record SCENARIO`
    /// writes a new vector, `--list` names them.
    Replay(commands::replay::Args),
    /// The step debugger: the machine at any step of any block of a dispute vector or of a
    /// live chain (instruction, function, stack, locals, memory, call stack); `--diff A B`
    /// between two steps.
    Trace(commands::trace::Args),
    /// A user's wallet against the sequencer's JSON-RPC: transfer, withdraw, status, balance.
    #[command(subcommand)]
    Wallet(commands::wallet::Wallet),
    /// Compute the machine hashes that open and close one block (the two ends of a level-2
    /// dispute) in Rust, and check them against the compiled L1 contract on an in-process EVM.
    Hashes(commands::hashes::Args),
    /// Run WebAssembly spec-test scripts (.wast files or folders) through the stepping
    /// machine and the wasmtime twin; one line per file, then `N passed, N failed, N skipped`.
    Wast(commands::wast::Args),
    /// The wasm guest: rebuild and check it (`guest build`), or describe it (`guest info`).
    #[command(subcommand)]
    Guest(commands::guest::Guest),
    /// Write or check the committed test vectors (`vectors osp`).
    #[command(subcommand)]
    Vectors(commands::vectors::Vectors),
    /// Benchmarks (measure and report, never assert): runs the `fuse-bench` binary built beside
    /// this one with the same arguments (`./scripts/bench` builds both).
    Bench(commands::bench::Args),
}

/// Parses the arguments, runs the command, and maps errors to a non-zero exit status.
pub(crate) fn main() -> ExitCode {
    // Logging starts once the command line says how: nothing before it logs.
    let mut loaded = match config::load(
        config::command(Cli::command()),
        std::env::args_os().collect(),
    ) {
        Ok(loaded) => loaded,
        Err(config::Failure::Usage(e)) => e.exit(),
        Err(config::Failure::Config(e)) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(text) = config::print_config(&loaded) {
        // A closed stdout (`| head`) is not worth a panic.
        let mut out = std::io::stdout();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        return ExitCode::SUCCESS;
    }
    let cli = match Cli::from_arg_matches(&loaded.matches) {
        Ok(cli) => cli,
        Err(e) => e.format(&mut loaded.cmd).exit(),
    };
    logs::init(cli.log_format);
    let result = match cli.command {
        Command::Devnet(args) => commands::devnet::run(args),
        Command::Wallet(w) => commands::wallet::run(w),
        Command::Node(args) => commands::node::run(args),
        Command::Validator(args) => commands::validator::run(*args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Trace(args) => commands::trace::run(args),
        Command::Hashes(args) => commands::hashes::run(args),
        Command::Wast(args) => commands::wast::run(args),
        Command::Guest(g) => commands::guest::run(g),
        Command::Vectors(v) => commands::vectors::run(v),
        Command::Bench(args) => commands::bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
