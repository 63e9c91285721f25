//! Loads, stores, `memory.size` and `memory.grow` (mirrors
//! `contracts/src/osp/ProverMemory.sol`).

use crate::machine::{Machine, STATUS_ERRORED};
use crate::memory_lib::{load, memory_bytes, store};
use crate::proof::Decoder;
use crate::{VerifyContext, VerifyError};
use fuse_primitives::isa::{Instruction, Opcode as O};

/// Executes one memory-class instruction.
pub fn execute_one_step(
    _ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    match inst.op {
        O::MemorySize => execute_memory_size(mach),
        O::MemoryGrow => execute_memory_grow(mach, inst)?,
        op if op.is_store() => execute_store(mach, inst, d)?,
        _ => execute_load(mach, inst, d)?,
    }
    Ok(())
}

/// `addr (u32) + offset` if `size` bytes there lie inside memory; `None` traps.
pub fn effective_address(mach: &Machine, addr: u64, offset: u32, size: u64) -> Option<u64> {
    let ea = (addr as u32 as u64) + offset as u64;
    (ea + size <= memory_bytes(mach.memory_pages)).then_some(ea)
}

fn execute_load(mach: &mut Machine, inst: Instruction, d: &mut Decoder) -> Result<(), VerifyError> {
    let size = access_size(inst.op) as u64;
    let addr = mach.stack.pop()?;
    let Some(ea) = effective_address(mach, addr, inst.a, size) else {
        mach.status = STATUS_ERRORED;
        return Ok(());
    };
    let v = load(d, mach, inst.depth, ea, size)?;
    mach.stack.push(match inst.op {
        O::I32Load8S => v as u8 as i8 as i32 as u32 as u64,
        O::I32Load16S => v as u16 as i16 as i32 as u32 as u64,
        O::I64Load8S => v as u8 as i8 as i64 as u64,
        O::I64Load16S => v as u16 as i16 as i64 as u64,
        O::I64Load32S => v as u32 as i32 as i64 as u64,
        _ => v,
    });
    Ok(())
}

fn execute_store(
    mach: &mut Machine,
    inst: Instruction,
    d: &mut Decoder,
) -> Result<(), VerifyError> {
    let size = access_size(inst.op) as u64;
    let value = mach.stack.pop()?;
    let addr = mach.stack.pop()?;
    let Some(ea) = effective_address(mach, addr, inst.a, size) else {
        mach.status = STATUS_ERRORED;
        return Ok(());
    };
    store(
        d,
        mach,
        inst.depth,
        ea,
        &value.to_le_bytes()[..size as usize],
    )
}

fn execute_memory_size(mach: &mut Machine) {
    mach.stack.push(mach.memory_pages as u64);
}

fn execute_memory_grow(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let delta = mach.stack.pop_u32()?;
    let old = mach.memory_pages as u64;
    if old + delta > inst.a as u64 {
        mach.stack.push(u32::MAX as u64);
    } else {
        mach.stack.push(old);
        mach.memory_pages = (old + delta) as u32;
    }
    Ok(())
}

/// Bytes a load or store moves.
fn access_size(op: O) -> usize {
    match op {
        O::I32Load8S | O::I32Load8U | O::I64Load8S | O::I64Load8U | O::I32Store8 | O::I64Store8 => {
            1
        }
        O::I32Load16S
        | O::I32Load16U
        | O::I64Load16S
        | O::I64Load16U
        | O::I32Store16
        | O::I64Store16 => 2,
        O::I32Load | O::I64Load32S | O::I64Load32U | O::I32Store | O::I64Store32 => 4,
        O::I64Load | O::I64Store => 8,
        _ => unreachable!("{op:?} is not a load or store"),
    }
}
