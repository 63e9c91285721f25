//! Control and stack opcodes (mirrors `contracts/src/osp/ProverControl.sol`): branches,
//! calls and returns, locals, globals, constants, finish.

use alloy_primitives::B256;

use crate::hashing::frame_push;
use crate::machine::{Machine, STATUS_ERRORED, STATUS_FINISHED};
use crate::merkle::locals_depth;
use crate::merkle::{LeafProof, build_locals_root, leaf_slot, read_leaf_proof, with_leaf_slot};
use crate::proof::Decoder;
use crate::{VerifyContext, VerifyError};
use fuse_primitives::MAX_FRAMES;
use fuse_primitives::isa::{Instruction, Opcode as O};
use fuse_primitives::tags::{TAG_GLOBALS, TAG_LOCALS, TAG_TABLE};

/// The hash of an empty value stack, frame stack or locals tree.
const EMPTY: B256 = B256::ZERO;

/// A saved frame as its witness reveals it.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// The frames below it.
    pub prev: B256,
    /// Saved frames including this one.
    pub depth: u32,
    /// Where the caller resumes.
    pub return_pc: u32,
    /// The caller's value-stack hash.
    pub value_stack: B256,
    /// The caller's locals root.
    pub locals: B256,
}

/// Executes one control-class instruction. `mach.pc` already points past it.
pub fn execute_one_step(
    _ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    match inst.op {
        O::Unreachable => mach.status = STATUS_ERRORED,
        O::Drop => execute_drop(mach)?,
        O::Nip => execute_nip(mach)?,
        O::Select => execute_select(mach)?,
        O::Br => execute_br(mach, inst),
        O::BrIf | O::BrIfZero => execute_br_if(mach, inst)?,
        O::BrTable => execute_br_table(mach, inst)?,
        O::Call => execute_call(mach, inst, d)?,
        O::CallIndirect => execute_call_indirect(mach, inst, d)?,
        O::Return => execute_return(mach, inst, d)?,
        O::LocalGet => execute_local_get(mach, inst, d)?,
        O::LocalSet => execute_local_set(mach, inst, d)?,
        O::LocalTee => execute_local_tee(mach, inst, d)?,
        O::GlobalGet => execute_global_get(mach, inst, d)?,
        O::GlobalSet => execute_global_set(mach, inst, d)?,
        O::Const => execute_const(mach, inst),
        O::Finish => execute_finish(mach),
        op => unreachable!("{op:?} is not a control opcode"),
    }
    Ok(())
}

fn execute_drop(mach: &mut Machine) -> Result<(), VerifyError> {
    mach.stack.pop()?;
    Ok(())
}

fn execute_nip(mach: &mut Machine) -> Result<(), VerifyError> {
    let v = mach.stack.pop()?;
    mach.stack.pop()?;
    mach.stack.push(v);
    Ok(())
}

fn execute_select(mach: &mut Machine) -> Result<(), VerifyError> {
    let c = mach.stack.pop()?;
    let b = mach.stack.pop()?;
    let a = mach.stack.pop()?;
    mach.stack.push(if c as u32 != 0 { a } else { b });
    Ok(())
}

fn execute_br(mach: &mut Machine, inst: Instruction) {
    mach.pc = inst.a;
}

fn execute_br_if(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let c = mach.stack.pop_u32()? as u32;
    if (c != 0) == (inst.op == O::BrIf) {
        mach.pc = inst.a;
    }
    Ok(())
}

fn execute_br_table(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let i = mach.stack.pop_u32()?;
    mach.pc = inst.a.wrapping_add(i.min(inst.b) as u32);
    Ok(())
}

/// Reads the frame witness if there is a saved frame (`None` if `frames` is empty).
pub fn read_frame(mach: &Machine, d: &mut Decoder) -> Result<Option<Frame>, VerifyError> {
    if mach.frames == EMPTY {
        return Ok(None);
    }
    let f = Frame {
        prev: d.read_bytes32()?,
        depth: d.read_u32()?,
        return_pc: d.read_u32()?,
        value_stack: d.read_bytes32()?,
        locals: d.read_bytes32()?,
    };
    if frame_push(&f.prev, f.depth, f.return_pc, &f.value_stack, &f.locals) != mach.frames {
        return Err(VerifyError::BadFrame);
    }
    Ok(Some(f))
}

