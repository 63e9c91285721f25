//! `fuse-l2 wast`: runs WebAssembly spec-test scripts through the stepping machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use fuse_vm::spectest::{self, FileReport};

/// Arguments of `fuse-l2 wast`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `.wast` files, or folders to search for them (not recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also print every failure (always on for files that fail).
    #[arg(long)]
    pub verbose: bool,
}

fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "wast"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            bail!("{} is neither a file nor a folder", p.display());
        }
    }
    if files.is_empty() {
        bail!("no .wast files found");
    }
    Ok(files)
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs every file, prints one line per file and a total, fails if anything failed.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = collect(&args.paths)?;
    let mut total = FileReport::default();
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let r =
            spectest::run_wast::<fuse_vm::twin::Twin>(&text, Some(&mut fuse_vm::twin::Twin::new()));
        println!(
            "{:<24} {} passed, {} failed, {} skipped",
            name(f),
            r.passed,
            r.failed,
            r.skipped
        );
        if r.failed > 0 || args.verbose {
            for msg in &r.failures {
                println!("    FAIL {msg}");
            }
        }
        if args.verbose {
            for (reason, n) in &r.skip_reasons {
                println!("    skip {n:>5} × {reason}");
            }
        }
        total.passed += r.passed;
        total.failed += r.failed;
        total.skipped += r.skipped;
        for (reason, n) in r.skip_reasons {
            *total.skip_reasons.entry(reason).or_default() += n;
        }
    }
    println!("skip reasons:");
    for (reason, n) in &total.skip_reasons {
        println!("    {n:>5} × {reason}");
    }
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    Ok(if total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
