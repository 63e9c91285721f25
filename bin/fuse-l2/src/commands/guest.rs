//! `fuse-l2 guest`: the wasm guest every party runs (test-vectors/guest/).

use std::path::PathBuf;
use std::process::ExitCode;

use fuse_prover::guest;

/// What to do with the guest.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Guest {
    /// Rebuild vm/arbos/guest reproducibly (docs/design.md#rule-15) and check it byte for byte
    /// against test-vectors/guest/, or write it there with `--write`.
    Build(BuildArgs),
    /// Print the committed guest's module root, size and toolchain.
    Info,
}

/// Arguments of `fuse-l2 guest build`.
#[derive(Debug, clap::Args)]
pub(crate) struct BuildArgs {
    /// Write the rebuilt module and its manifest instead of checking them.
    #[arg(long)]
    pub(crate) write: bool,
    /// The repository root.
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
}

/// Runs the command.
pub(crate) fn run(g: Guest) -> anyhow::Result<ExitCode> {
    match g {
        Guest::Build(args) => {
            // cargo runs quiet, so the spinner is all there is to watch; it is minutes from
            // a clean target directory.
            let spinner = crate::progress::spinner("guest build");
            spinner.set_message(format!(
                "cargo build -p {} --target {} --profile {}, twice (stripped, then with names)",
                guest::PACKAGE,
                guest::TARGET,
                guest::PROFILE
            ));
            let (verb, m) = if args.write {
                ("wrote", guest::write(&args.root)?)
            } else {
                ("rebuilt byte for byte", guest::check(&args.root)?)
            };
            spinner.finish_and_clear();
            println!(
                "{verb} {}: {} bytes, module root {}",
                guest::WASM_PATH,
                m.wasm_bytes,
                m.module_root
            );
        }
        Guest::Info => {
            let module = guest::module();
            println!("module       {}", guest::WASM_PATH);
            println!("bytes        {}", guest::WASM.len());
            println!("module root  {}", module.root);
            println!("functions    {}", module.bodies.len());
            println!("code depth   {}", module.code_depth);
            println!("memory depth {}", module.memory_depth);
        }
    }
    Ok(ExitCode::SUCCESS)
}
