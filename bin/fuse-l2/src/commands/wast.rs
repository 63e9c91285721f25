//! `fuse-l2 wast`: runs WebAssembly spec-test scripts through the stepping machine, checked
//! against the wasmtime twin; with `--prove`, also proves every step and settles it with the
//! Rust verifier and the L1 one-step prover (in revm).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::progress::ProgressBar;
use alloy_primitives::{Address, B256};
use anyhow::{Context, bail};
use fuse_contracts::evm::Evm;
use fuse_contracts::osp::Osp;
use fuse_verifier::verify;
use fuse_vm::spectest::{self, FileReport};
use fuse_vm::{HostError, Machine, MemoryHost, Status};

/// Arguments of `fuse-l2 wast`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `.wast` files, or folders to search for them (not recursively).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Also print every failure (always on for files that fail).
    #[arg(long)]
    pub(crate) verbose: bool,
    /// Prove every step the machine takes and check the proof with the Rust verifier and
    /// the Solidity one-step prover on an in-process EVM: both must give the machine's own
    /// next hash.
    #[arg(long)]
    pub(crate) prove: bool,
}

/// Proven steps between two updates of the bar's message: often enough to see it move,
/// seldom enough to cost nothing beside a proof.
const STEPS_PER_UPDATE: u64 = 256;

/// Proves steps and settles them in both verifiers, counting disagreements.
struct Settler {
    evm: Evm,
    osp: Osp,
    inbox: Address,
    steps: u64,
    gas: u64,
    disagreements: Vec<String>,
    /// The files' bar, and the file and its first step, for the count of steps proven.
    bar: ProgressBar,
    file: String,
    file_start: u64,
}

impl Settler {
    fn new(bar: ProgressBar) -> anyhow::Result<Self> {
        let mut evm = Evm::new();
        let osp = Osp::deploy(&mut evm).context("deploying the one-step prover")?;
        let inbox = Osp::inbox(&mut evm, &[])?;
        Ok(Settler {
            evm,
            osp,
            inbox,
            steps: 0,
            gas: 0,
            disagreements: Vec::new(),
            bar,
            file: String::new(),
            file_start: 0,
        })
    }

    /// Starts counting the steps of `file`.
    fn start_file(&mut self, file: String) {
        self.bar.set_message(file.clone());
        self.file = file;
        self.file_start = self.steps;
    }

    /// `Machine::run`, one proven step at a time.
    fn run(
        &mut self,
        m: &mut Machine,
        host: &mut MemoryHost,
        limit: u64,
    ) -> Result<u64, HostError> {
        let mut n = 0;
        while n < limit && m.status() == Status::Running {
            let pc = m.pc();
            let pre = m.hash();
            let proof = m.prove(host)?;
            m.step(host)?;
            let post = m.hash();
            let rust = verify(pre, &proof, &Vec::<B256>::new());
            let l1 = self
                .osp
                .prove_one_step(&mut self.evm, self.inbox, pre, &proof)
                .map_err(|e| HostError::Other(format!("L1 call failed: {e}")))?;
            if rust != Ok(post) || l1.post != Ok(post) {
                self.disagreements.push(format!(
                    "step at pc {pc}: machine {post}, Rust verifier {rust:?}, L1 {:?}",
                    l1.post
                ));
            }
            self.steps += 1;
            self.gas += l1.gas_used;
            n += 1;
            if self.steps.is_multiple_of(STEPS_PER_UPDATE) {
                self.bar.set_message(format!(
                    "{}: {} steps proven",
                    self.file,
                    self.steps - self.file_start
                ));
            }
        }
        Ok(n)
    }
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

/// The line of one file, and its failures and skips as asked.
fn print_file(f: &Path, r: &FileReport, proofs: &str, verbose: bool) {
    println!(
        "{:<24} {} passed, {} failed, {} skipped{proofs}",
        name(f),
        r.passed,
        r.failed,
        r.skipped
    );
    if r.failed > 0 || verbose {
        for msg in &r.failures {
            println!("    FAIL {msg}");
        }
    }
    if verbose {
        for (reason, n) in &r.skip_reasons {
            println!("    skip {n:>5} × {reason}");
        }
    }
}

/// Runs every file, prints one line per file and a total, fails if anything failed.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = collect(&args.paths)?;
    let mut total = FileReport::default();
    let bar = crate::progress::steps(files.len() as u64, "wast");
    let mut settler = if args.prove {
        Some(Settler::new(bar.clone())?)
    } else {
        None
    };
    for f in &files {
        bar.set_message(name(f));
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let mut twin = fuse_twin::Twin::new();
        let (mut r, proofs) = match settler.as_mut() {
            None => (spectest::run_wast(&text, Some(&mut twin)), String::new()),
            Some(st) => {
                st.start_file(name(f));
                let (before, bad) = (st.steps, st.disagreements.len());
                let mut exec = |m: &mut Machine, h: &mut MemoryHost, n: u64| st.run(m, h, n);
                let mut r = spectest::run_wast_with(&text, Some(&mut twin), &mut exec);
                for d in st.disagreements.drain(bad..) {
                    r.failed += 1;
                    r.failures.push(format!("proof disagrees: {d}"));
                }
                (
                    r,
                    format!(", {} steps proven and settled", st.steps - before),
                )
            }
        };
        r.failures.sort();
        bar.suspend(|| print_file(f, &r, &proofs, args.verbose));
        bar.inc(1);
        total.passed += r.passed;
        total.failed += r.failed;
        total.skipped += r.skipped;
        for (reason, n) in r.skip_reasons {
            *total.skip_reasons.entry(reason).or_default() += n;
        }
    }
    bar.finish_and_clear();
    println!("skip reasons:");
    for (reason, n) in &total.skip_reasons {
        println!("    {n:>5} × {reason}");
    }
    if let Some(st) = &settler {
        println!(
            "{} steps proven; every proof checked by the Rust verifier and the L1 one-step prover \
             (revm, {}), {} L1 gas in all",
            st.steps,
            fuse_contracts::EVM_FORK,
            st.gas
        );
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
