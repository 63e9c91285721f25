//! `fuse-l2 vectors`: writes or checks the committed test vectors.

use std::path::PathBuf;
use std::process::ExitCode;

use fuse_prover::osp_vectors;

/// Which vectors.
#[derive(Debug, clap::Subcommand)]
pub enum Vectors {
    /// One-step proof vectors (test-vectors/osp/): every opcode, traps, host calls, halted
    /// machines, and rejections. Checks them against the code unless `--write`.
    Osp(Args),
}

/// Arguments of `fuse-l2 vectors osp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rewrite the files instead of checking them.
    #[arg(long)]
    pub write: bool,
    /// The vector directory.
    #[arg(long, default_value = "test-vectors/osp")]
    pub dir: PathBuf,
}

/// Runs the command.
pub fn run(v: Vectors) -> anyhow::Result<ExitCode> {
    let Vectors::Osp(args) = v;
    if args.write {
        osp_vectors::write(&args.dir)?;
        println!("wrote {}", args.dir.display());
    } else {
        osp_vectors::check(&args.dir)?;
        println!("{}: up to date", args.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
