//! One-step proof vectors (`test-vectors/osp/`, format in docs/spec/proof-format.md,
//! "Vectors"): for every opcode of the ISA, and for traps, boundaries, host calls and halted
//! machines, a proven step `{name, opcode, pre_hash, proof, post_hash, context}`; and
//! rejections (`rejections.json`): proofs the verifiers must refuse, each with the error its
//! case states.
//!
//! The vectors are generated from small programs ([`cases`]) by running the machine to the
//! chosen step and proving it; the Rust verifier checks every vector as it is written.
//! `fuse-l2 vectors osp` writes or checks them; `cargo test` and `forge test` replay them.

mod cases;
mod rejections;

use std::path::Path;
use std::sync::Arc;

use alloy_primitives::{B256, keccak256};
use anyhow::{Context as _, anyhow, bail};
use fuse_vm::isa::{OpClass, Opcode};
use fuse_vm::testing::programs::try_wat;
use fuse_vm::testing::steps::{Outcome, prove_step};
use fuse_vm::{GlobalState, Machine, MemoryHost, Status, inbox, load};
use serde::{Deserialize, Serialize};

pub use cases::cases;

/// The files of the vector set, by class, plus rejections.
pub const FILES: [&str; 5] = [
    "control.json",
    "math.json",
    "memory.json",
    "host.json",
    "rejections.json",
];

/// What a case proves: an occurrence of an opcode, or a step of the halted machine.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// The `n`th execution (from 0) of this opcode.
    Op(Opcode, usize),
    /// The step after the machine halted (it proves to itself).
    Halted,
}

/// A program and the step of it to prove.
#[derive(Clone, Debug)]
pub struct Case {
    /// The vector's name.
    pub name: String,
    /// The module, as WebAssembly text; it runs from its `fuse_entry`.
    pub wat: String,
    /// The inbox position of the block's global state.
    pub inbox_position: u64,
    /// Inbox messages from position 0.
    pub messages: Vec<Vec<u8>>,
    /// Preimages the host knows.
    pub preimages: Vec<Vec<u8>>,
    /// The step to prove.
    pub target: Target,
}

impl Case {
    /// A case with an empty inbox.
    pub fn new(name: impl Into<String>, wat: impl Into<String>, target: Target) -> Self {
        Case {
            name: name.into(),
            wat: wat.into(),
            inbox_position: 0,
            messages: Vec::new(),
            preimages: Vec::new(),
            target,
        }
    }
}

/// The L1 context a vector needs: the inbox accumulators, message 0 first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Accumulator after each message.
    pub inbox_accumulators: Vec<B256>,
}

/// One proven step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vector {
    /// What it shows.
    pub name: String,
    /// The opcode's mnemonic (docs/spec/isa.md), or `finished` / `errored` for a step of a
    /// halted machine.
    pub opcode: String,
    /// `ran`, `trapped`, `finished` or `halted`.
    pub outcome: String,
    /// The machine hash before.
    pub pre_hash: B256,
    /// The proof.
    pub proof: alloy_primitives::Bytes,
    /// The machine hash after.
    pub post_hash: B256,
    /// The L1 context.
    pub context: Context,
}

/// A proof both verifiers must reject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// What is wrong with it.
    pub name: String,
    /// The one precise change that makes it wrong, and why that change must cause `error`.
    pub change: String,
    /// The claimed pre-state hash.
    pub pre_hash: B256,
    /// The proof.
    pub proof: alloy_primitives::Bytes,
    /// The L1 context.
    pub context: Context,
    /// The rejection its case states (not one a verifier reported), as
    /// `fuse_verifier::VerifyError`'s `Debug` writes it; both verifiers must reject with it.
    pub error: String,
    /// The Solidity revert data of that custom error.
    pub revert_data: alloy_primitives::Bytes,
}

/// One file of vectors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorFile {
    /// Names the format.
    pub format: String,
    /// The vectors.
    pub vectors: Vec<Vector>,
}

/// The rejections file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionFile {
    /// Names the format.
    pub format: String,
    /// The rejections.
    pub rejections: Vec<Rejection>,
}

