//! fuse-verifier — the one-step verifier: from a machine hash and a proof, the machine hash
//! one step later (docs/spec/proof-format.md).
//!
//! It is the Rust mirror of the Solidity one-step prover (`contracts/src/osp/`), function for
//! function and with the same names: [`verify`] is `OneStepProver.proveOneStep`; [`control`],
//! [`math`], [`memory`] and [`host`] are `ProverControl`, `ProverMath`, `ProverMemory` and
//! `ProverHost`; [`machine`] is `MachineLib`, [`merkle`] `MerkleLib`, [`memory_lib`]
//! `MemoryLib`, [`hashing`] `Hashing`, [`inbox`] `InboxAccumulator`, [`proof`] `Decoder`.
//! What both sides share as data is not mirrored but generated: [`solidity`] renders
//! `Opcodes.sol`, `Constants.sol` and `Errors.sol` from the ISA, the tags and limits, and
//! [`VerifyError`] (docs/spec/isa.md, "Adding an opcode").
//!
//! [`explain`] is [`verify`] keeping what the proof revealed on the way (the header, the
//! instruction, the machine after the step, every tree path); it has no Solidity twin, as only
//! readers of a proof (the step debugger, the dispute viewer) use it.
//!
//! It may depend on `fuse-primitives` (the ISA, tags, global state and limits) and on no
//! machine code: not on `fuse-vm`, which it checks. Its hashing, trees and math are written
//! here from the specs, so a bug in the machine shows up as a machine-versus-verifier
//! disagreement in the tests rather than being shared by both. The manifest, not a comment,
//! keeps it so (a workspace test checks the dependency graph).
#![forbid(unsafe_code)]

pub mod control;
pub mod hashing;
pub mod host;
pub mod inbox;
pub mod machine;
pub mod math;
pub mod memory;
pub mod memory_lib;
pub mod merkle;
pub mod proof;
pub mod solidity;

use alloy_primitives::{B256, Bytes, U256};
use fuse_primitives::isa::{Instruction, OpClass, Opcode};
use fuse_primitives::tags::TAG_CODE;
use thiserror::Error;

use hashing::{finished_machine_hash, global_state_hash};
use machine::{
    Machine, STATUS_ERRORED, STATUS_FINISHED, STATUS_RUNNING, decode_machine, hash_machine,
};
use proof::Decoder;

/// Declares [`VerifyError`] and its Solidity side from one list, so each error's name, doc
/// comment and argument (name and type) are written once: `contracts/src/osp/Errors.sol` is
/// generated from them ([`solidity`]), and [`VerifyError::revert_data`] encodes them.
macro_rules! verify_errors {
    (@param) => { None };
    (@param $arg:ident $ty:ty) => {
        Some(solidity::SolidityParam {
            name: stringify!($arg),
            ty: <$ty as solidity::SolidityType>::NAME,
        })
    };
    (@value) => { None };
    (@value $arg:ident) => { Some(u64::from(*$arg)) };
    ($(
        $(#[doc = $doc:literal])+
        #[error($msg:tt)]
        $name:ident $(($arg:ident: $ty:ty))?,
    )*) => {
        /// Why a proof was rejected; each is a custom error of the same name in Solidity
        /// (`contracts/src/osp/Errors.sol`, generated from this list).
        #[derive(Clone, Debug, PartialEq, Eq, Error)]
        pub enum VerifyError {
            $($(#[doc = $doc])+ #[error($msg)] $name $(($ty))?,)*
        }

        impl VerifyError {
            /// The Solidity custom error of every variant, in declaration order.
            pub const SOLIDITY: &'static [solidity::SolidityError] = &[$(
                solidity::SolidityError {
                    name: stringify!($name),
                    param: verify_errors!(@param $($arg $ty)?),
                    doc: &[$($doc),+],
                },
            )*];

            /// Its custom error's name.
            pub fn solidity_name(&self) -> &'static str {
                match self {
                    $(Self::$name { .. } => stringify!($name),)*
                }
            }

            /// Its custom error's argument, if it has one.
            pub fn solidity_arg(&self) -> Option<u64> {
                match self {
                    $(Self::$name $(($arg))? => verify_errors!(@value $($arg)?),)*
                }
            }
        }
    };
}

