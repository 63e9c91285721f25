//! One-step proofs: everything a verifier that knows only the machine hash needs to compute
//! the hash one step later (docs/spec/proof-format.md).
//!
//! [`Machine::prove`] writes the header (the machine's parts, with the values the instruction
//! pops revealed), the instruction with its path into the code tree, and the witness of the
//! instruction's class: [`control`] (frames, locals, globals, table), [`memory`] (memory
//! leaves) and [`host`] (inbox chunks, preimages, precompile inputs). Math instructions need
//! nothing beyond the header. [`crate::verify`] reads what this writes.

pub mod control;
pub mod host;
pub mod memory;

use alloy_primitives::B256;

use crate::error::HostError;
use crate::host::Host;
use crate::isa::{Instruction, OpClass};
use crate::machine::{Machine, Status};
use crate::{GlobalState, merkle};

/// Builds a proof, big-endian, in the order the verifier reads it.
#[derive(Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    /// A big-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian u64.
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// 32 bytes.
    pub fn bytes32(&mut self, v: &B256) {
        self.out.extend_from_slice(v.as_slice());
    }

    /// Raw bytes.
    pub fn bytes(&mut self, v: &[u8]) {
        self.out.extend_from_slice(v);
    }

    /// A leaf proof: the leaf, then its siblings bottom-up.
    pub fn leaf_proof(&mut self, leaf: &B256, siblings: &[B256]) {
        self.bytes32(leaf);
        for s in siblings {
            self.bytes32(s);
        }
    }

    /// The proof.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

fn write_global_state(w: &mut Writer, gs: &GlobalState) {
    w.bytes32(&gs.state_root);
    w.bytes32(&gs.outbox_root);
    w.u64(gs.inbox_position);
    w.u64(gs.block_number);
}

impl Machine {
    /// A one-step proof of the machine's next step (docs/spec/proof-format.md). The host
    /// supplies what a host call reads (the inbox message and its predecessor's accumulator,
    /// preimages); input it cannot supply is an error, as for [`Machine::step`].
    pub fn prove<H: Host>(&mut self, host: &mut H) -> Result<Vec<u8>, HostError> {
        // Brings every cache up to date, so trees and stack hashes can be read off them.
        self.hash();
        let mut w = Writer::default();
        let status = match self.status {
            Status::Running => 0,
            Status::Finished => 1,
            Status::Errored(_) => 2,
        };
        w.u8(status);
        write_global_state(&mut w, &self.gs);
        if self.status == Status::Finished {
            return Ok(w.into_bytes());
        }
        let code_depth = self.module.code_depth;
        let in_code = code_depth >= 32 || self.pc >> code_depth == 0;
        let ins = (self.status == Status::Running && in_code).then(|| self.instruction_at_pc());
        self.write_header(&mut w, ins);
        let Some(ins) = ins else {
            return Ok(w.into_bytes());
        };
        let code = &self.module.proof_trees().code;
        w.leaf_proof(&B256::from(ins.leaf()), &code.path(self.pc as usize));
        match ins.op.class() {
            OpClass::Control => control::witness(self, ins, &mut w),
            OpClass::Math => {}
            OpClass::Memory => memory::witness(self, ins, &mut w),
            OpClass::Host => host::witness(self, ins, host, &mut w)?,
        }
        Ok(w.into_bytes())
    }

    /// The instruction at pc; past the module's code the code tree holds zero leaves, which
    /// decode to `unreachable`.
    fn instruction_at_pc(&self) -> Instruction {
        let leaf = self.module.proof_trees().code.leaf(self.pc as usize);
        Instruction::from_leaf(&leaf.0).expect("the code tree holds only valid leaves")
    }

    /// Everything after the global state: pc, the stack with the popped values revealed,
    /// locals, frames and the module's parts.
    fn write_header(&self, w: &mut Writer, ins: Option<Instruction>) {
        w.u32(self.pc);
        let base = self.stack_base as usize;
        let height = self.values.len() - base;
        let reveal = ins.map_or(0, |i| pops(self, i)).min(height);
        let split = self.values.len() - reveal;
        w.u16(reveal as u16);
        w.bytes32(&self.cache.stack_prefix(base, split));
        for &v in &self.values[split..] {
            w.u64(v);
        }
        w.bytes32(&self.locals_root());
        let frames = match self.frames.len() {
            0 => crate::hash::EMPTY,
            n => self.cache.frame_hash(n - 1),
        };
        w.bytes32(&frames);
        let trees = self.module.proof_trees();
        w.bytes32(&trees.code.clean_root().expect("built clean"));
        w.bytes32(&trees.table.clean_root().expect("built clean"));
        w.u8(self.module.code_depth);
        w.bytes32(&clean_root(self.cache.globals_tree()));
        w.bytes32(&clean_root(self.cache.memory_tree()));
        w.u32(self.memory_pages());
    }

    /// The current frame's locals root.
    pub(crate) fn locals_root(&self) -> B256 {
        clean_root(self.cache.locals_tree(self.frames.len()))
    }
}

fn clean_root(t: &merkle::Tree) -> B256 {
    t.clean_root().expect("hash() left every tree clean")
}

/// How many values `ins` pops (what the header reveals).
fn pops(m: &Machine, ins: Instruction) -> usize {
    use crate::isa::Opcode as O;
    match ins.op.class() {
        OpClass::Control => control::pops(m, ins),
        OpClass::Math => {
            if ins.op.is_unary_math() {
                1
            } else {
                2
            }
        }
        OpClass::Memory => match ins.op {
            O::MemorySize => 0,
            O::MemoryGrow => 1,
            op if op.is_store() => 2,
            _ => 1,
        },
        OpClass::Host => host::pops(ins.op),
    }
}
