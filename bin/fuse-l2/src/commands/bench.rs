//! `fuse-l2 bench …`: the benchmarks live in their own binary, `fuse-bench` (crate
//! `fuse-bench`), so that what only they need stays out of this one. This command runs the
//! `fuse-bench` beside this binary with the same arguments, as `git foo` runs `git-foo`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

/// Arguments passed on to `fuse-bench` unchanged.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The benchmark and its arguments (`fuse-l2 bench help` lists the benchmarks,
    /// `fuse-l2 bench <what> --help` one benchmark's arguments).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Where `fuse-bench` is expected: beside this binary (cargo builds both into one directory).
fn bench_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("where this binary is")?;
    Ok(me.with_file_name("fuse-bench"))
}

/// Runs `fuse-bench` with `args` and returns its exit status.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bench = bench_binary()?;
    if !bench.is_file() {
        bail!(
            "the benchmarks are the `fuse-bench` binary, not built at {}: run `./scripts/bench \
             {}` (builds both binaries in release), or `cargo build -p fuse-bench` with the same \
             profile as this binary",
            bench.display(),
            args.args.join(" ")
        );
    }
    let status = Command::new(&bench)
        .args(&args.args)
        .status()
        .with_context(|| format!("running {}", bench.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
