//! The machine as a proof reveals it: the header of docs/spec/proof-format.md, decoded and
//! hashed (mirrors `contracts/src/osp/MachineLib.sol`).

use alloy_primitives::B256;

use crate::VerifyError;
use crate::hashing::{
    finished_machine_hash, global_state_hash, machine_hash, module_hash, static_hash,
    value_stack_push, world_hash,
};
use crate::proof::Decoder;
use fuse_primitives::GlobalState;

pub use fuse_primitives::tags::{STATUS_ERRORED, STATUS_FINISHED, STATUS_RUNNING};

/// The top of the current frame's value stack: revealed values over the hash of the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueStack {
    /// The hash of the values below the revealed ones.
    pub rest: B256,
    /// The revealed values, deepest first.
    pub values: Vec<u64>,
}

impl ValueStack {
    /// Pops the top value; `StackUnderflow` if no revealed value is left.
    pub fn pop(&mut self) -> Result<u64, VerifyError> {
        self.values.pop().ok_or(VerifyError::StackUnderflow)
    }

    /// Pops an i32 argument (the low 32 bits of the slot), as a u64 for address arithmetic.
    pub fn pop_u32(&mut self) -> Result<u64, VerifyError> {
        Ok(self.pop()? as u32 as u64)
    }

    /// Pushes a value.
    pub fn push(&mut self, v: u64) {
        self.values.push(v);
    }

    /// The stack's hash: the revealed values pushed onto `rest`.
    pub fn hash(&self) -> B256 {
        self.values
            .iter()
            .fold(self.rest, |h, &v| value_stack_push(&h, v))
    }
}

/// A machine as the verifier sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    /// 0 running, 1 finished, 2 errored.
    pub status: u8,
    /// The rollup global state.
    pub gs: GlobalState,
    /// The next instruction.
    pub pc: u32,
    /// The current frame's value stack.
    pub stack: ValueStack,
    /// The current frame's locals root.
    pub locals: B256,
    /// The saved-frames hash.
    pub frames: B256,
    /// Root of the code tree.
    pub code_root: B256,
    /// Root of the table tree.
    pub table_root: B256,
    /// Depth of the code tree.
    pub code_depth: u8,
    /// Root of the globals tree.
    pub globals_root: B256,
    /// Root of the memory tree.
    pub memory_root: B256,
    /// Memory size in pages.
    pub memory_pages: u32,
}

/// Reads a header.
pub fn decode_machine(d: &mut Decoder) -> Result<Machine, VerifyError> {
    let status = d.read_u8()?;
    if status > STATUS_ERRORED {
        return Err(VerifyError::BadStatus(status));
    }
    let gs = GlobalState {
        state_root: d.read_bytes32()?,
        outbox_root: d.read_bytes32()?,
        inbox_position: d.read_u64()?,
        block_number: d.read_u64()?,
    };
    let mut m = Machine {
        status,
        gs,
        ..Machine::default()
    };
    if status == STATUS_FINISHED {
        return Ok(m);
    }
    m.pc = d.read_u32()?;
    let count = d.read_u16()?;
    m.stack.rest = d.read_bytes32()?;
    for _ in 0..count {
        let v = d.read_u64()?;
        m.stack.values.push(v);
    }
    m.locals = d.read_bytes32()?;
    m.frames = d.read_bytes32()?;
    m.code_root = d.read_bytes32()?;
    m.table_root = d.read_bytes32()?;
    m.code_depth = d.read_u8()?;
    m.globals_root = d.read_bytes32()?;
    m.memory_root = d.read_bytes32()?;
    m.memory_pages = d.read_u32()?;
    Ok(m)
}

/// The module hash of the machine's module part.
pub fn hash_module(m: &Machine) -> B256 {
    module_hash(
        static_hash(m.code_root, m.table_root, m.code_depth),
        m.globals_root,
        m.memory_root,
        m.memory_pages,
    )
}

/// The machine hash (docs/spec/machine-hash.md).
pub fn hash_machine(m: &Machine) -> B256 {
    let gs_hash = global_state_hash(&m.gs);
    if m.status == STATUS_FINISHED {
        return finished_machine_hash(gs_hash);
    }
    machine_hash(
        m.status,
        m.pc,
        m.stack.hash(),
        m.locals,
        m.frames,
        world_hash(hash_module(m), gs_hash),
    )
}

/// Writes a header (the inverse of [`decode_machine`]): for building proofs of crafted
/// states in tests and vectors.
pub fn encode_machine(m: &Machine) -> Vec<u8> {
    let mut out = vec![m.status];
    out.extend_from_slice(m.gs.state_root.as_slice());
    out.extend_from_slice(m.gs.outbox_root.as_slice());
    out.extend_from_slice(&m.gs.inbox_position.to_be_bytes());
    out.extend_from_slice(&m.gs.block_number.to_be_bytes());
    if m.status == STATUS_FINISHED {
        return out;
    }
    out.extend_from_slice(&m.pc.to_be_bytes());
    out.extend_from_slice(&(m.stack.values.len() as u16).to_be_bytes());
    out.extend_from_slice(m.stack.rest.as_slice());
    for v in &m.stack.values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    for h in [m.locals, m.frames, m.code_root, m.table_root] {
        out.extend_from_slice(h.as_slice());
    }
    out.push(m.code_depth);
    out.extend_from_slice(m.globals_root.as_slice());
    out.extend_from_slice(m.memory_root.as_slice());
    out.extend_from_slice(&m.memory_pages.to_be_bytes());
    out
}
