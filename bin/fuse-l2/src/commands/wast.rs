//! `fuse-l2 wast`: runs WebAssembly spec-test scripts through the stepping machine, checked
//! against the wasmtime twin; with `--prove`, also proves every step and settles it with the
//! Rust verifier and the L1 one-step prover (in revm).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// Proves steps and settles them in both verifiers, counting disagreements.
struct Settler {
    evm: Evm,
    osp: Osp,
    inbox: Address,
    steps: u64,
    gas: u64,
    disagreements: Vec<String>,
}

impl Settler {
    fn new() -> anyhow::Result<Self> {
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
        })
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

/// Runs every file, prints one line per file and a total, fails if anything failed.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = collect(&args.paths)?;
    let mut total = FileReport::default();
    let mut settler = if args.prove {
        Some(Settler::new()?)
    } else {
        None
    };
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let mut twin = fuse_twin::Twin::new();
        let (mut r, proofs) = match settler.as_mut() {
            None => (spectest::run_wast(&text, Some(&mut twin)), String::new()),
            Some(st) => {
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
        println!(
            "{:<24} {} passed, {} failed, {} skipped{proofs}",
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