verify_errors! {
    /// A read ran past the end of the proof.
    #[error("proof truncated")]
    ProofTruncated,
    /// Bytes were left after the step's witness.
    #[error("trailing bytes after the proof")]
    TrailingBytes,
    /// The header's status byte is not 0, 1 or 2.
    #[error("bad status byte {0}")]
    BadStatus(status: u8),
    /// The header does not hash to the pre-state hash.
    #[error("the proof is not of the pre-state")]
    WrongPreState,
    /// A leaf and its siblings do not give the root they must; `tag` names the tree.
    #[error("bad Merkle proof in the tree tagged {0:#04x}")]
    BadMerkleProof(tag: u8),
    /// The instruction leaf holds no opcode of docs/spec/isa.md.
    #[error("unknown opcode {0:#06x}")]
    UnknownOpcode(op: u16),
    /// The instruction leaf has non-zero padding.
    #[error("malformed instruction leaf")]
    BadInstruction,
    /// The instruction pops more values than the proof revealed.
    #[error("stack underflow: too few values revealed")]
    StackUnderflow,
    /// The frame witness does not hash to the header's `frames`.
    #[error("frame witness does not match")]
    BadFrame,
    /// A preimage is longer than 256 bytes or does not hash to the requested hash.
    #[error("bad preimage")]
    BadPreimage,
    /// The inbox has no message at the position the machine reads.
    #[error("inbox message {0} is missing")]
    InboxMessageMissing(position: u64),
}

impl VerifyError {
    /// Its Solidity custom error in [`VerifyError::SOLIDITY`].
    pub fn solidity_error(&self) -> &'static solidity::SolidityError {
        let name = self.solidity_name();
        Self::SOLIDITY
            .iter()
            .find(|e| e.name == name)
            .expect("every variant is in the table")
    }

    /// The revert data of its Solidity custom error: the selector, then the argument as one
    /// ABI word if it has one.
    pub fn revert_data(&self) -> Bytes {
        let mut out = self.solidity_error().selector().to_vec();
        if let Some(arg) = self.solidity_arg() {
            out.extend_from_slice(&U256::from(arg).to_be_bytes::<32>());
        }
        out.into()
    }
}

/// What the verifier reads from L1: the inbox accumulators (docs/spec/inbox.md).
pub trait VerifyContext {
    /// The accumulator after message `position`; `None` if the inbox has no such message.
    fn inbox_accumulator(&self, position: u64) -> Option<B256>;
}

/// Accumulators of an inbox, message 0 first.
impl VerifyContext for [B256] {
    fn inbox_accumulator(&self, position: u64) -> Option<B256> {
        usize::try_from(position)
            .ok()
            .and_then(|p| self.get(p))
            .copied()
    }
}

impl VerifyContext for Vec<B256> {
    fn inbox_accumulator(&self, position: u64) -> Option<B256> {
        self.as_slice().inbox_accumulator(position)
    }
}

/// The machine hash after one step from `pre_hash`, as `proof` shows it, or why the proof
/// is rejected. Mirrors `OneStepProver.proveOneStep`.
pub fn verify(
    pre_hash: B256,
    proof: &[u8],
    context: &dyn VerifyContext,
) -> Result<B256, VerifyError> {
    explain(pre_hash, proof, context).map(|e| e.post_hash)
}

/// What a proof showed, for its readers (the step debugger, the dispute viewer): [`verify`]'s
/// result with what it decoded and checked on the way.
#[derive(Clone, Debug)]
pub struct Explained {
    /// The machine the header reveals (it hashes to the pre-state).
    pub pre: Machine,
    /// Bytes of the header.
    pub header_bytes: usize,
    /// The instruction at `pre.pc` (`None` when the machine was not running or its pc was
    /// past the code).
    pub instruction: Option<Instruction>,
    /// Bytes of the instruction's leaf and its path into the code tree.
    pub instruction_bytes: usize,
    /// The machine after the step as the verifier computed it: `None` when the machine was
    /// not running or its pc was past the code; for a trap, the pre-state with the errored
    /// status (a trap changes nothing else, whatever the instruction had popped).
    pub post: Option<Machine>,
    /// Every tree path the proof carried, the instruction's first, in order.
    pub paths: Vec<proof::PathRead>,
    /// The machine hash after the step.
    pub post_hash: B256,
}