/// The shared part of `call` and `call_indirect`: the depth check, the params into the
/// callee's locals, the caller saved as a frame, an empty stack, the jump.
fn enter_function(
    mach: &mut Machine,
    d: &mut Decoder,
    entry_pc: u32,
    params: u32,
    locals_depth: u8,
) -> Result<(), VerifyError> {
    let saved = read_frame(mach, d)?.map_or(0, |f| f.depth);
    if saved as usize >= MAX_FRAMES {
        mach.status = STATUS_ERRORED;
        return Ok(());
    }
    let mut args = vec![0u64; params as usize];
    for slot in args.iter_mut().rev() {
        *slot = mach.stack.pop()?;
    }
    mach.frames = frame_push(
        &mach.frames,
        saved + 1,
        mach.pc,
        &mach.stack.hash(),
        &mach.locals,
    );
    mach.locals = build_locals_root(&args, locals_depth);
    mach.stack = Default::default();
    mach.pc = entry_pc;
    Ok(())
}

fn execute_call(mach: &mut Machine, inst: Instruction, d: &mut Decoder) -> Result<(), VerifyError> {
    enter_function(mach, d, inst.a, (inst.b >> 32) as u32, inst.depth)
}

fn execute_call_indirect(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let i = mach.stack.pop_u32()?;
    if i >= inst.b {
        mach.status = STATUS_ERRORED;
        return Ok(());
    }
    let leaf = read_leaf_proof(d, TAG_TABLE, inst.depth, i, mach.table_root)?.leaf;
    let field = |at: usize| u32::from_be_bytes(leaf[at..at + 4].try_into().unwrap());
    if leaf[0] == 0 || field(1) != inst.a {
        mach.status = STATUS_ERRORED;
        return Ok(());
    }
    let (entry_pc, params, num_locals) = (field(5), field(9), field(13));
    enter_function(mach, d, entry_pc, params, locals_depth(num_locals))
}

fn execute_return(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let result = if inst.a == 1 {
        Some(mach.stack.pop()?)
    } else {
        None
    };
    let Some(f) = read_frame(mach, d)? else {
        mach.status = STATUS_ERRORED;
        return Ok(());
    };
    mach.stack = crate::machine::ValueStack {
        rest: f.value_stack,
        values: result.into_iter().collect(),
    };
    mach.locals = f.locals;
    mach.frames = f.prev;
    mach.pc = f.return_pc;
    Ok(())
}

/// The leaf holding slot `inst.a` of the locals (or globals) tree, proven against `root`.
fn slot_proof(
    d: &mut Decoder,
    tag: u8,
    inst: Instruction,
    root: B256,
) -> Result<LeafProof, VerifyError> {
    read_leaf_proof(d, tag, inst.depth, (inst.a / 4) as u64, root)
}

fn execute_local_get(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let p = slot_proof(d, TAG_LOCALS, inst, mach.locals)?;
    mach.stack.push(leaf_slot(&p.leaf, (inst.a % 4) as usize));
    Ok(())
}

fn execute_local_set(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let v = mach.stack.pop()?;
    let p = slot_proof(d, TAG_LOCALS, inst, mach.locals)?;
    mach.locals = p.root_with(with_leaf_slot(&p.leaf, (inst.a % 4) as usize, v));
    Ok(())
}

fn execute_local_tee(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let v = mach.stack.pop()?;
    mach.stack.push(v);
    let p = slot_proof(d, TAG_LOCALS, inst, mach.locals)?;
    mach.locals = p.root_with(with_leaf_slot(&p.leaf, (inst.a % 4) as usize, v));
    Ok(())
}

fn execute_global_get(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let p = slot_proof(d, TAG_GLOBALS, inst, mach.globals_root)?;
    mach.stack.push(leaf_slot(&p.leaf, (inst.a % 4) as usize));
    Ok(())
}

fn execute_global_set(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let v = mach.stack.pop()?;
    let p = slot_proof(d, TAG_GLOBALS, inst, mach.globals_root)?;
    mach.globals_root = p.root_with(with_leaf_slot(&p.leaf, (inst.a % 4) as usize, v));
    Ok(())
}

fn execute_const(mach: &mut Machine, inst: Instruction) {
    mach.stack.push(inst.b);
}

fn execute_finish(mach: &mut Machine) {
    mach.status = STATUS_FINISHED;
}
