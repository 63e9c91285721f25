//! Integer math (mirrors `contracts/src/osp/ProverMath.sol`): unary and binary operations on
//! the top of the stack; division traps.
//!
//! The operations themselves are the machine's (`step::math`): plain integer functions with
//! no state. The Solidity mirror reimplements them, and the differential tests compare it
//! with these.

use super::machine::{Machine, STATUS_ERRORED};
use super::proof::Decoder;
use super::{VerifyContext, VerifyError};
use crate::error::Trap;
use crate::isa::{Instruction, Opcode};
use crate::step::math;

/// Executes one math-class instruction.
pub fn execute_one_step(
    _ctx: &dyn VerifyContext,
    mach: &mut Machine,
    inst: Instruction,
    _d: &mut Decoder,
) -> Result<(), VerifyError> {
    if is_unary(inst.op) {
        execute_unary(mach, inst)
    } else {
        execute_binary(mach, inst)
    }
}

/// Whether a math opcode takes one operand.
pub fn is_unary(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        I32Eqz
            | I64Eqz
            | I32Clz
            | I32Ctz
            | I32Popcnt
            | I64Clz
            | I64Ctz
            | I64Popcnt
            | I32WrapI64
            | I64ExtendI32S
            | I64ExtendI32U
            | I32Extend8S
            | I32Extend16S
            | I64Extend8S
            | I64Extend16S
            | I64Extend32S
    )
}

fn execute_unary(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let a = mach.stack.pop()?;
    mach.stack.push(unary_op(inst.op, a));
    Ok(())
}

fn execute_binary(mach: &mut Machine, inst: Instruction) -> Result<(), VerifyError> {
    let b = mach.stack.pop()?;
    let a = mach.stack.pop()?;
    match binary_op(inst.op, a, b) {
        Ok(r) => mach.stack.push(r),
        Err(_) => mach.status = STATUS_ERRORED,
    }
    Ok(())
}

/// A unary operation.
pub fn unary_op(op: Opcode, a: u64) -> u64 {
    math::unary(op, a)
}

/// A binary operation on `a` (deeper) and `b` (top), or its trap.
pub fn binary_op(op: Opcode, a: u64, b: u64) -> Result<u64, Trap> {
    math::binary(op, a, b)
}