/// [`verify`], keeping what the proof revealed: the pre-state, the instruction, the machine
/// after the step and the tree paths. The one code path both share is this one.
pub fn explain(
    pre_hash: B256,
    proof: &[u8],
    context: &dyn VerifyContext,
) -> Result<Explained, VerifyError> {
    let mut d = Decoder::new(proof);
    let pre = decode_machine(&mut d)?;
    let header_bytes = d.position();
    if hash_machine(&pre) != pre_hash {
        return Err(VerifyError::WrongPreState);
    }
    let unchanged = |d: &Decoder, pre: Machine, post_hash| Explained {
        pre,
        header_bytes,
        instruction: None,
        instruction_bytes: 0,
        post: None,
        paths: d.paths().to_vec(),
        post_hash,
    };
    if pre.status != STATUS_RUNNING {
        d.finish()?;
        return Ok(unchanged(&d, pre, pre_hash));
    }
    if pre.code_depth < 32 && pre.pc >> pre.code_depth != 0 {
        d.finish()?;
        let errored = errored_hash(&pre);
        return Ok(unchanged(&d, pre, errored));
    }
    let inst = read_instruction(&mut d, &pre)?;
    let instruction_bytes = d.position() - header_bytes;
    let mut mach = pre.clone();
    mach.pc = mach.pc.wrapping_add(1);
    match inst.op.class() {
        OpClass::Control => control::execute_one_step(context, &mut mach, inst, &mut d)?,
        OpClass::Math => math::execute_one_step(context, &mut mach, inst, &mut d)?,
        OpClass::Memory => memory::execute_one_step(context, &mut mach, inst, &mut d)?,
        OpClass::Host => host::execute_one_step(context, &mut mach, inst, &mut d)?,
    }
    d.finish()?;
    let post_hash = match mach.status {
        STATUS_ERRORED => {
            mach = pre.clone();
            mach.status = STATUS_ERRORED;
            hash_machine(&mach)
        }
        STATUS_FINISHED => finished_machine_hash(global_state_hash(&mach.gs)),
        _ => hash_machine(&mach),
    };
    Ok(Explained {
        pre,
        header_bytes,
        instruction: Some(inst),
        instruction_bytes,
        post: Some(mach),
        paths: d.paths().to_vec(),
        post_hash,
    })
}

/// A trap changes nothing but the status.
fn errored_hash(pre: &Machine) -> B256 {
    let mut m = pre.clone();
    m.status = STATUS_ERRORED;
    hash_machine(&m)
}

/// Reads the instruction at pc and its path into the code tree.
fn read_instruction(d: &mut Decoder, m: &Machine) -> Result<Instruction, VerifyError> {
    let p = merkle::read_leaf_proof(d, TAG_CODE, m.code_depth, m.pc as u64, m.code_root)?;
    decode_instruction(&p.leaf.0)
}

/// Decodes a code leaf: `op (u16) ‖ depth ‖ 0 ‖ a (u32) ‖ b (u64) ‖ 16 zero bytes`.
pub fn decode_instruction(leaf: &[u8; 32]) -> Result<Instruction, VerifyError> {
    if leaf[3] != 0 || leaf[16..].iter().any(|&b| b != 0) {
        return Err(VerifyError::BadInstruction);
    }
    let op = u16::from_be_bytes([leaf[0], leaf[1]]);
    Ok(Instruction {
        op: Opcode::from_u16(op).ok_or(VerifyError::UnknownOpcode(op))?,
        depth: leaf[2],
        a: u32::from_be_bytes(leaf[4..8].try_into().unwrap()),
        b: u64::from_be_bytes(leaf[8..16].try_into().unwrap()),
    })
}
