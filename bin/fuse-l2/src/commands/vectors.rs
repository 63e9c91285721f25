//! `fuse-l2 vectors`: writes or checks the committed test vectors.

use std::path::PathBuf;
use std::process::ExitCode;

use fuse_prover::osp_vectors;

/// Which vectors.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Vectors {
    /// One-step proof vectors (test-vectors/osp/): every opcode, traps, host calls, halted
    /// machines, and rejections. Checks them against the code unless `--write`.
    Osp(Args),
    /// Dispute vectors (test-vectors/disputes/): one per scenario of `replay --list`, each
    /// re-recorded and compared byte for byte unless `--write`.
    Disputes(DisputeArgs),
}

/// Arguments of `fuse-l2 vectors disputes`.
#[derive(Debug, clap::Args)]
pub(crate) struct DisputeArgs {
    /// Rewrite the files instead of checking them.
    #[arg(long)]
    pub(crate) write: bool,
    /// The vector directory.
    #[arg(long, default_value = "test-vectors/disputes")]
    pub(crate) dir: PathBuf,
}

/// Arguments of `fuse-l2 vectors osp`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rewrite the files instead of checking them.
    #[arg(long)]
    pub(crate) write: bool,
    /// The vector directory.
    #[arg(long, default_value = "test-vectors/osp")]
    pub(crate) dir: PathBuf,
}

/// Runs the command.
pub(crate) fn run(v: Vectors) -> anyhow::Result<ExitCode> {
    let args = match v {
        Vectors::Osp(args) => args,
        Vectors::Disputes(args) => return disputes(args),
    };
    // One call generates every case and file, so the spinner shows it is alive, not how far.
    let spinner = crate::progress::spinner("vectors osp");
    if args.write {
        spinner.set_message(format!("generating {}", args.dir.display()));
        osp_vectors::write(&args.dir)?;
        spinner.finish_and_clear();
        println!("wrote {}", args.dir.display());
    } else {
        spinner.set_message(format!(
            "generating and comparing with {}",
            args.dir.display()
        ));
        osp_vectors::check(&args.dir)?;
        spinner.finish_and_clear();
        println!("{}: up to date", args.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn disputes(args: DisputeArgs) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(async {
        if args.write {
            std::fs::create_dir_all(&args.dir)?;
        }
        let mut stale = Vec::new();
        let scenarios = fuse_devnet::replay::scenarios::SCENARIOS;
        let bar = crate::progress::steps(scenarios.len() as u64, "vectors disputes");
        for (name, _) in scenarios {
            bar.set_message(format!("recording {name}"));
            let v = fuse_devnet::replay::record_scenario(name).await?;
            let path = args.dir.join(format!("{name}.json"));
            let text = v.to_json();
            if args.write {
                std::fs::write(&path, &text)?;
                bar.suspend(|| println!("wrote {} ({})", path.display(), v.summary()));
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        anyhow::ensure!(
            stale.is_empty(),
            "dispute vectors differ from what the code records: {} (run `fuse-l2 vectors disputes --write` and review the diff)",
            stale.join(", ")
        );
        if !args.write {
            println!("{}: up to date", args.dir.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}
