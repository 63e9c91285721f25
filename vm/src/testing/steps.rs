//! Proven stepping: run a machine one instruction at a time, prove every step, and check
//! that the Rust verifier computes the machine's own post-state hash. The differential suites
//! (Rust verifier here, the Solidity one-step prover in `fuse-contracts`) are built on it.

use alloy_primitives::B256;

use crate::isa::Opcode;
use crate::{Host, HostError, Machine, Status};
use fuse_verifier::{VerifyContext, verify};

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The machine runs on.
    Ran,
    /// The step trapped.
    Trapped,
    /// The step finished the machine.
    Finished,
    /// The machine was halted before the step (it proves to itself).
    Halted,
}

/// One proven step.
#[derive(Clone, Debug)]
pub struct ProvenStep {
    /// The instruction, if the machine was running at a pc inside its code.
    pub op: Option<Opcode>,
    /// How the step ended.
    pub outcome: Outcome,
    /// The machine hash before.
    pub pre: B256,
    /// The proof.
    pub proof: Vec<u8>,
    /// The machine hash after.
    pub post: B256,
}

/// Proves the machine's next step, takes it, and checks the Rust verifier against the
/// machine's new hash (panicking with the details if they differ: this is test support).
pub fn prove_step<H: Host>(
    m: &mut Machine,
    host: &mut H,
    ctx: &dyn VerifyContext,
) -> Result<ProvenStep, HostError> {
    let was_running = m.status() == Status::Running;
    let op = m.module().code.get(m.pc() as usize).map(|i| i.op);
    let pre = m.hash();
    let proof = m.prove(host)?;
    m.step(host)?;
    let post = m.hash();
    let outcome = match (was_running, m.status()) {
        (false, _) => Outcome::Halted,
        (true, Status::Running) => Outcome::Ran,
        (true, Status::Finished) => Outcome::Finished,
        (true, Status::Errored(_)) => Outcome::Trapped,
    };
    let verified = verify(pre, &proof, ctx);
    assert_eq!(
        verified,
        Ok(post),
        "verifier disagrees with the machine on {op:?} ({outcome:?}) at pc {}; proof 0x{}",
        m.pc(),
        alloy_primitives::hex::encode(&proof)
    );
    Ok(ProvenStep {
        op: if was_running { op } else { None },
        outcome,
        pre,
        proof,
        post,
    })
}

/// Steps `m` until it halts or `limit` steps ran, proving every step (and one more step of the
/// halted machine, which must prove to itself). `record` sees every proven step. Returns the
/// steps executed, like [`Machine::run`].
pub fn prove_steps<H: Host>(
    m: &mut Machine,
    host: &mut H,
    ctx: &dyn VerifyContext,
    limit: u64,
    record: &mut dyn FnMut(ProvenStep),
) -> Result<u64, HostError> {
    let mut n = 0;
    while n < limit && m.status() == Status::Running {
        record(prove_step(m, host, ctx)?);
        n += 1;
    }
    if m.status() != Status::Running {
        record(prove_step(m, host, ctx)?);
    }
    Ok(n)
}