const FORMAT: &str = "fuse-l2 one-step proof vectors v1 (docs/spec/proof-format.md)";
/// Steps a case may take to reach its target.
const CASE_STEP_LIMIT: u64 = 1 << 20;

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Ran => "ran",
        Outcome::Trapped => "trapped",
        Outcome::Finished => "finished",
        Outcome::Halted => "halted",
    }
}

/// Runs a case to its target and proves that step (checked by the Rust verifier).
pub fn run_case(case: &Case) -> anyhow::Result<Vector> {
    let bytes = try_wat(&case.wat).map_err(|e| anyhow!("case {}: {e}", case.name))?;
    let module = Arc::new(load(&bytes).with_context(|| format!("case {}", case.name))?);
    let mut host = MemoryHost::default();
    for (i, m) in case.messages.iter().enumerate() {
        host.messages.insert(i as u64, m.clone());
    }
    for p in &case.preimages {
        host.preimages.insert(keccak256(p), p.clone());
    }
    let accs = inbox::accumulators(case.messages.iter().map(Vec::as_slice));
    let gs = GlobalState {
        inbox_position: case.inbox_position,
        ..GlobalState::default()
    };
    let mut m = Machine::new(module.clone(), gs);
    let mut seen = 0;
    loop {
        let running = m.status() == Status::Running;
        match case.target {
            Target::Op(op, nth)
                if running && module.code.get(m.pc() as usize).map(|i| i.op) == Some(op) =>
            {
                if seen == nth {
                    break;
                }
                seen += 1;
            }
            Target::Halted if !running => break,
            _ if !running => bail!("case {}: halted before its target", case.name),
            _ => {}
        }
        if m.steps() > CASE_STEP_LIMIT {
            bail!("case {}: target not reached", case.name);
        }
        m.step(&mut host)?;
    }
    let halted_status = match m.status() {
        Status::Finished => "finished",
        _ => "errored",
    };
    let s = prove_step(&mut m, &mut host, &accs)?;
    Ok(Vector {
        name: case.name.clone(),
        opcode: s.op.map_or(halted_status, |o| o.mnemonic()).to_string(),
        outcome: outcome_name(s.outcome).to_string(),
        pre_hash: s.pre,
        proof: s.proof.into(),
        post_hash: s.post,
        context: Context {
            inbox_accumulators: accs,
        },
    })
}

/// The class file a vector belongs in.
fn class_file(v: &Vector) -> &'static str {
    let class = Opcode::ALL
        .iter()
        .find(|o| o.mnemonic() == v.opcode)
        .map_or(OpClass::Control, |o| o.class());
    match class {
        OpClass::Control => "control.json",
        OpClass::Math => "math.json",
        OpClass::Memory => "memory.json",
        OpClass::Host => "host.json",
    }
}

/// Every vector file's name and text, generated from the code.
pub fn generate() -> anyhow::Result<Vec<(&'static str, String)>> {
    let vectors = cases()
        .iter()
        .map(run_case)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for file in &FILES[..4] {
        let f = VectorFile {
            format: FORMAT.to_string(),
            vectors: vectors
                .iter()
                .filter(|v| class_file(v) == *file)
                .cloned()
                .collect(),
        };
        out.push((*file, serde_json::to_string_pretty(&f)? + "\n"));
    }
    let r = RejectionFile {
        format: FORMAT.to_string(),
        rejections: rejections::rejections(&vectors)?,
    };
    out.push((FILES[4], serde_json::to_string_pretty(&r)? + "\n"));
    Ok(out)
}

/// Writes the vector files into `dir`.
pub fn write(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in generate()? {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// Fails naming every file in `dir` that differs from what the code generates.
pub fn check(dir: &Path) -> anyhow::Result<()> {
    let mut stale = Vec::new();
    for (name, text) in generate()? {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if on_disk != text {
            stale.push(name);
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "stale one-step proof vectors in {}: {} (regenerate with `fuse-l2 vectors osp --write`)",
            dir.display(),
            stale.join(", ")
        ))
    }
}

/// Reads a class file.
pub fn read_vectors(path: &Path) -> anyhow::Result<VectorFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// Reads the rejections file.
pub fn read_rejections(path: &Path) -> anyhow::Result<RejectionFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}
